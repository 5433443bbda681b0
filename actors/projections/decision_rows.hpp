// The command side's reads of the projections' rows (retail::decision_source
// over row readers) and its start-up state. Pure: the rows come through
// decision_snapshot, which the node backs with a RocksDB snapshot of its
// projection store and its log (actors/projection_rows.hpp), tests and the
// simulation with memory rows.
//
// A read (decision_overlay.hpp has the argument): one snapshot; the
// projection's position P from the same snapshot's reserved row; `behind`
// when P < overlay.required(part); else the overlay's entries above P (an
// own draft's position looked up by its seq: the log may hold it although
// the command actor has not heard yet) folded by the projection's own
// apply() into a row_overlay over the snapshot's rows, and the projection's
// own query run on that. The result is what the projection will show once it
// has folded those events: the same semantics by construction (voids before
// their sale, only the first void, cumulative returns, LWW registers).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/projections/projection.hpp"
#include "actors/projections/rows.hpp"
#include "actors/retail/decision_source.hpp"
#include "actors/retail/decision_state.hpp"

namespace sn::projections {

/// The names of the projections behind each retail::source_part, in part order.
extern const std::array<const char*, retail::source_part_count> decision_part_names;

/// One instant of the rows the command side reads.
class decision_snapshot {
 public:
  virtual ~decision_snapshot() = default;
  virtual const row_reader& rows(retail::source_part p) const = 0;
  /// The log position of this device's event `seq`; nullopt while the log
  /// does not hold it. Read after the rows' snapshot was taken.
  virtual std::optional<std::uint64_t> own_position(std::uint64_t seq) const = 0;
};

class rows_decision_source final : public retail::decision_source {
 public:
  /// pinned: one consistent instant (reads that fold the overlay); not
  /// pinned: the rows as they are (a point read that needs no position).
  using snapshot_fn = std::function<std::unique_ptr<decision_snapshot>(bool pinned)>;
  using folded_fn = std::function<retail::part_positions()>;
  /// The stored idempotency record of a key (the node: the log's idempotency
  /// family); none: no record is stored anywhere (unit tests).
  using record_fn = std::function<std::optional<std::string>(const std::string& key)>;

  rows_decision_source(retail::store_settings settings, snapshot_fn snapshot, folded_fn folded,
                       record_fn records = {});

  retail::rows_read<std::optional<retail::sale_row>> sale(const std::string& receipt,
                                                          const retail::decision_overlay& o) override;
  bool sale_exists(const std::string& receipt, const retail::decision_overlay& o) override;
  retail::rows_read<std::int64_t> on_hand(const std::string& sku, const retail::decision_overlay& o) override;
  retail::rows_read<retail::day_facts> day(std::int32_t day, const std::string& device,
                                           const retail::decision_overlay& o) override;
  retail::rows_read<retail::device_facts> device(const std::string& id, const retail::decision_overlay& o) override;
  retail::part_positions folded() const override { return folded_(); }
  std::optional<std::string> idempotency_record(const std::string& key) override {
    return records_ ? records_(key) : std::nullopt;
  }

  /// Entries folded by reads so far (tests: the overlay stays small).
  std::uint64_t entries_folded() const noexcept { return entries_folded_; }

 private:
  /// Runs `query` on part p's rows with the overlay folded on top; false: behind.
  bool read(retail::source_part p, const retail::decision_overlay& o,
            const std::function<void(const row_reader&)>& query);

  retail::store_settings settings_;
  snapshot_fn snapshot_;
  folded_fn folded_;
  record_fn records_;
  std::array<std::unique_ptr<projection>, retail::source_part_count> units_;
  std::uint64_t entries_folded_ = 0;
};

/// The position a projection's rows were folded to (its reserved position
/// row; 0 when absent).
std::uint64_t stored_position(const row_reader& rows);

/// Start-up: the decision state of `self` from the catalog's registers and
/// the sales projection's counters of `self`.
void load_decision_state(const row_reader& catalog, const row_reader& sales, retail::decision_state& state);

}  // namespace sn::projections
