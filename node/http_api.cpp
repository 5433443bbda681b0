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
#include <map>
#include <cstring>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
#include "node/auth.hpp"
#include "node/permissions.hpp"
#include "actors/staff/pin.hpp"
#include "actors/projections/staff.hpp"
#include "node/query_service.hpp"
#include "node/status_events.hpp"
#include "web/assets.hpp"
#include "storage/projection_store.hpp"
#include "storage/errc.hpp"
#include "storage/event_log.hpp"
#include "tls/files.hpp"
#include "tls/tls.hpp"

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
/// How long a worker that answered a keep-alive request waits for the
/// client's next one before giving the connection back to the gate
/// (node/http_gate.hpp): long enough for a client that sends its requests
/// back to back, short enough that an idle connection holds no worker.
constexpr std::chrono::microseconds next_request_wait{2000};

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

/// /v1/status `storage`: disk and write figures, in total and per column
/// family (docs/api.md). Write amplification is null until something flushed.
void add_storage_io(json& storage, const storage::storage_io& io) {
  storage::family_io total;
  json families = json::object();
  const auto amplification = [](const storage::family_io& f) {
    return f.flushed_bytes == 0 ? json(nullptr) : json(storage::write_amplification(f));
  };
  for (const auto& f : io.families) {
    total.sst_bytes += f.sst_bytes;
    total.pending_compaction_bytes += f.pending_compaction_bytes;
    total.flushed_bytes += f.flushed_bytes;
    total.compaction_written_bytes += f.compaction_written_bytes;
    total.compaction_cpu_us += f.compaction_cpu_us;
    families[f.name] = json{{"sst_bytes", f.sst_bytes},
                            {"pending_compaction_bytes", f.pending_compaction_bytes},
                            {"flushes", f.flushes},
                            {"flushed_bytes", f.flushed_bytes},
                            {"compactions", f.compactions},
                            {"compaction_read_bytes", f.compaction_read_bytes},
                            {"compaction_written_bytes", f.compaction_written_bytes},
                            {"compaction_cpu_s", double(f.compaction_cpu_us) / 1e6},
                            {"write_amplification", amplification(f)}};
  }
  storage["disk_bytes"] = total.sst_bytes;
  storage["pending_compaction_bytes"] = total.pending_compaction_bytes;
  storage["compactions_running"] = io.compactions_running;
  storage["flushes_running"] = io.flushes_running;
  storage["flushed_bytes"] = total.flushed_bytes;
  storage["compaction_written_bytes"] = total.compaction_written_bytes;
  storage["compaction_cpu_s"] = double(total.compaction_cpu_us) / 1e6;
  storage["write_amplification"] = amplification(total);
  storage["families"] = std::move(families);
}

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

/// What the pre-routing check found out about the request a worker thread
/// is serving. httplib runs the pre-routing handler and then the route's
/// handler on the same thread, one request at a time, and hands both a const
/// Request: this is how the first tells the second who is signed in.
struct request_auth {
  const route_rule* rule = nullptr;
  std::optional<signed_in> who;
};
thread_local request_auth current_auth;

std::uint64_t wall_ms_now() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

auth_options auth_options_of(const node_config& c) {
  auth_options o;
  o.idle_timeout_ms = static_cast<std::uint64_t>(c.store.session_idle_timeout_s) * 1000;
  o.lockout.failures_max = static_cast<std::uint32_t>(c.store.sign_in_failures_max);
  o.lockout.window_ms = static_cast<std::uint64_t>(c.store.sign_in_window_s) * 1000;
  o.lockout.lockout_ms = static_cast<std::uint64_t>(c.store.sign_in_lockout_s) * 1000;
  o.lockout.lockout_ms_max = static_cast<std::uint64_t>(c.store.sign_in_lockout_max_s) * 1000;
  return o;
}

/// Who runs a command that passed the gate.
struct authorized {
  std::string staff_id;
  std::string approver_id;
  staff::role role = staff::role::cashier;  ///< the higher of the person's and the approver's
};

class api {
public:
  explicit api(http_services s)
      : s_(std::move(s)),
        queries_(std::make_unique<query_service>(*s_.rows, *s_.progress, *s_.log)),
        auth_(std::make_unique<auth_service>(
            auth_options_of(*s_.config),
            [q = queries_.get()](const std::string& id) { return q->staff_credentials(id); },
            [rec = s_.record_events](std::vector<event> drafts) {
              if (rec) rec(std::move(drafts));
            },
            wall_ms_now)),
        streams_max_(std::max<int>(1, static_cast<int>(s_.config->http_threads) / 2)) {}

