#include "node/http_api.hpp"

#include <charconv>

#include <httplib.h>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fnmatch.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "actors/command_actor.hpp"
#include "actors/retail/commands.hpp"
#include "events/codec.hpp"
#include "events/json.hpp"
#include "node/actor_handles.hpp"
#include "node/api_error.hpp"
#include "node/command_errors.hpp"
#include "node/command_parser.hpp"
#include "node/command_reply.hpp"
#include "node/config.hpp"
#include "node/event_feed.hpp"
#include "node/http_gate.hpp"
#include "node/query_service.hpp"
#include "storage/projection_store.hpp"
#include "storage/errc.hpp"
#include "storage/event_log.hpp"

namespace sn::node {

namespace {

using json = nlohmann::json;
using retail::command_kind;

/// How long an HTTP request waits for an actor's answer.
constexpr auto actor_timeout = std::chrono::seconds(10);
/// Events one GET /v1/events returns at most.
constexpr std::size_t events_page_max = 10000;
/// SSE keep-alive comment period (proxies close idle streams).
constexpr auto sse_keepalive = std::chrono::seconds(15);

/// Write timeout of a response (each blocked write waits at most this).
constexpr auto write_timeout = std::chrono::seconds(5);
/// Requests served on one connection before the node closes it.
constexpr std::uint32_t keep_alive_requests_max = 1000;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  // Values may hold client bytes (paths, keys): never throw on invalid UTF-8.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  res.status = status;
  res.set_content(error_json(code, message), "application/json");
}

void send_error(httplib::Response& res, const api_error& e) { send_error(res, e.status, e.code, e.message); }

std::optional<std::string> query_param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  auto v = req.get_param_value(name);
  if (v.empty()) return std::nullopt;
  return v;
}

bool parse_u64(const std::string& s, std::uint64_t& out) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);  // digits only, overflow refused
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return false;
  out = v;
  return true;
}

/// Type filter: exact name, glob ("sale.*") or numeric id.
bool type_matches(const std::optional<std::string>& filter, const event& e) {
  if (!filter) return true;
  auto name = event_type_name(e.type);
  std::string n = name ? std::string(*name) : std::to_string(e.type);
  return fnmatch(filter->c_str(), n.c_str(), 0) == 0 || *filter == std::to_string(e.type);
}

/// What a view of one item answers when the item does not exist: `status`
/// and `code`, with `message_prefix` + the path parameter as message.
struct missing_item {
  int status = 500;
  const char* code = "internal";
  const char* message_prefix = "no value for ";
};

class api {
public:
  explicit api(http_services s)
      : s_(std::move(s)),
        queries_(std::make_unique<query_service>(*s_.rows, *s_.progress, *s_.log)),
        streams_max_(std::max<int>(1, static_cast<int>(s_.config->http_threads) / 2)) {}

