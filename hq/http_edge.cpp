#include "hq/http_edge.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <map>
#include <thread>

#include "events/codec.hpp"
#include "hq/chain_fold.hpp"
#include "hq/chain_store.hpp"
#include "hq/ingester.hpp"
#include "hq/rows.hpp"

namespace sn::hq {

namespace {

using json = nlohmann::json;

/// Rows one listing may walk (every query is bounded).
constexpr std::size_t rows_max = 100000;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, status, json{{"error", {{"code", code}, {"message", message}}}});
}

/// The store's daily-report figures (docs/api.md, GET /v1/reports/daily).
json figures_json(const figures& f) {
  return json{{"gross_cents", f.gross},
              {"discounts_cents", f.discounts},
              {"tax_cents", f.tax - f.returns_tax},
              {"returns_cents", f.returns},
              {"net_cents", f.gross - f.discounts - f.returns},
              {"by_method", {{"cash", f.by_method[0]}, {"card", f.by_method[1]}, {"other", f.by_method[2]}}},
              {"transactions", f.transactions},
              {"returns", f.return_count},
              {"voids", f.voids}};
}

std::string to_hex(const hash256& h) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto b : h) {
    s.push_back(d[b >> 4]);
    s.push_back(d[b & 15]);
  }
  return s;
}


} // namespace

struct http_edge::impl {
  httplib::Server srv;
  std::thread thread;
  const chain_store* store = nullptr;
  const hq_metrics* metrics = nullptr;

  ~impl() {
    srv.stop();
    if (thread.joinable()) thread.join();
  }

  json stores() const {
    std::map<std::string, json> out;
    std::size_t walked = 0;
    store->scan(std::string(1, 's'), [&](std::string_view k, std::string_view v) {
      auto parts = key_parts(k);
      auto r = decode_store(v);
      if (parts.size() != 1 || !r) return ++walked < rows_max;
      out[std::string(parts[0])] = json{{"store_id", parts[0]},
                                        {"events", r->events},
                                        {"refused", r->refused},
                                        {"duplicates", r->duplicates},
                                        {"version_vector", json::object()},
                                        {"heads", json::object()},
                                        {"devices", json::array()},
                                        {"master", nullptr}};
      return ++walked < rows_max;
    });
    store->scan(std::string(1, 'h'), [&](std::string_view k, std::string_view v) {
      auto parts = key_parts(k);
      auto h = decode_head(v);
      if (parts.size() == 2 && h) {
        auto& j = out[std::string(parts[0])];
        j["version_vector"][std::string(parts[1])] = h->seq;
        j["heads"][std::string(parts[1])] = to_hex(h->hash);
      }
      return ++walked < rows_max;
    });
    store->scan(std::string(1, 'v'), [&](std::string_view k, std::string_view v) {
      auto parts = key_parts(k);
      auto d = decode_device(v);
      if (parts.size() == 2 && d) {
        out[std::string(parts[0])]["devices"].push_back(json{{"device_id", parts[1]},
                                                             {"name", d->name},
                                                             {"priority", d->priority},
                                                             {"active", d->active},
                                                             {"registered", d->registered},
                                                             {"last_event_ms", d->last_event_hlc >> 16}});
      }
      return ++walked < rows_max;
    });
    store->scan(std::string(1, 'm'), [&](std::string_view k, std::string_view v) {
      auto parts = key_parts(k);
      auto m = decode_master(v);
      if (parts.size() == 1 && m) {
        out[std::string(parts[0])]["master"] =
            json{{"device_id", m->device}, {"term", m->term}, {"reason", m->reason}, {"time_ms", m->hlc >> 16}};
      }
      return ++walked < rows_max;
    });
    json list = json::array();
    for (auto& [id, j] : out) list.push_back(std::move(j));
    return json{{"stores", std::move(list)}, {"count", out.size()}};
  }

  /// Daily figures of one day, per store and device; `store_filter` "" = all.
  json daily(std::string day, const std::string& store_filter) const {
    std::map<std::string, std::map<std::string, figures>> by_store;  // store -> device -> figures
    std::size_t walked = 0;
    const std::string prefix = store_filter.empty() ? std::string(1, 'd') : key('d', {store_filter}) + std::string(1, '\0');
    std::string newest;
    if (day.empty()) {
      store->scan(prefix, [&](std::string_view k, std::string_view) {
        auto parts = key_parts(k);
        if (parts.size() == 3 && parts[1] > newest) newest = std::string(parts[1]);
        return ++walked < rows_max;
      });
      day = newest;
    }
    walked = 0;
    store->scan(prefix, [&](std::string_view k, std::string_view v) {
      auto parts = key_parts(k);
      auto f = decode_figures(v);
      if (parts.size() == 3 && f && parts[1] == day) by_store[std::string(parts[0])][std::string(parts[2])] = *f;
      return ++walked < rows_max;
    });
    figures total;
    json stores = json::object();
    for (auto& [s, devices] : by_store) {
      figures st;
      json devs = json::object();
      for (auto& [d, f] : devices) {
        st.add(f);
        devs[d] = figures_json(f);
      }
      total.add(st);
      json j = figures_json(st);
      j["devices"] = std::move(devs);
      stores[s] = std::move(j);
    }
    json j = figures_json(total);
    j["day"] = day.empty() ? json(nullptr) : json(day);
    if (!store_filter.empty()) j["store"] = store_filter;
    j["stores"] = std::move(stores);
    return j;
  }

