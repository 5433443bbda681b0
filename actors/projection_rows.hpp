// The projections' rows in RocksDB (storage::projection_store) behind the
// pure interfaces of actors/projections: the projection actor's row_store
// (one atomic write per fold batch) and the readers queries use on any
// thread, optionally pinned to one snapshot.
#pragma once

#include <memory>
#include <vector>

#include "actors/fold_progress.hpp"
#include "actors/projections/decision_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"

namespace sn::actors {

/// One projection's rows, read-only, from any thread. With a snapshot every
/// read sees the same instant (a query reading several rows never sees half
/// a fold batch).
class stored_rows final : public projections::row_reader {
 public:
  stored_rows(const storage::projection_store& store, std::size_t family,
              const storage::projection_store::read_view* at = nullptr)
    : store_(store), family_(family), at_(at) {}
  std::optional<std::string> get(std::string_view key) const override { return store_.get(family_, key, at_); }
  void get_many(const std::vector<std::string_view>& keys,
                std::vector<std::optional<std::string>>& out) const override {
    store_.get_many(family_, keys, out, at_);
  }
  void scan(std::string_view prefix, std::string_view from, const projections::row_visitor& fn) const override {
    store_.scan(family_, prefix, from, fn, at_);
  }

 private:
  const storage::projection_store& store_;
  std::size_t family_;
  const storage::projection_store::read_view* at_;
};

/// The row_store of the node's projection set (family i = projection i).
class stored_row_store final : public projections::row_store {
 public:
  explicit stored_row_store(storage::projection_store& store);
  const projections::row_reader& rows(std::size_t i) const override { return *readers_[i]; }
  status write_all(const std::vector<write>& writes) override;
  status clear(std::size_t i) override { return store_.clear(i); }
  bool writes_beside_reads() const noexcept override { return true; }  // RocksDB

 private:
  storage::projection_store& store_;
  std::vector<std::unique_ptr<stored_rows>> readers_;
  std::vector<storage::projection_store::write_ref> scratch_;
};

/// The command handler's decision source over the node's projection store:
/// each read pins one snapshot of the store (projections::decision_snapshot)
/// and finds own drafts' positions in `log`; folded() is `progress`. The
/// families of the parts are looked up by name (decision_part_names).
std::unique_ptr<retail::decision_source> make_decision_source(const storage::projection_store& store,
                                                              const storage::event_log& log, device_id self,
                                                              const fold_progress& progress,
                                                              retail::store_settings settings);

} // namespace sn::actors
