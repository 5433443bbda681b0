// JSON of the audit projection's list (docs/api.md "GET /v1/audit"): the
// shape retail::views::audit() returned; next_cursor added, truncated now
// means "another page follows" (with the default limit of 1000, what it meant).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "events/event.hpp"

#include "actors/projections/audit.hpp"

namespace sn::node {

/// {"operation":"conflict_resolution","device","register","key","winner","loser","method",
///  "old_value","new_value","time","hlc"}; values are the recorded JSON text
/// parsed (the text itself when it is not JSON).
nlohmann::json audit_entry_json(const projections::audit::entry& e);

/// The event a ref "origin:seq" names, as the log holds it (nullopt: not held).
using event_lookup = std::function<std::optional<event>(const std::string& origin, std::uint64_t seq)>;

/// Names the staff of the writes a conflict row judged: staff_id /
/// approver_id of the `winner` ref's event, loser_staff_id /
/// loser_approver_id of the `loser`'s (null: unattributed, nobody
/// approved, not held, or a ref that is not "origin:seq").
void attribute_audit_row(nlohmann::json& row, const event_lookup& find);

/// {"entries":[...],"count","next_cursor","truncated"}; count = every matching entry.
nlohmann::json audit_json(const projections::page<projections::audit::entry>& p);

}  // namespace sn::node
