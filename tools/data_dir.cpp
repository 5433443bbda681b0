#include "tools/data_dir.hpp"

#include <filesystem>
#include <system_error>

#include "storage/options.hpp"
#include "tools/errc.hpp"

namespace sn::tools {

namespace fs = std::filesystem;

bool looks_like_data_dir(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_regular_file(fs::path(dir) / "CURRENT", ec);
}

expected<std::unique_ptr<storage::event_log>> open_data_dir(const std::string& dir) {
  std::error_code ec;
  if (dir.empty()) return make_error(errc::bad_data_dir, "no data dir given (--data DIR)");
  if (!fs::exists(dir, ec)) {
    return make_error(errc::bad_data_dir, "data dir '" + dir + "' does not exist");
  }
  if (!fs::is_directory(dir, ec)) {
    return make_error(errc::bad_data_dir, "data dir '" + dir + "' is not a directory");
  }
  if (!fs::is_regular_file(fs::path(dir) / "CURRENT", ec)) {
    return make_error(errc::bad_data_dir, "'" + dir +
                                              "' is not a storenode data dir (no RocksDB CURRENT file; "
                                              "give the directory passed to storenode --data-dir)");
  }
  storage::log_options o;
  o.data_dir = dir;
  o.mode = storage::open_mode::read_only;
  o.block_cache_bytes = 16 << 20;  // a tool's scan reads each block once
  auto log = storage::event_log::open(o);
  if (!log) {
    return make_error(errc::bad_data_dir, "cannot open data dir '" + dir + "' read-only: " + log.error().message);
  }
  return std::move(*log);
}

} // namespace sn::tools
