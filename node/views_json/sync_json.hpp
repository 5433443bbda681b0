// JSON of the sync actor's report (docs/api.md "GET /v1/sync"; /v1/status
// "sync" and "clock"): the typed sync_report of actors/status_reports.hpp
// rendered at the edge, the seed's sync_state rows and sync audit included.
#pragma once

#include <nlohmann/json.hpp>

#include "actors/status_reports.hpp"

namespace sn::node {

/// {"status","pending_changes","last_sync_ms","last_error","last_error_ms","hub","is_hub","syncing_with",
///  "ahead_events","appends_in_flight","counters":{...},"devices":[...],"audit":[...],
///  "clock":{"max_skew_ms","skew_warning"}}
nlohmann::json sync_json(const actors::sync_report& r);

}  // namespace sn::node
