// The store's TLS trust (tls/): each test says what it proves.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "tls/files.hpp"
#include "tls/tls.hpp"

namespace {

using namespace sn::tls;

// Proves: a request for a device's addresses is granted by the store CA; the
// grant carries exactly the requested SANs, checks against that CA and key,
// and fails against another store's CA or another device's key.
TEST(tls, a_grant_carries_the_requested_names_and_checks_against_its_ca_only) {
  auto ca = make_store_ca("shop-1");
  ASSERT_TRUE(ca) << ca.error().message;
  EXPECT_NE(ca->cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(ca->key_pem.find("PRIVATE KEY"), std::string::npos);
  auto key = make_device_key();
  ASSERT_TRUE(key);
  auto req = make_request(*key, "POS1", {"192.168.1.20", "pos1.shop.lan", "::1"});
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->find("PRIVATE"), std::string::npos) << "a request never holds the key";
  auto cert = grant(*ca, *req);
  ASSERT_TRUE(cert) << cert.error().message;
  auto sans = sans_of(*cert);
  ASSERT_TRUE(sans);
  EXPECT_EQ(*sans, (std::vector<std::string>{"192.168.1.20", "pos1.shop.lan", "::1"}));
  EXPECT_TRUE(check_grant(*cert, *key, ca->cert_pem)) << check_grant(*cert, *key, ca->cert_pem).error().message;
  auto other_ca = make_store_ca("shop-2");
  ASSERT_TRUE(other_ca);
  auto wrong_ca = check_grant(*cert, *key, other_ca->cert_pem);
  ASSERT_FALSE(wrong_ca);
  EXPECT_EQ(wrong_ca.error().code, static_cast<int>(errc::not_granted));
  auto other_key = make_device_key();
  ASSERT_TRUE(other_key);
  auto wrong_key = check_grant(*cert, *other_key, ca->cert_pem);
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error().code, static_cast<int>(errc::not_granted));
}

// Proves: bad input gets a clear error, never a certificate: no names, a
// name that is neither an address nor a DNS name, a request that is not PEM
// or was tampered with, a CA key that is not the CA certificate's.
TEST(tls, bad_requests_are_refused) {
  auto ca = make_store_ca("shop");
  auto key = make_device_key();
  ASSERT_TRUE(ca && key);
  EXPECT_FALSE(make_request(*key, "POS1", {}));
  EXPECT_FALSE(make_request(*key, "POS1", {"bad name/with slash"}));
  EXPECT_FALSE(make_request("not a key", "POS1", {"10.0.0.1"}));
  EXPECT_FALSE(grant(*ca, "not a request"));
  auto req = make_request(*key, "POS1", {"10.0.0.1"});
  ASSERT_TRUE(req);
  std::string tampered = *req;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(grant(*ca, tampered));
  auto other = make_store_ca("other");
  ASSERT_TRUE(other);
  EXPECT_FALSE(grant(ca_material{other->key_pem, ca->cert_pem}, *req));
}

// Proves: loopback is 127.0.0.0/8, ::1 and localhost; everything else
// (0.0.0.0, ::, a LAN address, a name) is off loopback.
TEST(tls, loopback_is_127_slash_8_and_ipv6_one) {
  for (const char* h : {"127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "localhost"}) EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h : {"0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "128.0.0.1", "::2", "pos1.lan", ""}) {
    EXPECT_FALSE(is_loopback_host(h)) << h;
  }
}

// Proves: --create-store's trust lands in the data dir as documented: CA key
// and device key 0600, a certificate that checks; a second create is
// refused; installing a grant from another CA is refused and changes nothing.
TEST(tls, create_store_trust_writes_the_files_and_install_checks) {
  const auto dir = std::filesystem::temp_directory_path() / ("sn-tls-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string data = dir.string();
  ASSERT_TRUE(create_store_trust(data, "shop", "POS1", {"127.0.0.1", "localhost"}));
  const tls_files f = files_in(data);
  struct stat st {};
  ASSERT_EQ(::stat(f.ca_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(f.key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto cert = read_file(f.cert, false);
  auto key = read_file(f.key, true);
  auto ca = read_file(f.ca_cert, false);
  ASSERT_TRUE(cert && key && ca);
  EXPECT_TRUE(check_grant(*cert, *key, *ca));
  EXPECT_FALSE(create_store_trust(data, "shop", "POS1", {"127.0.0.1"}));
  auto other = make_store_ca("other");
  auto req = make_request(*key, "POS1", {"127.0.0.1"});
  ASSERT_TRUE(other && req);
  auto foreign = grant(*other, *req);
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(install(data, *foreign));
  EXPECT_EQ(*read_file(f.cert, false), *cert);
  ::chmod(f.key.c_str(), 0644);
  EXPECT_FALSE(read_file(f.key, true)) << "a secret file others may read is refused";
  std::filesystem::remove_all(dir);
}

}  // namespace
