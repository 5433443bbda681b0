// JSON of the devices projection's queries (docs/api.md "GET /v1/devices",
// "GET /v1/devices/{id}"): the shapes retail::views::devices() / device()
// returned, plus next_cursor and truncated on the list.
#pragma once

#include <nlohmann/json.hpp>

#include "actors/projections/devices.hpp"

namespace sn::node {

/// {"device_id","name","priority","role":"master|client","active","registered","last_event_time"}
nlohmann::json device_json(const projections::devices::device_info& d);

/// {"devices":[...],"master":id|null,"next_cursor","truncated"}
nlohmann::json devices_json(const projections::devices::device_list& l);

}  // namespace sn::node
