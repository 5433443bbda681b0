#include "actors/uplink_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <mutex>

#include "actors/metrics.hpp"
#include "actors/uplink/uplink_core.hpp"
#include "events/codec.hpp"
#include "storage/event_log.hpp"

namespace sn::actors {

namespace {

/// Stream sequences a resync walks back past a subject's last message when
/// that message is not the store's own (a forged publish), looking for the
/// origin's last genuine one.
constexpr std::uint64_t walk_back_max = 10000;

std::uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::uint64_t to_wall_ms(std::uint64_t steady) {
  if (steady == 0) return 0;
  using namespace std::chrono;
  const auto wall_now = static_cast<std::int64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  return static_cast<std::uint64_t>(wall_now - static_cast<std::int64_t>(steady_ms() - steady));
}

/// Where the adapter's wake-ups go (set once the actor exists; weak, so the
/// adapter never keeps the actor alive).
struct wake_target {
  std::mutex mu;
  caf::weak_actor_ptr actor;
  void wake() {
    caf::strong_actor_ptr strong;
    {
      std::lock_guard lock(mu);
      strong = actor.lock();
    }
    if (strong) caf::anon_send(caf::actor_cast<caf::actor>(strong), wake_atom::value);
  }
};

struct uplink_state {
  std::unique_ptr<uplink::uplink_core> core;
  std::unique_ptr<uplink::nats_link> link;
  const storage::event_log* log = nullptr;
  uplink_actor_options options;
  node_metrics* metrics = nullptr;
  static inline const char* name = "uplink";
};

using uplink_pointer = uplink_actor::stateful_pointer<uplink_state>;

/// A stream message is the store's own event of `origin` when it decodes,
/// names that origin, its hash verifies and, if this log holds that seq, it
/// is the very event the log holds.
std::optional<event> genuine(const storage::event_log& log, const std::string& origin, const std::string& data) {
  auto e = decode(data);
  if (!e || e->origin.value() != origin || !verify_hash(*e)) return std::nullopt;
  if (auto held = log.get(e->origin, e->seq); held && held->ev.hash != e->hash) return std::nullopt;
  return std::move(*e);
}

/// Reads where the stream stands, per origin subject (blocking, bounded by
/// the adapter's request timeout per call).
expected<uplink::stream_position> read_position(uplink_state& st) {
  const auto& o = st.options;
  const std::string prefix = "storenode." + o.store_id + ".";
  auto state = st.link->ensure_stream(o.stream, uplink::store_subjects(o.store_id), prefix, o.stream_replicas);
  if (!state) return state.error();
  uplink::stream_position pos;
  pos.last_seq = state->last_seq;
  for (const auto& subject : state->subjects) {
    auto parts = uplink::parse_subject(subject);
    if (!parts || parts->store != o.store_id) continue;
    auto last = st.link->last_message(o.stream, subject);
    if (!last) return last.error();
    if (!*last) continue;
    const auto& m = **last;
    if (auto e = genuine(*st.log, parts->origin, m.data)) {
      pos.origins[parts->origin] = uplink::stream_origin{e->seq.value(), m.stream_seq};
      continue;
    }
    // Not this store's event (a forged publish): find the origin's last
    // genuine message before it; the fence must name the subject's real last.
    spdlog::warn("uplink: store={} the last message of {} (stream seq {}) is not the store's own event; looking back",
                 o.store_id, subject, m.stream_seq);
    uplink::stream_origin found{0, m.stream_seq};
    const std::uint64_t floor = m.stream_seq > walk_back_max ? m.stream_seq - walk_back_max : 1;
    for (std::uint64_t s = m.stream_seq; s-- > floor;) {
      auto back = st.link->message(o.stream, s);
      if (!back) return back.error();
      if (!*back || (*back)->subject != subject) continue;
      if (auto e = genuine(*st.log, parts->origin, (*back)->data)) {
        found.seq = e->seq.value();
        break;
      }
    }
    if (found.seq == 0) {
      spdlog::error("uplink: store={} no genuine event of {} in the {} messages before stream seq {}: republishing "
                    "it from seq 1 (HQ drops what it holds)",
                    o.store_id, subject, walk_back_max, m.stream_seq);
    }
    pos.origins[parts->origin] = found;
  }
  return pos;
}

void publish_snapshot(uplink_state& st) {
  auto s = st.core->status();
  auto& m = *st.metrics;
  m.uplink_state.store(static_cast<std::int32_t>(s.state), std::memory_order_relaxed);
  m.uplink_connected.store(st.link->connected(), std::memory_order_relaxed);
  m.uplink_lag_events.store(s.lag_events, std::memory_order_relaxed);
  m.uplink_last_ack_ms.store(to_wall_ms(s.last_ack_ms), std::memory_order_relaxed);
  m.uplink_in_flight.store(s.in_flight, std::memory_order_relaxed);
  m.uplink_published.store(s.counters.published, std::memory_order_relaxed);
  m.uplink_acked.store(s.counters.acked, std::memory_order_relaxed);
  m.uplink_duplicates.store(s.counters.duplicates, std::memory_order_relaxed);
  m.uplink_fenced.store(s.counters.fenced, std::memory_order_relaxed);
  m.uplink_publish_errors.store(s.counters.publish_errors, std::memory_order_relaxed);
  m.uplink_resyncs.store(s.counters.resyncs, std::memory_order_relaxed);
  m.set_uplink_error(s.last_error);
}

/// Carries out the core's outputs in order; outputs of the core's answers
/// to them (a resync's result, a failed publish) join the queue.
void carry_out(uplink_pointer self, std::vector<uplink::output> first) {
  auto& st = self->state;
  std::deque<uplink::output> queue(std::make_move_iterator(first.begin()), std::make_move_iterator(first.end()));
  auto more = [&queue](std::vector<uplink::output> outs) {
    for (auto& o : outs) queue.push_back(std::move(o));
  };
  while (!queue.empty()) {
    auto out = std::move(queue.front());
    queue.pop_front();
    if (auto* r = std::get_if<uplink::resync_request>(&out)) {
      auto pos = read_position(st);
      if (pos) {
        spdlog::info("uplink: store={} stream={} resumes at stream seq {} ({} origins held)", st.options.store_id,
                     st.options.stream, pos->last_seq, pos->origins.size());
        more(st.core->on_resync(r->generation, *pos, steady_ms()));
      } else {
        spdlog::warn("uplink: store={} resync failed: {}", st.options.store_id, pos.error().message);
        more(st.core->on_resync_failed(r->generation, pos.error().message, steady_ms()));
      }
    } else if (auto* p = std::get_if<uplink::publish_range>(&out)) {
      const device_id origin{p->origin};
      auto rows = st.log->read_origin_bytes(origin, origin_seq{p->first_seq}, p->count);
      const std::string subject = uplink::subject_of(st.options.store_id, p->origin);
      for (std::uint64_t i = 0; i < p->count; ++i) {
        const std::uint64_t seq = p->first_seq + i;
        if (i >= rows.size()) {
          more(st.core->on_publish_failed(p->generation, p->origin, seq, uplink::publish_error::other,
                                          "the log does not hold it", steady_ms()));
          break;
        }
        auto s = st.link->publish(p->generation, subject, uplink::message_id(st.options.store_id, p->origin, seq),
                                  p->expected_for(i), p->origin, seq, rows[i].bytes);
        if (!s) {
          more(st.core->on_publish_failed(p->generation, p->origin, seq,
                                          st.link->connected() ? uplink::publish_error::other
                                                               : uplink::publish_error::not_connected,
                                          s.error().message, steady_ms()));
          break;
        }
      }
    } else if (auto* t = std::get_if<uplink::set_timer>(&out)) {
      const auto now = steady_ms();
      const auto delay = t->deadline_ms > now ? t->deadline_ms - now : 0;
      self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value);
    }
  }
  publish_snapshot(st);
}

void drain(uplink_pointer self) {
  auto& st = self->state;
  for (bool up : st.link->take_link_changes()) {
    spdlog::info("uplink: store={} NATS connection {}", st.options.store_id, up ? "up" : "down");
    carry_out(self, st.core->on_link(up, steady_ms()));
  }
  for (auto& r : st.link->take_reports()) {
    if (r.ok) {
      carry_out(self, st.core->on_ack(r.generation, r.origin, r.seq, r.stream_seq, r.duplicate, steady_ms()));
    } else {
      carry_out(self, st.core->on_publish_failed(r.generation, r.origin, r.seq, r.error, r.text, steady_ms()));
    }
  }
  publish_snapshot(st);
}

uplink_actor::behavior_type uplink_behavior(uplink_pointer self, const storage::event_log* log,
                                            uplink::nats_link* link, uplink_actor_options options,
                                            node_metrics* metrics) {
  auto& st = self->state;
  st.link.reset(link);
  st.log = log;
  st.options = std::move(options);
  st.metrics = metrics;
  st.core = std::make_unique<uplink::uplink_core>(st.options.core);
  metrics->uplink_enabled.store(true, std::memory_order_relaxed);
  carry_out(self, st.core->on_heads(log->versions(), steady_ms()));
  drain(self);  // a connection made before the actor existed
  return {
    [=](role_atom, bool is_master) {
      auto& st = self->state;
      spdlog::info("uplink: store={} {}", st.options.store_id,
                   is_master ? "this node is master: streaming to " + st.options.stream : "standby (not master)");
      carry_out(self, st.core->set_master(is_master, steady_ms()));
    },
    [=](committed_atom, const committed_batch& batch) {
      std::map<std::string, std::uint64_t> heads;
      for (const auto& se : *batch.events) {
        auto& h = heads[se.ev.origin.value()];
        h = std::max(h, se.ev.seq.value());
      }
      carry_out(self, self->state.core->on_heads(heads, steady_ms()));
    },
    [=](tick_atom) { carry_out(self, self->state.core->on_tick(steady_ms())); },
    [=](wake_atom) { drain(self); },
  };
}

} // namespace

sn::expected<uplink_actor> spawn_uplink_actor(caf::actor_system& sys, const storage::event_log& log,
                                              uplink_actor_options options, node_metrics& metrics) {
  if (auto s = options.core.validate(); !s) return s.error();
  auto target = std::make_shared<wake_target>();
  auto link = uplink::nats_link::start(options.link, [target] { target->wake(); });
  if (!link) return link.error();
  auto handle = sys.spawn<caf::detached>(uplink_behavior, &log, link->release(), std::move(options), &metrics);
  {
    std::lock_guard lock(target->mu);
    target->actor = caf::actor_cast<caf::weak_actor_ptr>(handle);
  }
  caf::anon_send(handle, wake_atom::value);  // anything that happened before the target was set
  return handle;
}

} // namespace sn::actors
