// One projection (ARCHITECTURE.md §5): a fold of events into rows, with its
// own queries (in its header, as free functions over a row_reader) and a
// digest of its rows kept by the projection set.
//
// Contract of apply()
// - Called once per event (the set guarantees at most once, each origin in
//   seq order) with the payload already decoded and upcast by the set.
// - Order independence: the rows are a function of the SET of applied events,
//   whatever order origins interleave in (counters are sums of deltas,
//   entity fields last-writer-wins registers ordered by (HLC, origin), ...:
//   actors/projections/README.md).
// - Rows only: a projection keeps no state of its own between events (so a
//   restart or a rebuild is exactly the rows), and reads only its own rows
//   (so it can be rebuilt alone).
// - Returns nullptr, or the reason the event is parked (it broke one of the
//   projection's invariants, e.g. a second sale under one receipt).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "actors/projections/rows.hpp"
#include "actors/retail/types.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/event.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/staff.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"

namespace sn::projections {

/// The payload of a known event type at the schema this build writes.
using payload = std::variant<std::monostate, product_upserted, price_changed, product_deactivated, stock_received,
                             stock_adjusted, stock_counted, sale_completed, sale_returned, sale_voided, day_closed,
                             device_registered, device_updated, master_changed, conflict_resolved, staff_added,
                             staff_updated, staff_removed, staff_signed_in, staff_sign_in_failed, staff_signed_out, store_created,
                             device_enrolled, device_revoked, device_keys_rotated>;

/// An event and its decoded payload (monostate: a type this build does not
/// know; every projection is shown those too and most ignore them).
struct folded_event {
  const event& ev;
  const payload& p;
};

struct fold_context {
  const retail::store_settings& settings;
  /// Where register writes that lost on arrival are reported; null while
  /// conflict detection is off (not the master, or replaying judged history).
  std::vector<retail::register_conflict>* conflicts = nullptr;
};

class projection {
 public:
  virtual ~projection() = default;
  /// "catalog", "inventory", ...: the key of digests and of its column family.
  virtual const char* name() const noexcept = 0;
  /// The version of its row layout: a node whose stored rows were written
  /// under another layout folds this projection again from the log at
  /// start-up (node/node.cpp), so a row format can grow without a migration.
  virtual std::uint32_t layout() const noexcept { return 1; }
  virtual const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) = 0;
  /// Appends keys of rows apply(e) will read (a receipt's row, say): a hint
  /// the set uses to read a chunk's rows in one batch before folding it
  /// (row_overlay::read_ahead). A key apply() does not read, or one left
  /// out, costs time only, never correctness. Default: none.
  virtual void rows_to_read(const folded_event& e, std::vector<std::string>& keys) const {
    (void)e;
    (void)keys;
  }
};

/// Every projection of this build, in a fixed order (the set's order).
std::vector<std::unique_ptr<projection>> all_projections();

} // namespace sn::projections