  void install(httplib::Server& srv) {
    srv.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, json{{"ok", true}}); });
    srv.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) { status(res); });
    srv.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::string text = s_.actors->metrics->render();
      if (s_.extra_metrics) text += s_.extra_metrics();
      res.set_content(text, "text/plain; version=0.0.4");
    });

    // Commands.
    command("/v1/products", command_kind::upsert_product, srv);
    command(R"(/v1/products/([^/]+)/price)", command_kind::change_price, srv, "sku");
    command(R"(/v1/products/([^/]+)/deactivate)", command_kind::deactivate_product, srv, "sku");
    command("/v1/stock/receipts", command_kind::receive_stock, srv);
    command("/v1/stock/adjustments", command_kind::adjust_stock, srv);
    command("/v1/stock/counts", command_kind::count_stock, srv);
    command("/v1/sales", command_kind::complete_sale, srv);
    command("/v1/returns", command_kind::return_sale, srv);
    command(R"(/v1/sales/([^/]+)/void)", command_kind::void_sale, srv, "receipt");
    command("/v1/days/close", command_kind::close_day, srv);
    command("/v1/devices", command_kind::register_device, srv);
    srv.Put(R"(/v1/devices/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      run_command(req, res, command_kind::update_device, "device_id");
    });

    // Queries: each reads its projection's rows on this thread (node/query_service.hpp).
    const auto& qs = *queries_;
    query("/v1/products", [&qs](const httplib::Request& r) { return qs.products(params(r)); }, srv);
    query(R"(/v1/products/([^/]+))", [&qs](const httplib::Request& r) { return qs.product(r.matches[1]); }, srv);
    query("/v1/inventory", [&qs](const httplib::Request& r) { return qs.inventory(params(r)); }, srv);
    query(R"(/v1/inventory/([^/]+))", [&qs](const httplib::Request& r) { return qs.inventory_item(r.matches[1]); }, srv);
    query(R"(/v1/sales/([^/]+))", [&qs](const httplib::Request& r) { return qs.sale(r.matches[1]); }, srv);
    query("/v1/sales", [&qs](const httplib::Request& r) { return qs.sales(params(r)); }, srv);
    query("/v1/reports/daily", [&qs](const httplib::Request& r) { return qs.daily_report(params(r)); }, srv);
    query("/v1/devices", [&qs](const httplib::Request& r) { return qs.devices(params(r)); }, srv);
    query(R"(/v1/devices/([^/]+))", [&qs](const httplib::Request& r) { return qs.device(r.matches[1]); }, srv);
    query("/v1/elections", [&qs](const httplib::Request& r) { return qs.elections(params(r)); }, srv);
    query(R"(/v1/digest/([^/]+))", [&qs](const httplib::Request& r) { return qs.buckets(r.matches[1]); }, srv);
    query(R"(/v1/digest/([^/]+)/buckets/([^/]+))",
          [&qs](const httplib::Request& r) { return qs.bucket_rows(r.matches[1], r.matches[2], params(r)); }, srv);
    srv.Get("/v1/audit", [this](const httplib::Request& req, httplib::Response& res) { audit(req, res); });
    srv.Get("/v1/digest", [this](const httplib::Request&, httplib::Response& res) { digest(res); });

    // Events.
    srv.Get("/v1/events", [this](const httplib::Request& req, httplib::Response& res) { events(req, res); });
    srv.Get("/v1/events/stream", [this](const httplib::Request& req, httplib::Response& res) { stream(req, res); });

    // Projections.
    srv.Get("/v1/projections", [this](const httplib::Request&, httplib::Response& res) { projections_status(res); });
    srv.Post(R"(/v1/projections/([^/]+)/(rebuild|pause|resume))", [this](const httplib::Request& req, httplib::Response& res) {
      projections_control(req, res);
    });

    // Sync and election.
    srv.Get("/v1/sync/state", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, s_.sync_status ? s_.sync_status()["devices"] : json::array());
    });
    srv.Get(R"(/v1/sync/state/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      json all = s_.sync_status ? s_.sync_status()["devices"] : json::array();
      for (auto& d : all) {
        if (d.value("device_id", "") == req.matches[1].str()) return send_json(res, 200, d);
      }
      send_error(res, 404, "unknown_device", "no sync state for device " + req.matches[1].str());
    });
    srv.Post("/v1/sync/now", [this](const httplib::Request&, httplib::Response& res) {
      if (s_.sync_now) s_.sync_now();
      send_json(res, 202, json{{"accepted", true}});
    });
    // Backups: a RocksDB checkpoint taken by this process, the one holding the
    // data dir (storage/checkpoint.hpp says why a tool cannot take it itself).
    srv.Post("/v1/backup", [this](const httplib::Request& req, httplib::Response& res) { backup(req, res); });
    srv.Post("/v1/master", [this](const httplib::Request& req, httplib::Response& res) {
      auto parsed = parse_json_bounded(req.body);
      if (!parsed) return send_error(res, parsed.error());
      const json& body = *parsed;
      if (!body.is_object() || !body.contains("device_id") || !body["device_id"].is_string()) {
        return send_error(res, 400, "invalid_body", "expected {\"device_id\": \"ID\"}");
      }
      if (!s_.request_master) return send_error(res, 503, "election_unavailable", "this node runs without election");
      auto [status, text] = s_.request_master(body["device_id"].get<std::string>());
      res.status = status;
      res.set_content(text, "application/json");
    });
  }

