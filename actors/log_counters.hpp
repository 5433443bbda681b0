// This device's receipt and return counters read from its own events in the
// log, for a start-up whose sales projection folds in the background
// (node.cpp, restore_projections): the command side numbers the next sale
// from them before the projection's counter row has seen every event.
//
// Contract
// - Equal to sales::counters() of a sales projection that has folded every
//   event of `self` in the log: each event counts by sales::count_number,
//   the fold's own rule, duplicates included (the highest, not the newest).
// - own_counters_from_log reads every event of `self` (by its origin index,
//   4,096 at a time) and decodes the payloads of its sales and returns only:
//   O(own events); own_counters_after reads the log after a known point.
// - No CAF; reads the log only (any thread that may read it).
#pragma once

#include "actors/projections/sales.hpp"
#include "actors/retail/types.hpp"
#include "events/types.hpp"
#include "storage/event_log.hpp"

namespace sn::actors {

projections::sales::receipt_counters own_counters_from_log(const storage::event_log& log, const device_id& self,
                                                           const retail::store_settings& settings);

/// The same from a known point: `at` is what the sales projection's counter
/// row held for `self` when it had folded the log through `position` (read
/// before a refold drops the rows); the events of `self` after `position`
/// are counted on top, so the cost is the log's tail after it (normally
/// nothing: a node stopped cleanly has folded everything). Equal to
/// own_counters_from_log() for a log whose first `position` events gave `at`.
projections::sales::receipt_counters own_counters_after(const storage::event_log& log, const device_id& self,
                                                        const retail::store_settings& settings,
                                                        projections::sales::receipt_counters at,
                                                        std::uint64_t position);

}  // namespace sn::actors
