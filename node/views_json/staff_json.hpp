// JSON of the staff projection's queries (docs/api.md "GET /v1/staff",
// "GET /v1/staff/{id}"). staff_info holds no PIN hash: nothing here can
// render one.
#pragma once

#include <nlohmann/json.hpp>

#include "actors/projections/staff.hpp"

namespace sn::node {

/// {"staff_id","name","role","active","pin_set","updated_at","last_sign_in":{"time","device"}|null}
nlohmann::json staff_json(const projections::staff::staff_info& s);

/// {"staff":[...],"next_cursor","truncated"}
nlohmann::json staff_list_json(const projections::page<projections::staff::staff_info>& p);

}  // namespace sn::node
