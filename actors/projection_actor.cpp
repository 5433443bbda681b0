#include "actors/projection_actor.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/fold_progress.hpp"
#include "actors/metrics.hpp"
#include "actors/projections/projection_set.hpp"
#include "events/payload_codec.hpp"
#include "events/sync.hpp"

namespace sn::actors {

namespace {

/// Events read from the log per chunk while catching up.
constexpr std::size_t catch_up_chunk = 4096;
/// Rows changed by live batches folded but not yet written past which the
/// actor writes at once instead of waiting for its mailbox to empty (about a
/// catch-up chunk's worth: 7-8 changed rows per event of a shop's mix).
constexpr std::size_t coalesced_rows_max = 32768;
/// Events committed after a live batch past which that batch is left to the
/// log reader (tick) instead of folded: the mailbox then holds at least this
/// many events in newer batches, i.e. appends outrun the fold (an empty node
/// catching up, a backlog from a till back online). Folding each batch as it
/// comes would keep every queued batch's events in memory until its turn.
constexpr std::uint64_t live_backlog_max = 2 * catch_up_chunk;
constexpr std::uint64_t no_position = std::uint64_t(-1);

struct projection_state {
  std::unique_ptr<projections::projection_set> set;
  storage::event_log* log = nullptr;
  node_metrics* metrics = nullptr;
  fold_progress* progress = nullptr;
  bool is_master = false;
  bool ticking = false;  ///< a tick_atom is queued
  bool flush_queued = false;  ///< a flush_atom is queued: live batches folded, not yet written
  /// Shortest time between two live writes (spawn_projection_actor). A
  /// batch folded sooner after the last write waits for the rest of it: a
  /// write costs per changed row, and the rows a sale shares with the next
  /// ones (counts, totals, by_product, on-hand) are then written once per
  /// write, not once per commit (bench_scale breakdown: 35 rows written per
  /// event at one event per write, 16 at 16). A query waiting for its
  /// read-your-writes position hurries the write (fold_progress::set_hurry).
  std::chrono::milliseconds live_write_interval{0};
  std::chrono::steady_clock::time_point last_live_write{};  ///< of write_folded
  caf::actor recorder;   ///< the command actor: appends conflict records
  /// The first position of the live batches left to the log reader
  /// (live_backlog_max), no_position when none: the log reader judges them
  /// as live batches are judged (the master records their conflicts).
  std::uint64_t unjudged_from = no_position;
  std::uint64_t conflicts_recorded = 0;
  std::uint64_t write_failures = 0;
  /// A catch-up of more than a chunk (a start-up's background fold, a
  /// rebuild, an empty node catching up): where and when it began, logged
  /// when nothing is behind any more.
  std::optional<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> long_catch_up;
  /// Rebuild requests waiting for their projection to catch up.
  std::vector<std::pair<caf::typed_response_promise<std::uint64_t>, std::uint64_t>> waiting;
  static inline const char* name = "projection";
};

using projection_pointer = projection_actor::stateful_pointer<projection_state>;

/// A chunk read from the log, as the set folds it.
std::vector<projections::projection_set::positioned> positioned(const std::vector<storage::stored_event>& chunk) {
  std::vector<projections::projection_set::positioned> out;
  out.reserve(chunk.size());
  for (const auto& se : chunk) out.push_back({se.position.value(), &se.ev});
  return out;
}

bool any_behind(const projection_state& st, std::uint64_t head) {
  for (std::size_t i = 0; i < st.set->size(); ++i) {
    if (st.set->behind(i, head)) return true;
  }
  return false;
}

/// The master records each last-writer-wins conflict a projection resolved
/// as a conflict.resolved event (the seed's sync audit log); other nodes drop
/// them (the master sees the same writes and records them).
void record_conflicts(projection_pointer self) {
  auto& st = self->state;
  auto conflicts = st.set->take_conflicts();
  if (conflicts.empty() || !st.is_master || !st.recorder) return;
  std::vector<event> drafts;
  for (auto& c : conflicts) {
    conflict_resolved p;
    p.register_name = c.register_name;
    p.key = c.key;
    p.winner = c.winner;
    p.loser = c.loser;
    p.method = c.method;
    p.old_value = c.old_value.dump();
    p.new_value = c.new_value.dump();
    drafts.push_back(make_event(device_id{}, origin_seq{}, hlc_timestamp{}, term_id{}, p));
  }
  st.conflicts_recorded += drafts.size();
  spdlog::info("projection: recording {} conflict resolution(s)", drafts.size());
  caf::anon_send(st.recorder, system_event_atom::value, std::move(drafts));
}

bool flush(projection_state& st) {
  if (auto s = st.set->flush(); !s) {
    // The set went back to what is durable; the next tick folds again.
    ++st.write_failures;
    spdlog::error("projection: writing folded rows failed: {}", s.error().to_string());
    return false;
  }
  return true;
}

/// Tells the queries (fold_progress) how far each projection's rows are
/// written. A query that sees position p reads the rows at once, through a
/// snapshot: a published position must only ever cover written rows (a
/// catch-up chunk whose write is deferred is not published yet).
void advance(projection_state& st) {
  const std::uint64_t head = st.log->last_position().value();
  std::uint64_t low = std::uint64_t(-1);
  for (std::size_t i = 0; i < st.set->size(); ++i) {
    const auto& info = st.set->info(i);
    const std::uint64_t written = st.set->written_position(i);
    st.progress->advance(i, written, info.paused || written + catch_up_chunk < head);
    if (!info.paused) low = std::min(low, written);
  }
  st.metrics->projection_position.store(low == std::uint64_t(-1) ? head : low, std::memory_order_relaxed);
  st.metrics->projection_writes.store(st.set->writes(), std::memory_order_relaxed);
}

/// Writes what is folded, then advance(). Folds not written yet (a live
/// batch whose flush_atom is still queued, when a tick, pause, resume or
/// rebuild comes first; a deferred catch-up chunk) are written here before
/// their positions are published; their conflicts stay for the flush_atom to
/// record. On a failed write the set is back at what is durable, which is
/// published. False when that write failed (the caller folds again:
/// schedule_tick).
bool publish(projection_state& st) {
  const bool written = flush(st);  // nothing to write: no write, true
  advance(st);
  return written;
}

void answer_rebuilds(projection_state& st) {
  const std::uint64_t head = st.log->last_position().value();
  if (any_behind(st, head)) return;
  for (auto& [rp, from] : st.waiting) rp.deliver(head > from ? head - from : std::uint64_t{0});
  st.waiting.clear();
}

void schedule_tick(projection_pointer self) {
  auto& st = self->state;
  if (st.ticking) return;
  st.ticking = true;
  self->send(self, tick_atom::value);
}

/// Writes the live batches folded so far, records their conflicts and
/// publishes the positions; a failed write leaves the rest to a catch-up tick.
void write_folded(projection_pointer self) {
  auto& st = self->state;
  const std::uint64_t writes = st.set->writes();
  if (!flush(st)) {
    schedule_tick(self);
    return;
  }
  // Only a write that wrote starts the interval: a flush that found nothing
  // (the delayed one after a query hurried it) does not delay the next batch.
  if (st.set->writes() != writes) st.last_live_write = std::chrono::steady_clock::now();
  record_conflicts(self);
  publish(st);
  if (any_behind(st, st.log->last_position().value())) schedule_tick(self);
}

/// One chunk of catching up: the log after the lowest projection that is behind.
void tick(projection_pointer self) {
  auto& st = self->state;
  st.ticking = false;
  const std::uint64_t head = st.log->last_position().value();
  std::uint64_t from = std::uint64_t(-1);
  for (std::size_t i = 0; i < st.set->size(); ++i) {
    if (st.set->behind(i, head)) from = std::min(from, st.set->info(i).position + 1);
  }
  bool judged = false;  // this chunk held live batches, judged for conflicts
  if (from != std::uint64_t(-1) && !st.long_catch_up && head + 1 - from > catch_up_chunk) {
    st.long_catch_up.emplace(from, std::chrono::steady_clock::now());
  }
  if (from != std::uint64_t(-1)) {
    auto chunk = st.log->read_from(log_position{from}, catch_up_chunk);
    // Judged history: its conflicts were resolved (and recorded) when first
    // seen, so catching up detects none — except in live batches left to
    // this reader (unjudged_from), which are judged here as live ones are.
    auto events = positioned(chunk);
    const auto live = std::find_if(events.begin(), events.end(),
                                   [&](const auto& pe) { return pe.pos >= st.unjudged_from; });
    judged = st.is_master && live != events.end();
    if (!judged) {
      st.set->apply_chunk(events, false);
    } else if (live == events.begin()) {
      st.set->apply_chunk(events, true);
    } else {
      st.set->apply_chunk(std::vector<projections::projection_set::positioned>(events.begin(), live), false);
      st.set->apply_chunk(std::vector<projections::projection_set::positioned>(live, events.end()), true);
    }
  }
  if (!judged && any_behind(st, st.log->last_position().value())) {
    // A chunk of a longer catch-up or rebuild: its digest update and write
    // run beside the next chunk's fold (projection_set::flush_deferred), and
    // its positions are published once that write is done.
    if (auto s = st.set->flush_deferred(); !s) {
      ++st.write_failures;  // the set is back at what is durable; the next tick folds again
      spdlog::error("projection: writing folded rows failed: {}", s.error().to_string());
    }
    advance(st);
    schedule_tick(self);
    return;
  }
  // Writes the chunk, and any live batch folded since the last write, before
  // its positions are published (nothing behind: only those live batches).
  if (publish(st)) record_conflicts(self);
  if (any_behind(st, st.log->last_position().value())) {
    schedule_tick(self);
  } else {
    st.unjudged_from = no_position;
    answer_rebuilds(st);
    if (st.long_catch_up) {
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                            st.long_catch_up->second);
      spdlog::info("projection: caught up with the log at position {} ({} events from position {} in {} ms)",
                   st.log->last_position().value(), st.log->last_position().value() + 1 - st.long_catch_up->first,
                   st.long_catch_up->first, ms.count());
      st.long_catch_up.reset();
    }
  }
}

template <class F>
bool for_named(projection_state& st, const std::string& name, F&& f) {
  if (name == "all") {
    for (std::size_t i = 0; i < st.set->size(); ++i) f(i);
    return true;
  }
  auto i = st.set->index_of(name);
  if (!i) return false;
  f(*i);
  return true;
}

projection_actor::behavior_type projection_behavior(projection_pointer self,
                                                    std::shared_ptr<std::unique_ptr<projections::projection_set>> set,
                                                    storage::event_log* log, node_metrics* metrics,
                                                    fold_progress* progress,
                                                    std::chrono::milliseconds live_write_interval) {
  auto& st = self->state;
  st.live_write_interval = live_write_interval;
  st.set = std::move(*set);
  st.log = log;
  st.metrics = metrics;
  st.progress = progress;
  publish(st);
  if (any_behind(st, log->last_position().value())) schedule_tick(self);
  return {
    [=](committed_atom, const committed_batch& batch) {
      // Folded now, written when the mailbox has no older message and at
      // least live_write_interval after the last live write: every batch
      // committed meanwhile shares one write (rows, digest buckets,
      // positions). Under load the write cost per sale falls as batches
      // queue up; a batch after a quiet spell is written at once (the flush
      // is next), and a query waiting for these rows hurries the write.
      auto& st = self->state;
      const auto& events = *batch.events;
      if (events.empty()) return;
      if (st.unjudged_from != no_position ||
          st.log->last_position().value() > events.back().position.value() + live_backlog_max) {
        // Appends outrun the fold: this batch and those queued behind it are
        // folded from the log in chunks (tick), so the mailbox drains at once
        // and holds no backlog of events.
        st.unjudged_from = std::min(st.unjudged_from, events.front().position.value());
        schedule_tick(self);
        return;
      }
      st.set->apply_chunk(positioned(events), st.is_master);
      if (st.set->pending_rows() >= coalesced_rows_max) {
        // Batches arriving faster than one write each (an empty node
        // catching up): what waits for the write is bounded, so the rows
        // folded in memory and the write batch stay a chunk's size.
        write_folded(self);
        return;
      }
      if (!st.flush_queued) {
        st.flush_queued = true;
        const auto since = std::chrono::steady_clock::now() - st.last_live_write;
        if (since >= st.live_write_interval) {
          self->send(self, flush_atom::value);
        } else {
          self->delayed_send(self, st.live_write_interval - since, flush_atom::value);
        }
      }
    },
    [=](flush_atom) {
      self->state.flush_queued = false;
      write_folded(self);
    },
    [=](tick_atom) { tick(self); },
    [=](status_atom) {
      auto& st = self->state;
      projection_status s;
      const std::uint64_t head = st.log->last_position().value();
      for (std::size_t i = 0; i < st.set->size(); ++i) {
        // The position of the written rows, as queries and /v1/digest see
        // them (a live batch folded may wait live_write_interval for its write).
        s.projections.push_back(st.set->info(i));
        s.projections.back().position = st.set->written_position(i);
        s.catching_up.push_back(st.set->behind(i, head) && st.set->info(i).position + catch_up_chunk < head);
        s.digests.push_back(st.set->digest_hex(i));
      }
      s.parked_events = st.set->parked_events();
      s.conflicts_recorded = st.conflicts_recorded;
      s.write_failures = st.write_failures;
      return s;
    },
    [=](pause_atom, const std::string& name) {
      auto& st = self->state;
      const bool ok = for_named(st, name, [&](std::size_t i) { st.set->pause(i); });
      if (!publish(st)) schedule_tick(self);
      return ok;
    },
    [=](resume_atom, const std::string& name) {
      auto& st = self->state;
      const bool ok = for_named(st, name, [&](std::size_t i) { st.set->resume(i); });
      publish(st);
      schedule_tick(self);
      return ok;
    },
    [=](rebuild_atom, const std::string& name) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      auto rp = self->make_response_promise<std::uint64_t>();
      bool failed = false;
      const bool ok = for_named(st, name, [&](std::size_t i) {
        if (auto s = st.set->rebuild(i); !s) {
          failed = true;
          spdlog::error("projection: rebuild of {} failed: {}", st.set->info(i).name, s.error().to_string());
        }
      });
      if (!ok) return caf::make_error(caf::sec::invalid_argument, "unknown projection " + name);
      if (failed) return caf::make_error(caf::sec::runtime_error, "rebuild failed (see the node's log)");
      spdlog::info("projection: rebuilding {} from the log ({} events)", name, st.log->last_position().value());
      st.waiting.emplace_back(rp, 0);
      publish(st);
      schedule_tick(self);
      return rp;
    },
    [=](role_atom, bool is_master) { self->state.is_master = is_master; },
    [=](subscribe_atom, caf::actor& recorder) { self->state.recorder = std::move(recorder); },
  };
}

} // namespace

