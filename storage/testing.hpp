// Test and benchmark helpers: raw RocksDB access to a data dir, bypassing the
// event log's rules. Lives in its own library (sn_storage_testing) that only
// tests/ and tests/bench/ link; never use it in the node or the tools.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/expected.hpp"
#include "storage/options.hpp"

namespace sn::storage::testing {

// Column family names as event_log.hpp lists them: "log", "index", "heads",
// "meta", "projections", "idempotency". Each call opens the data dir
// read-write (so no event_log may hold it), does one write, and closes it.
status raw_put(const std::string& data_dir, std::string_view cf, std::string_view key, std::string_view value);
status raw_delete(const std::string& data_dir, std::string_view cf, std::string_view key);
expected<std::string> raw_get(const std::string& data_dir, std::string_view cf, std::string_view key);

/// The benchmark's baseline: plain WriteBatch puts into the "log" column
/// family of a fresh data dir opened with exactly the event log's options.
class raw_writer {
public:
  static expected<std::unique_ptr<raw_writer>> open(const log_options& o);
  ~raw_writer();
  /// One WriteBatch of `kvs`, synced when `sync`.
  status write(const std::vector<std::pair<std::string_view, std::string_view>>& kvs, bool sync);

private:
  struct impl;
  explicit raw_writer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sn::storage::testing
