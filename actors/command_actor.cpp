#include "actors/command_actor.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
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

std::string error_body(const char* code, const std::string& message) {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
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
  static inline const char* name = "command";
};

using command_pointer = command_actor::stateful_pointer<command_state>;

command_actor::behavior_type command_behavior(command_pointer self, std::shared_ptr<std::unique_ptr<retail::command_handler>> handler,
                                              log_writer_actor writer, device_id id,
                                              std::function<std::uint64_t()> term, node_metrics* metrics,
                                              bool read_only) {
  auto& st = self->state;
  st.read_only = read_only;
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
        rp.deliver(command_response{503, error_body("read_only", "the node runs read-only to inspect a damaged log "
                                                                 "(--allow-damaged); see storectl audit verify")});
        return rp;
      }
      if (st.storage_failed) {
        rp.deliver(command_response{503, error_body("storage_failed", "the event log could not be written; restart the node")});
        return rp;
      }
      nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded()) {
        st.metrics->commands_rejected.fetch_add(1, std::memory_order_relaxed);
        rp.deliver(command_response{400, error_body("invalid_body", "the request body is not valid JSON")});
        return rp;
      }
      retail::command_context ctx{st.self, wall_ms(), term_id{st.term()}};
      auto reply = st.handler->handle(static_cast<retail::command_kind>(req.kind), body, req.idempotency_key, ctx);
      if (reply.drafts.empty()) {
        // Rejected, or an idempotent retry answered from its record.
        auto* counter = reply.http_status >= 400 ? &st.metrics->commands_rejected : &st.metrics->commands_replayed;
        counter->fetch_add(1, std::memory_order_relaxed);
        rp.deliver(command_response{reply.http_status, reply.body.dump()});
        return rp;
      }
      append_local_request append;
      append.drafts = std::move(reply.drafts);
      if (reply.idempotency_record) {
        append.side_writes.push_back({reply.idempotency_record->first, reply.idempotency_record->second});
      }
      command_response ok{reply.http_status, reply.body.dump()};
      const auto started = steady_us();
      self->request(st.writer, caf::infinite, append_local_atom::value, std::move(append))
        .then(
          [=](append_local_reply&) mutable {
            self->state.metrics->commands_accepted.fetch_add(1, std::memory_order_relaxed);
            self->state.metrics->append_latency.observe_us(steady_us() - started);
            rp.deliver(std::move(ok));
          },
          [=](caf::error& err) mutable {
            self->state.storage_failed = true;
            spdlog::critical("command: device={} durable append failed ({}); refusing commands until restart",
                             self->state.self.value(), self->system().render(err));
            rp.deliver(command_response{503, error_body("storage_failed", "the event could not be made durable")});
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
        st.handler->restore_own(d);
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
      for (const auto& se : *batch.events) {
        if (se.ev.origin != st.self) st.handler->observe(se.ev);
      }
    },
  };
}

} // namespace

command_actor spawn_command_actor(caf::actor_system& sys, std::unique_ptr<retail::command_handler> handler,
                                  log_writer_actor writer, device_id self, std::function<std::uint64_t()> term,
                                  node_metrics& metrics, bool read_only) {
  return sys.spawn(command_behavior, std::make_shared<std::unique_ptr<retail::command_handler>>(std::move(handler)),
                   std::move(writer), std::move(self), std::move(term), &metrics, read_only);
}

} // namespace sn::actors
