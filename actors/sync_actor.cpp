#include "actors/sync_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "actors/metrics.hpp"
#include "actors/sync/sync_fsm.hpp"
#include "actors/sync/keyring_cache.hpp"
#include "actors/sync/sync_journal.hpp"
#include "storage/event_log.hpp"
#include "broker/transport.hpp"
#include "events/codec.hpp"
#include "events/event_type.hpp"

namespace sn::actors {

namespace {

std::uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

/// Steady-clock ms of the fsm mapped to wall-clock ms for people.
std::uint64_t to_wall_ms(std::uint64_t steady) {
  if (steady == 0) return 0;
  using namespace std::chrono;
  const auto wall_now = static_cast<std::int64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  return static_cast<std::uint64_t>(wall_now - static_cast<std::int64_t>(steady_ms() - steady));
}

/// The fsm's read access to the log, over the node's event log (read-only,
/// thread-safe calls).
class event_log_reader final : public sync::log_reader {
public:
  explicit event_log_reader(const storage::event_log& log) : log_(log) {}
  sync::version_vector versions() const override { return log_.versions(); }
  std::vector<std::string> read_origin_bytes(const std::string& origin, std::uint64_t from_seq, std::size_t count_max,
                                             std::size_t bytes_max) const override {
    auto rows = log_.read_origin_bytes(device_id{origin}, origin_seq{from_seq}, count_max);
    std::vector<std::string> out;
    std::size_t bytes = 0;
    for (auto& r : rows) {
      if (!out.empty() && bytes + r.bytes.size() > bytes_max) break;
      bytes += r.bytes.size();
      out.push_back(std::move(r.bytes));
    }
    return out;
  }
  std::vector<trust::origin_signature> signatures(const std::string& origin, std::uint64_t from_seq,
                                                  std::uint64_t to_seq) const override {
    return log_.signatures(device_id{origin}, origin_seq{from_seq}, origin_seq{to_seq}, sync::message_events_max);
  }
  std::optional<trust::origin_signature> signature_at_or_after(const std::string& origin,
                                                              std::uint64_t from_seq) const override {
    return log_.signature_at_or_after(device_id{origin}, origin_seq{from_seq});
  }

private:
  const storage::event_log& log_;
};

/// True for the event types the keyring folds (trust/keyring.hpp).
bool membership_event(const event& e) {
  const auto t = static_cast<event_type>(e.type);
  return t == event_type::store_created || t == event_type::device_enrolled || t == event_type::device_revoked ||
         t == event_type::device_keys_rotated;
}

struct sync_state {
  std::unique_ptr<event_log_reader> reader;
  std::unique_ptr<sync::sync_fsm> fsm;
  broker::transport* transport = nullptr;
  log_writer_actor writer;
  device_id self;
  sync_actor_options options;
  node_metrics* metrics = nullptr;
  std::map<std::string, std::string> devices;  ///< address -> device id
  /// Origins held for clock skew that were logged (origin -> seq), so that a
  /// hold is logged once when it begins and once when it ends.
  std::map<std::string, std::uint64_t> skew_logged;
  /// Sync state and push/pull rows as they survive restarts (restored at
  /// start-up, stored at most once a second when they changed).
  std::unique_ptr<sync::sync_journal> journal;
  std::uint64_t journaled_total = 0;  ///< fsm rows already in the journal
  std::uint64_t journal_saved_ms = 0;  ///< steady ms of the last store
  /// The membership events and the position they cover, as stored for the
  /// next start-up (sync/keyring_cache.hpp).
  sync::keyring_cache keyring_cache;
  std::uint64_t keyring_saved_ms = 0;  ///< steady ms of the last store
  static inline const char* name = "sync";
};

/// Metadata key of the journal (storage/event_log.hpp: device-local, never replicated).
constexpr const char* journal_meta_key = "sync.journal";
/// How often the journal is stored at most: within a second of a new row or
/// error; a last_sync_ms that moved alone waits a minute (an idle store
/// completes a round a second; storing each cost a synced write a second).
constexpr std::uint64_t journal_save_interval_ms = 1000;
constexpr std::uint64_t journal_state_save_interval_ms = 60'000;
/// Metadata key of the keyring cache; stored at the next tick after a new
/// membership event, else once a minute when the log moved on.
constexpr const char* keyring_meta_key = "sync.keyring_cache";
constexpr std::uint64_t keyring_save_interval_ms = 60'000;
/// Log positions the start-up scan reads between stores of its progress: a
/// node stopped or killed during the scan (~0.7 s per million events) goes
/// on from there at its next start instead of from the beginning.
constexpr std::uint64_t keyring_scan_save_every = 1'000'000;

/// Stores the keyring cache (unsynced; see keyring_tick). False when the
/// write failed (logged).
bool store_keyring_cache(storage::event_log* journal, sync::keyring_cache& cache, const device_id& self) {
  if (auto ok = journal->put_meta_unsynced(keyring_meta_key, cache.encode()); !ok) {
    spdlog::warn("sync: device={} the keyring cache was not stored: {}", self.value(), ok.error().message);
    return false;
  }
  cache.clean();
  return true;
}


using sync_pointer = sync_actor::stateful_pointer<sync_state>;

std::string device_of(const sync_state& st, const std::string& peer) {
  auto it = st.devices.find(peer);
  return it == st.devices.end() ? peer : it->second;
}

void carry_out(sync_pointer self, std::vector<sync::output> outputs);

void on_append_result(sync_pointer self, std::vector<sync::output> outs) { carry_out(self, std::move(outs)); }

/// Logs clock-skew holds as they begin and end (never per event) and
/// publishes their counters.
void report_skew(sync_state& st) {
  const auto& c = st.fsm->counters();
  st.metrics->events_refused_clock_skew.store(c.refused_clock_skew, std::memory_order_relaxed);
  if (c.refused_clock_skew == 0) return;
  const auto holds = st.fsm->skew_holds();
  const std::uint64_t max_skew_ms = st.fsm->config().max_skew_ms;
  st.metrics->clock_skew_holds.store(holds.size(), std::memory_order_relaxed);
  std::map<std::string, std::uint64_t> now;
  for (const auto& h : holds) {
    now[h.origin] = h.seq;
    auto it = st.skew_logged.find(h.origin);
    if (it != st.skew_logged.end()) continue;
    spdlog::warn("sync: device={} refused {}:{} from {}: its HLC {} is {} ms ahead of this device's clock "
                 "(clock.max_skew_ms={}); {}'s later events wait; asked for again when in range. Either {}'s clock "
                 "is ahead or this device's is behind (GET /v1/status clock.skew_warning)",
                 st.self.value(), h.origin, h.seq, device_of(st, h.peer),
                 hlc_timestamp::from_parts(h.in_range_wall_ms + max_skew_ms, 0).to_rfc3339(), h.ahead_ms,
                 max_skew_ms, h.origin, h.origin);
  }
  for (const auto& [origin, seq] : st.skew_logged) {
    if (now.count(origin) == 0) {
      spdlog::info("sync: device={} events of {} from seq {} are in range again and replicate", st.self.value(), origin,
                   seq);
    }
  }
  if (!st.skew_logged.empty() && now.empty()) {
    spdlog::info("sync: device={} clock skew warning cleared: no events wait for this device's clock",
                 st.self.value());
  }
  st.skew_logged = std::move(now);
}

/// Publishes the origin gate's counters and logs its refusals, once per
/// (peer, reason) (the fsm reports each pair once).
void report_refusals(sync_state& st) {
  const auto& c = st.fsm->counters();
  auto& m = *st.metrics;
  m.events_refused_unknown_origin.store(c.refused_unknown_origin, std::memory_order_relaxed);
  m.events_refused_revoked.store(c.refused_revoked, std::memory_order_relaxed);
  m.events_refused_bad_signature.store(c.refused_bad_signature, std::memory_order_relaxed);
  m.events_refused_unsigned.store(c.refused_unsigned, std::memory_order_relaxed);
  m.events_refused_broken_chain.store(c.refused_broken_chain, std::memory_order_relaxed);
  m.events_refused_own_origin_sync.store(c.refused_own_origin, std::memory_order_relaxed);
  for (const auto& n : st.fsm->take_refusal_notices()) {
    spdlog::warn("sync: device={} refused {} events of {} from seq {} sent by {}: {} (docs/protocol.md 3.3; "
                 "logged once per peer and reason, counted in storenode_events_refused_total)",
                 st.self.value(), n.count, n.origin, n.seq, device_of(st, n.peer), n.reason);
  }
}

void carry_out(sync_pointer self, std::vector<sync::output> outputs) {
  auto& st = self->state;
  report_skew(st);
  report_refusals(st);
  for (auto& o : outputs) {
    if (auto* s = std::get_if<sync::send_message>(&o)) {
      st.transport->send(s->peer, static_cast<std::uint8_t>(s->type), std::move(s->body));
    } else if (auto* p = std::get_if<sync::publish_message>(&o)) {
      st.transport->publish(static_cast<std::uint8_t>(p->type), std::move(p->body));
    } else if (auto* a = std::get_if<sync::append_events>(&o)) {
      // Answers arrive in request order (the log writer serves its mailbox in
      // order), which is the order the fsm requires.
      self->request(st.writer, caf::infinite, append_remote_atom::value,
                    append_remote_request{std::move(a->events), std::move(a->signatures)})
        .then(
          [self](append_remote_reply& r) {
            on_append_result(self, self->state.fsm->on_appended(r.result.outcomes, steady_ms()));
          },
          [self](caf::error& err) {
            on_append_result(self, self->state.fsm->on_append_failed(self->system().render(err), steady_ms()));
          });
    }
  }
}

/// Adds the fsm's new push/pull rows and its state to the journal, and
/// stores the journal when it changed and the last store is a second old
/// (a minute when only last_sync_ms moved). Unsynced: device-local notes,
/// the disk write comes with the next synced write.
void journal_tick(sync_state& st) {
  auto& jr = *st.journal;
  const std::uint64_t total = st.fsm->audit_total();
  if (total > st.journaled_total) {
    const auto rows = st.fsm->audit_log();
    const std::uint64_t fresh = std::min<std::uint64_t>(total - st.journaled_total, rows.size());
    for (std::size_t i = rows.size() - fresh; i < rows.size(); ++i) {
      const auto& a = rows[i];
      jr.add(sync::journal_row{to_wall_ms(a.time_ms), device_of(st, a.peer), sync::to_string(a.operation), a.count,
                               a.ok, a.error});
    }
    st.journaled_total = total;
  }
  const auto s = st.fsm->status();
  sync::journal_state js = jr.state();
  if (s.last_sync_ms != 0) js.last_sync_ms = to_wall_ms(s.last_sync_ms);
  if (!s.last_error.empty()) {
    js.last_error = s.last_error;
    js.last_error_ms = to_wall_ms(s.last_error_ms);
  }
  jr.set_state(js);
  const std::uint64_t now = steady_ms();
  const std::uint64_t interval = jr.urgent() ? journal_save_interval_ms : journal_state_save_interval_ms;
  if (!jr.dirty() || st.options.journal == nullptr || now - st.journal_saved_ms < interval) return;
  st.journal_saved_ms = now;
  if (auto ok = st.options.journal->put_meta_unsynced(journal_meta_key, jr.encode()); !ok) {
    spdlog::warn("sync: device={} the sync journal was not stored: {}", st.self.value(), ok.error().message);
    return;
  }
  jr.clean();
}

/// Stores the keyring cache at the first tick after a new membership event
/// (or after start-up), else once a minute when the log moved on. Unsynced:
/// it follows the events it covers in the WAL, so a power cut can leave it
/// behind the log (a longer scan at the next start), never ahead.
void keyring_tick(sync_state& st) {
  auto& cache = st.keyring_cache;
  if (!cache.dirty() || st.options.journal == nullptr) return;
  const std::uint64_t now = steady_ms();
  if (!cache.has_new_events() && st.keyring_saved_ms != 0 && now - st.keyring_saved_ms < keyring_save_interval_ms) {
    return;
  }
  st.keyring_saved_ms = now;
  store_keyring_cache(st.options.journal, cache, st.self);
}

/// The fsm's status as sync_report gives it: devices by id, times on the
/// wall clock, the journal's round and error when this run has none.
sync_report status_report(const sync_state& st) {
  sync_report r;
  r.self = st.self.value();
  r.status = st.fsm->status();
  auto& s = r.status;
  const auto& js = st.journal->state();
  s.last_sync_ms = s.last_sync_ms != 0 ? to_wall_ms(s.last_sync_ms) : js.last_sync_ms;
  if (!s.last_error.empty()) {
    s.last_error_ms = to_wall_ms(s.last_error_ms);
  } else {
    s.last_error = js.last_error;
    s.last_error_ms = js.last_error_ms;
  }
  if (s.hub) s.hub = device_of(st, *s.hub);
  if (s.syncing_with) s.syncing_with = device_of(st, *s.syncing_with);
  if (s.skew_warning) s.skew_warning->peer = device_of(st, s.skew_warning->peer);
  for (auto& p : s.peers) {
    r.peer_devices.push_back(device_of(st, p.peer));
    p.last_seen_ms = to_wall_ms(p.last_seen_ms);
    p.last_sync_ms = to_wall_ms(p.last_sync_ms);
  }
  r.audit.assign(st.journal->rows().begin(), st.journal->rows().end());
  return r;
}

sync_actor::behavior_type sync_behavior(sync_pointer self, const storage::event_log* log, broker::transport* transport,
                                        log_writer_actor writer, device_id id, sync_actor_options options,
                                        node_metrics* metrics) {
  auto& st = self->state;
  st.reader = std::make_unique<event_log_reader>(*log);
  sync::sync_config cfg;
  cfg.tick_interval_ms = options.tick_interval_ms;
  cfg.sync_interval_ms = options.sync_interval_ms;
  cfg.batch_events_max = options.batch_events_max;
  cfg.batch_bytes_max = std::min<std::size_t>(options.batch_bytes_max, sync::message_bytes_max / 2);
  cfg.max_skew_ms = options.max_skew_ms;
  cfg.admit_unenrolled = options.admit_unenrolled;
  st.fsm = std::make_unique<sync::sync_fsm>(id.value(), cfg, *st.reader);
  // The keyring: the store this device belongs to, then every membership
  // event the log holds, in log order (the order the gate let them in).
  if (auto store = log->get_meta("store.id")) st.fsm->pin_store(*store);
  {
    // From the cache of the last run, then the log after what it covers
    // (everything when there is none or it is not understood).
    std::uint64_t seen = 0, cached = 0;
    const std::uint64_t head = log->last_position().value();
    auto& cache = st.keyring_cache;
    if (auto text = log->get_meta(keyring_meta_key); text) {
      if (!cache.decode(*text) || cache.covered() > head) {
        spdlog::warn("sync: device={} the stored keyring cache was not understood or is ahead of the log; "
                     "reading the whole log",
                     id.value());
        cache = sync::keyring_cache{};
      }
    }
    std::vector<event> from_cache;
    for (const auto& bytes : cache.events()) {
      auto e = decode(bytes);
      if (!e || !membership_event(*e)) {
        spdlog::warn("sync: device={} the stored keyring cache holds an unreadable event; reading the whole log",
                     id.value());
        cache = sync::keyring_cache{};
        from_cache.clear();
        break;
      }
      from_cache.push_back(std::move(*e));
    }
    for (const auto& e : from_cache) st.fsm->observe(e);
    cached = seen = from_cache.size();
    const std::uint64_t read_after = cache.covered();
    std::uint64_t progress_stored = read_after;
    auto scanned = log->scan(log_position{read_after + 1}, log_position{0}, [&](log_position p, std::string_view bytes) {
      auto e = decode(bytes);
      if (e && membership_event(*e)) {
        st.fsm->observe(*e);
        cache.add(p.value(), std::string(bytes));
        ++seen;
      }
      if (options.journal != nullptr && p.value() - progress_stored >= keyring_scan_save_every && p.value() <= head) {
        cache.cover(p.value());
        if (store_keyring_cache(options.journal, cache, id)) progress_stored = p.value();
      }
      return true;
    });
    if (!scanned) {
      spdlog::warn("sync: device={} the keyring could not read the whole log: {}", id.value(),
                   scanned.error().message);
    } else {
      cache.cover(head);
      // Stored now, not at the first tick: a node stopped right after a long
      // scan would otherwise scan again at its next start.
      if (options.journal != nullptr && head > read_after) store_keyring_cache(options.journal, cache, id);
    }
    spdlog::info("sync: device={} keyring: store {}, {} members ({} membership events, {} from the cache, the log "
                 "read after position {}); unenrolled origins {}",
                 id.value(), st.fsm->keyring().store_id().empty() ? "(none)" : st.fsm->keyring().store_id(),
                 st.fsm->keyring().members().size(), seen, cached, read_after,
                 cfg.admit_unenrolled ? "admitted" : "refused");
  }
  st.transport = transport;
  st.writer = std::move(writer);
  st.self = std::move(id);
  st.options = options;
  st.metrics = metrics;
  st.journal = std::make_unique<sync::sync_journal>(options.journal_rows_max);
  if (options.journal != nullptr) {
    if (auto text = options.journal->get_meta(journal_meta_key); text && !st.journal->decode(*text)) {
      spdlog::warn("sync: device={} the stored sync journal was not understood; starting a new one", st.self.value());
    }
  }
  self->send(self, tick_atom::value);
  return {
    [=](inbound_atom, const std::string& peer, std::uint8_t type, const std::string& body) {
      carry_out(self, self->state.fsm->on_message(peer, type, body, steady_ms(), wall_ms()));
    },
    [=](committed_atom, const committed_batch& batch) {
      auto& st = self->state;
      std::vector<std::string> own;
      for (const auto& se : *batch.events) {
        if (membership_event(se.ev)) {
          st.fsm->observe(se.ev);
          st.keyring_cache.add(se.position.value(), encode(se.ev));
        }
        if (se.ev.origin == st.self) own.push_back(encode(se.ev));
      }
      if (!batch.events->empty()) st.keyring_cache.cover(batch.events->back().position.value());
      static const std::vector<trust::origin_signature> none;
      if (!own.empty()) {
        carry_out(self, st.fsm->on_local_appended(own, steady_ms(), batch.own_signatures ? *batch.own_signatures : none));
      }
    },
    [=](tick_atom) {
      carry_out(self, self->state.fsm->on_tick(steady_ms(), wall_ms()));
      journal_tick(self->state);
      keyring_tick(self->state);
      self->state.metrics->pending_changes.store(self->state.fsm->pending_changes(), std::memory_order_relaxed);
      self->delayed_send(self, std::chrono::milliseconds(self->state.options.tick_interval_ms), tick_atom::value);
    },
    [=](role_atom, const std::optional<std::string>& hub) {
      auto& st = self->state;
      if (st.fsm->hub() != hub) {
        spdlog::info("sync: device={} hub is now {}", st.self.value(), hub ? device_of(st, *hub) : std::string("(none)"));
      }
      st.fsm->set_hub(hub);
    },
    [=](const peer_liveness& p) {
      auto& st = self->state;
      if (!p.device.empty()) st.devices[p.address] = p.device;
      if (p.alive) st.fsm->peer_seen(p.address, steady_ms());
      else st.fsm->peer_lost(p.address);
    },
    [=](sync_now_atom) { carry_out(self, self->state.fsm->sync_now(steady_ms())); },
    [=](status_atom) { return status_report(self->state); },
  };
}

} // namespace

sync_actor spawn_sync_actor(caf::actor_system& sys, const storage::event_log& log, broker::transport& transport,
                            log_writer_actor writer, device_id self, sync_actor_options options,
                            node_metrics& metrics) {
  return sys.spawn(sync_behavior, &log, &transport, std::move(writer), std::move(self), options, &metrics);
}

} // namespace sn::actors
