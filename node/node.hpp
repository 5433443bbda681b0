// The storenode daemon: opens the log, restores state, wires the actor
// system, serves HTTP and peers, and stops cleanly on SIGTERM/SIGINT.
#pragma once

#include <functional>
#include <string>

#include "node/config.hpp"

namespace sn::node {

/// Exit codes of storenode (docs/operations.md).
inline constexpr int exit_cannot_start = 2;  ///< config error, data dir locked, port in use (logged)
inline constexpr int exit_damaged_log = 3;   ///< the start-up check found the log damaged (logged, origin:seq)

inline constexpr int exit_join_refused = 4;  ///< --join failed: the code was refused (which, logged) or nobody answered

/// The seam for the store CA (HTTPS; node/join_tls.hpp fills it): opaque bytes
/// that ride in the join exchange (docs/protocol.md 2.5). Each may be empty.
struct join_tls_hooks {
  /// On the joining device: the bytes its join request carries (a CSR).
  std::function<std::string()> make_request;
  /// On the enrolling device: the grant for a joiner's request ("" = none).
  std::function<std::string(const std::string& device_id, const std::string& request)> grant;
  /// On the joining device: installs the grant; false stops the join.
  std::function<bool(const std::string& grant)> install;
};

/// Runs the node until SIGTERM or SIGINT. Returns the process exit code:
/// 0 clean stop, exit_cannot_start, exit_damaged_log, exit_join_refused.
int run_node(const node_config& config, join_tls_hooks tls = {});

} // namespace sn::node
