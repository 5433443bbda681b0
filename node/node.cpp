#include "node/node.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <pthread.h>

#include "actors/election/types.hpp"
#include "actors/election_actor.hpp"
#include "actors/retail/command_handler.hpp"
#include "actors/sync/types.hpp"
#include "actors/sync_actor.hpp"
#include "broker/transport.hpp"
#include "actors/retail/views.hpp"
#include "node/actor_handles.hpp"
#include "node/event_feed.hpp"
#include "node/http_api.hpp"
#include "storage/event_log.hpp"

namespace sn::node {

namespace {

constexpr const char* checkpoint_name = "retail_views";
constexpr std::size_t restore_batch_max = 4096;

/// Restores `views` from its checkpoint and the log after it; returns the
/// position it reflects. A checkpoint that does not load is ignored (full
/// replay). Events after the checkpoint go to `apply` when given (which must
/// fold them into `views` itself), else straight into `views`.
std::uint64_t restore_views(const storage::event_log& log, retail::views& views,
                            const std::function<void(const event&)>& apply = {}) {
  std::uint64_t position = 0;
  if (auto cp = log.load_projection(checkpoint_name)) {
    if (auto s = views.load(cp->first); s) {
      position = cp->second.value();
    } else {
      spdlog::warn("node: checkpoint does not load ({}); replaying the whole log", s.error().to_string());
    }
  }
  for (;;) {
    auto batch = log.read_from(log_position{position + 1}, restore_batch_max);
    if (batch.empty()) break;
    for (auto& se : batch) {
      if (apply) apply(se.ev);
      else views.apply(se.ev);
      position = se.position.value();
    }
  }
  return position;
}

/// Turns the feed's subscriber messages into wake-ups for SSE streams.
caf::behavior feed_notifier(caf::event_based_actor*, event_feed* feed) {
  return {
    [feed](actors::committed_atom, const actors::committed_batch& b) {
      if (!b.events->empty()) feed->publish(b.events->back().position.value());
    },
  };
}

/// Where the broker's I/O thread delivers frames: filled in once the actors
/// exist; frames that arrive before are dropped (peers retry).
struct frame_routes {
  std::atomic<bool> ready{false};
  actors::election_actor election;
  actors::sync_actor sync;
  std::atomic<std::uint64_t> unknown_type{0};
};

std::string transport_metrics(const broker::transport& t, const frame_routes& r) {
  auto s = t.stats();
  std::string out;
  auto line = [&out](const char* name, const char* help, std::uint64_t v, const char* type = "counter") {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(v) + "\n";
  };
  out += "# HELP storenode_peer_frames_total Peer frames by direction and channel.\n"
         "# TYPE storenode_peer_frames_total counter\n";
  out += "storenode_peer_frames_total{direction=\"in\",channel=\"pub\"} " + std::to_string(s.frames_in_pub) + "\n";
  out += "storenode_peer_frames_total{direction=\"in\",channel=\"direct\"} " + std::to_string(s.frames_in_direct) + "\n";
  out += "storenode_peer_frames_total{direction=\"out\",channel=\"pub\"} " + std::to_string(s.frames_out_pub) + "\n";
  out += "storenode_peer_frames_total{direction=\"out\",channel=\"direct\"} " + std::to_string(s.frames_out_direct) + "\n";
  out += "# HELP storenode_peer_frames_dropped_total Peer frames dropped, by reason.\n"
         "# TYPE storenode_peer_frames_dropped_total counter\n";
  out += "storenode_peer_frames_dropped_total{reason=\"malformed\"} " + std::to_string(s.dropped_malformed) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"oversized\"} " + std::to_string(s.dropped_oversized) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"unknown_version\"} " + std::to_string(s.dropped_unknown_version) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"unknown_type\"} " + std::to_string(r.unknown_type.load()) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"send_queue_full\"} " + std::to_string(s.send_queue_full) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"send_hwm\"} " + std::to_string(s.send_dropped_hwm) + "\n";
  line("storenode_peer_bytes_in_total", "Bytes of valid inbound peer frames.", s.bytes_in);
  line("storenode_peer_bytes_out_total", "Bytes of outbound peer frames.", s.bytes_out);
  line("storenode_peer_auth_denied_total", "Peers refused by CURVE authentication.", s.auth_denied);
  line("storenode_peers", "Peers known to the transport.", s.peers, "gauge");
  return out;
}

void setup_logging(const node_config& c) {
  auto logger = spdlog::stderr_color_mt("storenode");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + c.device_id + "] %v");
  spdlog::set_level(spdlog::level::from_str(c.log_level));
}

/// Blocks SIGTERM/SIGINT in every thread (threads inherit the mask) so that
/// the main thread can take them with sigwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

} // namespace

