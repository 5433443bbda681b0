// The projections' rows in the event log's RocksDB (ARCHITECTURE.md §5): one
// column family per projection ("p.<name>", opened with
// log_options::projection_families), so a projection's rows, its digest and
// its applied position are written in one WriteBatch — and, being the same
// DB as the log, a checkpoint (backup) holds log and rows consistently.
//
// Contract
// - Reads (get, scan, snapshot) from any thread; writes (write_all, clear)
//   from one writer (the projection actor).
// - write_all is atomic across families. It is not synced: the log is the
//   source of truth and the rows are rebuilt from it, and a torn tail after
//   power loss loses the rows and their position together (same batch, WAL
//   order), never one without the other.
// - clear() deletes every row of a family (a range delete, synced: readers on
//   other threads keep working and see either the old rows or none), then
//   drops the family's table files below level 0 at once (RocksDB's
//   DeleteFilesInRange): their disk space comes back at once instead of
//   when compactions reach them.
// - A read view pins a RocksDB snapshot: every read through it sees one
//   instant, so a query that reads several rows never sees half a fold batch.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/expected.hpp"

namespace sn::storage {

class event_log;

class projection_store {
 public:
  /// The families of `log` (which must outlive the store). A name of
  /// log_options::projection_families that is not open is an error.
  static expected<std::unique_ptr<projection_store>> open(event_log& log, const std::vector<std::string>& names);
  ~projection_store();
  projection_store(const projection_store&) = delete;
  projection_store& operator=(const projection_store&) = delete;

  std::size_t size() const noexcept;
  const std::string& name(std::size_t family) const;

  class read_view;
  /// A consistent view of every family at this instant (a snapshot).
  std::unique_ptr<read_view> snapshot() const;

  std::optional<std::string> get(std::size_t family, std::string_view key, const read_view* at = nullptr) const;
  /// get() of every key of `keys` at once (RocksDB's batched MultiGet): out[i]
  /// is the value of keys[i], nullopt when absent (or on an I/O error).
  void get_many(std::size_t family, const std::vector<std::string_view>& keys,
                std::vector<std::optional<std::string>>& out, const read_view* at = nullptr) const;
  /// Rows with key prefix `prefix` and key >= `from`, ascending; fn returns false to stop.
  void scan(std::size_t family, std::string_view prefix, std::string_view from,
            const std::function<bool(std::string_view key, std::string_view value)>& fn,
            const read_view* at = nullptr) const;

  /// One write by reference: the bytes stay the caller's until write_all returns.
  struct write_ref {
    std::size_t family = 0;
    std::string_view key;
    const std::string* value = nullptr;  ///< null: delete
  };
  /// Every write at once, atomically (unsynced, like write_all above). The
  /// writes are put into the batch in (family, key) order — a memtable
  /// inserts sorted keys with far fewer comparisons — so `writes` must not
  /// name a key twice (its order is changed).
  status write_all(std::vector<write_ref>& writes);
  status clear(std::size_t family);

 private:
  struct impl;
  explicit projection_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

class projection_store::read_view {
 public:
  ~read_view();
  read_view(const read_view&) = delete;
  read_view& operator=(const read_view&) = delete;

 private:
  friend class projection_store;
  read_view() = default;
  struct state;
  std::unique_ptr<state> s_;
};

} // namespace sn::storage
