#include "node/views_json/staff_json.hpp"

#include "events/hlc.hpp"
#include "node/views_json/paging_json.hpp"

namespace sn::node {

using nlohmann::json;

json staff_json(const projections::staff::staff_info& s) {
  json last = nullptr;
  if (s.last_sign_in_hlc != 0) {
    last = json{{"time", hlc_timestamp{s.last_sign_in_hlc}.to_rfc3339()}, {"device", s.last_sign_in_device}};
  }
  return json{{"staff_id", s.id},
              {"name", s.name},
              {"role", s.role},
              {"active", s.active},
              {"pin_set", s.pin_set},
              {"updated_at", s.updated_hlc != 0 ? json(hlc_timestamp{s.updated_hlc}.to_rfc3339()) : json(nullptr)},
              {"last_sign_in", std::move(last)}};
}

json staff_list_json(const projections::page<projections::staff::staff_info>& p) {
  json arr = json::array();
  for (const auto& s : p.items) arr.push_back(staff_json(s));
  json j{{"staff", std::move(arr)}};
  put_paging(j, p.next);
  return j;
}

}  // namespace sn::node
