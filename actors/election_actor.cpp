#include "actors/election_actor.hpp"

#include "actors/metrics.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "actors/election/election_fsm.hpp"
#include "actors/election/errc.hpp"
#include "broker/transport.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"

namespace sn::actors {

namespace {

constexpr const char* meta_term = "election.term";
constexpr const char* meta_voted_for = "election.voted_for";
constexpr const char* meta_voted_term = "election.voted_term";
/// Peer addresses this device has learned, one per line: a device restarted
/// without --peer still finds the store (and its current master) at once.
constexpr const char* meta_known_peers = "peers.known";

std::uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

election::persisted load_persisted(const storage::event_log& log) {
  election::persisted p;
  if (auto v = log.get_meta(meta_term)) p.term = std::stoull(*v);
  if (auto v = log.get_meta(meta_voted_for)) p.voted_for = *v;
  if (auto v = log.get_meta(meta_voted_term)) p.voted_term = std::stoull(*v);
  return p;
}

struct election_state {
  std::unique_ptr<election::election_fsm> fsm;
  storage::event_log* log = nullptr;
  broker::transport* transport = nullptr;
  command_actor commands;
  sync_actor sync;
  device_id self;
  election_actor_options options;
  std::atomic<std::uint64_t>* term = nullptr;
  std::uint64_t timer_generation = 0;
  /// Deadline (steady ms) of the one tick in flight; 0: none. Every message
  /// ends in a set_timer, mostly for the next heartbeat, whose tick is
  /// already on its way: only an earlier deadline sends another (an early
  /// tick is harmless, the fsm answers it with its next set_timer). An idle
  /// store thus costs one timer per heartbeat, not one per message heard.
  std::uint64_t timer_pending_ms = 0;
  /// address -> (alive, steady ms) as last told to sync
  std::map<std::string, std::pair<bool, std::uint64_t>> peer_alive;
  std::set<std::string> known_addresses;   ///< connected through the transport
  std::optional<std::string> hub;          ///< as last told to sync
  std::vector<caf::typed_response_promise<bool>> shutdown_waiters;
  static inline const char* name = "election";
};

using election_pointer = election_actor::stateful_pointer<election_state>;

void persist(election_state& st, const election::persisted& p) {
  // Terms and votes are durable before anything that depends on them is sent.
  auto ok = st.log->put_meta(meta_term, std::to_string(p.term));
  if (ok) ok = st.log->put_meta(meta_voted_for, p.voted_for);
  if (ok) ok = st.log->put_meta(meta_voted_term, std::to_string(p.voted_term));
  if (!ok) {
    spdlog::critical("election: device={} cannot persist term {}: {}", st.self.value(), p.term, ok.error().message);
    std::abort();  // voting twice in a term is worse than stopping
  }
}

/// How often a live peer is confirmed to the sync actor: well inside its
/// peer_timeout_ms (sync::config, 3,000 ms).
constexpr std::uint64_t liveness_confirm_interval_ms = 500;

/// Tells the sync actor the hub and any peer whose liveness changed, and
/// connects the transport to peers first heard of through heartbeats.
void update_peers(election_pointer self) {
  auto& st = self->state;
  auto view = st.fsm->status();
  if (auto* m = st.options.metrics) {
    std::uint64_t alive = 0;
    for (const auto& p : view.peers) alive += p.alive ? 1 : 0;
    m->peers_alive.store(alive, std::memory_order_relaxed);
    m->election_role.store(static_cast<std::int32_t>(view.current_role), std::memory_order_relaxed);
    m->election_term.store(view.term, std::memory_order_relaxed);
    m->set_master(view.master.value_or(""));
  }
  bool learned = false;
  const std::uint64_t now = steady_ms();
  for (auto& p : view.peers) {
    if (p.address.empty()) continue;
    if (st.known_addresses.insert(p.address).second) {
      st.transport->add_peer(p.address);
      learned = true;
    }
    auto it = st.peer_alive.find(p.address);
    // A change goes at once; a live peer is confirmed every
    // liveness_confirm_interval_ms (sync's reachability times out otherwise),
    // not on every heartbeat heard (a message to sync each, when idle).
    if (it == st.peer_alive.end() || it->second.first != p.alive ||
        (p.alive && now - it->second.second >= liveness_confirm_interval_ms)) {
      st.peer_alive[p.address] = {p.alive, now};
      self->send(st.sync, peer_liveness{p.address, p.device, p.alive});
    }
  }
  for (const auto& a : st.fsm->learned_addresses()) {
    if (a != st.options.address && st.known_addresses.insert(a).second) {
      st.transport->add_peer(a);
      learned = true;
    }
  }
  if (learned) {
    std::string lines;
    for (const auto& a : st.known_addresses) lines += a + "\n";
    if (auto ok = st.log->put_meta(meta_known_peers, lines); !ok) {
      spdlog::warn("election: device={} cannot remember peers: {}", st.self.value(), ok.error().message);
    }
  }
  std::optional<std::string> hub;
  if (election::is_master_role(st.fsm->current_role())) hub = st.self.value();
  else if (auto a = st.fsm->master_address(); !a.empty()) hub = a;
  if (hub != st.hub) {
    st.hub = hub;
    self->send(st.sync, role_atom::value, hub);
    for (const auto& listener : st.options.role_listeners) {
      if (listener) caf::anon_send(listener, role_atom::value, election::is_master_role(st.fsm->current_role()));
    }
  }
  st.term->store(st.fsm->term(), std::memory_order_relaxed);
}

void carry_out(election_pointer self, std::vector<election::output> outputs) {
  auto& st = self->state;
  for (auto& o : outputs) {
    if (auto* p = std::get_if<election::persist_state>(&o)) {
      persist(st, p->state);
    } else if (auto* m = std::get_if<election::publish_message>(&o)) {
      st.transport->publish(static_cast<std::uint8_t>(m->type), std::move(m->body));
    } else if (auto* m = std::get_if<election::send_message>(&o)) {
      st.transport->send(m->address, static_cast<std::uint8_t>(m->type), std::move(m->body));
    } else if (auto* r = std::get_if<election::role_changed>(&o)) {
      spdlog::info("election: device={} role {} -> {} ({}) term={} master={}", st.self.value(),
                   election::to_string(r->from), election::to_string(r->to), election::to_string(r->cause), r->term,
                   r->master.empty() ? "-" : r->master);
    } else if (auto* a = std::get_if<election::append_master_changed>(&o)) {
      if (st.options.metrics) {
        for (std::size_t r = 0; r < node_metrics::change_reasons; ++r) {
          if (a->payload.reason == election::to_string(static_cast<election::change_reason>(r))) {
            st.options.metrics->elections_by_reason[r].fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
      std::vector<event> drafts;
      drafts.push_back(make_event(st.self, origin_seq{}, hlc_timestamp{}, term_id{a->payload.term}, a->payload));
      spdlog::info("election: device={} records master change {} -> {} term={} reason={}", st.self.value(),
                   a->payload.previous_master.empty() ? "-" : a->payload.previous_master, a->payload.new_master,
                   a->payload.term, a->payload.reason);
      self->request(st.commands, caf::infinite, system_event_atom::value, std::move(drafts))
        .then([](append_local_reply&) {},
              [self](caf::error& err) {
                spdlog::error("election: device={} could not record the role change: {}", self->state.self.value(),
                              self->system().render(err));
              });
    } else if (auto* s = std::get_if<election::shutdown_ready>(&o)) {
      spdlog::info("election: device={} ready to stop ({})", st.self.value(),
                   s->handed_off ? "handed off to " + s->successor : std::string("no hand-off"));
      for (auto& w : st.shutdown_waiters) w.deliver(s->handed_off);
      st.shutdown_waiters.clear();
    } else if (auto* t = std::get_if<election::set_timer>(&o)) {
      if (st.timer_pending_ms != 0 && st.timer_pending_ms <= t->deadline_ms) continue;
      const auto now = steady_ms();
      const auto delay = t->deadline_ms > now ? t->deadline_ms - now : 0;
      st.timer_pending_ms = std::max<std::uint64_t>(t->deadline_ms, 1);
      self->delayed_send(self, std::chrono::milliseconds(delay), tick_atom::value, ++st.timer_generation);
    }
  }
  update_peers(self);
}

election_report status_report(const election_state& st) { return election_report{st.fsm->status(), steady_ms()}; }

election_actor::behavior_type election_behavior(election_pointer self, storage::event_log* log,
                                                broker::transport* transport, command_actor commands, sync_actor sync,
                                                device_id id, election_actor_options options,
                                                std::atomic<std::uint64_t>* term) {
  auto& st = self->state;
  st.log = log;
  st.transport = transport;
  st.commands = std::move(commands);
  st.sync = std::move(sync);
  st.self = std::move(id);
  st.options = options;
  st.term = term;
  election::election_config cfg;
  cfg.heartbeat_interval_ms = options.heartbeat_interval_ms;
  cfg.failure_timeout_ms = options.failure_timeout_ms;
  cfg.discovery_ms = std::clamp(options.discovery_ms, 2 * cfg.heartbeat_interval_ms, cfg.failure_timeout_ms);
  cfg.handoff_timeout_ms = options.handoff_timeout_ms;
  cfg.master_lease_ms = std::max(cfg.heartbeat_interval_ms, cfg.failure_timeout_ms * 2 / 3);
  cfg.quorum = options.majority ? election::quorum_mode::majority : election::quorum_mode::any;
  if (auto s = cfg.validate(); !s) {
    spdlog::critical("election: invalid timing configuration: {}", s.error().message);
    std::abort();
  }
  std::random_device rd;
  const std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) | rd();
  char boot[17];
  std::snprintf(boot, sizeof boot, "%016llx", static_cast<unsigned long long>(seed));
  const auto now = steady_ms();
  st.fsm = std::make_unique<election::election_fsm>(st.self.value(), options.priority, boot, options.address, cfg,
                                                    load_persisted(*log), seed, now);
  if (options.majority) st.fsm->set_members(options.members);
  st.fsm->set_http(options.http);
  carry_out(self, st.fsm->set_log_summary(log->versions(), now));
  carry_out(self, st.fsm->on_tick(now));
  return {
    [=](inbound_atom, const std::string& peer, std::uint8_t type, const std::string& body) {
      carry_out(self, self->state.fsm->on_message(peer, type, body, steady_ms()));
    },
    [=](tick_atom, std::uint64_t generation) {
      if (generation != self->state.timer_generation) return;  // superseded by an earlier set_timer
      self->state.timer_pending_ms = 0;
      carry_out(self, self->state.fsm->on_tick(steady_ms()));
    },
    [=](committed_atom, const committed_batch& batch) {
      auto& st = self->state;
      // PUT /v1/devices/{id} on any node changes this device's priority here
      // once the event arrives; it takes effect at the next election.
      for (const auto& se : *batch.events) {
        if (se.ev.type != static_cast<std::uint16_t>(event_type::device_updated)) continue;
        auto p = payload_of<device_updated>(se.ev);
        if (p && p->device_id == st.self.value()) {
          spdlog::info("election: device={} priority is now {}", st.self.value(), p->priority);
          st.fsm->set_priority(p->priority);
        }
      }
      carry_out(self, st.fsm->set_log_summary(st.log->versions(), steady_ms()));
    },
    [=](shutdown_atom) -> caf::typed_response_promise<bool> {
      auto rp = self->make_response_promise<bool>();
      self->state.shutdown_waiters.push_back(rp);
      carry_out(self, self->state.fsm->request_shutdown(steady_ms()));
      return rp;
    },
    [=](master_atom, const std::string& device) -> master_override {
      auto r = self->state.fsm->request_master(device, steady_ms());
      if (!r) {
        const bool unknown = r.error().code == static_cast<int>(election::errc::unknown_device);
        return {unknown ? master_override::outcome::unknown_device : master_override::outcome::refused, device,
                r.error().message};
      }
      carry_out(self, std::move(*r));
      return {master_override::outcome::accepted, device, {}};
    },
    [=](status_atom) { return status_report(self->state); },
  };
}

} // namespace

std::vector<std::string> remembered_peers(const storage::event_log& log) {
  std::vector<std::string> out;
  if (auto v = log.get_meta(meta_known_peers)) {
    std::size_t at = 0;
    while (at < v->size()) {
      auto nl = v->find('\n', at);
      if (nl == std::string::npos) nl = v->size();
      if (nl > at) out.push_back(v->substr(at, nl - at));
      at = nl + 1;
    }
  }
  return out;
}

election_actor spawn_election_actor(caf::actor_system& sys, storage::event_log& log, broker::transport& transport,
                                    command_actor commands, sync_actor sync, device_id self,
                                    election_actor_options options, std::atomic<std::uint64_t>& term) {
  return sys.spawn(election_behavior, &log, &transport, std::move(commands), std::move(sync), std::move(self),
                   options, &term);
}

} // namespace sn::actors
