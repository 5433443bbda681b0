#include "node/views_json/cluster_json.hpp"

#include <algorithm>

namespace sn::node {

using json = nlohmann::json;

json cluster_json(const actors::election_report& r) {
  const auto& v = r.view;
  json peers = json::array();
  for (const auto& p : v.peers) {
    peers.push_back({{"device_id", p.device},
                     {"address", p.address},
                     {"http", p.http.empty() ? json(nullptr) : json(p.http)},
                     {"alive", p.alive},
                     {"role", election::to_string(p.peer_role)},
                     {"priority", p.priority},
                     {"term", p.term},
                     {"master", p.master.empty() ? json(nullptr) : json(p.master)},
                     {"last_seen_ms_ago",
                      p.last_heard_ms ? json(r.now_ms - std::min(r.now_ms, p.last_heard_ms)) : json(nullptr)},
                     {"version_vector", p.summary}});
  }
  const auto& c = v.counters;
  return json{{"role", election::is_master_role(v.current_role) ? "master" : election::to_string(v.current_role)},
              {"fsm_role", election::to_string(v.current_role)},
              {"term", v.term},
              {"master", v.master ? json(*v.master) : json(nullptr)},
              {"quorum", election::to_string(v.quorum)},
              {"peers", std::move(peers)},
              {"counters",
               {{"elections_started", c.elections_started},
                {"elections_won", c.elections_won},
                {"split_brain_step_downs", c.split_brain_step_downs},
                {"handoffs_completed", c.handoffs_completed},
                {"handoffs_failed", c.handoffs_failed},
                {"malformed", c.malformed}}}};
}

std::pair<int, std::string> master_override_reply(const actors::master_override& m) {
  using outcome = actors::master_override::outcome;
  if (m.result == outcome::accepted) return {202, json{{"accepted", true}, {"device_id", m.device_id}}.dump()};
  return {m.result == outcome::unknown_device ? 404 : 409,
          json{{"error", {{"code", "master_override_refused"}, {"message", m.message}}}}.dump()};
}

}  // namespace sn::node
