// storectl against a real storenode process (issue 6): status and events from
// the node's HTTP API, diff of the node against its own data dir while it
// runs, replay of the data dir giving the digests the node showed (also at a
// point in time: what the node showed then), diff naming the key of a price
// change between two real nodes, and the projections commands.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/integration/node_process.hpp"
#include "tests/integration/storectl_runner.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

run_result storectl(const std::string& args) { return run_storectl(args, stderr_to::nowhere); }

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    if (nl > at) out.push_back(json::parse(text.substr(at, nl - at), nullptr, false));
    at = nl + 1;
  }
  return out;
}

TEST(storectl_node, status_events_diff_and_replay_against_a_real_node) {
  temp_dir dir;
  const auto data = dir.path() / "data";
  node_process n(data, {});
  ASSERT_TRUE(n.start()) << n.log_text();
  ASSERT_TRUE(n.post("/v1/products", R"({"sku":"MILK","name":"Milk","price_cents":129,"tax_rate_bp":700})"));
  ASSERT_TRUE(n.post("/v1/stock/receipts", R"({"sku":"MILK","qty":50})"));
  for (int i = 0; i < 5; ++i) {
    auto r = n.post("/v1/sales", R"({"lines":[{"sku":"MILK","qty":2}],"payments":[{"method":"card","amount_cents":258}]})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/inventory/MILK").value("on_hand", 0) == 40; }));
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/status")["role"] == "master"; }));

  // storectl carries the session in STORENODE_TOKEN (docs/operations.md "storectl and staff").
  ::setenv("STORENODE_TOKEN", n.token().c_str(), 1);
  auto status = storectl("status --node " + n.url() + " --json");
  EXPECT_EQ(status.exit_code, 0) << status.out;
  auto s = json::parse(status.out, nullptr, false);
  EXPECT_EQ(s["device_id"], "POS1");
  EXPECT_EQ(s["role"], "master");
  // The text form names the node's memory and its disk (docs/operations.md "status").
  auto text = storectl("status --node " + n.url());
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("memory       cache "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("disk         "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("compaction debt"), std::string::npos) << text.out;

  auto events = storectl("events --node " + n.url() + " --type 'sale.*' --json");
  EXPECT_EQ(events.exit_code, 0);
  auto lines = json_lines(events.out);
  ASSERT_EQ(lines.size(), 5u);
  for (auto& l : lines) EXPECT_EQ(l["type"], "sale.completed");

  // The node and its own data dir (opened read-only while the node runs) agree.
  auto diff = storectl("diff " + n.url() + " " + data.string());
  EXPECT_EQ(diff.exit_code, 0) << diff.out;

  const json digests = n.get_json("/v1/digest")["projections"];
  ASSERT_TRUE(n.stop());
  auto replay = storectl("replay --data " + data.string() + " --json --progress never");
  ASSERT_EQ(replay.exit_code, 0) << replay.out;
  auto r = json::parse(replay.out, nullptr, false);
  ASSERT_TRUE(r.is_object()) << replay.out;
  EXPECT_EQ(r["digests"], digests) << replay.out;

  auto audit = storectl("audit verify --data " + data.string());
  EXPECT_EQ(audit.exit_code, 0) << audit.out;
}

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// Proves: replay --until T (and --until-pos N) of the data dir gives the
// digests the node itself showed when it held only the events up to T, after
// more events came in (a point in time rebuilt from the log).
TEST(storectl_node, replay_until_gives_the_digests_the_node_had_then) {
  temp_dir dir;
  const auto data = dir.path() / "data";
  node_process n(data, {});
  ASSERT_TRUE(n.start()) << n.log_text();
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/status")["role"] == "master"; }));
  ASSERT_TRUE(n.post("/v1/products", R"({"sku":"MILK","name":"Milk","price_cents":129,"tax_rate_bp":700})"));
  ASSERT_TRUE(n.post("/v1/stock/receipts", R"({"sku":"MILK","qty":50})"));
  auto sale = n.post("/v1/sales", R"({"lines":[{"sku":"MILK","qty":2}],"payments":[{"method":"card","amount_cents":258}]})");
  ASSERT_TRUE(sale && sale->status == 201);
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/inventory/MILK").value("on_hand", 0) == 48; }));
  const json then = n.get_json("/v1/digest");
  const std::uint64_t then_pos = n.get_json("/v1/status")["position"];
  for (const auto& [name, pos] : then["positions"].items()) ASSERT_EQ(pos, then_pos) << name;
  // T: after every event so far; later events get a later HLC wall time.
  const std::uint64_t t = wall_ms();
  ASSERT_TRUE(eventually([&] { return wall_ms() > t; }));
  ASSERT_TRUE(n.post("/v1/products/MILK/price", R"({"price_cents":139})"));
  for (int i = 0; i < 3; ++i) {
    auto r = n.post("/v1/sales", R"({"lines":[{"sku":"MILK","qty":1}],"payments":[{"method":"cash","amount_cents":139}]})");
    ASSERT_TRUE(r && r->status == 201);
  }
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/inventory/MILK").value("on_hand", 0) == 45; }));
  const json now = n.get_json("/v1/digest");
  ASSERT_NE(now["projections"]["catalog"], then["projections"]["catalog"]);
  ASSERT_TRUE(n.stop());

  // --until takes RFC 3339: T in UTC with milliseconds.
  const std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[64];
  std::snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(t % 1000));
  auto r = storectl("replay --data " + data.string() + " --until " + when + " --json --progress never");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["digests"], then["projections"]) << r.out;
  auto by_pos = storectl("replay --data " + data.string() + " --until-pos " + std::to_string(then_pos) +
                         " --json --progress never");
  EXPECT_EQ(json::parse(by_pos.out, nullptr, false)["digests"], then["projections"]) << by_pos.out;
  auto whole = storectl("replay --data " + data.string() + " --json --progress never");
  EXPECT_EQ(json::parse(whole.out, nullptr, false)["digests"], now["projections"]) << whole.out;
}