private:
  void command(const std::string& pattern, command_kind kind, httplib::Server& srv, const char* path_field = nullptr) {
    srv.Post(pattern, [this, kind, path_field](const httplib::Request& req, httplib::Response& res) {
      run_command(req, res, kind, path_field);
    });
  }

  void run_command(const httplib::Request& req, httplib::Response& res, command_kind kind, const char* path_field) {
    const std::string path_value = path_field ? req.matches[1].str() : std::string();
    const std::string key_header = req.get_header_value("Idempotency-Key");
    auto parsed = parse_command(kind, {req.body, path_field, path_value, key_header});
    if (!parsed) return send_error(res, parsed.error());
    actors::command_request cmd{std::move(parsed->command), std::move(parsed->idempotency_key)};
    caf::scoped_actor self{*s_.system};
    self->request(s_.actors->commands, actor_timeout, actors::command_atom::value, std::move(cmd))
      .receive(
        [&](actors::command_response& r) {
          http_reply reply = render(r.outcome);
          res.status = reply.status;
          res.set_content(std::move(reply.body), "application/json");
        },
        [&](caf::error& err) {
          if (err.category() == caf::atom("command")) {
            return send_error(res, to_api_error(static_cast<actors::command_errc>(err.code())));
          }
          send_error(res, 503, "unavailable", "command not answered: " + s_.system->render(err));
        });
  }

  static param_lookup params(const httplib::Request& req) {
    return [&req](const char* name) { return query_param(req, name); };
  }

  using query_fn = std::function<api_result<json>(const httplib::Request&)>;

  void query(const std::string& pattern, query_fn fn, httplib::Server& srv) {
    srv.Get(pattern, [fn](const httplib::Request& req, httplib::Response& res) {
      auto r = fn(req);
      if (!r) return send_error(res, r.error());
      send_json(res, 200, *r);
    });
  }

  void audit(const httplib::Request& req, httplib::Response& res) {
    auto found = queries_->audit(params(req));
    if (!found) return send_error(res, found.error());
    json out = std::move(*found);
    std::optional<std::string> device = query_param(req, "device"), op = query_param(req, "op");
    std::uint64_t since = 0, until = std::numeric_limits<std::uint64_t>::max();
    if (auto v = query_param(req, "since")) parse_u64(*v, since);  // checked by the query above
    if (auto v = query_param(req, "until")) parse_u64(*v, until);
    // The sync rows (few, in memory) come with the first page only.
    if (query_param(req, "cursor")) return send_json(res, 200, out);
    send_json(res, 200, with_sync_rows(std::move(out), device, op, since, until));
  }

  /// The seed's sync audit log has push and pull rows too: sync keeps those
  /// in memory (recording them as events would replicate on every round).
  json with_sync_rows(json out, const std::optional<std::string>& device_filter,
                      const std::optional<std::string>& op_filter, std::uint64_t since, std::uint64_t until) {
    if (!s_.sync_status || !out.contains("entries")) return out;
    json sync = s_.sync_status();
    for (auto& row : sync.value("audit", json::array())) {
      const std::string device = row.value("device_id", "");
      const std::string op = row.value("operation", "");
      const std::uint64_t t = row.value("time_ms", std::uint64_t{0});
      if (device_filter && *device_filter != device && *device_filter != s_.config->device_id) continue;
      if (op_filter && *op_filter != op) continue;
      if (t < since || t > until) continue;
      out["entries"].push_back({{"operation", op},
                                {"device", s_.config->device_id},
                                {"peer", device},
                                {"count", row.value("count", 0)},
                                {"time_ms", t},
                                {"time", hlc_timestamp::from_parts(t, 0).to_rfc3339()}});
    }
    auto& entries = out["entries"];
    std::stable_sort(entries.begin(), entries.end(), [](const json& a, const json& b) {
      return a.value("time", "") > b.value("time", "");  // RFC 3339 UTC sorts as text: newest first
    });
    out["count"] = entries.size();
    return out;
  }

  std::optional<actors::projection_status> projection_status() {
    caf::scoped_actor self{*s_.system};
    std::optional<actors::projection_status> out;
    self->request(s_.actors->projections, actor_timeout, actors::status_atom::value)
      .receive([&](actors::projection_status& s) { out = std::move(s); }, [&](caf::error&) {});
    return out;
  }

  /// /v1/projections: each projection's position, lag and counters.
  json projections_json(const actors::projection_status& p) {
    const std::uint64_t head = s_.log->last_position().value();
    json each = json::object();
    for (std::size_t i = 0; i < p.projections.size(); ++i) {
      const auto& info = p.projections[i];
      each[info.name] = json{{"position", info.position},
                             {"lag", head > info.position ? head - info.position : 0},
                             {"applied", info.applied},
                             {"skipped_unknown", info.skipped_unknown},
                             {"parked", info.parked},
                             {"paused", info.paused},
                             {"catching_up", static_cast<bool>(p.catching_up[i])},
                             {"digest", p.digests[i]}};
    }
    json parked = json::array();
    for (const auto& pe : p.parked_events) {
      parked.push_back({{"origin", pe.origin}, {"seq", pe.seq}, {"type", pe.type}, {"hlc", pe.hlc}, {"reason", pe.reason}});
    }
    return json{{"projections", std::move(each)},
                {"parked_events", std::move(parked)},
                {"conflicts_recorded", p.conflicts_recorded},
                {"write_failures", p.write_failures}};
  }

  /// /v1/status: the projections in one line (the slowest one).
  json projection_summary(const actors::projection_status& p) {
    const std::uint64_t head = s_.log->last_position().value();
    std::uint64_t low = head;
    bool paused = false, catching_up = false;
    std::uint64_t parked = 0;
    for (std::size_t i = 0; i < p.projections.size(); ++i) {
      const auto& info = p.projections[i];
      paused = paused || info.paused;
      catching_up = catching_up || p.catching_up[i];
      if (!info.paused) low = std::min(low, info.position);
      parked = std::max(parked, info.parked);
    }
    return json{{"position", low},        {"lag", head > low ? head - low : 0}, {"paused", paused},
                {"catching_up", catching_up}, {"parked", parked},               {"count", p.projections.size()}};
  }

  /// The uplink to HQ (issue 14), from the metrics its actor keeps.
  json uplink_json() const {
    const auto& m = *s_.actors->metrics;
    const auto& u = s_.config->uplink;
    if (u.url.empty()) return json{{"enabled", false}};
    static constexpr const char* states[] = {"standby", "resyncing", "streaming", "backoff"};
    const auto state = m.uplink_state.load();
    const auto error = m.uplink_error();
    return json{{"enabled", true},
                {"store_id", s_.config->store.id},
                {"stream", u.stream.empty() ? "storenode_" + s_.config->store.id : u.stream},
                {"state", state >= 0 && state < 4 ? states[state] : "unknown"},
                {"connected", m.uplink_connected.load()},
                {"lag_events", m.uplink_lag_events.load()},
                {"last_ack_ms", m.uplink_last_ack_ms.load()},
                {"in_flight", m.uplink_in_flight.load()},
                {"acked", m.uplink_acked.load()},
                {"duplicates", m.uplink_duplicates.load()},
                {"fenced", m.uplink_fenced.load()},
                {"publish_errors", m.uplink_publish_errors.load()},
                {"resyncs", m.uplink_resyncs.load()},
                {"last_error", error.empty() ? json(nullptr) : json(error)}};
  }

  void status(httplib::Response& res) {
    json j;
    j["device_id"] = s_.config->device_id;
    j["name"] = s_.config->name;
    j["priority"] = s_.config->priority;
    j["http"] = "http://" + s_.config->http;
    j["bind"] = s_.config->bind;
    // The store this device belongs to (issue 9): its id from the genesis
    // (meta store.id), null until it created or joined one.
    const auto store = s_.log->get_meta("store.id");
    j["store"] = json{{"id", store ? json(*store) : json(nullptr)}, {"name", s_.config->store.id}};
    json cluster = s_.cluster_status ? s_.cluster_status() : json::object();
    j["role"] = cluster.value("role", "standalone");
    j["term"] = cluster.value("term", 0);
    j["master"] = cluster.contains("master") ? cluster["master"] : json(nullptr);
    j["peers"] = cluster.contains("peers") ? cluster["peers"] : json::array();
    j["events_total"] = s_.log->size();
    j["position"] = s_.log->last_position().value();
    j["version_vector"] = s_.log->versions();
    if (s_.sync_status) {
      json sync = s_.sync_status();
      sync.erase("devices");
      if (sync.contains("clock")) {
        j["clock"] = sync["clock"];
        sync.erase("clock");
      }
      j["sync"] = sync;
      j["pending_changes"] = sync.value("pending_changes", 0);
    } else {
      j["sync"] = json{{"status", "standalone"}, {"pending_changes", 0}};
      j["pending_changes"] = 0;
    }
    // The max-offset rule: skew_warning names the peer whose events are held
    // because they are too far ahead of this device's clock (docs/api.md).
    if (!j.contains("clock")) {
      j["clock"] = json{{"max_skew_ms", s_.config->store.clock_max_skew_ms}, {"skew_warning", nullptr}};
    }
    if (auto p = projection_status()) j["projections"] = projection_summary(*p);
    j["uplink"] = uplink_json();
    send_json(res, 200, j);
  }

  /// O(1): each projection's stored total LtHash (no actor, no scan).
  void digest(httplib::Response& res) {
    json out = queries_->digests();
    out["version_vector"] = s_.log->versions();
    send_json(res, 200, out);
  }

  void projections_status(httplib::Response& res) {
    auto p = projection_status();
    if (!p) return send_error(res, 503, "unavailable", "projection actor did not answer");
    send_json(res, 200, projections_json(*p));
  }

  /// POST /v1/backup {"to": "/abs/dir"}: a consistent copy of the data dir
  /// into a new directory on this machine, taken while the node runs. Runs on
  /// this HTTP worker (RocksDB's checkpoint is safe beside the log writer; the
  /// storage serialises checkpoints).
  void backup(const httplib::Request& req, httplib::Response& res) {
    auto parsed = parse_json_bounded(req.body);
    if (!parsed) return send_error(res, parsed.error());
    const json& body = *parsed;
    if (!body.is_object()) return send_error(res, 400, "invalid_body", "expected {\"to\": \"/absolute/dir\"}");
    if (!body.contains("to") || body["to"].is_null()) {
      return send_error(res, 400, "missing_field", "to: the directory to create, an absolute path");
    }
    if (!body["to"].is_string()) return send_error(res, 400, "wrong_type", "to: expected a string");
    const std::string to = body["to"].get<std::string>();
    if (to.empty() || to.front() != '/') {
      return send_error(res, 400, "invalid_backup_target", "to: '" + to + "' is not an absolute path");
    }
    auto r = s_.log->checkpoint(to);
    if (!r) {
      const auto code = static_cast<storage::errc>(r.error().code);
      spdlog::warn("http: backup into {} failed: {}", to, r.error().message);
      switch (code) {
        case storage::errc::exists: return send_error(res, 409, "backup_target_exists", r.error().message);
        case storage::errc::not_found:
        case storage::errc::invalid_argument: return send_error(res, 400, "invalid_backup_target", r.error().message);
        case storage::errc::read_only: return send_error(res, 503, "read_only", r.error().message);
        default: return send_error(res, 500, "backup_failed", r.error().message);
      }
    }
    spdlog::info("http: backup of {} into {}: position {} in {} ms", s_.config->data_dir, to, r->position.value(),
                 r->elapsed_ms);
    send_json(res, 201, json{{"to", to}, {"position", r->position.value()}, {"elapsed_ms", r->elapsed_ms},
                             {"data_dir", s_.config->data_dir}});
  }

  /// POST /v1/projections/{name}/{rebuild|pause|resume}; name "all" (or the
  /// name of the single projection of earlier builds, retail_views) is every one.
  void projections_control(const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    const std::string op = req.matches[2];
    if (name == "retail_views") name = "all";
    bool known = name == "all";
    for (std::size_t i = 0; i < s_.rows->size(); ++i) known = known || s_.rows->name(i) == name;
    if (!known) {
      std::string names;
      for (std::size_t i = 0; i < s_.rows->size(); ++i) names += s_.rows->name(i) + ", ";
      return send_error(res, 404, "unknown_projection", "projections: " + names + "or all");
    }
    caf::scoped_actor self{*s_.system};
    auto fail = [&](caf::error& err) { send_error(res, 503, "unavailable", s_.system->render(err)); };
    if (op == "rebuild") {
      self->request(s_.actors->projections, std::chrono::minutes(30), actors::rebuild_atom::value, name)
        .receive([&](std::uint64_t n) { send_json(res, 200, json{{"rebuilt", name}, {"events", n}}); }, fail);
    } else if (op == "pause") {
      self->request(s_.actors->projections, actor_timeout, actors::pause_atom::value, name)
        .receive([&](bool) { send_json(res, 200, json{{"paused", name}}); }, fail);
    } else {
      self->request(s_.actors->projections, actor_timeout, actors::resume_atom::value, name)
        .receive([&](bool) { send_json(res, 200, json{{"resumed", name}}); }, fail);
    }
  }

  void events(const httplib::Request& req, httplib::Response& res) {
    std::uint64_t from = 1, limit = 100;
    if (auto s = query_param(req, "from"); s && !parse_u64(*s, from)) {
      return send_error(res, 400, "invalid_parameter", "from must be a log position (integer)");
    }
    if (auto s = query_param(req, "limit"); s && (!parse_u64(*s, limit) || limit == 0)) {
      return send_error(res, 400, "invalid_parameter", "limit must be a positive integer");
    }
    limit = std::min<std::uint64_t>(limit, events_page_max);
    auto type = query_param(req, "type");
    auto origin = query_param(req, "origin");
    json out = json::array();
    std::uint64_t next = from == 0 ? 1 : from;
    // Filters skip events, so read in pages until the page is full or the log ends.
    while (out.size() < limit) {
      auto batch = s_.log->read_from(log_position{next}, std::max<std::uint64_t>(limit, 256));
      if (batch.empty()) break;
      for (auto& se : batch) {
        next = se.position.value() + 1;
        if (origin && se.ev.origin.value() != *origin) continue;
        if (!type_matches(type, se.ev)) continue;
        json e = event_to_json(se.ev);
        e["position"] = se.position.value();
        out.push_back(std::move(e));
        if (out.size() >= limit) break;
      }
    }
    send_json(res, 200, json{{"events", std::move(out)}, {"next", next}});
  }

  /// Server-Sent Events: every new event (filtered by type glob and origin)
  /// as `id: POS` / `event: event` / `data: JSON`. Starts after the current
  /// end of the log, or after Last-Event-ID / ?from= when given.
  void stream(const httplib::Request& req, httplib::Response& res) {
    // A stream holds its worker for as long as the client listens: at most
    // half the workers stream, so that streams cannot stall the API.
    if (streams_.fetch_add(1) >= streams_max_) {
      streams_.fetch_sub(1);
      return send_error(res, 503, "too_many_streams",
                        "already " + std::to_string(streams_max_) + " event streams (half of http_threads)");
    }
    std::uint64_t after = s_.feed->position();
    std::uint64_t v = 0;
    if (auto s = query_param(req, "from"); s && parse_u64(*s, v)) after = v > 0 ? v - 1 : 0;
    auto last_id = req.get_header_value("Last-Event-ID");
    if (!last_id.empty() && parse_u64(last_id, v)) after = v;
    auto type = query_param(req, "type");
    auto origin = query_param(req, "origin");
    auto position = std::make_shared<std::uint64_t>(after);
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [this, position, type, origin](std::size_t, httplib::DataSink& sink) {
      bool closed = false;
      const std::uint64_t newest = s_.feed->wait_beyond(*position, sse_keepalive, closed);
      if (closed) return false;
      if (newest <= *position) {
        std::string ping = ": keep-alive\n\n";
        return sink.write(ping.data(), ping.size());
      }
      auto batch = s_.log->read_from(log_position{*position + 1}, 1000);
      std::string chunk;
      for (auto& se : batch) {
        *position = se.position.value();
        if (origin && se.ev.origin.value() != *origin) continue;
        if (!type_matches(type, se.ev)) continue;
        json e = event_to_json(se.ev);
        e["position"] = se.position.value();
        chunk += "id: " + std::to_string(se.position.value()) + "\nevent: event\ndata: " +
                 e.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
      }
      if (chunk.empty()) return true;
      return sink.write(chunk.data(), chunk.size());
    }, [this](bool) { streams_.fetch_sub(1); });
  }

  http_services s_;
  std::unique_ptr<query_service> queries_;
  const int streams_max_;        ///< concurrent event streams
  std::atomic<int> streams_{0};  ///< event streams being served
};

