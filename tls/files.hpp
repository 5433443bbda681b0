// Where the store's TLS material lives in a data dir, and writing it safely.
//
//   <data dir>/identity/ca.crt   the store CA certificate (public: what
//                                browsers and storectl trust)
//   <data dir>/identity/ca.key   the store CA key, mode 0600 — only on the
//                                device that created the store
//   <data dir>/identity/tls.key  this device's TLS key, mode 0600
//   <data dir>/identity/tls.crt  this device's certificate (granted by the CA)
//
// Files are written whole to a temporary name, fsynced and renamed, so a crash
// leaves the old file or the new one. Secret files are created 0600 and a
// secret file readable by group or others is refused on load.
#pragma once

#include <string>
#include <vector>

#include "events/expected.hpp"
#include "tls/tls.hpp"

namespace sn::tls {

struct tls_files {
  std::string ca_cert, ca_key, key, cert;
};
tls_files files_in(const std::string& data_dir);

/// The text of `path`; `secret`: refused when group or others may read it.
[[nodiscard]] sn::expected<std::string> read_file(const std::string& path, bool secret);
/// Writes `text` to `path` atomically, mode 0600 when `secret` else 0644.
[[nodiscard]] sn::status write_file(const std::string& path, const std::string& text, bool secret);

/// This device's TLS key, made (and written, 0600) when absent.
[[nodiscard]] sn::expected<std::string> load_or_make_device_key(const std::string& data_dir);

/// Installs a granted certificate after check_grant against the data dir's
/// CA certificate and TLS key (tls.crt replaced atomically).
[[nodiscard]] sn::status install(const std::string& data_dir, const std::string& cert_pem);

/// --create-store: makes the store CA (ca.key 0600, ca.crt) and grants this
/// device a certificate for `sans`. Refused when ca.key or ca.crt exist.
[[nodiscard]] sn::status create_store_trust(const std::string& data_dir, const std::string& store_name,
                                            const std::string& device_id, const std::vector<std::string>& sans);

}  // namespace sn::tls
