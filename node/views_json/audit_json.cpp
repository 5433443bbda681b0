#include "node/views_json/audit_json.hpp"

#include <charconv>

#include "events/hlc.hpp"
#include "events/json.hpp"
#include "node/views_json/paging_json.hpp"

namespace sn::node {

using nlohmann::json;

namespace {

json value_of(const std::string& text) {
  json v = json::parse(text, nullptr, false);
  return v.is_discarded() ? json(text) : v;
}

}  // namespace

json audit_entry_json(const projections::audit::entry& e) {
  return json{{"operation", "conflict_resolution"},
              {"status", "resolved"},
              {"device", e.device},
              {"register", e.register_name},
              {"key", e.key},
              {"winner", e.winner},
              {"loser", e.loser},
              {"method", e.method},
              {"old_value", value_of(e.old_value)},
              {"new_value", value_of(e.new_value)},
              {"time", hlc_timestamp{e.hlc}.to_rfc3339()},
              {"hlc", e.hlc}};
}

void attribute_audit_row(json& row, const event_lookup& find) {
  const auto who = [&](const char* ref_field, const std::string& prefix) {
    std::string staff, approver;
    const std::string ref = row.value(ref_field, "");
    const auto colon = ref.rfind(':');
    std::uint64_t seq = 0;
    if (colon != std::string::npos && colon > 0) {
      const char* b = ref.data() + colon + 1;
      const char* e = ref.data() + ref.size();
      const auto [p, ec] = std::from_chars(b, e, seq);
      if (ec == std::errc() && p == e && seq > 0) {
        if (auto ev = find(ref.substr(0, colon), seq)) {
          const json payload = payload_to_json(*ev);
          if (payload.is_object()) {
            if (auto it = payload.find("staff_id"); it != payload.end() && it->is_string()) staff = *it;
            if (auto it = payload.find("approver_id"); it != payload.end() && it->is_string()) approver = *it;
          }
        }
      }
    }
    row[prefix + "staff_id"] = staff.empty() ? json(nullptr) : json(staff);
    row[prefix + "approver_id"] = approver.empty() ? json(nullptr) : json(approver);
  };
  who("winner", "");
  who("loser", "loser_");
}

json audit_json(const projections::page<projections::audit::entry>& p) {
  json arr = json::array();
  for (const auto& e : p.items) arr.push_back(audit_entry_json(e));
  json j{{"entries", std::move(arr)}, {"count", p.total}};
  put_paging(j, p.next);
  return j;
}

}  // namespace sn::node