/// httplib's request processing (parsing, routing, handlers, responses)
/// driven one request at a time by the gate's workers instead of by
/// httplib's own accept loop.
class api_server final : public httplib::Server {
 public:
  /// Reads, routes and answers one request from `strm`.
  bool serve_one(httplib::Stream& strm, bool close_connection, bool& connection_closed) {
    return process_request(strm, close_connection, connection_closed, nullptr);
  }
  /// httplib's streaming responses (SSE) run while svr_sock_ is valid; it
  /// only marks "serving" here (the gate owns the listening socket).
  void set_serving(int listen_fd) { svr_sock_ = listen_fd; }
  void set_stopping() { svr_sock_ = INVALID_SOCKET; }
};

/// An httplib stream over a gate connection: reads the bytes the gate
/// buffered first, then the socket, never past the request's end (httplib
/// reads a body without Content-Length "until the connection closes", which
/// RFC 9112 says is an empty body for a request) and never after the
/// request's deadline.
class connection_stream final : public httplib::Stream {
 public:
  explicit connection_stream(http_connection& c) : c_(c) {}

  bool is_readable() const override { return readable_now() > 0 || wait(POLLIN, ms_left(c_.request_deadline)); }
  bool is_writable() const override { return wait(POLLOUT, write_timeout); }

