#include "actors/command_actor.hpp"

#include <chrono>
#include <set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/metrics.hpp"
#include "actors/retail/command_handler.hpp"

namespace sn::actors {

namespace {

std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::uint64_t steady_us() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
}

struct command_state {
  std::unique_ptr<retail::command_handler> handler;
  log_writer_actor writer;
  device_id self;
  std::function<std::uint64_t()> term;
  node_metrics* metrics = nullptr;
  /// Set when a durable write failed: state may hold events the log does not,
  /// so the node refuses further commands until it is restarted.
  bool storage_failed = false;
  /// The node inspects a damaged log read-only (--allow-damaged).
  bool read_only = false;
  /// The log, read when the handler refused a command (command_actor.hpp says why).
  committed_log log;
  /// The newest log position the handler has applied (from the log or a report).
  std::uint64_t applied = 0;
  /// Origins whose too-far-ahead HLC was already logged (bounded).
  std::set<std::string> clock_warned;
  static constexpr std::size_t clock_warned_max = 4096;
  static inline const char* name = "command";
};

using command_pointer = command_actor::stateful_pointer<command_state>;

/// Events read from the log per read while catching the handler up.
constexpr std::size_t log_read_batch = 1024;
/// Most events one refusal reads: the gap is normally a batch or two; a node
/// catching a long history up from a peer is far behind for minutes, and a
/// refused command there must not stall every other command while the actor
/// reads it all (the writer's reports bring it in their turn).
constexpr std::size_t log_catch_up_max = 16 * log_read_batch;

/// One committed event to the handler: an own one's position, another
/// origin's state (and clock, within the max-offset rule).
void apply_committed(command_state& st, const storage::stored_event& se, std::uint64_t now) {
  if (se.position.value() <= st.applied) return;  // read from the log before its report came
  st.applied = se.position.value();
  if (se.ev.origin == st.self) {
    st.handler->committed_own(se.ev.seq.value(), se.position.value());
    return;
  }
  if (st.handler->observe(se.position.value(), se.ev, now)) return;
  // Sync refuses such events before they reach the log, so this is a
  // second line (an event appended by another path, or this device's
  // clock stepped back since): the clock is not dragged. Logged once
  // per origin.
  if (st.clock_warned.size() < command_state::clock_warned_max && st.clock_warned.insert(se.ev.origin.value()).second) {
    spdlog::warn("command: device={} event {}:{} has HLC {} more than clock.max_skew_ms={} ahead of this "
                 "device's clock ({}): applied, but this device's clock was not moved",
                 st.self.value(), se.ev.origin.value(), se.ev.seq.value(), se.ev.hlc.to_rfc3339(),
                 st.handler->max_skew_ms(), hlc_timestamp::from_parts(now, 0).to_rfc3339());
  }
}

/// Applies what the log committed that no report has brought yet; true when
/// it applied something.
bool catch_up_with_log(command_state& st, std::uint64_t now) {
  if (!st.log.last_position || !st.log.read_from) return false;
  const std::uint64_t before = st.applied;
  while (st.applied < st.log.last_position() && st.applied - before < log_catch_up_max) {
    const auto events = st.log.read_from(st.applied + 1, log_read_batch);
    if (events.empty()) break;
    for (const auto& se : events) apply_committed(st, se, now);
  }
  return st.applied != before;
}

command_actor::behavior_type command_behavior(command_pointer self, std::shared_ptr<std::unique_ptr<retail::command_handler>> handler,
                                              log_writer_actor writer, device_id id,
                                              std::function<std::uint64_t()> term, node_metrics* metrics,
                                              committed_log log, bool read_only) {
  auto& st = self->state;
  st.read_only = read_only;
  // The handler's state covers the log as it is now (spawn_command_actor).
  st.applied = log.last_position ? log.last_position() : 0;
  st.log = std::move(log);
  st.handler = std::move(*handler);
  st.writer = std::move(writer);
  st.self = std::move(id);
  st.term = std::move(term);
  st.metrics = metrics;
  return {
    [=](command_atom, command_request& req) -> caf::typed_response_promise<command_response> {
      auto& st = self->state;
      auto rp = self->make_response_promise<command_response>();
      if (st.read_only) {
        rp.deliver(make_error(command_errc::read_only));
        return rp;
      }
      if (st.storage_failed) {
        rp.deliver(make_error(command_errc::storage_failed));
        return rp;
      }
      retail::command_context ctx;
      ctx.device = st.self;
      ctx.wall_ms = wall_ms();
      ctx.term = term_id{st.term()};
      ctx.staff_id = req.staff_id;
      ctx.approver_id = req.approver_id;
      ctx.refund_limit_cents = req.refund_limit_cents;
      ctx.discount_limit_cents = req.discount_limit_cents;
      ctx.price_override_allowed = req.price_override_allowed;
      retail::command_outcome out = st.handler->handle(req.command, req.idempotency_key, ctx);
      // A refusal may come from state a moment behind the log (command_actor.hpp):
      // decided again once the handler has what the log committed. A refusal
      // changes no state, so deciding twice is safe; accepted commands never
      // read the log (under load the writer's reports are often a batch behind).
      if (!out.is_accepted() && catch_up_with_log(st, ctx.wall_ms)) {
        out = st.handler->handle(req.command, req.idempotency_key, ctx);
      }
      if (!out.is_accepted()) {
        st.metrics->commands_rejected.fetch_add(1, std::memory_order_relaxed);
        rp.deliver(command_response{std::move(std::get<retail::rejected>(out.decision)), false, {}, {}});
        return rp;
      }
      auto& ok = std::get<retail::accepted>(out.decision);
      if (ok.events.empty()) {  // an idempotent retry answered from its record
        st.metrics->commands_replayed.fetch_add(1, std::memory_order_relaxed);
        rp.deliver(command_response{std::move(ok.result), true, std::move(ok.staff_id), std::move(ok.approver_id)});
        return rp;
      }
      append_local_request append;
      append.drafts = std::move(ok.events);
      if (out.idempotency_record) {
        append.side_writes.push_back({std::move(out.idempotency_record->first), std::move(out.idempotency_record->second)});
      }
      auto answer = std::make_shared<command_response>(
          command_response{std::move(ok.result), false, std::move(ok.staff_id), std::move(ok.approver_id)});
      const auto started = steady_us();
      self->request(st.writer, caf::infinite, append_local_atom::value, std::move(append))
        .then(
          [=](append_local_reply&) mutable {
            self->state.metrics->commands_accepted.fetch_add(1, std::memory_order_relaxed);
            self->state.metrics->append_latency.observe_us(steady_us() - started);
            rp.deliver(std::move(*answer));
          },
          [=](caf::error& err) mutable {
            self->state.storage_failed = true;
            spdlog::critical("command: device={} durable append failed ({}); refusing commands until restart",
                             self->state.self.value(), self->system().render(err));
            rp.deliver(make_error(command_errc::storage_failed));
          });
      return rp;
    },
    [=](system_event_atom, std::vector<event>& drafts) -> caf::typed_response_promise<append_local_reply> {
      auto& st = self->state;
      auto rp = self->make_response_promise<append_local_reply>();
      const std::uint64_t now = wall_ms();
      for (auto& d : drafts) {
        d.origin = st.self;
        d.hlc = st.handler->next_hlc(now);
        d.term = term_id{st.term()};
        st.handler->own_event(d);
      }
      self->request(st.writer, caf::infinite, append_local_atom::value, append_local_request{std::move(drafts), {}})
        .then([=](append_local_reply& r) mutable { rp.deliver(std::move(r)); },
              [=](caf::error& err) mutable {
                self->state.storage_failed = true;
                rp.deliver(std::move(err));
              });
      return rp;
    },
    [=](committed_atom, const committed_batch& batch) {
      auto& st = self->state;
      const std::uint64_t now = wall_ms();
      for (const auto& se : *batch.events) apply_committed(st, se, now);
    },
  };
}

} // namespace

caf::error make_error(command_errc e) { return caf::error(static_cast<std::uint8_t>(e), caf::atom("command")); }

command_actor spawn_command_actor(caf::actor_system& sys, std::unique_ptr<retail::command_handler> handler,
                                  log_writer_actor writer, device_id self, std::function<std::uint64_t()> term,
                                  node_metrics& metrics, committed_log log, bool read_only) {
  return sys.spawn(command_behavior, std::make_shared<std::unique_ptr<retail::command_handler>>(std::move(handler)),
                   std::move(writer), std::move(self), std::move(term), &metrics, std::move(log), read_only);
}

} // namespace sn::actors
