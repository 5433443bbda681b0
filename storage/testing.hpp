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

// Event-level damage for audit tests (each opens the data dir read-write,
// does one atomic write, and closes it):

/// Position the index gives (origin, seq).
expected<std::uint64_t> position_of(const std::string& data_dir, std::string_view origin, std::uint64_t seq);
/// The stored bytes at `position` of the log, and a raw overwrite of them
/// (no validation, no index or heads update: a fork or a tamper).
expected<std::string> get_event_bytes(const std::string& data_dir, std::uint64_t position);
status put_event_bytes(const std::string& data_dir, std::uint64_t position, std::string_view bytes);
/// Deletes the event (origin, seq) from the log and from the index (the
/// index run holding it is split), leaving heads as they were: a gap.
status delete_event(const std::string& data_dir, std::string_view origin, std::uint64_t seq);
/// Makes the index map (origin, seq) to `position`, every other entry unchanged.
status repoint_index(const std::string& data_dir, std::string_view origin, std::uint64_t seq, std::uint64_t position);

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
