// The store's TLS trust (issue 10 item 8, ARCHITECTURE.md §7 "HTTPS whenever
// the address is not loopback"): a store CA made with the store, a P-256 key
// per device, certificate requests, grants (certificates the CA issues) and
// their installation. Pure of the node: OpenSSL 3 only, PEM text in and out,
// so the join exchange (issue 9) can carry a request and a grant as opaque
// bytes (`tls_request` from the joiner, `tls_grant` back).
//
// Contract
// - Keys are ECDSA P-256 (what every browser accepts); signatures SHA-256.
// - The CA certificate is self-signed, basicConstraints CA:TRUE pathlen 0,
//   keyUsage keyCertSign+cRLSign, valid ca_validity_days. A device
//   certificate is CA:FALSE, keyUsage digitalSignature, extendedKeyUsage
//   serverAuth, valid device_validity_days, with exactly the SANs its request
//   asked for (DNS names and IP addresses), each checked here.
// - Secret key PEM never leaves through anything but the return value of
//   make_store_ca / make_device_key; nothing here logs.
// - Thread safety: every function is reentrant (no shared state).
#pragma once

#include <string>
#include <vector>

#include "events/expected.hpp"

namespace sn::tls {

enum class errc : int {
  openssl = 1,        ///< OpenSSL refused (its message is in the error)
  invalid_input = 2,  ///< not the PEM this function takes, or a bad SAN
  not_granted = 3,    ///< a certificate that does not belong to the key or the CA
};

/// Days a store CA is valid (it is the store's root: long-lived).
constexpr int ca_validity_days = 3650;
/// Days a device certificate is valid (browsers cap server certificates:
/// 397 days, CA/Browser Forum; a private root is not bound by it, but keep
/// within it so no browser complains).
constexpr int device_validity_days = 397;
/// Most SANs a request may carry.
constexpr std::size_t sans_max = 16;

struct ca_material {
  std::string key_pem;   ///< the CA's secret key (PKCS#8 PEM): 0600, never shown
  std::string cert_pem;  ///< the CA certificate: what browsers and storectl trust
};

/// A new store CA named after the store ("storenode store CA <name>").
[[nodiscard]] sn::expected<ca_material> make_store_ca(const std::string& store_name);

/// A new device TLS key (PKCS#8 PEM).
[[nodiscard]] sn::expected<std::string> make_device_key();

/// A certificate request (PEM CSR) for `device_id` signed by `key_pem`, asking
/// for `sans`: each an IPv4/IPv6 address or a DNS name (letters, digits, '-',
/// '.'); at least one, at most sans_max. This is the join's `tls_request`.
[[nodiscard]] sn::expected<std::string> make_request(const std::string& key_pem, const std::string& device_id,
                                                     const std::vector<std::string>& sans);

/// The CA grants `request_pem`: checks its signature and SANs and issues a
/// device certificate (PEM). This is the join's `tls_grant`.
[[nodiscard]] sn::expected<std::string> grant(const ca_material& ca, const std::string& request_pem);

/// Checks a granted certificate before it is installed: issued by `ca_cert_pem`
/// (signature and validity), for the key `key_pem`. Ok: install it.
[[nodiscard]] sn::status check_grant(const std::string& cert_pem, const std::string& key_pem,
                                     const std::string& ca_cert_pem);

/// The SANs of a certificate (DNS names and IP addresses as text).
[[nodiscard]] sn::expected<std::vector<std::string>> sans_of(const std::string& cert_pem);

/// True for an address only this machine can reach: 127.0.0.0/8, ::1,
/// "localhost". Anything else (0.0.0.0, ::, another address or name) is off
/// loopback and must be served over HTTPS.
bool is_loopback_host(const std::string& host);

}  // namespace sn::tls