  ssize_t read(char* ptr, size_t size) override {
    if (at_request_end()) return 0;
    if (c_.pending() == 0) {
      const ssize_t n = fill();
      if (n <= 0) return n;
    }
    const std::size_t k = std::min(size, readable_now());
    std::memcpy(ptr, c_.in.data() + c_.in_pos, k);
    c_.in_pos += k;
    return static_cast<ssize_t>(k);
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      const ssize_t n = ::send(c_.fd(), ptr, size, MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait(POLLOUT, write_timeout)) continue;
      return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(::getsockname, ip, port); }
  socket_t socket() const override { return c_.fd(); }

 private:
  bool at_request_end() const { return c_.request_end != std::string::npos && c_.in_pos >= c_.request_end; }

  /// Buffered bytes this request may still read.
  std::size_t readable_now() const {
    if (c_.request_end == std::string::npos) return c_.pending();
    return c_.in_pos >= c_.request_end ? 0 : std::min(c_.pending(), c_.request_end - c_.in_pos);
  }

  static std::chrono::milliseconds ms_left(http_connection::clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - http_connection::clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }

  bool wait(short events, std::chrono::milliseconds timeout) const {
    pollfd p{c_.fd(), events, 0};
    for (;;) {
      const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (r < 0 && errno == EINTR) continue;
      return r > 0;
    }
  }

