// JSON of the audit projection's list (docs/api.md "GET /v1/audit"): the
// shape retail::views::audit() returned; next_cursor added, truncated now
// means "another page follows" (with the default limit of 1000, what it meant).
#pragma once

#include <nlohmann/json.hpp>

#include "actors/projections/audit.hpp"

namespace sn::node {

/// {"operation":"conflict_resolution","device","register","key","winner","loser","method",
///  "old_value","new_value","time","hlc"}; values are the recorded JSON text
/// parsed (the text itself when it is not JSON).
nlohmann::json audit_entry_json(const projections::audit::entry& e);

/// {"entries":[...],"count","next_cursor","truncated"}; count = every matching entry.
nlohmann::json audit_json(const projections::page<projections::audit::entry>& p);

}  // namespace sn::node