int run_node(const node_config& config) {
  setup_logging(config);
  const sigset_t stop_signals = block_stop_signals();
  std::signal(SIGPIPE, SIG_IGN);

  storage::log_options lo;
  lo.data_dir = config.data_dir;
  lo.sync = config.durability == "os" ? storage::durability::os : storage::durability::fsync;
  auto opened = storage::event_log::open(lo);
  if (!opened) {
    spdlog::error("cannot open the event log: {}", opened.error().message);
    return 2;
  }
  auto log = std::move(*opened);
  // A data dir belongs to one device: refuse to run it under another id.
  if (auto owner = log->get_meta("device_id")) {
    if (*owner != config.device_id) {
      spdlog::error("data dir {} belongs to device {}, not {}", config.data_dir, *owner, config.device_id);
      return 2;
    }
  } else if (auto s = log->put_meta("device_id", config.device_id); !s) {
    spdlog::error("cannot write node metadata: {}", s.error().message);
    return 2;
  }

  retail::store_settings settings{static_cast<std::int32_t>(config.store.utc_offset_minutes)};
  auto views = std::make_unique<retail::views>(settings);
  const std::uint64_t position = restore_views(*log, *views);
  auto handler = std::make_unique<retail::command_handler>(settings);
  restore_views(*log, handler->state(), [&](const event& e) { handler->restore_own(e); });
  for (const auto& [origin, head] : log->heads()) {
    if (auto newest = log->get(device_id{origin}, head.seq)) handler->restore_clock(newest->ev.hlc);
  }
  for (auto& rec : log->all_idempotency()) handler->load_idempotency(rec.key, rec.value);
  // The seed's device registration: a device registers itself (and updates
  // its name and priority) so that every node's devices view lists it.
  std::optional<retail::command_kind> self_registration = retail::command_kind::register_device;
  if (auto d = handler->state().device(config.device_id)) {
    self_registration.reset();
    if (d->value("name", "") != config.name || d->value("priority", std::int64_t{-1}) != config.priority) {
      self_registration = retail::command_kind::update_device;
    }
  }
  std::vector<std::string> member_devices{config.device_id};
  for (auto& d : handler->state().devices()) {
    if (d.contains("device_id") && d["device_id"].is_string() && d["device_id"] != config.device_id) {
      member_devices.push_back(d["device_id"].get<std::string>());
    }
  }
  spdlog::info("node: device={} opened {} with {} events (position {}), projections restored",
               config.device_id, config.data_dir, log->size(), position);

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(std::max(2u, std::thread::hardware_concurrency())));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  auto system = std::make_unique<caf::actor_system>(cfg);
  actors::node_metrics metrics;
  event_feed feed{log->last_position().value()};
  const device_id self{config.device_id};
  std::atomic<std::uint64_t> term{0};

  auto writer = actors::spawn_log_writer(*system, *log, self, metrics);
  actors::projection_options po;
  po.checkpoint_interval_events = static_cast<std::uint64_t>(config.checkpoint_interval_events);
  auto projections = actors::spawn_projection_actor(*system, std::move(views), position, *log, po, metrics,
                                                    [settings] { return std::make_unique<retail::views>(settings); });
  auto commands = actors::spawn_command_actor(*system, std::move(handler), writer, self,
                                              [&term] { return term.load(); }, metrics);
  auto notifier = system->spawn(feed_notifier, &feed);
  for (caf::actor sub : {caf::actor_cast<caf::actor>(projections), caf::actor_cast<caf::actor>(commands), notifier}) {
    caf::anon_send(writer, actors::subscribe_atom::value, sub);
  }

  // Peer transport, sync and election.
  auto routes = std::make_shared<frame_routes>();
  broker::transport_options to;
  to.bind = config.bind;
  to.peers = config.peers;
  // Peers learned in earlier runs too: a device restarted without --peer
  // still reaches the store before it could think itself alone.
  for (auto& a : actors::remembered_peers(*log)) {
    if (a != config.bind && std::find(to.peers.begin(), to.peers.end(), a) == to.peers.end()) to.peers.push_back(a);
  }
  to.identity = config.device_id;
  to.message_bytes_max = static_cast<std::size_t>(config.message_bytes_max);
  if (!config.curve_secret_key.empty()) {
    to.curve.enabled = true;
    to.curve.secret_key = config.curve_secret_key;
    to.curve.public_key = config.curve_public_key;
    to.curve.allowed_public_keys = config.curve_allow;
    for (const auto& entry : config.curve_peer_keys) {
      const auto eq = entry.find('=');  // Z85 keys may contain '=', addresses do not
      to.curve.peer_public_keys[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  auto transport = broker::transport::start(to, [routes](broker::inbound&& in) {
    if (!routes->ready.load(std::memory_order_acquire)) return;
    if (election::is_election_message_type(in.type)) {
      caf::anon_send(routes->election, actors::inbound_atom::value, std::move(in.peer), in.type, std::move(in.body));
    } else if (sync::is_sync_message_type(in.type)) {
      caf::anon_send(routes->sync, actors::inbound_atom::value, std::move(in.peer), in.type, std::move(in.body));
    } else {
      routes->unknown_type.fetch_add(1, std::memory_order_relaxed);
    }
  });
  if (!transport) {
    spdlog::error("cannot start the peer transport: {}", transport.error().message);
    feed.close();
    for (caf::actor a : {caf::actor_cast<caf::actor>(writer), caf::actor_cast<caf::actor>(projections),
                         caf::actor_cast<caf::actor>(commands), notifier}) {
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    system->await_all_actors_done();
    writer = nullptr;
    projections = nullptr;
    commands = nullptr;
    notifier = nullptr;
    return 2;
  }
  actors::sync_actor_options so;
  so.sync_interval_ms = static_cast<std::uint64_t>(config.store.sync_interval_ms);
  so.batch_events_max = static_cast<std::size_t>(config.store.sync_batch_events_max);
  so.batch_bytes_max = static_cast<std::size_t>(config.store.sync_batch_bytes_max);
  auto sync = actors::spawn_sync_actor(*system, *log, **transport, writer, self, so, metrics);
  actors::election_actor_options eo;
  eo.priority = static_cast<std::int32_t>(config.priority);
  eo.address = (*transport)->address();
  eo.http = "http://" + config.http;
  eo.heartbeat_interval_ms = static_cast<std::uint64_t>(config.store.heartbeat_interval_ms);
  eo.failure_timeout_ms = static_cast<std::uint64_t>(config.store.failure_timeout_ms);
  eo.discovery_ms = static_cast<std::uint64_t>(config.store.discovery_ms);
  eo.handoff_timeout_ms = static_cast<std::uint64_t>(config.store.handoff_timeout_ms);
  eo.majority = config.store.quorum == "majority";
  eo.members = member_devices;
  eo.role_listener = caf::actor_cast<caf::actor>(projections);
  caf::anon_send(projections, actors::subscribe_atom::value, caf::actor_cast<caf::actor>(commands));
  auto election = actors::spawn_election_actor(*system, *log, **transport, commands, sync, self, eo, term);
  routes->election = election;
  routes->sync = sync;
  routes->ready.store(true, std::memory_order_release);
  for (caf::actor sub : {caf::actor_cast<caf::actor>(sync), caf::actor_cast<caf::actor>(election)}) {
    caf::anon_send(writer, actors::subscribe_atom::value, sub);
  }

  // Stops every actor (projections save a checkpoint on exit; the writer
  // finishes pending commits first) and drops every handle: a detached
  // actor's thread ends only when the last handle to it is gone.
  auto shutdown_actors = [&] {
    feed.close();
    routes->ready.store(false, std::memory_order_release);
    for (caf::actor a : {caf::actor_cast<caf::actor>(election), caf::actor_cast<caf::actor>(sync),
                         caf::actor_cast<caf::actor>(commands), caf::actor_cast<caf::actor>(projections), notifier,
                         caf::actor_cast<caf::actor>(writer)}) {
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    system->await_all_actors_done();
    transport->reset();  // joins the broker's I/O thread: no frame is routed after this
    routes->election = nullptr;
    routes->sync = nullptr;
    election = nullptr;
    sync = nullptr;
    writer = nullptr;
    projections = nullptr;
    commands = nullptr;
    notifier = nullptr;
  };

  if (self_registration) {
    nlohmann::json body{{"device_id", config.device_id}, {"name", config.name}, {"priority", config.priority}};
    caf::scoped_actor asker{*system};
    asker->request(commands, std::chrono::seconds(10), actors::command_atom::value,
                   actors::command_request{static_cast<int>(*self_registration), body.dump(), ""})
      .receive(
        [&](actors::command_response& r) {
          if (r.http_status >= 300) spdlog::warn("node: device registration answered {}: {}", r.http_status, r.body);
        },
        [&](caf::error& err) { spdlog::warn("node: device registration failed: {}", system->render(err)); });
  }

  http_services services;
  services.system = system.get();
  services.config = &config;
  services.log = log.get();
  services.feed = &feed;
  services.actors = std::make_shared<http_services::handles>(http_services::handles{commands, projections, &metrics});
  // Cluster and sync views come from their actors (JSON text), with a deadline.
  auto ask_json = [sys = system.get()](auto handle) {
    caf::scoped_actor asker{*sys};
    nlohmann::json out = nlohmann::json::object();
    asker->request(handle, std::chrono::seconds(5), actors::status_atom::value)
      .receive([&](std::string& text) { out = nlohmann::json::parse(text, nullptr, false); }, [](caf::error&) {});
    return out;
  };
  services.cluster_status = [ask_json, election] { return ask_json(election); };
  services.sync_status = [ask_json, sync] { return ask_json(sync); };
  services.sync_now = [sync] { caf::anon_send(sync, actors::sync_now_atom::value); };
  services.request_master = [sys = system.get(), election](const std::string& device) {
    caf::scoped_actor asker{*sys};
    std::pair<int, std::string> out{503, R"({"error":{"code":"unavailable","message":"election actor did not answer"}})"};
    asker->request(election, std::chrono::seconds(5), actors::master_atom::value, device)
      .receive([&](int status, std::string& body) { out = {status, std::move(body)}; }, [](caf::error&) {});
    return out;
  };
  services.extra_metrics = [t = transport->get(), routes] { return transport_metrics(*t, *routes); };
  auto http = http_server::start(config.http, services);
  if (!http) {
    spdlog::error("{}", http.error().message);
    feed.close();
    shutdown_actors();
    return 2;
  }
  spdlog::info("node: device={} serving HTTP on http://{} (peers at {})", config.device_id, config.http, config.bind);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("node: device={} stopping on {}", config.device_id, sig == SIGTERM ? "SIGTERM" : "SIGINT");

  // A master hands its role to the best client first (bounded by the
  // hand-off timeout); the HTTP API keeps serving meanwhile.
  {
    caf::scoped_actor asker{*system};
    const auto bound = std::chrono::milliseconds(config.store.handoff_timeout_ms + 1000);
    asker->request(election, bound, actors::shutdown_atom::value)
      .receive([&](bool handed_off) { spdlog::info("node: device={} hand-off {}", config.device_id, handed_off ? "done" : "not needed or timed out"); },
               [&](caf::error& err) { spdlog::warn("node: device={} hand-off not confirmed: {}", config.device_id, system->render(err)); });
  }
  (*http)->stop();
  http->reset();
  services = http_services{};
  shutdown_actors();
  system.reset();
  log.reset();
  spdlog::info("node: device={} stopped", config.device_id);
  return 0;
}

} // namespace sn::node
