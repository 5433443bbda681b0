// The projection actor: folds every committed event into the projections
// (actors/projections: one fold per projection, rows in RocksDB column
// families, written with their position and digest in one write per run of
// commit batches). A live write waits until the mailbox holds no older
// message and at least `live_write_interval` (5 ms) has passed since the
// last one, so under load the batches committed meanwhile share one write
// (a write costs per changed row, and consecutive sales change the same
// totals); after a quiet spell a batch is written at once. It owns the only
// writer of the rows; queries read the rows from the HTTP threads
// (fold_progress tells them when their projection has caught up with a
// request, and a query that has to wait hurries the write).
//
// Catching up (start-up tail, resume, rebuild) reads the log in chunks and
// yields between them (tick_atom), so status, pause and live batches are
// served meanwhile; a live batch is folded only into projections that are
// exactly at its first position. When appends outrun the fold (more than
// 8,192 events committed after a batch still to fold: an empty node catching
// up, a till's offline backlog), live batches are left to that log reader,
// so the mailbox never holds a backlog of events; the reader judges their
// conflicts as the live path does.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"

namespace sn::projections {
class projection_set;
}

namespace sn::actors {

struct node_metrics;
class fold_progress;

using projection_actor = caf::typed_actor<
  /// Events made durable by the log writer (position order).
  caf::reacts_to<committed_atom, committed_batch>,
  caf::replies_to<status_atom>::with<projection_status>,
  /// Stop / restart folding one projection ("all": every one). Events keep
  /// queueing in the log; resume catches up. false: no such projection.
  caf::replies_to<pause_atom, std::string>::with<bool>,
  caf::replies_to<resume_atom, std::string>::with<bool>,
  /// Drop one projection's rows ("all": every one) and fold the log again;
  /// answers the number of events folded once it has caught up.
  caf::replies_to<rebuild_atom, std::string>::with<std::uint64_t>,
  /// Internal: fold the next chunk of the log while a projection is behind.
  caf::reacts_to<tick_atom>,
  /// Internal: write the live batches folded since the last write.
  caf::reacts_to<flush_atom>,
  /// Whether this node is the master now (only the master records conflicts).
  caf::reacts_to<role_atom, bool>,
  /// Where conflict records go (the command actor: system_event_atom).
  caf::reacts_to<subscribe_atom, caf::actor>>;

/// Shortest time between two writes of live batches (the node's: 5 ms).
/// bench_http, 8 clients: ~5 events per write at one write per commit; with
/// 5 ms ~6 % more sales/s (docs/benchmarks.md, "Live writes 5 ms apart").
inline constexpr std::chrono::milliseconds live_write_interval_default{5};

/// `set` has been opened by the caller (and may be behind the log: the
/// actor catches it up); the actor owns it from now on. `progress` gets the
/// actor's hurry (fold_progress::set_hurry).
projection_actor spawn_projection_actor(caf::actor_system& sys, std::unique_ptr<projections::projection_set> set,
                                        storage::event_log& log, node_metrics& metrics, fold_progress& progress,
                                        std::chrono::milliseconds live_write_interval = live_write_interval_default);

/// Folds the log into `set` up to the log's end (start-up, tools, tests).
/// Returns the number of events read, or the error of a failed write.
expected<std::uint64_t> catch_up(projections::projection_set& set, const storage::event_log& log);

} // namespace sn::actors
