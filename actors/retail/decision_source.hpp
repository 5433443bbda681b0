// What the command handler reads from the projections' rows: everything
// whose size grows with the store's age (receipts with their lines, returns
// and voids; stock and the day's figures, which depend on them; closures;
// devices). A pure interface: the shell implements it over the node's
// projection store (actors/decision_rows.hpp), tests over memory rows.
//
// Contract
// - Every read folds the overlay's entries that the projection's rows do not
//   hold yet on top of them (decision_overlay.hpp says why that is exact),
//   so it answers as the projection would after folding every event the
//   handler has seen.
// - A read answers `behind` when the projection's rows are older than the
//   overlay relies on (decision_overlay::required: the projection is
//   rebuilding, or was paused past the overlay's bound); the handler then
//   refuses the command (projection_behind) instead of deciding from
//   incomplete rows.
// - folded(): each part's position as the projection actor last published
//   it (for pruning the overlay; any value not above the truth is safe).
// - idempotency_record(): the stored records, so that no table of every key
//   ever used has to live in memory (issue 12).
// - Called from the command handler's thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actors/retail/command_result.hpp"
#include "actors/retail/decision_overlay.hpp"

namespace sn::retail {

/// An answer read from a projection's rows, or `behind`.
template <class T>
struct rows_read {
  T value{};
  bool behind = false;
};

/// A device as register_device / update_device decide from it.
struct device_facts {
  bool written = false;  ///< a device.registered or device.updated of it was folded
  device_row row;        ///< as GET /v1/devices/{id} shows it (name etc. from the register)
};

/// A day of one device as close_day decides from it.
struct day_facts {
  bool closed = false;       ///< the device closed that day already
  close_day_result figures;  ///< its figures now (zero when none)
};

class decision_source {
 public:
  virtual ~decision_source() = default;

  /// The sale under `receipt` with its returns and void (nullopt: no sale).
  virtual rows_read<std::optional<sale_row>> sale(const std::string& receipt, const decision_overlay& o) = 0;
  /// Whether some sale under `receipt` is in the rows or the overlay (the
  /// duplicate check of complete_sale: cheap, no folding).
  virtual bool sale_exists(const std::string& receipt, const decision_overlay& o) = 0;
  /// Stock on hand of `sku` (0 when never seen).
  virtual rows_read<std::int64_t> on_hand(const std::string& sku, const decision_overlay& o) = 0;
  /// `day` (days since 1970-01-01) of `device`: closed? and its figures.
  virtual rows_read<day_facts> day(std::int32_t day, const std::string& device, const decision_overlay& o) = 0;
  /// Device `id`.
  virtual rows_read<device_facts> device(const std::string& id, const decision_overlay& o) = 0;
  /// Each part's folded position (decision_overlay::prune).
  virtual part_positions folded() const = 0;
  /// The stored idempotency record under `key` (bytes as the log writer
  /// stored them with the command's events), nullopt when none. Records of
  /// this process's recent decisions the handler keeps itself; older ones
  /// (earlier runs, evicted) are read here, one point read per keyed command.
  virtual std::optional<std::string> idempotency_record(const std::string& key) = 0;
};

}  // namespace sn::retail
