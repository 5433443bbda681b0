#include "node/node.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <pthread.h>

#include "actors/retail/command_handler.hpp"
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
/// position it reflects. A checkpoint that does not load is ignored (full replay).
std::uint64_t restore_views(const storage::event_log& log, retail::views& views,
                            const std::function<void(const event&)>& also = {}) {
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
      views.apply(se.ev);
      if (also) also(se.ev);
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
  for (auto& rec : log->all_idempotency()) handler->load_idempotency(rec.key, rec.value);
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

  http_services services;
  services.system = system.get();
  services.config = &config;
  services.log = log.get();
  services.feed = &feed;
  services.actors = std::make_shared<http_services::handles>(http_services::handles{commands, projections, &metrics});
  auto http = http_server::start(config.http, services);
  if (!http) {
    spdlog::error("{}", http.error().message);
    feed.close();
    for (caf::actor a : {caf::actor_cast<caf::actor>(writer), caf::actor_cast<caf::actor>(projections),
                         caf::actor_cast<caf::actor>(commands), notifier}) {
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    system->await_all_actors_done();
    return 2;
  }
  spdlog::info("node: device={} serving HTTP on http://{} (peers at {})", config.device_id, config.http, config.bind);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("node: device={} stopping on {}", config.device_id, sig == SIGTERM ? "SIGTERM" : "SIGINT");

  feed.close();
  (*http)->stop();
  // Projections save a checkpoint when they exit; the writer finishes pending commits first.
  for (caf::actor a : {caf::actor_cast<caf::actor>(commands), caf::actor_cast<caf::actor>(projections), notifier,
                       caf::actor_cast<caf::actor>(writer)}) {
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  system->await_all_actors_done();
  // A detached actor's thread ends only when the last handle to it is gone:
  // drop every handle before the actor system is destroyed.
  http->reset();
  services.actors.reset();
  writer = nullptr;
  projections = nullptr;
  commands = nullptr;
  notifier = nullptr;
  system.reset();
  log.reset();
  spdlog::info("node: device={} stopped", config.device_id);
  return 0;
}

} // namespace sn::node
