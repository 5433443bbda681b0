// The uplink actor: a thin shell over the pure uplink::uplink_core. It feeds
// the core with the node's role (from the election actor), the log's heads
// (from the log writer's committed batches), the NATS adapter's reports and
// timers, and carries out its outputs: a resync reads the stream's position
// through the adapter; a publish_range reads the events' bytes from the log
// and publishes them, fenced, through the adapter. Detached: a resync blocks
// for at most the adapter's request timeout per call.
// Its figures go to node_metrics (uplink_*), which /v1/status and /metrics read.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>

#include "actors/atoms.hpp"
#include "actors/uplink/nats_link.hpp"
#include "actors/uplink/types.hpp"

namespace sn::actors {

struct node_metrics;

using uplink_actor = caf::typed_actor<
  /// From the election: this node is master (true) or not.
  caf::reacts_to<role_atom, bool>,
  /// Events made durable by the log writer (the log's heads moved).
  caf::reacts_to<committed_atom, committed_batch>,
  /// Internal timer set by the core.
  caf::reacts_to<tick_atom>,
  /// The adapter queued publish reports or connection changes.
  caf::reacts_to<wake_atom>>;

struct uplink_actor_options {
  std::string store_id;  ///< subject token of the store (store.id)
  std::string stream;    ///< the store's JetStream stream
  int stream_replicas = 1;  ///< replicas when the uplink creates the stream
  uplink::nats_link_options link;
  uplink::uplink_config core;
};

/// Starts the adapter (connecting in the background) and the actor. Error:
/// the adapter refused the options (URL, files). `log` must outlive the actor.
sn::expected<uplink_actor> spawn_uplink_actor(caf::actor_system& sys, const storage::event_log& log,
                                              uplink_actor_options options, node_metrics& metrics);

} // namespace sn::actors
