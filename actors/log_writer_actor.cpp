#include "actors/log_writer_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/metrics.hpp"
#include "events/codec.hpp"

namespace sn::actors {

namespace {

/// Upper bound of events committed in one batch; the rest waits for the next flush.
constexpr std::size_t group_commit_events_max = 4096;

struct pending_local {
  append_local_request request;
  caf::typed_response_promise<append_local_reply> promise;
};

struct pending_remote {
  append_remote_request request;
  caf::typed_response_promise<append_remote_reply> promise;
};

struct log_writer_state {
  storage::event_log* log = nullptr;
  node_metrics* metrics = nullptr;
  device_id self;
  storage::origin_head own_head;  ///< seq and hash of our newest own event
  std::vector<pending_local> locals;
  std::vector<pending_remote> remotes;
  std::size_t pending_events = 0;
  bool flush_scheduled = false;
  std::vector<caf::actor> subscribers;
  static inline const char* name = "log_writer";
};

using writer_pointer = log_writer_actor::stateful_pointer<log_writer_state>;

void schedule_flush(writer_pointer self) {
  if (!self->state.flush_scheduled) {
    self->state.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

/// Commits every pending request in one write. Own drafts are sealed here,
/// in arrival order, continuing our chain.
void flush(writer_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.locals.empty() && st.remotes.empty()) return;

  std::vector<event> batch;
  batch.reserve(st.pending_events);
  std::vector<storage::side_write> side;
  const storage::origin_head head_before = st.own_head;
  for (auto& p : st.locals) {
    for (auto& d : p.request.drafts) {
      d.origin = st.self;
      d.seq = origin_seq{st.own_head.seq.value() + 1};
      d.prev_hash = st.own_head.hash;
      seal(d);
      st.own_head.seq = d.seq;
      st.own_head.hash = d.hash;
      batch.push_back(d);
    }
    for (auto& s : p.request.side_writes) side.push_back(std::move(s));
  }
  const std::size_t local_count = batch.size();
  for (auto& p : st.remotes) {
    for (auto& e : p.request.events) batch.push_back(std::move(e));
  }

  // Own events were sealed just above: the log need not hash them again.
  auto result = st.log->append(batch, side, storage::append_options{local_count});
  auto locals = std::move(st.locals);
  auto remotes = std::move(st.remotes);
  st.locals.clear();
  st.remotes.clear();
  st.pending_events = 0;

  if (!result) {
    // The write itself failed: nothing of the batch is stored. Own seq
    // numbers roll back so the chain stays gapless; callers see the error.
    st.own_head = head_before;
    spdlog::error("log_writer: device={} append of {} events failed: {}", st.self.value(), batch.size(),
                  result.error().to_string());
    for (auto& p : locals) p.promise.deliver(caf::make_error(caf::sec::runtime_error, result.error().message));
    for (auto& p : remotes) p.promise.deliver(caf::make_error(caf::sec::runtime_error, result.error().message));
    return;
  }
  auto& r = *result;
  st.metrics->append_batches.fetch_add(1, std::memory_order_relaxed);

  auto committed = std::make_shared<std::vector<storage::stored_event>>();
  committed->reserve(r.appended);
  std::size_t i = 0;
  std::uint64_t local_appended = 0;
  for (auto& p : locals) {
    append_local_reply reply;
    for (std::size_t k = 0; k < p.request.drafts.size(); ++k, ++i) {
      // Own sealed events can only be refused on a programming error.
      if (r.outcomes[i] != storage::append_outcome::appended) {
        spdlog::critical("log_writer: own event {} refused: {}", event_ref(batch[i]), storage::to_string(r.outcomes[i]));
      } else {
        ++local_appended;
        committed->push_back({r.positions[i], batch[i]});
      }
      reply.sealed.push_back(batch[i]);
      reply.positions.push_back(r.positions[i]);
    }
    p.promise.deliver(std::move(reply));
  }
  std::uint64_t remote_appended = 0, refused = 0;
  for (auto& p : remotes) {
    append_remote_reply reply;
    const std::size_t n = p.request.events.size();
    reply.result.outcomes.assign(r.outcomes.begin() + i, r.outcomes.begin() + i + n);
    reply.result.positions.assign(r.positions.begin() + i, r.positions.begin() + i + n);
    for (std::size_t k = 0; k < n; ++k, ++i) {
      if (r.outcomes[i] == storage::append_outcome::appended) {
        ++reply.result.appended;
        ++remote_appended;
        committed->push_back({r.positions[i], std::move(batch[i])});
      } else if (r.outcomes[i] != storage::append_outcome::duplicate) {
        ++refused;
      }
    }
    p.promise.deliver(std::move(reply));
  }
  st.metrics->events_appended_local.fetch_add(local_appended, std::memory_order_relaxed);
  st.metrics->events_appended_remote.fetch_add(remote_appended, std::memory_order_relaxed);
  st.metrics->events_refused.fetch_add(refused, std::memory_order_relaxed);
  if (committed->empty()) return;
  // Position order: own drafts and remote events were interleaved by request
  // order in the batch, and positions were assigned in batch order.
  std::sort(committed->begin(), committed->end(),
            [](const auto& a, const auto& b) { return a.position < b.position; });
  st.metrics->log_position.store(committed->back().position.value(), std::memory_order_relaxed);
  committed_batch msg{std::move(committed)};
  for (auto& s : st.subscribers) caf::anon_send(s, committed_atom::value, msg);
}

log_writer_actor::behavior_type log_writer(writer_pointer self, storage::event_log* log, device_id id,
                                           node_metrics* metrics) {
  auto& st = self->state;
  st.log = log;
  st.metrics = metrics;
  st.self = std::move(id);
  if (auto h = log->head(st.self)) st.own_head = *h;
  metrics->log_position.store(log->last_position().value(), std::memory_order_relaxed);
  return {
    [=](append_local_atom, append_local_request& req) -> caf::typed_response_promise<append_local_reply> {
      auto rp = self->make_response_promise<append_local_reply>();
      self->state.pending_events += req.drafts.size();
      self->state.locals.push_back({std::move(req), rp});
      if (self->state.pending_events >= group_commit_events_max) flush(self);
      else schedule_flush(self);
      return rp;
    },
    [=](append_remote_atom, append_remote_request& req) -> caf::typed_response_promise<append_remote_reply> {
      auto rp = self->make_response_promise<append_remote_reply>();
      self->state.pending_events += req.events.size();
      self->state.remotes.push_back({std::move(req), rp});
      if (self->state.pending_events >= group_commit_events_max) flush(self);
      else schedule_flush(self);
      return rp;
    },
    [=](flush_atom) { flush(self); },
    [=](subscribe_atom, caf::actor& who) { self->state.subscribers.push_back(std::move(who)); },
  };
}

} // namespace

log_writer_actor spawn_log_writer(caf::actor_system& sys, storage::event_log& log, device_id self,
                                  node_metrics& metrics) {
  return sys.spawn<caf::detached>(log_writer, &log, std::move(self), &metrics);
}

} // namespace sn::actors
