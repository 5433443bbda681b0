// Opening a node's data dir for the tools: always read-only (a consistent
// snapshot that works while the node runs and never disturbs it), with
// errors an operator can act on.
#pragma once

#include <memory>
#include <string>

#include "events/expected.hpp"
#include "storage/event_log.hpp"

namespace sn::tools {

/// Checks that `dir` exists and looks like a storenode data dir, then opens
/// its log read-only. Errors (errc::bad_data_dir) name the dir and the cause.
expected<std::unique_ptr<storage::event_log>> open_data_dir(const std::string& dir);

/// True when `dir` exists and holds a RocksDB database (a CURRENT file).
bool looks_like_data_dir(const std::string& dir);

} // namespace sn::tools
