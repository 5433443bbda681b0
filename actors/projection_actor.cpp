#include "actors/projection_actor.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/metrics.hpp"
#include "actors/retail/views.hpp"
#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/sync.hpp"

namespace sn::actors {

namespace {

constexpr const char* checkpoint_name = "retail_views";
/// Events read from the log per step while catching up after resume/rebuild.
constexpr std::size_t catch_up_batch_max = 4096;

struct projection_state {
  std::unique_ptr<retail::views> views;
  storage::event_log* log = nullptr;
  node_metrics* metrics = nullptr;
  projection_options options;
  std::function<std::unique_ptr<retail::views>()> make_empty;
  std::uint64_t position = 0;     ///< last applied
  std::uint64_t checkpoint = 0;   ///< last saved
  std::uint64_t since_checkpoint = 0;
  /// Saving costs time proportional to the state; at most this share of the
  /// actor's time goes to checkpoints (next save waits 20x the last one's cost).
  std::chrono::steady_clock::time_point next_save_allowed{};
  std::chrono::steady_clock::time_point save_started{};
  bool saving = false;  ///< a background save is in flight
  bool paused = false;
  bool is_master = false;
  caf::actor recorder;  ///< the command actor: appends conflict records
  std::uint64_t conflicts_recorded = 0;
  static inline const char* name = "projection";
};

using projection_pointer = projection_actor::stateful_pointer<projection_state>;

constexpr int checkpoint_cost_factor = 20;

/// Saves a checkpoint. The state is copied here (fast: flat tables) and
/// serialized and written by a short-lived detached actor, so that queries and
/// new events are not held up for the seconds a large state takes to encode.
/// `forced` (exit, rebuild) saves synchronously.
void save_checkpoint(projection_pointer self, bool forced = false) {
  auto& st = self->state;
  if (st.position == st.checkpoint) return;
  const auto started = std::chrono::steady_clock::now();
  if (forced) {
    if (auto s = st.log->save_projection(checkpoint_name, st.views->save(), log_position{st.position}); !s) {
      spdlog::error("projection: checkpoint at position {} failed: {}", st.position, s.error().to_string());
      return;
    }
    st.checkpoint = st.position;
    st.since_checkpoint = 0;
    return;
  }
  if (st.saving || started < st.next_save_allowed) return;
  st.saving = true;
  st.since_checkpoint = 0;
  auto snapshot = std::make_shared<const retail::views>(*st.views);
  const std::uint64_t position = st.position;
  storage::event_log* log = st.log;
  auto parent = caf::actor_cast<caf::actor>(self);
  // Arguments go through spawn (not a capture): CAF 0.17 binds a null tuple
  // for a function without arguments, which UBSan flags.
  self->system().spawn<caf::detached>(
    [](std::shared_ptr<const retail::views> snapshot, std::uint64_t position, storage::event_log* log,
       caf::actor parent) {
      auto s = log->save_projection(checkpoint_name, snapshot->save(), log_position{position});
      if (!s) spdlog::error("projection: checkpoint at position {} failed: {}", position, s.error().to_string());
      caf::anon_send(parent, checkpoint_done_atom::value, s ? position : std::uint64_t{0});
    },
    snapshot, position, log, parent);
  // Spacing: the next save waits checkpoint_cost_factor times what the copy
  // and (once done) the save cost; see checkpoint_done.
  st.save_started = started;
}

void apply_one(projection_state& st, log_position pos, const event& e) {
  if (pos.value() <= st.position) return;  // already folded (checkpoint overlap)
  st.views->apply(e);
  st.position = pos.value();
  ++st.since_checkpoint;
}

/// The master records each last-writer-wins conflict the views resolved as a
/// conflict.resolved event (the seed's sync audit log); other nodes drop them
/// (the master sees the same writes and records them).
void record_conflicts(projection_pointer self) {
  auto& st = self->state;
  auto conflicts = st.views->take_conflicts();
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

/// Applies everything in the log after our position (used after resume and rebuild).
void catch_up(projection_pointer self) {
  auto& st = self->state;
  for (;;) {
    auto batch = st.log->read_from(log_position{st.position + 1}, catch_up_batch_max);
    if (batch.empty()) break;
    for (auto& se : batch) apply_one(st, se.position, se.ev);
  }
  st.metrics->projection_position.store(st.position, std::memory_order_relaxed);
}

projection_actor::behavior_type projection_behavior(projection_pointer self,
                                                    std::shared_ptr<std::unique_ptr<retail::views>> views,
                                                    std::uint64_t position, storage::event_log* log,
                                                    projection_options options, node_metrics* metrics,
                                                    std::function<std::unique_ptr<retail::views>()> make_empty) {
  auto& st = self->state;
  st.views = std::move(*views);
  st.position = position;
  st.checkpoint = position;
  st.log = log;
  st.options = options;
  st.metrics = metrics;
  st.make_empty = std::move(make_empty);
  st.views->take_conflicts();  // found while restoring: resolved before this run
  metrics->projection_position.store(position, std::memory_order_relaxed);
  self->delayed_send(self, std::chrono::milliseconds(options.checkpoint_interval_ms), checkpoint_atom::value);
  // Save on the way out while the state is still alive (an attached functor
  // would run after the state is gone).
  self->set_exit_handler([self](caf::exit_msg& msg) {
    save_checkpoint(self, /*forced=*/true);
    self->quit(msg.reason);
  });
  return {
    [=](committed_atom, const committed_batch& batch) {
      auto& st = self->state;
      if (st.paused) return;
      // A gap between our position and the batch means events were committed
      // while we were paused or rebuilding: read them from the log first.
      if (!batch.events->empty() && batch.events->front().position.value() > st.position + 1) catch_up(self);
      for (const auto& se : *batch.events) apply_one(st, se.position, se.ev);
      record_conflicts(self);
      st.metrics->projection_position.store(st.position, std::memory_order_relaxed);
      if (st.since_checkpoint >= st.options.checkpoint_interval_events) save_checkpoint(self);
    },
    [=](query_atom, const view_query& q) { return q(*self->state.views); },
    [=](status_atom) {
      auto& st = self->state;
      projection_status s;
      s.checkpoint = st.checkpoint;
      s.position = st.position;
      s.applied = st.views->applied();
      s.skipped_unknown = st.views->skipped_unknown();
      s.parked = st.views->parked();
      s.paused = st.paused;
      nlohmann::json parked = nlohmann::json::array();
      for (const auto& pe : st.views->parked_events()) {
        parked.push_back({{"origin", pe.origin}, {"seq", pe.seq}, {"type", pe.type}, {"hlc", pe.hlc}, {"reason", pe.reason}});
      }
      s.parked_json = parked.dump();
      return s;
    },
    [=](checkpoint_atom) {
      save_checkpoint(self);
      self->delayed_send(self, std::chrono::milliseconds(self->state.options.checkpoint_interval_ms),
                         checkpoint_atom::value);
    },
    [=](pause_atom) {
      self->state.paused = true;
      return true;
    },
    [=](resume_atom) {
      self->state.paused = false;
      catch_up(self);
      record_conflicts(self);
      return true;
    },
    [=](checkpoint_done_atom, std::uint64_t position) {
      auto& st = self->state;
      st.saving = false;
      const auto now = std::chrono::steady_clock::now();
      st.next_save_allowed = now + (now - st.save_started) * checkpoint_cost_factor;
      if (position > st.checkpoint) st.checkpoint = position;
    },
    [=](role_atom, bool is_master) { self->state.is_master = is_master; },
    [=](subscribe_atom, caf::actor& recorder) { self->state.recorder = std::move(recorder); },
    [=](rebuild_atom) {
      auto& st = self->state;
      st.views = st.make_empty();
      st.position = 0;
      st.checkpoint = 0;
      catch_up(self);
      st.views->take_conflicts();  // already resolved (and recorded) when first seen
      save_checkpoint(self, /*forced=*/true);
      spdlog::info("projection: rebuilt from the log, {} events", st.position);
      return st.position;
    },
  };
}

} // namespace

projection_actor spawn_projection_actor(caf::actor_system& sys, std::unique_ptr<retail::views> views,
                                        std::uint64_t position, storage::event_log& log,
                                        projection_options options, node_metrics& metrics,
                                        std::function<std::unique_ptr<retail::views>()> make_empty) {
  return sys.spawn(projection_behavior, std::make_shared<std::unique_ptr<retail::views>>(std::move(views)), position,
                   &log, options, &metrics, std::move(make_empty));
}

} // namespace sn::actors
