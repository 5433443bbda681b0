// storectl's HTTP commands against an in-test node fixture (fake_node.hpp):
// status (one node and --store), events from a node, tail --follow over SSE,
// projections, master set, elections/audit log, diff node vs data dir, and an
// unreachable node.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "tests/unit/tools/fake_node.hpp"
#include "tests/unit/tools/support.hpp"

namespace sn::tools::test {
namespace {

using json = nlohmann::json;

std::string describe(const run_result& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

std::vector<json> json_lines(const std::string& s) {
  std::vector<json> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    if (nl > start) out.push_back(json::parse(s.substr(start, nl - start)));
    start = nl + 1;
  }
  return out;
}

/// Chained events of several origins, added to a fake node in order.
struct feeder {
  explicit feeder(fake_node& n) : node(n) {}
  fake_node& node;
  std::map<std::string, std::pair<std::uint64_t, hash256>> heads;
  std::uint64_t clock_ms = day0_ms;

  template <class Payload>
  event add(const std::string& origin, const Payload& p, std::uint64_t term = 3) {
    auto& [seq, prev] = heads[origin];
    clock_ms += 1000;
    event e = make_event(device_id{origin}, origin_seq{++seq}, hlc_timestamp::from_parts(clock_ms, 0), term_id{term}, p);
    e.prev_hash = prev;
    seal(e);
    prev = e.hash;
    node.add(e);
    return e;
  }
  event sale(const std::string& origin, const std::string& receipt) {
    sale_completed s;
    s.receipt = receipt;
    s.lines.push_back(sale_line{"SKU-A", 1, 250, 0, 2000, 41});
    s.total_cents = 250;
    s.payments.push_back(payment{"cash", 250});
    return add(origin, s);
  }
  event stock(const std::string& origin, std::int64_t qty) { return add(origin, stock_received{"SKU-A", qty, "PO"}); }
};

// Proves: status prints the node's fields for people and passes its JSON
// through with --json; a sync error makes it exit 1.
TEST(http_commands, status_human_and_json) {
  fake_node node;
  feeder f(node);
  f.stock("BO", 5);
  f.sale("POS1", "POS1-000001");
  node.set_status({{"peers", json::array({{{"device_id", "POS2"},
                                           {"address", "tcp://127.0.0.1:7002"},
                                           {"alive", true},
                                           {"role", "client"},
                                           {"priority", 40},
                                           {"term", 3},
                                           {"last_seen_ms", 420}}})}});
  auto r = run_storectl({"status", "--node", node.url()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("POS1  master  term 3  master POS1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 held, position 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("BO:1 POS1:1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("POS2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tcp://127.0.0.1:7002"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("7 at position 0, lag 0, paused no, catching up no, parked 0"), std::string::npos) << r.out;
  auto j = run_storectl({"status", "--node", node.url(), "--json"});
  auto st = json::parse(j.out);
  EXPECT_EQ(st["device_id"], "POS1");
  EXPECT_EQ(st["events_total"], 2);
  node.set_status({{"sync", {{"status", "error"}, {"pending_changes", 4}, {"last_error", "master unreachable"}}}});
  auto bad = run_storectl({"status", "--node", node.url()});
  EXPECT_EQ(bad.exit_code, 1) << describe(bad);
  EXPECT_NE(bad.out.find("sync error: master unreachable"), std::string::npos) << bad.out;
  // /v1/status "projections": the slowest fold; paused or parked is a problem.
  node.set_status({{"sync", {{"status", "synced"}}},
                   {"projections",
                    {{"position", 1}, {"lag", 1}, {"paused", true}, {"catching_up", true}, {"parked", 2}, {"count", 7}}}});
  auto proj = run_storectl({"status", "--node", node.url()});
  EXPECT_EQ(proj.exit_code, 1) << describe(proj);
  EXPECT_NE(proj.out.find("7 at position 1, lag 1, paused yes, catching up yes, parked 2"), std::string::npos)
      << proj.out;
  EXPECT_NE(proj.out.find("2 event(s) parked by projections"), std::string::npos) << proj.out;
  EXPECT_NE(proj.out.find("projections paused"), std::string::npos) << proj.out;
}

// Proves: status --store asks every peer with an HTTP address and prints one
// row per device; an unreachable peer is named and makes it exit 1.
TEST(http_commands, status_store_asks_every_peer) {
  fake_node a, b;
  b.set_status({{"device_id", "POS2"}, {"role", "client"}, {"master", "POS1"}});
  a.set_status({{"peers", json::array({{{"device_id", "POS2"}, {"alive", true}, {"http", b.url()}}})}});
  auto r = run_storectl({"status", "--store", "--node", a.url()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("POS1             master"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("POS2             client"), std::string::npos) << r.out;
  auto j = json::parse(run_storectl({"status", "--store", "--node", a.url(), "--json"}).out);
  EXPECT_EQ(j["devices"].size(), 2u);
  EXPECT_EQ(j["devices"][1]["status"]["device_id"], "POS2");
  a.set_status({{"peers", json::array({{{"device_id", "POS2"}, {"http", b.url()}},
                                       {{"device_id", "POS3"}, {"http", "http://127.0.0.1:1"}}})}});
  auto down = run_storectl({"status", "--store", "--node", a.url()});
  EXPECT_EQ(down.exit_code, 1) << describe(down);
  EXPECT_NE(down.out.find("POS3             unreachable"), std::string::npos) << down.out;
}

// Proves: an unreachable node is exit 2 with a message naming the address.
TEST(http_commands, unreachable_node_exits_2) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"status", "--node", "http://127.0.0.1:1"},
                                                               {"events", "--node", "127.0.0.1:1"},
                                                               {"projections", "--node", "http://127.0.0.1:1"},
                                                               {"master", "set", "POS2", "--node", "127.0.0.1:1"}}) {
    auto r = run_storectl(args);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find("cannot reach node at http://127.0.0.1:1"), std::string::npos) << r.err;
  }
  auto env = run_storectl({"status"}, {{"STORECTL_NODE", std::string("http://127.0.0.1:1")}});
  EXPECT_NE(env.err.find("http://127.0.0.1:1"), std::string::npos) << env.err;
}

// Proves: events and tail read a node's /v1/events pages with the filters.
TEST(http_commands, events_from_a_node) {
  fake_node node;
  feeder f(node);
  for (int i = 0; i < 30; ++i) {
    f.stock("BO", i + 1);
    f.sale(i % 2 ? "POS1" : "POS2", "R" + std::to_string(i));
  }
  auto all = run_storectl({"events", "--node", node.url(), "--limit", "0", "--json"});
  ASSERT_EQ(all.exit_code, 0) << describe(all);
  auto evs = json_lines(all.out);
  ASSERT_EQ(evs.size(), 60u);
  for (std::size_t i = 0; i < evs.size(); ++i) EXPECT_EQ(evs[i]["position"], i + 1);
  auto pos1_sales = json_lines(
      run_storectl({"events", "--node", node.url(), "--type", "sale.*", "--origin", "POS1", "--json"}).out);
  EXPECT_EQ(pos1_sales.size(), 15u);
  for (const auto& e : pos1_sales) EXPECT_EQ(e["origin"], "POS1");
  auto last = json_lines(run_storectl({"events", "tail", "--node", node.url(), "-n", "3", "--type", "stock.received",
                                       "--json"}).out);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[2]["payload"]["qty"], 30);
  EXPECT_EQ(last[0]["payload"]["qty"], 28);
  auto show = run_storectl({"events", "show", "POS1:7", "--node", node.url(), "--json"});
  ASSERT_EQ(show.exit_code, 0) << describe(show);
  auto s = json::parse(show.out);
  EXPECT_EQ(s["payload"]["receipt"], "R13");
  EXPECT_EQ(s["chain"]["prev_ok"], true);
  EXPECT_EQ(s["chain"]["next_ok"], true);
}

// Proves: tail --follow prints the backlog, then events the node appends
// after it started, in order, with the type and origin filters applied.
TEST(http_commands, tail_follow_sees_new_events_in_order_with_filters) {
  fake_node node;
  feeder f(node);
  f.sale("POS1", "OLD-1");
  f.sale("POS1", "OLD-2");
  f.stock("BO", 1);
  running_storectl tail(
      {"events", "tail", "--follow", "--node", node.url(), "-n", "1", "--type", "sale.*", "--origin", "POS1", "--json"});
  auto first = tail.next_line(std::chrono::seconds(20));
  ASSERT_TRUE(first) << tail.stop_and_stderr();
  EXPECT_EQ(json::parse(*first)["payload"]["receipt"], "OLD-2");
  // Wait for the subscription before appending (a real node streams from "now").
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (node.open_streams() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(node.open_streams(), 1);
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) {
    f.stock("BO", 1);                              // other type: filtered
    f.sale("POS2", "OTHER-" + std::to_string(i));  // other origin: filtered
    want.push_back("NEW-" + std::to_string(i));
    f.sale("POS1", want.back());
  }
  std::uint64_t last_pos = 0;
  for (const auto& receipt : want) {
    auto line = tail.next_line(std::chrono::seconds(20));
    ASSERT_TRUE(line) << "missing " << receipt << "; stderr: " << tail.stop_and_stderr();
    auto ev = json::parse(*line);
    EXPECT_EQ(ev["payload"]["receipt"], receipt);
    EXPECT_EQ(ev["origin"], "POS1");
    EXPECT_GT(ev["position"].get<std::uint64_t>(), last_pos);
    last_pos = ev["position"];
  }
  EXPECT_FALSE(tail.next_line(std::chrono::milliseconds(200)));  // nothing else came through
}

// Proves: projections lists one row per projection from /v1/projections (the
// node's shape: state, position, lag, counters, digest), passes its JSON
// through; rebuild/pause/resume post to the projection's endpoint, "all" too;
// a name that is no projection is refused before asking the node (exit 2,
// the names listed); parked events are listed and exit 1.
TEST(http_commands, projections_operations) {
  fake_node node;
  auto row = [](std::uint64_t pos, std::uint64_t lag, bool paused, bool catching_up, std::uint64_t parked) {
    return json{{"position", pos},       {"lag", lag},       {"applied", pos},     {"skipped_unknown", 2},
                {"parked", parked},      {"paused", paused}, {"catching_up", catching_up},
                {"digest", std::string(64, 'a')}};
  };
  json reply = {{"projections", json::object()}, {"parked_events", json::array()}, {"conflicts_recorded", 0},
                {"write_failures", 0}};
  for (const char* n : {"catalog", "inventory", "sales", "daily", "devices", "elections", "audit"}) {
    reply["projections"][n] = row(120, 0, false, false, 0);
  }
  reply["projections"]["sales"] = row(117, 3, false, true, 0);
  node.set_reply("/v1/projections", reply);
  auto st = run_storectl({"projections", "--node", node.url()});
  ASSERT_EQ(st.exit_code, 0) << describe(st);
  EXPECT_NE(st.out.find("catalog     running      120          0        120          2        0       aaaaaaaaaaaaaaaa"),
            std::string::npos)
      << st.out;
  EXPECT_NE(st.out.find("sales       catching_up  117          3        117"), std::string::npos) << st.out;
  EXPECT_EQ(json::parse(run_storectl({"projections", "status", "--node", node.url(), "--json"}).out)["projections"]
                ["sales"]["lag"],
            3);
  for (const char* action : {"rebuild", "pause", "resume"}) {
    auto r = run_storectl({"projections", action, "inventory", "--node", node.url()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
  }
  auto all = run_storectl({"projections", "pause", "all", "--node", node.url()});
  EXPECT_EQ(all.exit_code, 0) << describe(all);
  auto old = run_storectl({"projections", "resume", "retail_views", "--node", node.url()});
  EXPECT_EQ(old.exit_code, 0) << describe(old);
  auto reqs = node.requests();
  for (const char* want : {"POST /v1/projections/inventory/rebuild {}", "POST /v1/projections/inventory/pause {}",
                           "POST /v1/projections/inventory/resume {}", "POST /v1/projections/all/pause {}",
                           "POST /v1/projections/all/resume {}"}) {
    EXPECT_NE(std::find(reqs.begin(), reqs.end(), want), reqs.end()) << want;
  }
  const auto asked = node.requests().size();
  auto bad = run_storectl({"projections", "rebuild", "stocks", "--node", node.url()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'stocks' is not a projection: catalog, inventory, sales, daily, devices, elections, audit"),
            std::string::npos)
      << bad.err;
  EXPECT_EQ(node.requests().size(), asked);
  reply["projections"]["sales"] = row(117, 3, true, false, 1);
  reply["parked_events"] = {{{"origin", "POS1"}, {"seq", 9}, {"type", 300}, {"reason", "duplicate receipt"}}};
  node.set_reply("/v1/projections", reply);
  auto parked = run_storectl({"projections", "--node", node.url()});
  EXPECT_EQ(parked.exit_code, 1) << describe(parked);
  EXPECT_NE(parked.out.find("sales       paused"), std::string::npos) << parked.out;
  EXPECT_NE(parked.out.find("parked POS1:9 type 300: duplicate receipt"), std::string::npos) << parked.out;
}

// Proves: master set posts {"device_id": ID} to /v1/master.
TEST(http_commands, master_set_posts_the_override) {
  fake_node node;
  auto r = run_storectl({"master", "set", "POS2", "--node", node.url()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto reqs = node.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0], "POST /v1/master {\"device_id\":\"POS2\"}");
  auto bad = run_storectl({"master", "set", "not valid", "--node", node.url()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(node.requests().size(), 1u);
}

// Proves: elections and audit log from a node pass the filters to it and
// apply them to the rows as well.
TEST(http_commands, elections_and_audit_from_a_node) {
  fake_node node;
  node.set_reply("/v1/elections",
                 json::array({{{"previous_master", "POS1"}, {"new_master", "POS2"}, {"term", 4}, {"reason", "failure"},
                               {"time", "2026-11-24T10:00:00.000Z"}, {"participants", {"POS2", "BO"}}},
                              {{"previous_master", nullptr}, {"new_master", "POS1"}, {"term", 3}, {"reason", "startup"},
                               {"time", "2026-11-24T08:00:00.000Z"}, {"participants", {"POS1", "POS2", "BO"}}}}));
  auto all = json_lines(run_storectl({"elections", "--node", node.url(), "--json"}).out);
  EXPECT_EQ(all.size(), 2u);
  auto fail = json_lines(run_storectl({"elections", "--node", node.url(), "--reason", "failure", "--json"}).out);
  ASSERT_EQ(fail.size(), 1u);
  EXPECT_EQ(fail[0]["term"], 4);
  auto since = json_lines(
      run_storectl({"elections", "--node", node.url(), "--since", "2026-11-24T09:00:00Z", "--json"}).out);
  EXPECT_EQ(since.size(), 1u);
  node.set_reply("/v1/audit", {{"entries", json::array({{{"operation", "conflict_resolution"}, {"device", "BO"},
                                                        {"register", "product.price"}, {"key", "SKU-A"},
                                                        {"winner", "BO:4"}, {"loser", "POS1:9"},
                                                        {"time", "2026-11-24T17:00:00.000Z"}}})},
                               {"count", 1}});
  auto a = run_storectl({"audit", "log", "--node", node.url(), "--device", "POS1"});
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  EXPECT_NE(a.out.find("product.price[SKU-A]"), std::string::npos) << a.out;
  auto since_ms = run_storectl({"audit", "log", "--node", node.url(), "--device", "POS1", "--since",
                                "2026-11-24T00:00:00Z", "--json"});
  EXPECT_EQ(json_lines(since_ms.out).size(), 1u) << describe(since_ms);
  auto reqs = node.requests();
  EXPECT_NE(std::find(reqs.begin(), reqs.end(), "GET /v1/audit?device=POS1"), reqs.end());
  // The node takes times as epoch milliseconds (node/http_api.cpp).
  EXPECT_NE(std::find(reqs.begin(), reqs.end(), "GET /v1/audit?device=POS1&since=" + std::to_string(day0_ms)), reqs.end());
}

// Proves: diff compares a node's /v1/digest with a data dir replayed in
// memory: equal digests and versions exit 0, a differing digest exits 1.
TEST(http_commands, diff_node_against_data_dir) {
  temp_dir dir;
  const std::string data = dir.path() + "/data";
  sample_store::write(data);
  auto replay = json::parse(run_storectl({"replay", "--data", data, "--json"}).out);
  fake_node node;
  node.set_reply("/v1/digest", {{"projections", replay["digests"]},
                                {"version_vector", {{"BO", 9}, {"POS1", 2}, {"POS2", 1}}}});
  auto same = run_storectl({"diff", node.url(), data});
  EXPECT_EQ(same.exit_code, 0) << describe(same);
  json changed = replay["digests"];
  changed["sales"] = std::string(64, '0');
  node.set_reply("/v1/digest", {{"projections", changed}, {"version_vector", {{"BO", 9}, {"POS1", 1}, {"POS2", 1}}}});
  auto d = run_storectl({"diff", node.url(), data});
  EXPECT_EQ(d.exit_code, 1) << describe(d);
  EXPECT_NE(d.out.find("B has POS1:2..2 (1 event(s)) that A lacks"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("sales        differs"), std::string::npos) << d.out;
  // This fixture serves no bucket endpoints: the keys are not named, and
  // diff says why instead of failing (a node of an earlier build).
  EXPECT_NE(d.out.find("sales: keys not named: "), std::string::npos) << d.out;
  auto j = json::parse(run_storectl({"diff", node.url(), data, "--json"}).out);
  EXPECT_TRUE(j["projections"]["sales"]["descent"].contains("error")) << j.dump();
}

} // namespace
} // namespace sn::tools::test