  /// Every request passes here first (ARCHITECTURE.md §9): a route not in the
  /// permission table is 404; an open one passes; any other needs a live
  /// session (401) whose role reaches the route's (403 forbidden), or, for a
  /// command, reaches it with an approver (checked by the route: the body is
  /// not read yet).
  httplib::Server::HandlerResponse gate(const httplib::Request& req, httplib::Response& res) {
    current_auth = request_auth{};
    const route_rule* rule = find_route(req.method, req.path);
    if (rule == nullptr) {
      send_error(res, 404, "unknown_route", "no route for " + req.method + " " + req.path);
      return httplib::Server::HandlerResponse::Handled;
    }
    current_auth.rule = rule;
    if (rule->open) return httplib::Server::HandlerResponse::Unhandled;
    auto who = auth_->authenticate(req.get_header_value("Authorization"));
    if (!who) {
      send_error(res, who.error());
      return httplib::Server::HandlerResponse::Handled;
    }
    current_auth.who = *who;
    if (!staff::at_least(who->role, rule->least) && !rule->approvable) {
      send_error(res, 403, "forbidden",
                 std::string("a ") + staff::to_string(who->role) + " may not " + req.method + " " + rule->path +
                     " (needs " + staff::to_string(rule->least) + ")");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void install(httplib::Server& srv) {
    srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) { return gate(req, res); });
    srv.Post("/v1/sessions", [this](const httplib::Request& req, httplib::Response& res) { sign_in(req, res); });
    srv.Get("/v1/sessions/current", [](const httplib::Request&, httplib::Response& res) {
      const signed_in& w = *current_auth.who;
      send_json(res, 200, session_json(w));
    });
    srv.Delete("/v1/sessions/current", [this](const httplib::Request& req, httplib::Response& res) {
      auth_->sign_out(req.get_header_value("Authorization"));
      send_json(res, 200, json{{"signed_out", true}, {"staff_id", current_auth.who->staff_id}});
    });
    command("/v1/staff", command_kind::add_staff, srv);
    srv.Put(R"(/v1/staff/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      run_command(req, res, command_kind::update_staff, "staff_id");
    });
    srv.Delete(R"(/v1/staff/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      run_command(req, res, command_kind::remove_staff, "staff_id");
    });
    {
      const auto& qs = *queries_;
      query("/v1/staff", [&qs](const httplib::Request& r) { return qs.staff_list(params(r)); }, srv);
      query(R"(/v1/staff/([^/]+))", [&qs](const httplib::Request& r) { return qs.staff_member(r.matches[1]); }, srv);
    }

    srv.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, json{{"ok", true}}); });
    // The console (web/, embedded at build time): open, like /healthz; every
    // call it makes carries the signed-in person's token.
    srv.Get("/", [](const httplib::Request& req, httplib::Response& res) { console_file(req, res, "index.html"); });
    srv.Get("/favicon.ico", [](const httplib::Request& req, httplib::Response& res) { console_file(req, res, "icon.svg"); });
    srv.Get(R"(/console/([^/]+))",
            [](const httplib::Request& req, httplib::Response& res) { console_file(req, res, req.matches[1].str()); });
    srv.Get("/v1/status/stream",
            [this](const httplib::Request& req, httplib::Response& res) { stream(req, res, stream_scope::status); });
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
    query("/v1/sales", [&qs](const httplib::Request& r) -> api_result<json> {
      auto staff = own_sales_filter(r);
      if (!staff) return staff.error();
      const param_lookup base = params(r);
      return qs.sales([&](const char* name) -> std::optional<std::string> {
        if (std::string_view(name) == "staff") return *staff;
        return base(name);
      });
    }, srv);
    query("/v1/reports/daily", [&qs](const httplib::Request& r) { return qs.daily_report(params(r)); }, srv);
    query("/v1/devices", [this, &qs](const httplib::Request& r) -> api_result<json> {
      auto out = qs.devices(params(r));
      if (!out) return out;
      const auto heard = heard_devices();
      for (auto& d : (*out)["devices"]) with_liveness(d, heard);
      return out;
    }, srv);
    query(R"(/v1/devices/([^/]+))", [this, &qs](const httplib::Request& r) -> api_result<json> {
      auto out = qs.device(r.matches[1]);
      if (out) with_liveness(*out, heard_devices());
      return out;
    }, srv);
    query("/v1/elections", [&qs](const httplib::Request& r) { return qs.elections(params(r)); }, srv);
    query(R"(/v1/digest/([^/]+))", [&qs](const httplib::Request& r) { return qs.buckets(r.matches[1]); }, srv);
    query(R"(/v1/digest/([^/]+)/buckets/([^/]+))",
          [&qs](const httplib::Request& r) { return qs.bucket_rows(r.matches[1], r.matches[2], params(r)); }, srv);
    srv.Get("/v1/audit", [this](const httplib::Request& req, httplib::Response& res) { audit(req, res); });
    srv.Get("/v1/digest", [this](const httplib::Request&, httplib::Response& res) { digest(res); });

    // Events.
    srv.Get("/v1/events", [this](const httplib::Request& req, httplib::Response& res) { events(req, res); });
    srv.Get("/v1/events/stream", [this](const httplib::Request& req, httplib::Response& res) {
      stream(req, res, stream_scope::everything);
    });

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
    srv.Post("/v1/sync/now", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, current_auth.rule->least)) return;
      if (s_.sync_now) s_.sync_now();
      send_json(res, 202, json{{"accepted", true}});
    });
    // Backups: a RocksDB checkpoint taken by this process, the one holding the
    // data dir (storage/checkpoint.hpp says why a tool cannot take it itself).
    srv.Post("/v1/backup", [this](const httplib::Request& req, httplib::Response& res) { backup(req, res); });
    srv.Post(R"(/v1/devices/([^/]+)/(enrollment|revocation|keys/rotation))",
             [this](const httplib::Request& req, httplib::Response& res) { membership_command(req, res); });
    srv.Post("/v1/master", [this](const httplib::Request& req, httplib::Response& res) {
      if (!authorize(req, res, current_auth.rule->least)) return;
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

  static json session_json(const signed_in& w) {
    return json{{"staff_id", w.staff_id},
                {"name", w.name},
                {"role", staff::to_string(w.role)},
                {"expires_at", hlc_timestamp::from_parts(w.expires_ms, 0).to_rfc3339()}};
  }

  /// POST /v1/sessions {"staff_id","pin"}.
  void sign_in(const httplib::Request& req, httplib::Response& res) {
    auto parsed = parse_json_bounded(req.body);
    if (!parsed) return send_error(res, parsed.error());
    const json& b = *parsed;
    if (!b.is_object() || !b.contains("staff_id") || !b["staff_id"].is_string() || !b.contains("pin") ||
        !b["pin"].is_string()) {
      return send_error(res, 400, "invalid_body", "expected {\"staff_id\": \"ID\", \"pin\": \"DIGITS\"}");
    }
    auto s = auth_->sign_in(b["staff_id"].get<std::string>(), b["pin"].get<std::string>());
    if (!s) return send_error(res, s.error());
    json out = session_json(s->who);
    out["token"] = s->token;
    send_json(res, 201, out);
  }

  /// The approver a request names: the body's "approval" {"staff_id","pin"}
  /// or the X-Approver-Staff and X-Approver-Pin headers; nullopt when none.
  static std::optional<std::pair<std::string, std::string>> approval_of(const httplib::Request& req) {
    if (req.has_header("X-Approver-Staff") || req.has_header("X-Approver-Pin")) {
      return std::make_pair(req.get_header_value("X-Approver-Staff"), req.get_header_value("X-Approver-Pin"));
    }
    // Only a body that mentions it is parsed a second time (a sale is not).
    if (req.body.find("\"approval\"") == std::string::npos) return std::nullopt;
    auto parsed = parse_json_bounded(req.body);
    if (!parsed || !parsed->is_object()) return std::nullopt;
    auto it = parsed->find("approval");
    if (it == parsed->end() || !it->is_object()) return std::make_pair(std::string(), std::string());
    const auto text = [&](const char* k) {
      auto f = it->find(k);
      return f != it->end() && f->is_string() ? f->get<std::string>() : std::string();
    };
    return std::make_pair(text("staff_id"), text("pin"));
  }

  /// The signed-in person (gate), with the approver the request names when
  /// it names one, against the role `need`. Answers 403 approval_required
  /// (no approver, or the approver's PIN failed), 403 forbidden (the
  /// approver's role does not reach `need` either), 429 (approver locked).
  std::optional<authorized> authorize(const httplib::Request& req, httplib::Response& res, staff::role need) {
    const signed_in& who = *current_auth.who;
    authorized a{who.staff_id, "", who.role};
    if (auto ap = approval_of(req)) {
      auto ok = auth_->approve(ap->first, ap->second);
      if (!ok) {
        send_error(res, ok.error());
        return std::nullopt;
      }
      a.approver_id = ok->staff_id;
      if (staff::at_least(ok->role, a.role)) a.role = ok->role;
      if (!staff::at_least(a.role, need)) {
        send_error(res, 403, "forbidden",
                   "the approver " + ok->staff_id + " is a " + staff::to_string(ok->role) + "; this needs a " +
                       staff::to_string(need));
        return std::nullopt;
      }
    }
    if (!staff::at_least(a.role, need)) {
      send_error(res, 403, "approval_required",
                 std::string("a ") + staff::to_string(who.role) + " needs the approval of a " + staff::to_string(need) +
                     ": send approval {\"staff_id\",\"pin\"} or X-Approver-Staff and X-Approver-Pin");
      return std::nullopt;
    }
    return a;
  }

  /// The least role a staff command needs beyond its route's: managing a
  /// manager or an admin (now or after the change) needs an admin.
  staff::role staff_target_role(const retail::command& c, staff::role route_least) const {
    staff::role need = route_least;
    const auto raise = [&](const std::string& role_text) {
      if (auto r = staff::role_from_string(role_text)) need = std::max(need, least_role_to_manage(*r));
    };
    const auto current = [&](const std::string& id) {
      if (auto cur = queries_->staff_credentials(id)) raise(cur->role);
    };
    if (const auto* a = std::get_if<retail::add_staff>(&c)) {
      raise(a->role);
      current(a->staff_id);
    } else if (const auto* u = std::get_if<retail::update_staff>(&c)) {
      if (u->role) raise(*u->role);
      current(u->staff_id);
    } else if (const auto* r = std::get_if<retail::remove_staff>(&c)) {
      current(r->staff_id);
    }
    return need;
  }

  void run_command(const httplib::Request& req, httplib::Response& res, command_kind kind, const char* path_field) {
    const std::string path_value = path_field ? req.matches[1].str() : std::string();
    const std::string key_header = req.get_header_value("Idempotency-Key");
    auto parsed = parse_command(kind, {req.body, path_field, path_value, key_header});
    if (!parsed) return send_error(res, parsed.error());
    const bool staff_command =
        kind == command_kind::add_staff || kind == command_kind::update_staff || kind == command_kind::remove_staff;
    const staff::role need = staff_command ? staff_target_role(parsed->command, current_auth.rule->least)
                                           : current_auth.rule->least;
    auto who = authorize(req, res, need);
    if (!who) return;
    if (!parsed->pin.empty()) {
      const staff::pin_cost cost{static_cast<std::uint64_t>(s_.config->store.pin_hash_opslimit),
                                 static_cast<std::size_t>(s_.config->store.pin_hash_memlimit_kib) * 1024};
      auto hash = staff::hash_pin(parsed->pin, cost);
      if (!hash) return send_error(res, 503, "unavailable", "the PIN could not be hashed (out of memory)");
      if (auto* a = std::get_if<retail::add_staff>(&parsed->command)) a->pin_hash = std::move(*hash);
      if (auto* u = std::get_if<retail::update_staff>(&parsed->command)) u->pin_hash = std::move(*hash);
    }
    actors::command_request cmd;
    cmd.command = std::move(parsed->command);
    cmd.idempotency_key = std::move(parsed->idempotency_key);
    cmd.staff_id = who->staff_id;
    cmd.approver_id = who->approver_id;
    if (!staff::at_least(who->role, staff::role::supervisor)) {
      // A cashier's limits (store-wide settings); an approver lifts them.
      cmd.refund_limit_cents = s_.config->store.cashier_return_limit_cents;
      cmd.discount_limit_cents = s_.config->store.cashier_discount_limit_cents;
      cmd.price_override_allowed = false;
    }
    const std::string target = staff_command ? std::visit(
        [](const auto& c) -> std::string {
          if constexpr (std::is_same_v<std::decay_t<decltype(c)>, retail::add_staff> ||
                        std::is_same_v<std::decay_t<decltype(c)>, retail::update_staff> ||
                        std::is_same_v<std::decay_t<decltype(c)>, retail::remove_staff>) {
            return c.staff_id;
          } else {
            return {};
          }
        },
        cmd.command) : std::string();
    caf::scoped_actor self{*s_.system};
    // Sent, not requested: the answer to an asynchronous message comes back
    // as an ordinary one, and the wait is bounded by this thread's own timed
    // wait. request(..., timeout) registers and cancels every command's
    // timeout with CAF's clock thread (7.8 % of a busy node's CPU samples in
    // perf; docs/benchmarks.md, "Live writes 5 ms apart").
    self->send(s_.actors->commands, actors::command_atom::value, std::move(cmd));
    self->receive(
        [&](actors::command_response& r) {
          // A changed or removed person's sessions end (their role or
          // active flag may have changed); they sign in again.
          if (!target.empty() && kind != command_kind::add_staff && r.outcome.index() == 0) auth_->end_sessions_of(target);
          http_reply reply = render(r.outcome, attribution{r.staff_id, r.approver_id});
          res.status = reply.status;
          res.set_content(std::move(reply.body), "application/json");
        },
        [&](caf::error& err) {
          if (err.category() == caf::atom("command")) {
            return send_error(res, to_api_error(static_cast<actors::command_errc>(err.code())));
          }
          send_error(res, 503, "unavailable", "command not answered: " + s_.system->render(err));
        },
        caf::after(actor_timeout) >> [&] {
          send_error(res, 503, "unavailable",
                     "command not answered within " + std::to_string(actor_timeout.count()) + " s");
        });
  }

  /// device id -> (alive, wall ms last heard) from the election's peer
  /// table: what this node hears now, not what the log last recorded.
  std::map<std::string, std::pair<bool, std::uint64_t>> heard_devices() const {
    std::map<std::string, std::pair<bool, std::uint64_t>> out;
    const std::uint64_t now = wall_ms_now();
    out[s_.config->device_id] = {true, now};
    if (!s_.cluster_status) return out;
    const json cluster = s_.cluster_status();
    if (!cluster.contains("peers") || !cluster["peers"].is_array()) return out;
    for (const auto& p : cluster["peers"]) {
      if (!p.contains("device_id") || !p["device_id"].is_string()) continue;
      const auto ago = p.value("last_seen_ms_ago", json(nullptr));
      out[p["device_id"].get<std::string>()] = {
          p.value("alive", false), ago.is_number() ? now - std::min<std::uint64_t>(now, ago.get<std::uint64_t>()) : 0};
    }
    return out;
  }

  /// Issue 11 item 10: `online` and `last_seen` (heard over the peer link
  /// since this node started; null when not heard) on a device's JSON.
  static void with_liveness(json& d, const std::map<std::string, std::pair<bool, std::uint64_t>>& heard) {
    auto it = heard.find(d.value("device_id", ""));
    d["online"] = it != heard.end() && it->second.first;
    d["last_seen"] = it != heard.end() && it->second.second != 0
                         ? json(hlc_timestamp::from_parts(it->second.second, 0).to_rfc3339())
                         : json(nullptr);
  }

  /// GET /v1/sales's `staff` (issue 10): "me" names the signed-in person; a
  /// cashier sees only their own sales (no `staff` means theirs, another
  /// person's is 403 forbidden); a supervisor and above see everyone's and
  /// may name anyone.
  static api_result<std::optional<std::string>> own_sales_filter(const httplib::Request& req) {
    const signed_in& who = *current_auth.who;
    std::optional<std::string> staff = query_param(req, "staff");
    if (staff && *staff == "me") staff = who.staff_id;
    if (staff::at_least(who.role, staff::role::supervisor)) return staff;
    if (staff && *staff != who.staff_id) {
      return api_error{403, "forbidden", "a cashier lists only their own sales (staff=me)"};
    }
    return std::optional<std::string>{who.staff_id};
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
    std::optional<std::string> device = query_param(req, "device"), op = query_param(req, "op"),
                               status = query_param(req, "status");
    std::uint64_t since = 0, until = std::numeric_limits<std::uint64_t>::max();
    if (auto v = query_param(req, "since")) parse_u64(*v, since);  // checked by the query above
    if (auto v = query_param(req, "until")) parse_u64(*v, until);
    // The sync rows (few, in memory) come with the first page only.
    if (query_param(req, "cursor")) return send_json(res, 200, out);
    send_json(res, 200, with_sync_rows(std::move(out), device, op, status, since, until));
  }

  /// The seed's sync audit log has push and pull rows too: sync keeps those
  /// in memory (recording them as events would replicate on every round).
  json with_sync_rows(json out, const std::optional<std::string>& device_filter,
                      const std::optional<std::string>& op_filter, const std::optional<std::string>& status_filter,
                      std::uint64_t since, std::uint64_t until) {
    if (!s_.sync_status || !out.contains("entries")) return out;
    json sync = s_.sync_status();
    for (auto& row : sync.value("audit", json::array())) {
      const std::string device = row.value("device_id", "");
      const std::string op = row.value("operation", "");
      const std::uint64_t t = row.value("time_ms", std::uint64_t{0});
      if (device_filter && *device_filter != device && *device_filter != s_.config->device_id) continue;
      const std::string result = row.value("result", "ok");
      if (op_filter && *op_filter != op) continue;
      if (status_filter && *status_filter != result) continue;
      if (t < since || t > until) continue;
      // A sync round moves events, it writes none: no staff to name.
      out["entries"].push_back({{"operation", op},
                                {"status", result},
                                {"device", s_.config->device_id},
                                {"peer", device},
                                {"count", row.value("count", 0)},
                                {"result", result},
                                {"staff_id", nullptr},
                                {"approver_id", nullptr},
                                {"error", row.contains("error") ? row["error"] : json(nullptr)},
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
    j["http"] = (http_server::serves_https(*s_.config) ? "https://" : "http://") + s_.config->http;
    j["bind"] = s_.config->bind;
    // The store this device belongs to (issue 9): its id from the genesis
    // (meta store.id), null until it created or joined one.
    const auto store = s_.log->get_meta("store.id");
    // The zone of its business days, for the console's times (null for a
    // store still on the deprecated fixed offset: the browser's own zone).
    const auto& sw = s_.config->store;
    j["store"] = json{{"id", store ? json(*store) : json(nullptr)},
                      {"name", sw.id},
                      {"time_zone", sw.utc_offset_minutes != 0 ? json(nullptr) : json(sw.time_zone)}};
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
    const auto mem = s_.log->memory();
    j["storage"] = json{{"cache_budget_bytes", mem.budget},
                        {"block_cache_bytes", mem.block_cache},
                        {"block_cache_pinned_bytes", mem.block_cache_pinned},
                        {"memtable_bytes", mem.memtables},
                        {"table_reader_bytes", mem.table_readers}};
    add_storage_io(j["storage"], s_.log->io());
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
    if (!authorize(req, res, current_auth.rule->least)) return;
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

  /// POST /v1/devices/{id}/enrollment {"priority"?: int} -> 201 {"device_id",
  /// "code","expires_at","peer"}; POST /v1/devices/{id}/revocation
  /// {"reason"?: str} -> 201 {"device_id","revoked_after_seq","reason"};
  /// POST /v1/devices/{id}/keys/rotation -> 201 {"device_id","seq",
  /// "signing_key","curve_key","held_elsewhere"} (on device {id} only).
  void membership_command(const httplib::Request& req, httplib::Response& res) {
    auto who = authorize(req, res, current_auth.rule->least);
    if (!who) return;
    const std::string id = req.matches[1];
    const bool enrolling = req.matches[2] == "enrollment";
    if (!sn::valid_device_id(id)) {
      return send_error(res, 400, "invalid_device_id", "device id '" + id + "' is not 1-64 characters of A-Za-z0-9_.-");
    }
    json body = json::object();
    if (!req.body.empty()) {
      auto parsed = parse_json_bounded(req.body);
      if (!parsed) return send_error(res, parsed.error());
      body = *parsed;
      if (!body.is_object()) return send_error(res, 400, "invalid_body", "expected a JSON object");
    }
    const std::string by = who->approver_id.empty() ? who->staff_id : who->approver_id;
    std::pair<int, std::string> out;
    if (req.matches[2] == "keys/rotation") {
      if (!s_.rotate_keys) return send_error(res, 503, "unavailable", "key rotation is not available on this node");
      out = s_.rotate_keys(id, by);
    } else if (enrolling) {
      std::int32_t priority = 0;
      if (body.contains("priority") && !body["priority"].is_null()) {
        if (!body["priority"].is_number_integer()) return send_error(res, 400, "wrong_type", "priority: expected an integer");
        const auto p = body["priority"].get<std::int64_t>();
        if (p < -1000000 || p > 1000000) return send_error(res, 400, "invalid_field", "priority: -1000000..1000000");
        priority = static_cast<std::int32_t>(p);
      }
      if (!s_.enroll_device) return send_error(res, 503, "unavailable", "enrollment is not available on this node");
      out = s_.enroll_device(id, priority, by);
    } else {
      std::string reason;
      if (body.contains("reason") && !body["reason"].is_null()) {
        if (!body["reason"].is_string()) return send_error(res, 400, "wrong_type", "reason: expected a string");
        reason = body["reason"].get<std::string>();
        if (reason.size() > 200) return send_error(res, 400, "invalid_field", "reason: at most 200 bytes");
      }
      if (!s_.revoke_device) return send_error(res, 503, "unavailable", "revocation is not available on this node");
      out = s_.revoke_device(id, reason, by);
    }
    res.status = out.first;
    res.set_header("Cache-Control", "no-store");  // a join code is a secret
    res.set_content(out.second, "application/json");
  }

  /// POST /v1/projections/{name}/{rebuild|pause|resume}; name "all" (or the
  /// name of the single projection of earlier builds, retail_views) is every one.
  void projections_control(const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res, current_auth.rule->least)) return;
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

  /// One of the console's files with the security headers of issue 11:
  /// nothing but this node may serve script, style or be framed around it;
  /// no CORS header is ever sent, so no other origin reads the API.
  static void console_file(const httplib::Request& req, httplib::Response& res, const std::string& name) {
    const web::asset* a = web::find_asset(name);
    if (a == nullptr) return send_error(res, 404, "unknown_route", "no console file " + name);
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cross-Origin-Opener-Policy", "same-origin");
    res.set_header("Cross-Origin-Resource-Policy", "same-origin");
    // Revalidated on every load (a node upgrade changes the files), cheap with the ETag.
    res.set_header("Cache-Control", "no-cache");
    res.set_header("ETag", a->etag);
    if (req.get_header_value("If-None-Match") == a->etag) {
      res.status = 304;
      return;
    }
    res.status = 200;
    res.set_content(std::string(a->bytes()), a->content_type);
  }

  enum class stream_scope {
    everything,  ///< /v1/events/stream: log events (filtered) and the status kinds
    status,      ///< /v1/status/stream: the status kinds, master.changed and conflict.resolved only
  };

  /// The status kinds that changed since `last` (node/status_events.hpp), as SSE frames without an id
  /// (an id is a log position: Last-Event-ID resumes the log).
  std::string status_frames(std::optional<status_snapshot>& last) {
    const json cluster = s_.cluster_status ? s_.cluster_status() : json::object();
    const json sync = s_.sync_status ? s_.sync_status() : json::object();
    status_snapshot now = snapshot_of(s_.config->device_id, cluster, sync);
    std::string out;
    for (auto& c : status_changes(last, now)) {
      out += "event: " + c.kind + "\ndata: " + c.data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
    }
    last = std::move(now);
    return out;
  }

  /// Server-Sent Events with named kinds (docs/api.md): each new log event
  /// (filtered by type glob and origin) as `id: POS` / `event: TYPE` /
  /// `data: JSON`, and the node status kinds when they change. Starts after
  /// the current end of the log, or after Last-Event-ID / ?from= when given.
  void stream(const httplib::Request& req, httplib::Response& res, stream_scope scope) {
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
    if (!last_id.empty() && parse_u64(last_id, v)) after = std::min(v, s_.feed->position());
    auto type = query_param(req, "type");
    auto origin = query_param(req, "origin");
    // ?status=0 leaves the status kinds out (storectl events tail).
    const bool with_status = scope == stream_scope::status || query_param(req, "status").value_or("1") != "0";
    struct stream_state {
      std::uint64_t position = 0;
      std::optional<status_snapshot> last_status;
      std::chrono::steady_clock::time_point next_status{};
      std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
    };
    auto st = std::make_shared<stream_state>();
    st->position = after;
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, st, type, origin, scope, with_status](std::size_t, httplib::DataSink& sink) {
          using clock = std::chrono::steady_clock;
          bool closed = false;
          const auto wait = with_status ? std::chrono::duration_cast<std::chrono::milliseconds>(status_poll_interval)
                                        : std::chrono::duration_cast<std::chrono::milliseconds>(sse_keepalive);
          const std::uint64_t newest = s_.feed->wait_beyond(st->position, wait, closed);
          if (closed) return false;
          std::string chunk;
          if (newest > st->position) {
            auto batch = s_.log->read_from(log_position{st->position + 1}, 1000);
            for (auto& se : batch) {
              st->position = se.position.value();
              if (origin && se.ev.origin.value() != *origin) continue;
              if (!type_matches(type, se.ev)) continue;
              auto name = event_type_name(se.ev.type);
              std::string kind = name ? std::string(*name) : "unknown";
              if (scope == stream_scope::status && kind != "master.changed" && kind != "conflict.resolved") continue;
              json e = event_to_json(se.ev);
              e["position"] = se.position.value();
              chunk += "id: " + std::to_string(se.position.value()) + "\nevent: " + kind +
                       "\ndata: " + e.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
            }
          }
          const auto now = clock::now();
          if (with_status && now >= st->next_status) {
            chunk += status_frames(st->last_status);
            st->next_status = now + status_poll_interval;
          }
          if (chunk.empty()) {
            if (now - st->last_write < sse_keepalive) return true;
            chunk = ": keep-alive\n\n";
          }
          st->last_write = now;
          return sink.write(chunk.data(), chunk.size());
        },
        [this](bool) { streams_.fetch_sub(1); });
  }

  http_services s_;
  std::unique_ptr<query_service> queries_;
  std::unique_ptr<auth_service> auth_;
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
  std::unique_ptr<http_gate> gate;  ///< loopback: plain HTTP through the gate
  api_server server;
  /// Off loopback: HTTPS only, on httplib's own accept loop (the gate speaks
  /// plain TCP; TLS in the gate is left for later, docs/operations.md).
  std::unique_ptr<httplib::SSLServer> tls;
  std::thread tls_thread;
  std::unique_ptr<api> routes;
  std::unique_ptr<httplib::ThreadPool> workers;
  std::size_t threads = 0;
  std::atomic<bool> stopping{false};
  bool stopped = false;
  /// Connections the gate dispatched that no worker has taken yet.
  std::atomic<int> waiting{0};

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
    for (;;) {
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
      // A client's next request usually follows its answer within a moment:
      // serving it here saves the hand-offs through the gate (worker → gate →
      // worker), unless another connection waits for a worker.
      if (waiting.load(std::memory_order_relaxed) > 0) break;
      const auto next = gate->next_request(*c, next_request_wait);
      if (next == http_gate::next::closed) return;
      if (next == http_gate::next::resume) break;
    }
    gate->resume(std::move(c));
  }
};

http_server::http_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

http_server::~http_server() { stop(); }

void http_server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping.store(true);
  if (impl_->tls) {
    impl_->tls->stop();
    if (impl_->tls_thread.joinable()) impl_->tls_thread.join();
    return;
  }
  impl_->gate->stop();                             // no new requests; idle connections closed
  impl_->server.set_stopping();                    // SSE streams end
  if (impl_->workers) impl_->workers->shutdown();  // requests in progress finish
}

