#include "actors/projection_rows.hpp"

namespace sn::actors {

stored_row_store::stored_row_store(storage::projection_store& store) : store_(store) {
  for (std::size_t i = 0; i < store.size(); ++i) readers_.push_back(std::make_unique<stored_rows>(store, i));
}

status stored_row_store::write_all(const std::vector<write>& writes) {
  scratch_.clear();
  scratch_.reserve(writes.size());
  for (const write& w : writes) {
    scratch_.push_back(storage::projection_store::write_ref{w.projection, w.key, w.value});
  }
  return store_.write_all(scratch_);
}

namespace {

class stored_snapshot final : public projections::decision_snapshot {
 public:
  stored_snapshot(const storage::projection_store& store, const storage::event_log& log, const device_id& self,
                  const std::array<std::size_t, retail::source_part_count>& families, bool pinned)
    : log_(log), self_(self), view_(pinned ? store.snapshot() : nullptr) {
    for (std::size_t i = 0; i < families.size(); ++i) rows_[i] = std::make_unique<stored_rows>(store, families[i], view_.get());
  }
  const projections::row_reader& rows(retail::source_part p) const override {
    return *rows_[static_cast<std::size_t>(p)];
  }
  std::optional<std::uint64_t> own_position(std::uint64_t seq) const override {
    // Read after the snapshot: an event the snapshot's rows folded is in the
    // log by now (the log is written before anything folds it).
    if (auto e = log_.get(self_, origin_seq{seq})) return e->position.value();
    return std::nullopt;
  }

 private:
  const storage::event_log& log_;
  const device_id& self_;
  std::unique_ptr<storage::projection_store::read_view> view_;
  std::array<std::unique_ptr<stored_rows>, retail::source_part_count> rows_;
};

}  // namespace

std::unique_ptr<retail::decision_source> make_decision_source(const storage::projection_store& store,
                                                              const storage::event_log& log, device_id self,
                                                              const fold_progress& progress,
                                                              retail::store_settings settings) {
  std::array<std::size_t, retail::source_part_count> families{};
  for (std::size_t p = 0; p < families.size(); ++p) {
    for (std::size_t f = 0; f < store.size(); ++f) {
      if (store.name(f) == projections::decision_part_names[p]) families[p] = f;
    }
  }
  auto me = std::make_shared<device_id>(std::move(self));
  return std::make_unique<projections::rows_decision_source>(
      settings,
      [&store, &log, me, families](bool pinned) {
        return std::make_unique<stored_snapshot>(store, log, *me, families, pinned);
      },
      [&progress, families] {
        retail::part_positions out{};
        for (std::size_t p = 0; p < families.size(); ++p) out[p] = progress.position(families[p]);
        return out;
      },
      [&log](const std::string& key) { return log.get_idempotency(key); });
}

} // namespace sn::actors
