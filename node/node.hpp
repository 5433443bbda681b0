// The storenode daemon: opens the log, restores state, wires the actor
// system, serves HTTP and peers, and stops cleanly on SIGTERM/SIGINT.
#pragma once

#include "node/config.hpp"

namespace sn::node {

/// Runs the node until SIGTERM or SIGINT. Returns the process exit code:
/// 0 clean stop, 2 could not start (message logged).
int run_node(const node_config& config);

} // namespace sn::node
