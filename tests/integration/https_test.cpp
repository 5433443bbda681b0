// HTTPS off loopback (issue 10 item 8): a node whose --http is not loopback
// serves HTTPS only, with the certificate the store CA (made by
// --create-store) granted it; clients verify against that CA; plain HTTP
// gets no answer; a node without a certificate refuses to start; loopback
// stays plain HTTP (every other integration test).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstdio>
#include <fstream>

#include "tests/integration/node_process.hpp"
#include "tls/files.hpp"
#include "tls/tls.hpp"

namespace {

using nlohmann::json;
using namespace sn::testing;

/// This machine's first IPv4 address that is not loopback ("" when none):
/// reachable, and off loopback by the node's rule.
std::string own_address() {
  ifaddrs* ifs = nullptr;
  std::string out;
  if (::getifaddrs(&ifs) != 0) return out;
  for (ifaddrs* i = ifs; i != nullptr && out.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    if (!sn::tls::is_loopback_host(text)) out = text;
  }
  ::freeifaddrs(ifs);
  return out;
}

std::string run(const std::string& cmd, int& code) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  const int st = p ? ::pclose(p) : -1;
  code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

// Proves: off loopback the store creator serves HTTPS that verifies against
// the store CA (and not against another CA), answers nothing to plain HTTP,
// and storectl works against it with --ca.
TEST(https, off_loopback_the_node_serves_https_verified_by_the_store_ca) {
  const std::string ip = own_address();
  if (ip.empty()) GTEST_SKIP() << "this machine has no non-loopback IPv4 address to bind";
  temp_dir dir;
  node_options o;
  o.device_id = "BO";
  o.http_host = ip;
  o.extra_args = {"--create-store", "--store.id", "shop-tls"};
  node_process n(dir.path() / "BO", o);
  ASSERT_TRUE(n.start(false));
  const auto files = sn::tls::files_in((dir.path() / "BO").string());
  const auto https_client = [&](const std::string& ca) {
    auto c = std::make_unique<httplib::SSLClient>(ip, n.http_port());
    c->set_ca_cert_path(ca.c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(2, 0);
    c->set_read_timeout(5, 0);
    return c;
  };
  ASSERT_TRUE(eventually([&] {
    if (n.exited()) return true;
    auto r = https_client(files.ca_cert)->Get("/healthz");
    return r && r->status == 200;
  }, std::chrono::seconds(30))) << n.log_text();
  ASSERT_FALSE(n.exited()) << n.log_text();
  // The certificate names the address it is reached at.
  std::ifstream cert_in(files.cert);
  std::string cert((std::istreambuf_iterator<char>(cert_in)), std::istreambuf_iterator<char>());
  auto sans = sn::tls::sans_of(cert);
  ASSERT_TRUE(sans);
  EXPECT_NE(std::find(sans->begin(), sans->end(), ip), sans->end());
  // Signed in over HTTPS.
  auto c = https_client(files.ca_cert);
  auto s = c->Post("/v1/sessions", json{{"staff_id", "admin"}, {"pin", node_process::test_admin_pin}}.dump(),
                   "application/json");
  ASSERT_TRUE(s) << httplib::to_string(s.error());
  ASSERT_EQ(s->status, 201) << s->body;
  const std::string token = json::parse(s->body)["token"];
  // Another store's CA does not verify it.
  auto other = sn::tls::make_store_ca("another shop");
  ASSERT_TRUE(other);
  const std::string other_path = (dir.path() / "other-ca.crt").string();
  std::ofstream(other_path) << other->cert_pem;
  auto wrong = https_client(other_path)->Get("/healthz");
  EXPECT_FALSE(wrong) << "verified against a foreign CA";
  // Plain HTTP on that port gets no HTTP answer.
  httplib::Client plain(ip, n.http_port());
  plain.set_connection_timeout(2, 0);
  plain.set_read_timeout(3, 0);
  auto p = plain.Get("/healthz");
  EXPECT_TRUE(!p || p->status == 400) << (p ? p->body : "");
  if (p) {
    EXPECT_EQ(p->body.find("\"ok\":true"), std::string::npos);
  }
#ifdef STORECTL_PATH
  int code = -1;
  const std::string url = "https://" + ip + ":" + std::to_string(n.http_port());
  const std::string out = run("STORENODE_TOKEN=" + token + " XDG_CONFIG_HOME=" + dir.path().string() + " " +
                                  STORECTL_PATH + " --ca " + files.ca_cert + " status --node " + url + " --json 2>&1",
                              code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("\"device_id\""), std::string::npos) << out;
  // Without a CA it refuses to talk rather than skip verification.
  const std::string refused =
      run("XDG_CONFIG_HOME=" + dir.path().string() + " " + STORECTL_PATH + " status --node " + url + " 2>&1", code);
  EXPECT_NE(code, 0);
  EXPECT_NE(refused.find("--ca"), std::string::npos) << refused;
  // storectl ca export prints the CA certificate, never its key.
  const std::string pem = run(std::string(STORECTL_PATH) + " ca export --data " + (dir.path() / "BO").string(), code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(pem.find("PRIVATE"), std::string::npos);
#endif
  EXPECT_TRUE(n.stop());
}

// Proves: a device without a certificate (a member whose certificate was
// removed, or one enrolled by a device without the CA key) told to bind off
// loopback (0.0.0.0) refuses to start with a message saying why — never plain
// HTTP there.
TEST(https, without_a_certificate_off_loopback_the_node_refuses_to_start) {
  temp_dir dir;
  {
    node_options first;
    first.device_id = "POS2";
    node_process created(dir.path() / "POS2", first);  // creates its store (and certificate) on loopback
    ASSERT_TRUE(created.start()) << created.log_text();
    ASSERT_TRUE(created.stop());
  }
  const auto files = sn::tls::files_in((dir.path() / "POS2").string());
  ASSERT_TRUE(std::filesystem::remove(files.cert));
  node_options o;
  o.device_id = "POS2";
  o.http_host = "0.0.0.0";
  node_process n(dir.path() / "POS2", o);
  ASSERT_TRUE(n.start(false));
  ASSERT_TRUE(eventually([&] { return n.exited(); }, std::chrono::seconds(20))) << n.log_text();
  EXPECT_NE(n.exit_code(), 0);
  EXPECT_NE(n.log_text().find("serves HTTPS only"), std::string::npos) << n.log_text();
  httplib::Client plain("127.0.0.1", n.http_port());
  plain.set_connection_timeout(1, 0);
  EXPECT_FALSE(plain.Get("/healthz"));
}

}  // namespace