  /// Appends what the socket has (waiting until the request's deadline);
  /// >0 bytes read, 0 end of stream, -1 error or deadline passed.
  ssize_t fill() {
    char buf[16 * 1024];
    for (;;) {
      const ssize_t n = ::recv(c_.fd(), buf, sizeof buf, 0);
      if (n > 0) {
        c_.in.append(buf, static_cast<std::size_t>(n));
        return n;
      }
      if (n == 0) return 0;
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait(POLLIN, ms_left(c_.request_deadline))) continue;
      return -1;
    }
  }

  using name_fn = int (*)(int, sockaddr*, socklen_t*);
  void address(name_fn get, std::string& ip, int& port) const {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    ip.clear();
    port = 0;
    if (get(c_.fd(), reinterpret_cast<sockaddr*>(&a), &len) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&a);
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      port = ntohs(in->sin_port);
    } else if (a.ss_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&a);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
      port = ntohs(in6->sin6_port);
    }
    ip = text;
  }

  http_connection& c_;
};

} // namespace

struct http_server::impl {
  std::unique_ptr<http_gate> gate;
  api_server server;
  std::unique_ptr<api> routes;
  std::unique_ptr<httplib::ThreadPool> workers;
  std::size_t threads = 0;
  std::atomic<bool> stopping{false};
  bool stopped = false;

