// One fold batch's view of a projection's rows: reads go to the overlay and
// then to the durable rows below it; writes stay in the overlay until the
// projection set has written them (with the digest and the position) in one
// atomic batch. Rows read or written stay cached afterwards (clean) up to a
// bound, so hot rows (today's totals, popular SKUs, on-hand) are served from
// memory and written through; rows a batch created or deleted are not kept
// past it unless a later batch reads them again (most new rows, a receipt and
// its list entries, are not read again by a fold).
//
// Eviction (past the bound, after a commit() or written()): first the clean
// rows no later batch has read (created or deleted by a batch, or read and
// found absent); then the clean rows least recently used, by batch, down to
// three quarters of the bound. Rows the current batch used stay whatever the
// bound. So a bulk fold keeps its hot rows from chunk to chunk instead of
// reading them below again every chunk (bench_scale breakdown: rows read
// below per event).
//
// Contract
// - get()/scan() see this batch's writes (read your writes).
// - for_each_change() lists every row whose value differs from the durable
//   value (before) at the start of the batch: exactly the rows to write and
//   the digest's removes/adds. A row put back to its old value is no change.
// - commit() after the batch is durable: changes become the durable values.
//   discard() after a failed write: every cached row is dropped.
// - commit_unwritten() then written(): commit() in two steps, for a write
//   that runs later (beside the next batch's fold): between them the batch's
//   rows stay cached, whatever the bound, so nothing reads them from below.
// - Not thread-safe: owned by the projection actor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/projections/rows.hpp"

namespace sn::projections {

class row_overlay final : public row_writer {
 public:
  /// `base` must outlive the overlay. `cached_rows_max`: clean rows kept
  /// between batches (default 20,000; see Eviction above). A commit() drops
  /// the rows the batch created or deleted from the cache.
  explicit row_overlay(const row_reader& base, std::size_t cached_rows_max = 20000);

  std::optional<std::string> get(std::string_view key) const override;
  void scan(std::string_view prefix, std::string_view from, const row_visitor& fn) const override;
  void put(std::string_view key, std::string value) override;
  void erase(std::string_view key) override;
  void put_new(std::string_view key, std::string value) override;

  /// Reads the rows of `keys` (any order, repeats allowed; it is sorted and
  /// deduplicated) that are not cached, in one batch from below
  /// (row_reader::get_many), and caches them as this batch's reads: the
  /// fold's get()s of them then read nothing below.
  void read_ahead(std::vector<std::string>& keys);

  using change_visitor = std::function<void(const std::string& key, const std::optional<std::string>& before,
                                            const std::optional<std::string>& after)>;
  void for_each_change(const change_visitor& fn) const;
  /// Rows changed in this batch (an upper bound: rows put back count too).
  std::size_t dirty() const noexcept { return dirty_rows_.size(); }
  void commit();
  void discard();
  /// commit() for a batch whose write is still to come (a deferred flush):
  /// its changes become the values below the next batch, and every row
  /// stays cached, so reads keep seeing it until written() says it is durable.
  void commit_unwritten();
  /// The batch of the last commit_unwritten() is durable: the cache is bounded
  /// again (past the bound only the rows changed since are kept).
  void written();
  std::size_t cached() const noexcept { return rows_.size(); }
  /// Rows read from below so far (found or not): what the cache saves.
  std::size_t reads_below() const noexcept { return reads_below_; }

 private:
  struct entry {
    std::optional<std::string> before;  // durable value
    std::optional<std::string> value;   // current value
    std::uint32_t used = 0;             // batch (generation_) that last read or wrote it
    bool dirty = false;
    bool once = false;  // created, deleted or found absent by a batch, not read by a later one
  };
  using row = std::pair<const std::string, entry>;
  /// The row of `key`, cached; a row not cached yet is read from below,
  /// or taken as absent there when `read_below` is false (put_new).
  row& load(std::string_view key, bool read_below = true) const;
  void mark_dirty(row& r);
  /// Past the bound: the eviction described in the header.
  void evict();

  const row_reader& base_;
  std::size_t cached_rows_max_;
  mutable std::unordered_map<std::string, entry> rows_;
  // Rows made dirty this batch, by address (an unordered_map keeps its
  // elements' addresses until they are erased): a flush costs what it changed.
  std::vector<row*> dirty_rows_;
  std::uint32_t generation_ = 0;  // batches committed so far
  mutable std::size_t reads_below_ = 0;
  mutable std::string lookup_;  // a find's key, reused (C++17 has no lookup by string_view)
  // The row load() found last: a read-modify-write (get, then put of the
  // same key: every count and aggregate a fold updates) looks it up once.
  // Null after commit() and discard(), which may erase rows.
  mutable row* last_ = nullptr;
};

} // namespace sn::projections
