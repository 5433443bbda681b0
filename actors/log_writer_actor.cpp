#include "actors/log_writer_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/metrics.hpp"
#include "actors/writer/group_commit.hpp"

namespace sn::actors {

namespace {

using writer::group_commit_events_max;
static_assert(node_metrics::append_outcomes == writer::append_outcome_count, "one refusal counter per append_outcome");

struct pending_local {
  caf::typed_response_promise<append_local_reply> promise;
};

struct pending_remote {
  caf::typed_response_promise<append_remote_reply> promise;
};

struct log_writer_state {
  storage::event_log* log = nullptr;
  node_metrics* metrics = nullptr;
  std::unique_ptr<writer::group_commit> commit;
  // Requests and their promises, in arrival order (same index).
  std::vector<writer::local_entry> locals;
  std::vector<pending_local> local_promises;
  std::vector<writer::remote_entry> remotes;
  std::vector<pending_remote> remote_promises;
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

void count_outcomes(node_metrics& m, const writer::commit_outcome& out) {
  m.events_appended_local.fetch_add(out.local_appended, std::memory_order_relaxed);
  m.events_appended_remote.fetch_add(out.remote_appended, std::memory_order_relaxed);
  for (std::size_t k = 0; k < writer::append_outcome_count; ++k) {
    const auto o = static_cast<storage::append_outcome>(k);
    if (o == storage::append_outcome::appended || o == storage::append_outcome::duplicate) continue;
    m.events_refused_by[k].fetch_add(out.remote_by_outcome[k], std::memory_order_relaxed);
  }
}

/// Commits every pending request in one write (writer::group_commit decides).
void flush(writer_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.locals.empty() && st.remotes.empty()) return;

  auto local_promises = std::move(st.local_promises);
  auto remote_promises = std::move(st.remote_promises);
  st.local_promises.clear();
  st.remote_promises.clear();
  st.pending_events = 0;
  auto plan = st.commit->plan(st.locals, st.remotes);
  const std::string& self_id = st.commit->self().value();

  auto result = st.log->append(plan.batch, plan.side_writes, st.commit->options(plan));
  if (!result) {
    // The write itself failed: nothing of the batch is stored. Own seq
    // numbers roll back so the chain stays gapless; callers see the error.
    st.commit->rollback(plan);
    spdlog::error("log_writer: device={} append of {} events failed: {}", self_id, plan.batch.size(),
                  result.error().to_string());
    for (auto& p : local_promises) p.promise.deliver(make_error(writer_errc::write_failed));
    for (auto& p : remote_promises) p.promise.deliver(make_error(writer_errc::write_failed));
    return;
  }
  st.metrics->append_batches.fetch_add(1, std::memory_order_relaxed);
  auto out = st.commit->settle(std::move(plan), *result);
  if (out.own_refused) {
    // Cannot happen while only this process writes its own origin; if it does,
    // the log is the truth: take its head, and answer the refused commands
    // with an error (never with success for what is not durable).
    const auto held = st.log->head(st.commit->self()).value_or(storage::origin_head{});
    st.commit->reset_head(held);
    st.metrics->own_events_refused.fetch_add(1, std::memory_order_relaxed);
  }
  for (std::size_t k = 0; k < local_promises.size(); ++k) {
    auto& lr = out.locals[k];
    if (!lr.durable) {
      spdlog::critical("log_writer: device={} own event refused ({}); head re-read from the log: {}:{}", self_id,
                       lr.refusal, self_id, st.commit->own_head().seq.value());
      local_promises[k].promise.deliver(make_error(writer_errc::own_event_refused));
      continue;
    }
    local_promises[k].promise.deliver(append_local_reply{std::move(lr.sealed), std::move(lr.positions)});
  }
  for (std::size_t k = 0; k < remote_promises.size(); ++k) {
    remote_promises[k].promise.deliver(append_remote_reply{std::move(out.remotes[k])});
  }
  count_outcomes(*st.metrics, out);
  if (out.rotated_at_seq != 0) {
    spdlog::info("log_writer: device={} signs with its new key after its seq {} (device.keys_rotated)", self_id,
                 out.rotated_at_seq);
  }
  if (out.committed.empty()) return;
  st.metrics->log_position.store(out.committed.back().position.value(), std::memory_order_relaxed);
  committed_batch msg{std::make_shared<std::vector<storage::stored_event>>(std::move(out.committed)),
                      std::make_shared<std::vector<trust::origin_signature>>(std::move(out.own_signatures))};
  for (auto& s : st.subscribers) caf::anon_send(s, committed_atom::value, msg);
}

log_writer_actor::behavior_type log_writer(writer_pointer self, storage::event_log* log, device_id id,
                                           node_metrics* metrics, std::optional<writer_signer> signer) {
  auto& st = self->state;
  st.log = log;
  st.metrics = metrics;
  const auto head = log->head(id).value_or(storage::origin_head{});
  st.commit = std::make_unique<writer::group_commit>(std::move(id), head);
  if (signer) {
    st.commit->set_signer(signer->store_id, signer->secret);
    signer->secret.fill(0);
  }
  metrics->log_position.store(log->last_position().value(), std::memory_order_relaxed);
  return {
    [=](append_local_atom, append_local_request& req) -> caf::typed_response_promise<append_local_reply> {
      auto rp = self->make_response_promise<append_local_reply>();
      self->state.pending_events += req.drafts.size();
      self->state.locals.push_back({std::move(req.drafts), std::move(req.side_writes)});
      self->state.local_promises.push_back({rp});
      if (self->state.pending_events >= group_commit_events_max) flush(self);
      else schedule_flush(self);
      return rp;
    },
    [=](append_remote_atom, append_remote_request& req) -> caf::typed_response_promise<append_remote_reply> {
      auto rp = self->make_response_promise<append_remote_reply>();
      self->state.pending_events += req.events.size();
      self->state.remotes.push_back({std::move(req.events), std::move(req.signatures)});
      self->state.remote_promises.push_back({rp});
      if (self->state.pending_events >= group_commit_events_max) flush(self);
      else schedule_flush(self);
      return rp;
    },
    [=](flush_atom) { flush(self); },
    [=](subscribe_atom, caf::actor& who) { self->state.subscribers.push_back(std::move(who)); },
    [=](rotate_key_atom, writer_next_key& next) {
      self->state.commit->stage_rotation(next.public_key, next.secret);
      next.secret.fill(0);
      return true;
    },
  };
}

} // namespace

caf::error make_error(writer_errc e) { return caf::error(static_cast<std::uint8_t>(e), caf::atom("log_writer")); }

std::string to_string(writer_errc e) {
  switch (e) {
    case writer_errc::write_failed: return "write_failed: the durable write of the log failed";
    case writer_errc::own_event_refused: return "own_event_refused: the log refused an event of this device";
  }
  return "unknown";
}

log_writer_actor spawn_log_writer(caf::actor_system& sys, storage::event_log& log, device_id self,
                                  node_metrics& metrics, std::optional<writer_signer> signer) {
  return sys.spawn<caf::detached>(log_writer, &log, std::move(self), &metrics, std::move(signer));
}

} // namespace sn::actors
