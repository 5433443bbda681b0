#include "node/views_json/elections_json.hpp"

#include "events/hlc.hpp"
#include "node/views_json/paging_json.hpp"

namespace sn::node {

using nlohmann::json;

json election_json(const projections::elections::election& e) {
  return json{{"previous_master", e.previous_master.empty() ? json(nullptr) : json(e.previous_master)},
              {"new_master", e.new_master},
              {"term", e.term},
              {"reason", e.reason},
              {"time", hlc_timestamp{e.hlc}.to_rfc3339()},
              {"participants", e.participants},
              {"recorded_by", e.recorded_by}};
}

json elections_json(const projections::page<projections::elections::election>& p) {
  json arr = json::array();
  for (const auto& e : p.items) arr.push_back(election_json(e));
  json j{{"elections", std::move(arr)}, {"count", p.total}};
  put_paging(j, p.next);
  return j;
}

}  // namespace sn::node
