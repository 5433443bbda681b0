// Key rotation with real processes (issue 9 "Key rotation is an event signed
// with the old key"): a 3-node store (BO made it, POS2 and POS3 joined);
// `storectl devices rotate-keys POS2` on POS2's own node appends
// device.keys_rotated signed with POS2's old key and switches its signer and
// CURVE key. Then POS2's sales replicate to the others with nothing refused,
// POS2's peer links come back, a restart of POS2 uses the new keys, a restart
// of POS3 admits them (from its devices projection), and
// `storectl audit verify` of every data dir is clean across the rotation.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "tests/integration/node_process.hpp"
#include "tests/integration/storectl_runner.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

run_result storectl(const std::string& args) { return run_storectl(args); }

long metric_at(node_process& n, const std::string& series) {
  auto r = n.get("/metrics");
  return r && r->status == 200 ? metric(r->body, series) : -1;
}

/// Events refused, every reason summed (-1: no answer), except
/// own_origin_peer: a device's own events echoed back by the hub's live relay
/// (refused by design before the log, with or without a rotation).
long refused_by_gate(node_process& n) {
  long sum = 0;
  for (const char* reason : {"gap", "fork", "bad_hash", "too_large", "invalid", "own_origin", "clock_skew",
                             "unknown_origin", "revoked", "bad_signature", "unsigned", "broken_chain"}) {
    const long v = metric_at(n, std::string("storenode_events_refused_total{reason=\"") + reason + "\"}");
    if (v < 0) return -1;
    sum += v;
  }
  return sum;
}

/// The node's refusal counters, for a failure message.
std::string refusals(node_process& n) {
  std::string out;
  auto r = n.get("/metrics");
  if (!r) return "no /metrics";
  std::size_t at = 0;
  while ((at = r->body.find("storenode_events_refused_total{", at)) != std::string::npos) {
    const auto end = r->body.find('\n', at);
    out += r->body.substr(at, end - at) + "\n";
    at = end;
  }
  return n.options().device_id + ":\n" + out;
}

std::size_t alive_peers(cluster& c, std::size_t i) {
  std::size_t alive = 0;
  for (const auto& p : c.get_json(i, "/v1/status").value("peers", json::array())) alive += p.value("alive", false) ? 1 : 0;
  return alive;
}

/// A sale of one MILK on node `n`; its receipt ("" when refused).
std::string sell(node_process& n) {
  auto r = n.post("/v1/sales", json{{"lines", {{{"sku", "MILK"}, {"qty", 1}}}},
                                    {"payments", {{{"method", "cash"}, {"amount_cents", 1000}}}}}
                                   .dump());
  if (!r || r->status != 201) return {};
  return json::parse(r->body).value("receipt", "");
}

bool has_sale(node_process& n, const std::string& receipt) {
  auto r = n.get("/v1/sales/" + receipt);
  return r && r->status == 200;
}

}  // namespace

