// storectl against a real storenode process (issue 6): status and events from
// the node's HTTP API, diff of the node against its own data dir while it
// runs, and replay of the data dir giving the digests the node showed.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

struct run_result {
  int exit_code = -1;
  std::string out;
};

run_result storectl(const std::string& args) {
  run_result r;
  std::string cmd = std::string(STORECTL_PATH) + " " + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

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

  auto status = storectl("status --node " + n.url() + " --json");
  EXPECT_EQ(status.exit_code, 0) << status.out;
  auto s = json::parse(status.out, nullptr, false);
  EXPECT_EQ(s["device_id"], "POS1");
  EXPECT_EQ(s["role"], "master");

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

} // namespace