namespace {

/// The error, exception and logging handlers every server of the API has.
template <class Metrics> void set_handlers(httplib::Server& srv, Metrics* metrics) {
  srv.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      send_error(res, 404, "unknown_route", "no route for " + req.method + " " + req.path);
    else if (res.status == 413)
      send_error(res, 413, "too_large", "request body over the configured http_body_bytes_max");
    else
      send_error(res, res.status, "http_error", "HTTP error " + std::to_string(res.status));
  });
  srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, "internal", what);
  });
  srv.set_logger([metrics](const httplib::Request&, const httplib::Response& res) { metrics->count_http(res.status); });
}

/// HOST of "HOST:PORT" or "[V6]:PORT" (the whole text when it has no port).
std::pair<std::string, int> split_host_port(const std::string& hp) {
  if (!hp.empty() && hp.front() == '[') {
    const auto close = hp.find(']');
    const std::string host = hp.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    const auto colon = hp.find(':', close == std::string::npos ? 0 : close);
    return {host, colon == std::string::npos ? 0 : std::atoi(hp.c_str() + colon + 1)};
  }
  const auto colon = hp.rfind(':');
  if (colon == std::string::npos) return {hp, 0};
  return {hp.substr(0, colon), std::atoi(hp.c_str() + colon + 1)};
}

}  // namespace

