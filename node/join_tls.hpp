// The store CA's part of the join exchange (issue 9 item 2, issue 10 item 8):
// the joining device asks for an HTTPS certificate (`tls_request`: a CSR of
// its own P-256 key for the addresses it serves HTTP at) and the enrolling
// device answers with `tls_grant`: the device certificate the store CA issued
// (when this device holds the CA key) followed by the CA certificate, PEM.
//
// Contract
// - make_request: loads or makes <data dir>/identity/tls.key (0600) and
//   returns a CSR for certificate_sans(config); "" when that fails (logged:
//   the join goes on without HTTPS, which then stays on loopback).
// - grant: on a device holding identity/ca.key, the issued certificate plus
//   the CA certificate; on one holding only ca.crt, the CA certificate alone
//   (the joiner trusts the store CA but has no certificate: enroll it from the
//   device that created the store to serve HTTPS); "" without a CA.
// - install: writes ca.crt (when the joiner has none) and installs the
//   certificate after checking it against that CA and the joiner's key. An
//   empty grant installs nothing and succeeds; a grant that does not check
//   out stops the join (nothing stored).
// - Keys never leave these functions and nothing here logs a key.
#pragma once

#include <string>
#include <vector>

#include "node/config.hpp"
#include "node/node.hpp"

namespace sn::node {

/// The addresses this device's certificate names: loopback, the HTTP bind's
/// host (every interface address when it binds a wildcard) and the host name.
std::vector<std::string> certificate_sans(const node_config& config);

/// The three hooks of the join exchange backed by the data dir's TLS files.
join_tls_hooks store_ca_join_hooks(const node_config& config);

}  // namespace sn::node
