#include "node/views_json/devices_json.hpp"

#include "events/hlc.hpp"
#include "node/views_json/paging_json.hpp"

namespace sn::node {

using nlohmann::json;

json device_json(const projections::devices::device_info& d) {
  return json{
      {"device_id", d.id},
      {"name", d.name},
      {"priority", d.priority},
      {"active", d.active},
      {"registered", d.registered},
      {"role", d.master ? "master" : "client"},
      {"last_event_time", d.last_seen_hlc != 0 ? json(hlc_timestamp{d.last_seen_hlc}.to_rfc3339()) : json(nullptr)},
      {"created_at", d.created_hlc != 0 ? json(hlc_timestamp{d.created_hlc}.to_rfc3339()) : json(nullptr)},
      {"updated_at", d.updated_hlc != 0 ? json(hlc_timestamp{d.updated_hlc}.to_rfc3339()) : json(nullptr)}};
}

json devices_json(const projections::devices::device_list& l) {
  json arr = json::array();
  for (const auto& d : l.devices.items) arr.push_back(device_json(d));
  json j{{"devices", std::move(arr)}, {"master", l.master.empty() ? json(nullptr) : json(l.master)}};
  put_paging(j, l.devices.next);
  return j;
}

}  // namespace sn::node
