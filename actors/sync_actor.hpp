// The sync actor: a thin shell over the pure sync::sync_fsm. It feeds the fsm
// with peer frames (from the broker bridge), committed own events, ticks and
// the hub chosen by the election actor, and carries out its outputs: frames
// through the broker transport, remote events through the log writer.
//
// Peers are named by their transport address; the election actor tells this
// actor which device id stands behind an address (for status and audit rows).
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <optional>

#include "actors/atoms.hpp"
#include "actors/log_writer_actor.hpp"

namespace sn::broker {
class transport;
}

namespace sn::actors {

struct node_metrics;

/// A peer's liveness as the election actor sees it.
struct peer_liveness {
  std::string address;
  std::string device;  ///< "" when not yet known
  bool alive = false;
};

} // namespace sn::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::peer_liveness)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<std::string>)

namespace sn::actors {

using sync_actor = caf::typed_actor<
  /// A frame from the broker (type in sync's range 10..29).
  caf::reacts_to<inbound_atom, std::string, std::uint8_t, std::string>,
  /// Events made durable by the log writer (own ones are published live).
  caf::reacts_to<committed_atom, committed_batch>,
  /// Internal timer.
  caf::reacts_to<tick_atom>,
  /// The hub (master's address, or this device's id when it is master); nullopt = none.
  caf::reacts_to<role_atom, std::optional<std::string>>,
  /// A peer's liveness changed or was confirmed.
  caf::reacts_to<peer_liveness>,
  /// POST /v1/sync/now.
  caf::reacts_to<sync_now_atom>,
  /// The sync state (the seed's sync_state view; status_reports.hpp).
  caf::replies_to<status_atom>::with<sync_report>>;

struct sync_actor_options {
  std::uint64_t tick_interval_ms = 100;
  std::uint64_t sync_interval_ms = 1000;
  std::size_t batch_events_max = 1000;
  std::size_t batch_bytes_max = 1 << 20;
  std::uint64_t max_skew_ms = 60000;  ///< clock.max_skew_ms
  bool admit_unenrolled = true;        ///< trust.admit_unenrolled (sync_config::admit_unenrolled)
  /// Where the sync journal (sync state and push/pull rows, device-local)
  /// survives restarts: this log's metadata; nullptr keeps it in memory.
  storage::event_log* journal = nullptr;
  std::size_t journal_rows_max = 1000;  ///< sync_audit_entries_max
};

/// `log` and `transport` must outlive the actor.
sync_actor spawn_sync_actor(caf::actor_system& sys, const storage::event_log& log, broker::transport& transport,
                            log_writer_actor writer, device_id self, sync_actor_options options,
                            node_metrics& metrics);

} // namespace sn::actors
