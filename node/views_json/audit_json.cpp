#include "node/views_json/audit_json.hpp"

#include "events/hlc.hpp"
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

json audit_json(const projections::page<projections::audit::entry>& p) {
  json arr = json::array();
  for (const auto& e : p.items) arr.push_back(audit_entry_json(e));
  json j{{"entries", std::move(arr)}, {"count", p.total}};
  put_paging(j, p.next);
  return j;
}

}  // namespace sn::node