// Proves: a rotation asked of another node is refused (409 not_this_device);
// on POS2 itself it records device.keys_rotated (origin POS2, the new keys),
// after which POS2's sales reach BO and POS3 with no event refused, every
// link comes back, the key files hold the new keys (0600, no leftovers), a
// restart of POS2 loads them and keeps replicating, and the audit of each
// node's log verifies every signature across the rotation.
TEST(key_rotation, a_rotated_device_keeps_replicating_and_audits_clean) {
  cluster c({{"BO", 100}, {"POS2", 50}, {"POS3", 10}});
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  for (std::size_t i = 0; i < c.size(); ++i) {
    ASSERT_TRUE(eventually([&] { return alive_peers(c, i) == 2; }, std::chrono::seconds(30))) << c.describe(c.all());
  }
  auto r = c[0].post("/v1/products", json{{"sku", "MILK"}, {"name", "Milk"}, {"price_cents", 100}}.dump());
  ASSERT_TRUE(r && r->status == 201);
  r = c[0].post("/v1/stock/receipts", json{{"sku", "MILK"}, {"qty", 100}}.dump());
  ASSERT_TRUE(r && r->status == 201);
  for (std::size_t i = 0; i < c.size(); ++i) {
    ASSERT_TRUE(eventually([&] { return c.get_json(i, "/v1/inventory/MILK").value("on_hand", -1L) == 100; }))
        << c.describe(c.all());
  }
  const std::string before = sell(c[1]);
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(eventually([&] { return has_sale(c[0], before) && has_sale(c[2], before); })) << c.describe(c.all());
  const std::string old_signing = c[1].get_json("/v1/events?from=1&limit=100&type=device.enrolled")
                                      .value("events", json::array())
                                      .back()["payload"]
                                      .value("signing_key", "");

  // Asked of BO: refused, nothing recorded.
  auto wrong = c[0].post("/v1/devices/POS2/keys/rotation", "{}");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 409) << wrong->body;
  EXPECT_NE(wrong->body.find("not_this_device"), std::string::npos) << wrong->body;

  ::setenv("STORENODE_TOKEN", c[1].token().c_str(), 1);
  const auto out = storectl("devices rotate-keys POS2 --json --node " + c[1].url());
  ::unsetenv("STORENODE_TOKEN");
  ASSERT_EQ(out.exit_code, 0) << out.out << c.describe(c.all());
  const auto reply = json::parse(out.out, nullptr, false);
  ASSERT_TRUE(reply.is_object()) << out.out;
  const std::string new_signing = reply.value("signing_key", "");
  const std::string new_curve = reply.value("curve_key", "");
  ASSERT_EQ(new_signing.size(), 64u);
  ASSERT_EQ(new_curve.size(), 64u);
  EXPECT_NE(new_signing, old_signing);
  const std::uint64_t rotation_seq = reply.value("seq", std::uint64_t{0});
  EXPECT_GT(rotation_seq, 0u);

  // The event: written by POS2 itself, naming its new keys; every node gets it.
  for (std::size_t i = 0; i < c.size(); ++i) {
    ASSERT_TRUE(eventually([&] {
      auto evs = c.get_json(i, "/v1/events?from=1&limit=200&type=device.keys_rotated").value("events", json::array());
      return evs.size() == 1 && evs[0].value("origin", "") == "POS2" &&
             evs[0]["payload"].value("signing_key", "") == new_signing &&
             evs[0]["payload"].value("curve_key", "") == new_curve;
    }, std::chrono::seconds(20))) << c.describe(c.all());
  }

  // Sales after the rotation (signed with the new key) reach the others.
  std::vector<std::string> after;
  for (int k = 0; k < 5; ++k) {
    after.push_back(sell(c[1]));
    ASSERT_FALSE(after.back().empty());
  }
  for (const auto& receipt : after) {
    EXPECT_TRUE(eventually([&] { return has_sale(c[0], receipt) && has_sale(c[2], receipt); }, std::chrono::seconds(30)))
        << receipt << "\n" << c.describe(c.all());
  }
  for (std::size_t i = 0; i < c.size(); ++i) EXPECT_EQ(refused_by_gate(c[i]), 0) << refusals(c[i]) << c.describe(c.all());
  // Every link comes back with the new CURVE key (POS2 hears both others, they hear POS2).
  for (std::size_t i = 0; i < c.size(); ++i) {
    EXPECT_TRUE(eventually([&] { return alive_peers(c, i) == 2; }, std::chrono::seconds(30))) << c.describe(c.all());
  }
  // BO and POS3 can reach POS2 directly: a sale on BO replicates to POS2.
  const std::string from_bo = sell(c[0]);
  ASSERT_FALSE(from_bo.empty());
  EXPECT_TRUE(eventually([&] { return has_sale(c[1], from_bo); }, std::chrono::seconds(30))) << c.describe(c.all());

  // The key files: the new keys, 0600, nothing left of the rotation.
  const auto identity = c[1].data_dir() / "identity";
  for (const char* f : {"signing.key", "curve.key"}) {
    struct stat st {};
    ASSERT_EQ(::stat((identity / f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  EXPECT_FALSE(std::filesystem::exists(identity / "signing.next.key"));
  EXPECT_FALSE(std::filesystem::exists(identity / "curve.next.key"));
  // Never logged nor answered: the new secret keys' bytes, in hex.
  for (const char* f : {"signing.key", "curve.key"}) {
    std::ifstream in(identity / f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string hex;
    for (unsigned char b : bytes.substr(0, 32)) {
      static const char* d = "0123456789abcdef";
      hex.push_back(d[b >> 4]);
      hex.push_back(d[b & 15]);
    }
    ASSERT_EQ(hex.size(), 64u) << f;
    EXPECT_EQ(c[1].log_text().find(hex), std::string::npos) << f << " is in the log";
    EXPECT_EQ(out.out.find(hex), std::string::npos) << f << " is in the reply";
  }

  // A restart of POS2 uses the new keys (its log says so; the others take its
  // next sale, signed and dialled with them) and keeps replicating.
  ASSERT_TRUE(c[1].stop()) << c[1].log_text();
  ::setenv("STORENODE_TEST_LOG_LEVEL", "info", 1);  // the key line is at info
  const bool restarted_ok = c[1].start();
  ::unsetenv("STORENODE_TEST_LOG_LEVEL");
  ASSERT_TRUE(restarted_ok) << c[1].log_text();
  const std::string restarted = c[1].log_text();
  EXPECT_NE(restarted.find("loaded keys in " + identity.string() + " (signing " + new_signing), std::string::npos)
      << restarted;
  const std::string after_restart = sell(c[1]);
  ASSERT_FALSE(after_restart.empty());
  EXPECT_TRUE(eventually([&] { return has_sale(c[0], after_restart) && has_sale(c[2], after_restart); },
                         std::chrono::seconds(30)))
      << c.describe(c.all());
  for (std::size_t i = 0; i < c.size(); ++i) EXPECT_EQ(refused_by_gate(c[i]), 0) << refusals(c[i]) << c.describe(c.all());

  // A restart of another member: its allow-list comes from the devices
  // projection's rows, which hold POS2's new keys (not the join grant's old ones).
  ASSERT_TRUE(c[2].stop()) << c[2].log_text();
  ASSERT_TRUE(c[2].start()) << c[2].log_text();
  EXPECT_TRUE(eventually([&] { return alive_peers(c, 2) == 2 && alive_peers(c, 1) == 2; }, std::chrono::seconds(30)))
      << c.describe(c.all());
  const std::string after_peer_restart = sell(c[1]);
  ASSERT_FALSE(after_peer_restart.empty());
  EXPECT_TRUE(eventually([&] { return has_sale(c[2], after_peer_restart); }, std::chrono::seconds(30)))
      << c.describe(c.all());
  EXPECT_EQ(refused_by_gate(c[2]), 0) << refusals(c[2]);

  // The audit of every node's log: clean, across the rotation.
  for (std::size_t i = 0; i < c.size(); ++i) {
    ASSERT_TRUE(c[i].stop()) << c[i].log_text();
    const auto a = storectl("audit verify --data " + c[i].data_dir().string());
    EXPECT_EQ(a.exit_code, 0) << c[i].options().device_id << ": " << a.out;
  }
}
