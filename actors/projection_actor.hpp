// The projection actor: folds every committed event into the retail and
// operational views, answers queries on them, and checkpoints them in RocksDB
// so that a restart replays only the tail of the log.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"

namespace sn::retail {
class views;
}

namespace sn::actors {

struct node_metrics;

using projection_actor = caf::typed_actor<
  /// Events made durable by the log writer (position order).
  caf::reacts_to<committed_atom, committed_batch>,
  /// Run a read-only query on the views; "" means not found.
  caf::replies_to<query_atom, view_query>::with<std::string>,
  caf::replies_to<status_atom>::with<projection_status>,
  /// Save a checkpoint now (also done every checkpoint_interval_events and on exit).
  caf::reacts_to<checkpoint_atom>,
  /// Internal: a background save finished (position saved, 0 on failure).
  caf::reacts_to<checkpoint_done_atom, std::uint64_t>,
  /// Stop / restart applying (events keep queueing in the log; resume catches up).
  caf::replies_to<pause_atom>::with<bool>,
  caf::replies_to<resume_atom>::with<bool>,
  /// Drop the state and replay the whole log.
  caf::replies_to<rebuild_atom>::with<std::uint64_t>,
  /// Whether this node is the master now (only the master records conflicts).
  caf::reacts_to<role_atom, bool>,
  /// Where conflict records go (the command actor: system_event_atom).
  caf::reacts_to<subscribe_atom, caf::actor>>;

struct projection_options {
  std::uint64_t checkpoint_interval_events = 10000;  ///< default 10,000
  std::uint64_t checkpoint_interval_ms = 5000;       ///< default 5 s (when anything changed)
};

/// `views` has been restored from the checkpoint and the log tail up to
/// `position` by the caller; the actor owns it from now on.
projection_actor spawn_projection_actor(caf::actor_system& sys, std::unique_ptr<retail::views> views,
                                        std::uint64_t position, storage::event_log& log,
                                        projection_options options, node_metrics& metrics,
                                        std::function<std::unique_ptr<retail::views>()> make_empty);

} // namespace sn::actors
