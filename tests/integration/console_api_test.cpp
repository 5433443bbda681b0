// The API the store console stands on (issue 11), against a real node:
// the console's files with their security headers and no CORS; the SSE
// streams' named kinds (log events under their type with their position as
// id, the status kinds without one) and resume after Last-Event-ID; devices
// with online/last_seen; PUT /v1/devices refusing fields it does not take
// and appending nothing when nothing changes; elections and audit filtered on
// the server with RFC 3339 and relative times.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

class console_api : public ::testing::Test {
 protected:
  temp_dir dir;
  std::filesystem::path data() const { return dir.path() / "data"; }
};

/// Reads an SSE stream for up to `wait` (or until `enough` says so) and
/// returns what arrived.
std::string read_stream(node_process& n, const std::string& path, const httplib::Headers& h,
                        const std::function<bool(const std::string&)>& enough, std::chrono::seconds wait) {
  httplib::Client c("127.0.0.1", n.http_port());
  n.authorize(c);
  c.set_read_timeout(static_cast<time_t>(wait.count()), 0);
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  c.Get(path.c_str(), h, [&](const char* data, size_t len) {
    got.append(data, len);
    return !enough(got) && std::chrono::steady_clock::now() < deadline;
  });
  return got;
}

TEST_F(console_api, console_files_are_served_open_with_strict_headers_and_no_cors) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  httplib::Client c("127.0.0.1", n.http_port());
  httplib::Headers origin{{"Origin", "http://elsewhere.example"}};
  auto r = c.Get("/", origin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("/console/app.js"), std::string::npos);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  const std::string etag = r->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  r = c.Get("/", {{"If-None-Match", etag}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  r = c.Get("/console/app.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/javascript", 0), 0u);
  r = c.Get("/console/nothing.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.Options("/v1/sales", origin);  // no preflight answer that would let another origin in
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  r = c.Get("/v1/status", origin);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
}

TEST_F(console_api, streams_name_their_kinds_and_resume_after_last_event_id) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/status").value("role", "") == "master"; }));
  // The log from its start: each event under its type, with its position as id.
  std::string all = read_stream(
      n, "/v1/events/stream?from=1", {},
      [](const std::string& s) { return s.find("event: master.changed") != std::string::npos; },
      std::chrono::seconds(10));
  // The store's genesis first (the harness creates the store on a first start).
  EXPECT_NE(all.find("id: 1\nevent: store.created\n"), std::string::npos) << all;
  EXPECT_NE(all.find("id: 2\nevent: device.enrolled\n"), std::string::npos) << all;
  EXPECT_NE(all.find("event: device.registered\n"), std::string::npos) << all;
  EXPECT_NE(all.find("event: master.changed"), std::string::npos) << all;
  EXPECT_NE(all.find("event: role.changed\ndata: "), std::string::npos) << all;
  EXPECT_NE(all.find("event: sync.status\ndata: "), std::string::npos) << all;
  EXPECT_EQ(all.find("event: event\n"), std::string::npos) << all;
  // Resume: after Last-Event-ID 1 the stream starts at position 2.
  std::string resumed = read_stream(
      n, "/v1/events/stream", {{"Last-Event-ID", "1"}},
      [](const std::string& s) { return s.find("id: 2\n") != std::string::npos; }, std::chrono::seconds(10));
  EXPECT_NE(resumed.find("id: 2\n"), std::string::npos) << resumed;
  EXPECT_EQ(resumed.find("id: 1\n"), std::string::npos) << resumed;
  // The status stream (every role): status kinds and no sale.
  auto r = n.post("/v1/products", R"({"sku":"MILK","name":"Milk","price_cents":100})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  std::string status = read_stream(
      n, "/v1/status/stream?from=1", {},
      [](const std::string& s) { return s.find("event: sync.status") != std::string::npos; }, std::chrono::seconds(10));
  EXPECT_NE(status.find("event: role.changed"), std::string::npos) << status;
  // The store's only device has nobody to sync with: standalone, not offline.
  EXPECT_NE(status.find(R"("status":"standalone")"), std::string::npos) << status;
  EXPECT_EQ(n.get_json("/v1/status")["sync"].value("status", ""), "standalone");
  // The zone the console shows times and "today" in (store.time_zone, default UTC).
  EXPECT_EQ(n.get_json("/v1/status")["store"].value("time_zone", ""), "UTC");
  EXPECT_NE(status.find("event: master.changed"), std::string::npos) << status;
  EXPECT_EQ(status.find("product.upserted"), std::string::npos) << status;
}

TEST_F(console_api, devices_put_refuses_other_fields_and_a_no_op_appends_nothing) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  ASSERT_TRUE(eventually([&] {
    const auto e = n.get_json("/v1/elections")["elections"];
    return e.is_array() && !e.empty() && n.get_json("/v1/status").value("role", "") == "master";
  }));
  const std::string id = n.options().device_id;
  auto devices = n.get_json("/v1/devices")["devices"];
  ASSERT_TRUE(devices.is_array() && !devices.empty());
  EXPECT_EQ(devices[0]["online"], true);
  EXPECT_TRUE(devices[0]["last_seen"].is_string());
  httplib::Client c("127.0.0.1", n.http_port());
  n.authorize(c);
  auto r = c.Put(("/v1/devices/" + id).c_str(), R"({"role":"master"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("invalid_field"), std::string::npos) << r->body;
  r = c.Put(("/v1/devices/" + id).c_str(), R"({"priorty":3})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  const auto before = n.get_json("/v1/status")["events_total"];
  const int priority = devices[0]["priority"];
  r = c.Put(("/v1/devices/" + id).c_str(), json{{"priority", priority}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(n.get_json("/v1/status")["events_total"], before) << "a no-op PUT appended";
  r = c.Put(("/v1/devices/" + id).c_str(), json{{"priority", priority + 1}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(n.get_json("/v1/status")["events_total"].get<int>(), before.get<int>() + 1);
}

TEST_F(console_api, elections_and_audit_filter_on_the_server_with_rfc3339_and_relative_times) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/elections").value("count", 0) >= 1; }));
  EXPECT_EQ(n.get_json("/v1/elections?reason=startup")["elections"].size(), 1u);
  EXPECT_EQ(n.get_json("/v1/elections?reason=failure")["elections"].size(), 0u);
  EXPECT_EQ(n.get_json("/v1/elections?device=NOPE")["elections"].size(), 0u);
  EXPECT_EQ(n.get_json("/v1/elections?since=-1h&reason=startup")["elections"].size(), 1u);
  EXPECT_EQ(n.get_json("/v1/elections?until=2000-01-01T00:00:00Z")["elections"].size(), 0u);
  EXPECT_EQ(n.get_json("/v1/elections?since=1970-01-02")["elections"].size(), 1u);
  auto r = n.get("/v1/elections?since=yesterday");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("invalid_parameter"), std::string::npos);
  r = n.get("/v1/audit?since=-2h&until=now");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = n.get("/v1/audit?since=2026-13-01");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
}

}  // namespace
