// The election actor: a thin shell over the pure election::election_fsm. It
// feeds the fsm with peer frames, timers and the log summary, persists term and
// vote (synchronously, before the messages that depend on them go out), has
// the command actor append role changes as master.changed events, tells the
// sync actor who the hub is and which peers are alive, and runs the graceful
// hand-off when the node is asked to stop.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <atomic>
#include <vector>

#include "actors/atoms.hpp"
#include "actors/command_actor.hpp"
#include "actors/sync_actor.hpp"

namespace sn::broker {
class transport;
}

namespace sn::actors {

struct node_metrics;

using election_actor = caf::typed_actor<
  /// A frame from the broker (type in the election's range 1..9).
  caf::reacts_to<inbound_atom, std::string, std::uint8_t, std::string>,
  /// Timer set by the fsm (generation number: stale timers are ignored).
  caf::reacts_to<tick_atom, std::uint64_t>,
  /// Events made durable (the log summary changed).
  caf::reacts_to<committed_atom, committed_batch>,
  /// Graceful stop: answers once the role is handed off (or the bound passed).
  caf::replies_to<shutdown_atom>::with<bool>,
  /// Manual override: hand the master role to a device.
  caf::replies_to<master_atom, std::string>::with<master_override>,
  /// The cluster view: role, term, master, peers (status_reports.hpp).
  caf::replies_to<status_atom>::with<election_report>>;

struct election_actor_options {
  std::int32_t priority = 0;
  std::string address;  ///< this node's bind address
  std::string http;     ///< this node's HTTP API URL (carried in heartbeats)
  std::uint64_t heartbeat_interval_ms = 100;
  std::uint64_t failure_timeout_ms = 600;
  std::uint64_t discovery_ms = 300;
  std::uint64_t handoff_timeout_ms = 2000;
  bool majority = false;
  std::vector<std::string> members;  ///< known devices (majority mode)
  std::vector<caf::actor> role_listeners;  ///< each told (role_atom, is_master) on every change
  node_metrics* metrics = nullptr;   ///< role, term, master, peers alive, elections by reason
};

/// Peer addresses learned in earlier runs (persisted in node metadata).
std::vector<std::string> remembered_peers(const storage::event_log& log);

/// `log` and `transport` must outlive the actor. `term` is where the actor
/// publishes the current term for the command actor's events.
election_actor spawn_election_actor(caf::actor_system& sys, storage::event_log& log, broker::transport& transport,
                                    command_actor commands, sync_actor sync, device_id self,
                                    election_actor_options options, std::atomic<std::uint64_t>& term);

} // namespace sn::actors
