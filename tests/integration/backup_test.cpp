// storectl backup against a real storenode process (issue 12 item 3): a node
// sells, storectl backs its data dir up while it runs and keeps selling (the
// node takes the checkpoint: storage/checkpoint.hpp), then the backup audits
// clean, holds every sale acknowledged before the backup began, and a node
// starts on it and serves those sales. With the node stopped, storectl takes
// the backup itself. A target that exists is refused.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "tests/integration/node_process.hpp"
#include "tests/integration/storectl_runner.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

run_result storectl(const std::string& args) { return run_storectl(args); }

const char* sale_body = R"({"lines":[{"sku":"MILK","qty":1}],"payments":[{"method":"card","amount_cents":129}]})";

/// Sells one unit; the receipt of the acknowledged sale, or "" if it was not.
std::string sell(httplib::Client& cl) {
  auto r = cl.Post("/v1/sales", sale_body, "application/json");
  if (!r || r->status != 201) return {};
  auto j = json::parse(r->body, nullptr, false);
  return j.is_object() ? j.value("receipt", std::string()) : std::string();
}

TEST(backup, while_the_node_runs_and_sells_then_restore_and_offline) {
  temp_dir dir;
  const auto data = dir.path() / "data";
  node_process n(data, {});
  ASSERT_TRUE(n.start()) << n.log_text();
  ASSERT_TRUE(n.post("/v1/products", R"({"sku":"MILK","name":"Milk","price_cents":129})"));
  ASSERT_TRUE(n.post("/v1/stock/receipts", R"({"sku":"MILK","qty":100000})"));

  httplib::Client cl("127.0.0.1", n.http_port());
  n.authorize(cl);
  std::vector<std::string> acked;  // receipts acknowledged so far, in order
  for (int i = 0; i < 30; ++i) {
    auto receipt = sell(cl);
    ASSERT_FALSE(receipt.empty());
    acked.push_back(receipt);
  }

  // A till keeps selling on another connection during the backup.
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::thread till([&] {
    httplib::Client c2("127.0.0.1", n.http_port());
    n.authorize(c2);  // the token was signed in above, before this thread
    while (!stop.load()) {
      auto receipt = sell(c2);
      if (receipt.empty()) continue;
      std::lock_guard<std::mutex> lock(mu);
      acked.push_back(receipt);
    }
  });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size() >= 40;
  }));
  std::vector<std::string> before_backup;
  {
    std::lock_guard<std::mutex> lock(mu);
    before_backup = acked;
  }
  // No --node: storectl finds the node's address in the data dir.
  const auto b1 = dir.path() / "backup-1";
  // storectl carries the admin's session (backup is an admin's command).
  ::setenv("STORENODE_TOKEN", n.token().c_str(), 1);
  auto r = storectl("backup --data " + data.string() + " --to " + b1.string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << n.log_text();
  auto report = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << r.out;
  EXPECT_EQ(report["by"], n.url());
  // The same again with --node given, while selling goes on.
  const auto b2 = dir.path() / "backup-2";
  r = storectl("backup --data " + data.string() + " --to " + b2.string() + " --node " + n.url());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("taken by " + n.url()), std::string::npos) << r.out;
  stop.store(true);
  till.join();
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(sell(cl).empty());  // and sells on

  // A target that exists is refused, and nothing is written into it.
  r = storectl("backup --data " + data.string() + " --to " + b1.string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("already exists"), std::string::npos) << r.out;

  // The backup audits clean and holds every sale acknowledged before it began.
  for (const auto& b : {b1, b2}) {
    r = storectl("audit verify --data " + b.string());
    EXPECT_EQ(r.exit_code, 0) << b << ": " << r.out;
  }
  r = storectl("events --data " + b1.string() + " --type sale.completed --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const auto& receipt : before_backup) {
    EXPECT_NE(r.out.find("\"" + receipt + "\""), std::string::npos) << "sale " << receipt << " missing from the backup";
  }
  EXPECT_GE(report.value("events", std::uint64_t{0}), before_backup.size() + 2);  // + product and stock receipt

  // Restore: stop the node, start one on the backup; it serves those sales.
  // A backup holds no keys (docs/operations.md): without identity/ the node
  // does not start; with the device's key files put back it does.
  ASSERT_TRUE(n.stop()) << n.log_text();
  EXPECT_FALSE(std::filesystem::exists(b1 / "identity"));
  {
    node_process keyless(b1, {});
    ASSERT_TRUE(keyless.start(false));
    ASSERT_TRUE(eventually([&] { return keyless.exited(); }));
    EXPECT_EQ(keyless.exit_code(), 2) << keyless.log_text();
  }
  std::filesystem::copy(data / "identity", b1 / "identity", std::filesystem::copy_options::recursive);
  {
    node_process restored(b1, {});
    ASSERT_TRUE(restored.start()) << restored.log_text();
    for (const auto& receipt : {before_backup.front(), before_backup.back()}) {
      auto s = restored.get("/v1/sales/" + receipt);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->status, 200) << receipt << ": " << s->body;
    }
    ASSERT_TRUE(restored.stop());
  }

  // With no node running storectl takes the backup itself (the data dir's lock).
  const auto b3 = dir.path() / "backup-3";
  r = storectl("backup --data " + data.string() + " --to " + b3.string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto offline = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(offline.is_object()) << r.out;
  EXPECT_EQ(offline["by"], "storectl");
  EXPECT_GE(offline.value("events", std::uint64_t{0}), acked.size() + 5 + 2);
  r = storectl("audit verify --data " + b3.string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

} // namespace