  /// One request of `c` on a worker; keeps the connection when it may serve another.
  void serve(std::unique_ptr<http_connection> c) noexcept {
    try {
      serve_request(std::move(c));
    } catch (const std::exception& e) {
      // httplib's error handler and logger run outside its own try block.
      spdlog::error("http: request failed outside its handler: {}", e.what());
    } catch (...) {
      spdlog::error("http: request failed outside its handler");
    }
  }

  void serve_request(std::unique_ptr<http_connection> c) {
    connection_stream strm(*c);
    ++c->requests;
    // A request whose end the gate could not know leaves bytes nobody can
    // frame after it: answer it with Connection: close.
    const bool last = c->requests >= keep_alive_requests_max || stopping.load(std::memory_order_relaxed) ||
                      c->request_end == std::string::npos;
    bool closed = false;
    const bool ok = server.serve_one(strm, last, closed);
    // Keep-alive only when the request was read exactly to its end (a
    // refused or half-read body leaves bytes that are not a request).
    if (!ok || closed || last || c->in_pos != c->request_end) return;
    gate->resume(std::move(c));
  }
};

http_server::http_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() { stop(); }

void http_server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping.store(true);
  impl_->gate->stop();                             // no new requests; idle connections closed
  impl_->server.set_stopping();                    // SSE streams end
  if (impl_->workers) impl_->workers->shutdown();  // requests in progress finish
}