expected<std::uint64_t> catch_up(projections::projection_set& set, const storage::event_log& log) {
  std::uint64_t read = 0;
  for (;;) {
    const std::uint64_t head = log.last_position().value();
    std::uint64_t from = std::uint64_t(-1);
    for (std::size_t i = 0; i < set.size(); ++i) {
      if (set.behind(i, head)) from = std::min(from, set.info(i).position + 1);
    }
    if (from == std::uint64_t(-1)) break;
    auto chunk = log.read_from(log_position{from}, catch_up_chunk);
    if (chunk.empty()) break;
    set.apply_chunk(positioned(chunk), false);
    read += chunk.size();
    // Each chunk's write runs beside the next chunk's fold.
    if (auto s = set.flush_deferred(); !s) return s.error();
    set.take_conflicts();
  }
  if (auto s = set.flush(); !s) return s.error();
  return read;
}

projection_actor spawn_projection_actor(caf::actor_system& sys, std::unique_ptr<projections::projection_set> set,
                                        storage::event_log& log, node_metrics& metrics, fold_progress& progress,
                                        std::chrono::milliseconds live_write_interval) {
  auto actor = sys.spawn(projection_behavior,
                         std::make_shared<std::unique_ptr<projections::projection_set>>(std::move(set)), &log,
                         &metrics, &progress, live_write_interval);
  // A waiting query hurries the next live write. The address is weak: the
  // progress (the node's) must not keep the actor alive.
  progress.set_hurry([addr = caf::actor_cast<caf::actor_addr>(actor)] {
    if (auto a = caf::actor_cast<caf::actor>(addr)) caf::anon_send(a, flush_atom::value);
  });
  return actor;
}

} // namespace sn::actors
