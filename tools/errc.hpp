// Error codes of the tools folder, and the exit codes storectl documents.
#pragma once

#include <string>

#include "events/expected.hpp"

namespace sn::tools {

enum class errc : int {
  usage = 1,          ///< a bad option value: time, glob, origin, URL
  bad_data_dir = 2,   ///< missing, not a storenode data dir, or unreadable
  unreachable = 3,    ///< the node did not answer (connect/timeout)
  http_status = 4,    ///< the node answered with a non-2xx status
  bad_reply = 5,      ///< the node's reply was not the JSON we expect
  not_found = 6,      ///< the event / projection asked for does not exist
  io = 7,             ///< writing an output file or the scratch state failed
  interrupted = 8,    ///< SIGINT / SIGTERM / SIGHUP while folding (scratch state removed)
};

const char* to_string(errc e) noexcept;
sn::error make_error(errc e, std::string message);

/// storectl's exit codes (tools/README.md, docs/operations.md).
enum exit_code : int {
  exit_ok = 0,       ///< done; nothing wrong found
  exit_problem = 1,  ///< ran fine and found a problem (tamper, gap, fork, digests differ, ...)
  exit_failed = 2,   ///< could not read the data dir / reach the node, or bad usage
};

} // namespace sn::tools