sn::expected<std::unique_ptr<http_server>> http_server::bind(const node_config& config) {
  http_gate_options o;
  o.connections_max = static_cast<std::size_t>(config.http_connections_max);
  o.body_bytes_max = static_cast<std::uint64_t>(config.http_body_bytes_max);
  auto gate = http_gate::bind(config.http, o);
  if (!gate) return gate.error();
  auto p = std::make_unique<impl>();
  p->gate = std::move(*gate);
  p->threads = static_cast<std::size_t>(config.http_threads);
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

void http_server::serve(http_services services) {
  auto& p = *impl_;
  auto* metrics = services.actors->metrics;
  const auto& o = p.gate->options();
  p.server.set_payload_max_length(static_cast<std::size_t>(o.body_bytes_max));
  // Only the Keep-Alive response header reads these: the gate applies them.
  p.server.set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(o.idle_timeout).count());
  p.server.set_keep_alive_max_count(keep_alive_requests_max);
  p.routes = std::make_unique<api>(std::move(services));
  p.routes->install(p.server);
  p.server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      send_error(res, 404, "unknown_route", "no route for " + req.method + " " + req.path);
    else if (res.status == 413)
      send_error(res, 413, "too_large", "request body over the configured http_body_bytes_max");
    else
      send_error(res, res.status, "http_error", "HTTP error " + std::to_string(res.status));
  });
  p.server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, "internal", what);
  });
  p.server.set_logger(
      [metrics](const httplib::Request&, const httplib::Response& res) { metrics->count_http(res.status); });
  p.server.set_serving(p.gate->listen_fd());
  p.workers = std::make_unique<httplib::ThreadPool>(p.threads);
  p.gate->start(
      [&p](std::unique_ptr<http_connection> c) {
        // std::function must be copyable: the connection travels in a shared holder.
        auto holder = std::make_shared<std::unique_ptr<http_connection>>(std::move(c));
        p.workers->enqueue([&p, holder] { p.serve(std::move(*holder)); });
      },
      [metrics](int status) { metrics->count_http(status); });
}

} // namespace sn::node