bool http_server::serves_https(const node_config& config) {
  return !tls::is_loopback_host(split_host_port(config.http).first);
}

sn::expected<std::unique_ptr<http_server>> http_server::bind(const node_config& config) {
  if (serves_https(config)) return bind_https(config);
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

sn::expected<std::unique_ptr<http_server>> http_server::bind_https(const node_config& config) {
  const auto [host, port] = split_host_port(config.http);
  const tls::tls_files f = tls::files_in(config.data_dir);
  const auto missing = [&](const std::string& path) { return ::access(path.c_str(), R_OK) != 0; };
  if (missing(f.cert) || missing(f.key) || missing(f.ca_cert)) {
    return sn::error{"node", 1,
                     "--http " + config.http + " is not loopback: this node serves HTTPS only there, and " +
                         config.data_dir + "/identity holds no TLS certificate (tls.crt, tls.key, ca.crt). The device "
                         "that creates the store (--create-store) gets one; a device that joined gets one with its "
                         "enrollment. Bind a loopback address (127.0.0.1:PORT) until then (docs/operations.md, "
                         "\"HTTPS\")"};
  }
  auto cert = tls::read_file(f.cert, false);
  auto key = tls::read_file(f.key, true);
  auto ca = tls::read_file(f.ca_cert, false);
  if (!cert || !key || !ca) return sn::error{"node", 1, "cannot read the TLS files in " + config.data_dir + "/identity"};
  if (auto ok = tls::check_grant(*cert, *key, *ca); !ok) {
    return sn::error{"node", 1, f.cert + ": " + ok.error().message};
  }
  auto p = std::make_unique<impl>();
  p->tls = std::make_unique<httplib::SSLServer>(f.cert.c_str(), f.key.c_str());
  if (!p->tls->is_valid()) return sn::error{"node", 1, "HTTPS: OpenSSL refused " + f.cert + " or " + f.key};
  if (!p->tls->bind_to_port(host, port)) {
    return sn::error{"node", 1, "cannot bind HTTPS on " + config.http + " (in use, or not an address of this machine)"};
  }
  p->threads = static_cast<std::size_t>(config.http_threads);
  p->tls->new_task_queue = [n = p->threads] { return new httplib::ThreadPool(n); };
  p->tls->set_payload_max_length(static_cast<std::size_t>(config.http_body_bytes_max));
  p->tls->set_read_timeout(10, 0);
  p->tls->set_keep_alive_timeout(5);
  return std::unique_ptr<http_server>(new http_server(std::move(p)));
}

void http_server::serve(http_services services) {
  auto& p = *impl_;
  auto* metrics = services.actors->metrics;
  p.routes = std::make_unique<api>(std::move(services));
  if (p.tls) {
    p.routes->install(*p.tls);
    set_handlers(*p.tls, metrics);
    p.tls_thread = std::thread([&p] { p.tls->listen_after_bind(); });
    return;
  }
  const auto& o = p.gate->options();
  p.server.set_payload_max_length(static_cast<std::size_t>(o.body_bytes_max));
  // Only the Keep-Alive response header reads these: the gate applies them.
  p.server.set_keep_alive_timeout(std::chrono::duration_cast<std::chrono::seconds>(o.idle_timeout).count());
  p.server.set_keep_alive_max_count(keep_alive_requests_max);
  p.routes->install(p.server);
  set_handlers(p.server, metrics);
  p.server.set_serving(p.gate->listen_fd());
  p.workers = std::make_unique<httplib::ThreadPool>(p.threads);
  p.gate->start(
      [&p](std::unique_ptr<http_connection> c) {
        // std::function must be copyable: the connection travels in a shared holder.
        auto holder = std::make_shared<std::unique_ptr<http_connection>>(std::move(c));
        p.waiting.fetch_add(1, std::memory_order_relaxed);
        p.workers->enqueue([&p, holder] {
          p.waiting.fetch_sub(1, std::memory_order_relaxed);
          p.serve(std::move(*holder));
        });
      },
      [metrics](int status) { metrics->count_http(status); });
}

} // namespace sn::node