// Proves: two real nodes (B started on a copy of A's data dir) that differ by
// one price change on A: diff of the two nodes exits 1 and names the catalog
// key of that SKU through the nodes' bucket endpoints; diff of node A and the
// copy (a data dir, replayed) names it as well; the projections commands
// list every projection by name and control one.
TEST(storectl_node, diff_names_the_key_of_a_price_change_between_two_nodes) {
  temp_dir dir;
  const auto data_a = dir.path() / "a";
  const auto data_b = dir.path() / "b";
  {
    node_process a(data_a, {});
    ASSERT_TRUE(a.start()) << a.log_text();
    ASSERT_TRUE(a.post("/v1/products", R"({"sku":"MILK","name":"Milk","price_cents":129,"tax_rate_bp":700})"));
    ASSERT_TRUE(a.post("/v1/products", R"({"sku":"EGGS","name":"Eggs","price_cents":299,"tax_rate_bp":700})"));
    ASSERT_TRUE(eventually([&] { return a.get_json("/v1/products")["count"] == 2; }));
    ASSERT_TRUE(a.stop());
  }
  std::filesystem::copy(data_a, data_b, std::filesystem::copy_options::recursive);
  node_process a(data_a, {});
  node_process b(data_b, {});
  ASSERT_TRUE(a.start()) << a.log_text();
  ASSERT_TRUE(b.start()) << b.log_text();
  ASSERT_TRUE(a.post("/v1/products/MILK/price", R"({"price_cents":139})"));
  ASSERT_TRUE(eventually([&] { return a.get_json("/v1/products/MILK")["price_cents"] == 139; }));

  // A command on two nodes needs a session at each (sessions are bound to
  // their node): storectl login at both, the PIN from a 0600 file on stdin,
  // the tokens kept per node under XDG_CONFIG_HOME.
  ::unsetenv("STORENODE_TOKEN");
  ::setenv("XDG_CONFIG_HOME", (dir.path() / "config").c_str(), 1);
  const auto pin_file = dir.path() / "pin";
  {
    std::ofstream pin(pin_file);
    pin << node_process::test_admin_pin << "\n";
  }
  std::filesystem::permissions(pin_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  for (node_process* n : {&a, &b}) {
    auto login = storectl("login --node " + n->url() + " --staff admin < " + pin_file.string());
    ASSERT_EQ(login.exit_code, 0) << login.out;
  }
  const auto tokens = dir.path() / "config" / "storenode" / "tokens";
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tokens), {}), 2);
  EXPECT_EQ(std::filesystem::status(tokens / "127.0.0.1_" += std::to_string(a.http_port())).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto d = storectl("diff " + a.url() + " " + b.url() + " --json");
  EXPECT_EQ(d.exit_code, 1) << d.out;
  auto j = json::parse(d.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << d.out;
  const json& cat = j["projections"]["catalog"];
  ASSERT_EQ(cat["state"], "differs") << d.out;
  ASSERT_TRUE(cat["descent"]["keys"].is_array()) << cat.dump();
  ASSERT_EQ(cat["descent"]["keys"].size(), 1u) << cat.dump();
  EXPECT_EQ(cat["descent"]["keys"][0]["key"], "product MILK");
  EXPECT_EQ(cat["descent"]["keys"][0]["state"], "value_differs");
  EXPECT_EQ(j["projections"]["inventory"]["state"], "same") << d.out;
  auto text = storectl("diff " + a.url() + " " + b.url());
  EXPECT_NE(text.out.find("value differs  product MILK"), std::string::npos) << text.out;

  // Node against a data dir: B's (stopped) copy, replayed.
  ASSERT_TRUE(b.stop());
  auto nd = storectl("diff " + a.url() + " " + data_b.string() + " --json");
  EXPECT_EQ(nd.exit_code, 1) << nd.out;
  auto k = json::parse(nd.out, nullptr, false);
  ASSERT_TRUE(k.is_object()) << nd.out;
  bool named = false;
  for (const auto& key : k["projections"]["catalog"]["descent"]["keys"]) {
    named = named || (key["key"] == "product MILK" && key["state"] == "value_differs");
  }
  EXPECT_TRUE(named) << nd.out;

  // projections: every projection by name, JSON passed through, one rebuilt.
  auto st = storectl("projections --node " + a.url());
  EXPECT_EQ(st.exit_code, 0) << st.out;
  for (const char* name : {"catalog", "inventory", "sales", "daily", "devices", "elections", "audit"}) {
    EXPECT_NE(st.out.find(name), std::string::npos) << name << " in\n" << st.out;
  }
  auto sj = json::parse(storectl("projections status --json --node " + a.url()).out, nullptr, false);
  EXPECT_TRUE(sj["projections"]["catalog"].is_object()) << sj.dump();
  auto rebuild = storectl("projections rebuild catalog --node " + a.url());
  EXPECT_EQ(rebuild.exit_code, 0) << rebuild.out;
  EXPECT_EQ(a.get_json("/v1/products/MILK")["price_cents"], 139);
  auto bad = storectl("projections rebuild stocks --node " + a.url());
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
}

} // namespace
