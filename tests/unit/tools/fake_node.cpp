#include "tests/unit/tools/fake_node.hpp"

#include <fnmatch.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "tools/event_format.hpp"

namespace sn::tools::test {

using json = nlohmann::json;

fake_node::fake_node() : server_(std::make_unique<httplib::Server>()) {
  status_ = {{"device_id", "POS1"},
             {"role", "master"},
             {"term", 3},
             {"master", "POS1"},
             {"version_vector", json::object()},
             {"peers", json::array()},
             {"sync", {{"status", "synced"}, {"pending_changes", 0}, {"last_sync_ms", 0}, {"last_error", ""}}},
             {"projections",
              {{"position", 0}, {"lag", 0}, {"paused", false}, {"catching_up", false}, {"parked", 0}, {"count", 7}}}};
  auto& s = *server_;
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"ok":true})", "application/json");
  });
  s.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(mu_);
    json st = status_;
    st["events_total"] = events_.size();
    st["position"] = events_.size();
    res.set_content(st.dump(), "application/json");
  });
  s.Get("/v1/events", [this](const httplib::Request& req, httplib::Response& res) {
    const std::uint64_t from = req.has_param("from") ? std::stoull(req.get_param_value("from")) : 1;
    const std::size_t limit = req.has_param("limit") ? std::stoull(req.get_param_value("limit")) : 100;
    const std::string type = req.get_param_value("type"), origin = req.get_param_value("origin");
    std::lock_guard<std::mutex> lk(mu_);
    json out = {{"events", json::array()}};
    std::uint64_t next = from;
    // Like the node: looks at up to `limit` positions and reports where to go on.
    for (std::uint64_t p = std::max<std::uint64_t>(from, 1); p <= events_.size() && p < from + limit; ++p) {
      const json& ev = events_[p - 1];
      next = p + 1;
      if (!type.empty() && ev["type"] != type) continue;
      if (!origin.empty() && ev["origin"] != origin) continue;
      out["events"].push_back(ev);
    }
    out["next"] = next;
    res.set_content(out.dump(), "application/json");
  });
  s.Get("/v1/events/stream", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string type = req.get_param_value("type"), origin = req.get_param_value("origin");
    std::size_t index;
    {
      std::lock_guard<std::mutex> lk(mu_);
      index = events_.size();  // a stream carries what is appended after it opened
    }
    auto next = std::make_shared<std::size_t>(index);
    auto counted = std::make_shared<bool>(false);
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, next, counted, type, origin](std::size_t, httplib::DataSink& sink) {
          std::unique_lock<std::mutex> lk(mu_);
          if (!*counted) {
            *counted = true;
            ++open_streams_;
            cv_.notify_all();
          }
          cv_.wait_for(lk, std::chrono::milliseconds(50), [&] { return stopping_ || *next < events_.size(); });
          if (stopping_) return false;
          std::string chunk;
          for (; *next < events_.size(); ++*next) {
            const json& ev = events_[*next];
            if (!type.empty() && fnmatch(type.c_str(), ev["type"].get<std::string>().c_str(), 0) != 0) continue;
            if (!origin.empty() && ev["origin"] != origin) continue;
            chunk += "id: " + ev["position"].dump() + "\nevent: event\ndata: " + ev.dump() + "\n\n";
          }
          lk.unlock();
          if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
          return sink.is_writable();
        },
        [this, counted](bool) {
          std::lock_guard<std::mutex> lk(mu_);
          if (*counted) --open_streams_;
        });
  });
  for (const char* path : {"/v1/digest", "/v1/elections", "/v1/audit", "/v1/projections"}) {
    std::string p = path;
    s.Get(path, [this, p](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lk(mu_);
      std::string key = p;
      if (!req.params.empty()) {
        key += "?";
        for (const auto& [k, v] : req.params) key += k + "=" + v + "&";
        key.pop_back();
      }
      requests_.push_back("GET " + key);
      res.set_content(reply_for(p).dump(), "application/json");
    });
  }
  s.Post(R"(/v1/projections/([^/]+)/(rebuild|pause|resume))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(mu_);
    requests_.push_back("POST " + req.path + " " + req.body);
    const std::string name = req.matches[1];
    static const std::vector<std::string> names = {"catalog", "inventory", "sales", "daily",
                                                   "devices", "elections", "audit", "all"};
    if (std::find(names.begin(), names.end(), name) == names.end()) {  // as node/http_api.cpp answers
      res.status = 404;
      res.set_content(
          R"x({"error":{"code":"unknown_projection","message":"projections: catalog, inventory, sales, daily, devices, elections, audit, or all"}})x",
          "application/json");
      return;
    }
    const std::string action = req.matches[2];
    json reply = action == "rebuild" ? json{{"rebuilt", name}, {"events", 12}}
                 : action == "pause" ? json{{"paused", name}}
                                     : json{{"resumed", name}};
    res.set_content(reply.dump(), "application/json");
  });
  s.Post("/v1/master", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(mu_);
    requests_.push_back("POST " + req.path + " " + req.body);
    res.set_content(R"({"accepted":true})", "application/json");
  });
  port_ = s.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fake_node: bind failed");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
}

fake_node::~fake_node() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  server_->stop();
  thread_.join();
}

std::string fake_node::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void fake_node::add(const event& e) {
  std::lock_guard<std::mutex> lk(mu_);
  events_.push_back(event_json(e, events_.size() + 1));
  status_["version_vector"][e.origin.value()] = e.seq.value();
  cv_.notify_all();
}

void fake_node::set_status(const json& fields) {
  std::lock_guard<std::mutex> lk(mu_);
  status_.update(fields);
}

void fake_node::set_reply(const std::string& path, const json& body) {
  std::lock_guard<std::mutex> lk(mu_);
  replies_[path] = body;
}

json fake_node::reply_for(const std::string& path) const {
  auto it = replies_.find(path);
  return it == replies_.end() ? json::object() : it->second;
}

std::vector<std::string> fake_node::requests() const {
  std::lock_guard<std::mutex> lk(mu_);
  return requests_;
}

int fake_node::open_streams() const {
  std::lock_guard<std::mutex> lk(mu_);
  return open_streams_;
}

} // namespace sn::tools::test
