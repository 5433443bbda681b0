// JSON of the election actor's reports (docs/api.md "GET /v1/cluster",
// "POST /v1/cluster/master"): the typed values of actors/status_reports.hpp
// rendered at the edge.
#pragma once

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "actors/status_reports.hpp"

namespace sn::node {

/// {"role","fsm_role","term","master","quorum","peers":[...],"counters":{...}}
nlohmann::json cluster_json(const actors::election_report& r);

/// The HTTP status and body of a manual master override: 202
/// {"accepted":true,"device_id"}, 404 (a device never heard of) or 409
/// {"error":{"code":"master_override_refused","message"}}.
std::pair<int, std::string> master_override_reply(const actors::master_override& m);

}  // namespace sn::node
