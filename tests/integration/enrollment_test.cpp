// Enrollment, joining and revocation with real processes (issue 9 items 2, 3):
// a device enrolled with storectl joins with its code and syncs both ways; a
// wrong, reused or expired code enrolls nothing and the joiner exits 4 naming
// the reason; a revoked device's connections are refused and it neither
// receives nor delivers events afterwards.
#include <gtest/gtest.h>

#include <cstdio>

#include <sys/wait.h>

#include "tests/integration/join_client.hpp"
#include "tests/integration/node_process.hpp"
#include "tls/files.hpp"
#include "tls/tls.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

std::string run_storectl(const std::string& args) {
  std::string out;
  FILE* p = ::popen((std::string(STORECTL_PATH) + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

/// The payloads of the events of `type` at node `n`.
std::vector<json> events_of_type(node_process& n, const std::string& type) {
  std::vector<json> out;
  auto page = n.get_json("/v1/events?from=1&limit=100&type=" + type);
  for (const auto& e : page.value("events", json::array())) out.push_back(e);
  return out;
}

std::uint64_t seq_of(node_process& n, const std::string& origin) {
  auto vv = n.get_json("/v1/status")["version_vector"];
  return vv.is_object() && vv.contains(origin) ? vv[origin].get<std::uint64_t>() : 0;
}

long metric_at(node_process& n, const std::string& series) {
  auto r = n.get("/metrics");
  return r && r->status == 200 ? metric(r->body, series) : -1;
}

/// True once node `n` lists product `sku`.
bool has_product(node_process& n, const std::string& sku) {
  const auto j = n.get_json("/v1/products/" + sku);
  return j.is_object() && j.value("sku", "") == sku;
}

bool post_ok(node_process& n, const std::string& path, const json& body) {
  auto r = n.post(path, body.dump());
  return r && r->status == 201;
}

/// Starts a process that presents `code` for `device_id` through `sponsor`;
/// waits for its exit and returns its log (exit code in `code_out`).
std::string refused_join(const std::filesystem::path& dir, const std::string& device_id, const std::string& code,
                         node_process& sponsor, int& code_out) {
  node_options o;
  o.device_id = device_id;
  o.peers = {sponsor.bind()};
  node_process p(dir / (device_id + "-" + std::to_string(::getpid()) + "-" + code.substr(0, 4)), o);
  p.join_code = code;
  if (!p.start(false)) return "did not start";
  if (!eventually([&] { return p.exited(); }, std::chrono::seconds(30))) return "did not exit";
  code_out = p.exit_code();
  return p.log_text();
}

}  // namespace

// Proves: `storectl devices enroll` gives a code; a device started with it
// (STORENODE_JOIN_CODE) joins: device.enrolled names it, its keys, priority and
// the admin, written by the enrolling device; the two then sync both ways.
TEST(enrollment, a_device_enrolled_with_storectl_joins_and_syncs_both_ways) {
  temp_dir dir;
  node_options bo_o;
  bo_o.device_id = "BO";
  bo_o.priority = 100;
  node_process bo(dir.path() / "BO", bo_o);
  ASSERT_TRUE(bo.start()) << bo.log_text();
  ::setenv("STORENODE_TOKEN", bo.token().c_str(), 1);
  const auto out = run_storectl("devices enroll POS2 --priority 5 --json --node " + bo.url());
  ::unsetenv("STORENODE_TOKEN");
  const auto reply = json::parse(out, nullptr, false);
  ASSERT_TRUE(reply.is_object()) << out;
  EXPECT_EQ(reply["device_id"], "POS2");
  EXPECT_EQ(reply["peer"], bo.bind());
  const std::string code = reply.value("code", "");
  ASSERT_EQ(code.size(), 14u) << out;

  node_options o;
  o.device_id = "POS2";
  o.priority = 5;
  o.peers = {bo.bind()};
  node_process pos2(dir.path() / "POS2", o);
  pos2.join_code = code;
  ASSERT_TRUE(pos2.start()) << pos2.log_text();
  EXPECT_EQ(pos2.log_text().find(code), std::string::npos) << "the code is never logged";
  EXPECT_EQ(bo.log_text().find(code), std::string::npos) << "the code is never logged";
  EXPECT_EQ(pos2.get_json("/v1/status")["store"]["id"], bo.get_json("/v1/status")["store"]["id"]);
  // The join carried the store CA's grant: POS2 trusts BO's CA and holds an
  // HTTPS certificate for its own key, issued by that CA, naming loopback.
  {
    const auto bo_files = sn::tls::files_in((dir.path() / "BO").string());
    const auto pos2_files = sn::tls::files_in((dir.path() / "POS2").string());
    auto bo_ca = sn::tls::read_file(bo_files.ca_cert, false);
    auto pos2_ca = sn::tls::read_file(pos2_files.ca_cert, false);
    auto pos2_cert = sn::tls::read_file(pos2_files.cert, false);
    auto pos2_key = sn::tls::read_file(pos2_files.key, true);
    ASSERT_TRUE(bo_ca && pos2_ca && pos2_cert && pos2_key) << pos2.log_text();
    EXPECT_EQ(*pos2_ca, *bo_ca);
    EXPECT_TRUE(sn::tls::check_grant(*pos2_cert, *pos2_key, *bo_ca));
    EXPECT_FALSE(std::filesystem::exists(pos2_files.ca_key)) << "the CA key stays on the store's creator";
    auto sans = sn::tls::sans_of(*pos2_cert);
    ASSERT_TRUE(sans);
    EXPECT_NE(std::find(sans->begin(), sans->end(), "127.0.0.1"), sans->end());
  }

  auto enrolled = events_of_type(bo, "device.enrolled");
  ASSERT_EQ(enrolled.size(), 2u);
  const auto& e = enrolled[1];
  EXPECT_EQ(e["origin"], "BO");
  EXPECT_EQ(e["payload"]["device_id"], "POS2");
  EXPECT_EQ(e["payload"]["priority"], 5);
  EXPECT_EQ(e["payload"]["approved_by"], "admin");
  EXPECT_EQ(e["payload"]["curve_key"].get<std::string>().size(), 64u);

  ASSERT_TRUE(post_ok(bo, "/v1/products", {{"sku", "MILK"}, {"name", "Milk"}, {"price_cents", 100}}));
  ASSERT_TRUE(eventually([&] { return has_product(pos2, "MILK"); }))
      << pos2.log_text();
  ASSERT_TRUE(post_ok(pos2, "/v1/stock/receipts", {{"sku", "MILK"}, {"qty", 10}}));
  const auto pos2_seq = seq_of(pos2, "POS2");
  ASSERT_TRUE(eventually([&] { return seq_of(bo, "POS2") >= pos2_seq; })) << bo.log_text();
  EXPECT_EQ(metric_at(bo, "storenode_joins_total"), 1);
}

// Proves: a wrong code, a reused code and an expired code enroll nothing:
// the joiner exits 4 with the reason, no device.enrolled is written, and the
// enrolling device counts each refusal by reason.
TEST(enrollment, wrong_reused_and_expired_codes_enroll_nothing) {
  temp_dir dir;
  node_options bo_o;
  bo_o.device_id = "BO";
  bo_o.extra_args = {"--enrollment.code-ttl-s", "5"};
  node_process bo(dir.path() / "BO", bo_o);
  ASSERT_TRUE(bo.start()) << bo.log_text();

  // Wrong: a code of the right shape that nobody issued for POS3.
  ASSERT_FALSE(bo.enrollment_code("POS3").empty());
  int exit_code = -1;
  auto log = refused_join(dir.path(), "POS3", "AAAA-BBBB-CCCC", bo, exit_code);
  EXPECT_EQ(exit_code, 4) << log;
  EXPECT_NE(log.find("refused the join code (wrong_code)"), std::string::npos) << log;

  // Reused: POS4 joins (made-up keys), then the same code again.
  const auto code4 = bo.enrollment_code("POS4");
  ASSERT_FALSE(code4.empty());
  ASSERT_EQ(present_code(bo, "POS4", code4).refusal, sn::node::join_refusal::none);
  exit_code = -1;
  log = refused_join(dir.path(), "POS4", code4, bo, exit_code);
  EXPECT_EQ(exit_code, 4) << log;
  EXPECT_NE(log.find("refused the join code (used)"), std::string::npos) << log;

  // Expired: past its 5 s.
  const auto issued = std::chrono::steady_clock::now();
  const auto code5 = bo.enrollment_code("POS5");
  ASSERT_FALSE(code5.empty());
  ASSERT_TRUE(eventually([&] { return std::chrono::steady_clock::now() - issued > std::chrono::milliseconds(5200); },
                         std::chrono::seconds(10)));
  exit_code = -1;
  log = refused_join(dir.path(), "POS5", code5, bo, exit_code);
  EXPECT_EQ(exit_code, 4) << log;
  EXPECT_NE(log.find("refused the join code (expired)"), std::string::npos) << log;

  // Not a code at all: refused before anything is sent.
  exit_code = -1;
  log = refused_join(dir.path(), "POS6", "hello", bo, exit_code);
  EXPECT_EQ(exit_code, 4) << log;
  EXPECT_NE(log.find("not a join code"), std::string::npos) << log;

  std::vector<std::string> enrolled;
  for (const auto& e : events_of_type(bo, "device.enrolled")) enrolled.push_back(e["payload"]["device_id"]);
  EXPECT_EQ(enrolled, (std::vector<std::string>{"BO", "POS4"}));
  EXPECT_EQ(metric_at(bo, "storenode_join_refused_total{reason=\"wrong_code\"}"), 1);
  EXPECT_EQ(metric_at(bo, "storenode_join_refused_total{reason=\"used\"}"), 1);
  EXPECT_EQ(metric_at(bo, "storenode_join_refused_total{reason=\"expired\"}"), 1);
  EXPECT_EQ(metric_at(bo, "storenode_joins_total"), 1);
  // An enrolled id gets no second code; a revoked one neither.
  auto r = bo.post("/v1/devices/POS4/enrollment", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
}

// Proves: revoking a device (storectl devices revoke) records device.revoked with its revocation point
// (the revoked origin's highest seq the revoking device holds); the revoked
// device's connections are refused (counted) and from then on it neither
// receives the store's events nor delivers its own.
TEST(enrollment, a_revoked_device_is_cut_off) {
  cluster c({{"N1", 20}, {"N2", 10}});
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  auto& n1 = c[0];
  auto& n2 = c[1];
  ASSERT_TRUE(post_ok(n1, "/v1/products", {{"sku", "MILK"}, {"name", "Milk"}, {"price_cents", 100}}));
  ASSERT_TRUE(eventually([&] { return has_product(n2, "MILK"); }))
      << c.describe(c.all());
  ASSERT_TRUE(post_ok(n2, "/v1/stock/receipts", {{"sku", "MILK"}, {"qty", 10}}));
  const auto n2_seq = seq_of(n2, "N2");
  ASSERT_TRUE(eventually([&] { return seq_of(n1, "N2") >= n2_seq; })) << c.describe(c.all());

  ::setenv("STORENODE_TOKEN", n1.token().c_str(), 1);
  const auto out = run_storectl("devices revoke N2 --reason stolen --json --node " + n1.url());
  ::unsetenv("STORENODE_TOKEN");
  const auto reply = json::parse(out, nullptr, false);
  ASSERT_TRUE(reply.is_object() && reply.contains("revoked_after_seq")) << out;
  const auto point = reply["revoked_after_seq"].get<std::uint64_t>();
  EXPECT_EQ(point, seq_of(n1, "N2"));
  auto revoked = events_of_type(n1, "device.revoked");
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0]["payload"]["device_id"], "N2");
  EXPECT_EQ(revoked[0]["payload"]["revoked_after_seq"], point);
  EXPECT_EQ(revoked[0]["payload"]["approved_by"], "admin");

  // N2 redials and is refused, again and again.
  const long denied0 = metric_at(n1, "storenode_peer_auth_denied_total");
  ASSERT_TRUE(eventually([&] { return metric_at(n1, "storenode_peer_auth_denied_total") >= denied0 + 2; }))
      << c.describe(c.all());
  // Events on either side after the revocation stay there.
  ASSERT_TRUE(post_ok(n1, "/v1/stock/receipts", {{"sku", "MILK"}, {"qty", 1}}));
  ASSERT_TRUE(post_ok(n2, "/v1/stock/receipts", {{"sku", "MILK"}, {"qty", 2}}));
  const long denied1 = metric_at(n1, "storenode_peer_auth_denied_total");
  ASSERT_TRUE(eventually([&] { return metric_at(n1, "storenode_peer_auth_denied_total") >= denied1 + 3; }))
      << c.describe(c.all());
  EXPECT_LT(seq_of(n2, "N1"), seq_of(n1, "N1")) << "N2 received an event after its revocation";
  EXPECT_EQ(seq_of(n1, "N2"), point) << "N1 took an event of N2 after its revocation";
  EXPECT_TRUE(eventually([&] {
    for (const auto& p : n1.get_json("/v1/status").value("peers", json::array())) {
      if (p.value("device_id", "") == "N2" && p.value("alive", false)) return false;
    }
    return true;
  })) << c.describe(c.all());

  auto r = n1.post("/v1/devices/N2/revocation", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  r = n1.post("/v1/devices/N1/revocation", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  r = n1.post("/v1/devices/N2/enrollment", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
}
