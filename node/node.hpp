// The storenode daemon: opens the log, restores state, wires the actor
// system, serves HTTP and peers, and stops cleanly on SIGTERM/SIGINT.
#pragma once

#include "node/config.hpp"

namespace sn::node {

/// Exit codes of storenode (docs/operations.md).
inline constexpr int exit_cannot_start = 2;  ///< config error, data dir locked, port in use (logged)
inline constexpr int exit_damaged_log = 3;   ///< the start-up check found the log damaged (logged, origin:seq)

/// Runs the node until SIGTERM or SIGINT. Returns the process exit code:
/// 0 clean stop, exit_cannot_start, exit_damaged_log.
int run_node(const node_config& config);

} // namespace sn::node
