// The actor handles the HTTP layer talks to (node-internal header: pulls in
// the actors' protocol headers, so only node/*.cpp include it).
#pragma once

#include "actors/command_actor.hpp"
#include "actors/metrics.hpp"
#include "actors/projection_actor.hpp"
#include "node/http_api.hpp"

namespace sn::node {

struct http_services::handles {
  actors::command_actor commands;
  actors::projection_actor projections;
  actors::node_metrics* metrics = nullptr;
};

} // namespace sn::node