  json stock(const std::string& sku) const {
    json stores = json::object();
    std::int64_t total = 0;
    std::size_t walked = 0;
    store->scan(key('k', {sku}) + std::string(1, '\0'), [&](std::string_view k, std::string_view v) {
      auto parts = key_parts(k);
      auto q = decode_i64(v);
      if (parts.size() == 2 && q) {
        stores[std::string(parts[1])] = json{{"on_hand", *q}, {"oversold", *q < 0}};
        total += *q;
      }
      return ++walked < rows_max;
    });
    return json{{"sku", sku}, {"on_hand", total}, {"stores", std::move(stores)}};
  }

  std::string metrics_text() const {
    std::string out;
    auto line = [&out](const std::string& name, const char* help, std::uint64_t v, const char* type = "counter") {
      out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + std::to_string(v) + "\n";
    };
    out += "# HELP storenode_hq_messages_total Stream messages judged, by verdict.\n"
           "# TYPE storenode_hq_messages_total counter\n";
    for (std::size_t v = 0; v < verdict_count; ++v) {
      out += std::string("storenode_hq_messages_total{verdict=\"") + to_string(static_cast<verdict>(v)) + "\"} " +
             std::to_string(metrics->messages[v].load()) + "\n";
    }
    std::uint64_t refused = 0;
    for (std::size_t v = static_cast<std::size_t>(verdict::refused_subject); v < verdict_count; ++v) {
      refused += metrics->messages[v].load();
    }
    line("storenode_hq_refused_total", "Messages refused (not a store's own chain: forged or corrupt).", refused);
    line("storenode_hq_batches_total", "Fetched batches written (one atomic write each).", metrics->batches.load());
    line("storenode_hq_fetch_errors_total", "Fetches that failed.", metrics->fetch_errors.load());
    line("storenode_hq_stores", "Store streams consumed.", metrics->stores.load(), "gauge");
    line("storenode_hq_connected", "1 while the NATS connection is up.", metrics->connected.load() ? 1 : 0, "gauge");
    line("storenode_hq_unfolded_total", "Accepted events that no view could fold (bad day, duplicate receipt).",
         metrics->unfolded.load());
    line("storenode_hq_last_batch_ms", "Wall-clock ms of the last written batch.", metrics->last_batch_ms.load(), "gauge");
    return out;
  }

  void routes() {
    srv.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, 200, json{{"ok", true}}); });
    srv.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_text(), "text/plain; version=0.0.4");
    });
    srv.Get("/v1/chain/stores", [this](const httplib::Request&, httplib::Response& res) { send_json(res, 200, stores()); });
    srv.Get("/v1/chain/reports/daily", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string day = req.get_param_value("day");
      const std::string st = req.get_param_value("store");
      if (!day.empty() && (day.size() != 10 || day[4] != '-' || day[7] != '-')) {
        return send_error(res, 400, "invalid_day", "day must look like YYYY-MM-DD");
      }
      if (!st.empty() && !uplink_store_ok(st)) return send_error(res, 400, "invalid_store", "no such store id: " + st);
      send_json(res, 200, daily(day, st));
    });
    srv.Get("/v1/chain/stock", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string sku = req.get_param_value("sku");
      if (sku.empty()) return send_error(res, 400, "missing_sku", "give the SKU: /v1/chain/stock?sku=SKU");
      if (sku.find('\0') != std::string::npos || sku.size() > 256) {
        return send_error(res, 400, "invalid_sku", "sku must be 1-256 bytes without NUL");
      }
      send_json(res, 200, stock(sku));
    });
    srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) send_error(res, res.status, res.status == 404 ? "not_found" : "http_error",
                                       "HTTP error " + std::to_string(res.status));
    });
  }

  static bool uplink_store_ok(const std::string& s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
    }
    return true;
  }
};

http_edge::http_edge(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
http_edge::~http_edge() = default;

expected<std::unique_ptr<http_edge>> http_edge::start(const std::string& host_port, const chain_store& store,
                                                      const hq_metrics& metrics) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0) return sn::error{"hq", 5, "--http '" + host_port + "' must look like HOST:PORT"};
  const std::string host = host_port.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(host_port.substr(colon + 1));
  } catch (...) {
    port = 0;
  }
  if (port <= 0 || port > 65535) return sn::error{"hq", 5, "--http '" + host_port + "': bad port"};
  auto p = std::make_unique<impl>();
  p->store = &store;
  p->metrics = &metrics;
  p->routes();
  if (!p->srv.bind_to_port(host.c_str(), port)) {
    return sn::error{"hq", 5, "cannot listen on " + host_port + " (in use or not allowed)"};
  }
  auto* raw = p.get();
  raw->thread = std::thread([raw] { raw->srv.listen_after_bind(); });
  return std::unique_ptr<http_edge>(new http_edge(std::move(p)));
}

} // namespace sn::hq
