// JSON of the elections projection's list (docs/api.md "GET /v1/elections"):
// the shape retail::views::elections() returned, plus next_cursor and
// truncated.
#pragma once

#include <nlohmann/json.hpp>

#include "actors/projections/elections.hpp"

namespace sn::node {

/// {"previous_master":id|null,"new_master","term","reason","time","participants","recorded_by"}
nlohmann::json election_json(const projections::elections::election& e);

/// {"elections":[...],"count","next_cursor","truncated"}; count = every election.
nlohmann::json elections_json(const projections::page<projections::elections::election>& p);

}  // namespace sn::node
