// Issue 9, item 1, with a real storenode process: the first start makes the
// device's keys (0600 files, secrets never in the log), --create-store appends
// the genesis with the device's public keys, a second --create-store is
// refused, and a restart keeps the same keys and store.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <iomanip>
#include <sstream>

#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

std::string file_hex(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ostringstream o;
  for (unsigned char c : bytes) o << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(c);
  return o.str();
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

json events_of_type(node_process& n, const std::string& type) {
  auto r = n.get("/v1/events?from=1&limit=100&type=" + type);
  if (!r || r->status != 200) return json::array();
  return json::parse(r->body)["events"];
}

TEST(create_store, genesis_carries_the_public_keys_and_is_written_once) {
  temp_dir dir;
  const auto data = dir.path() / "BO";
  std::string store_id;
  std::string signing_key;
  {
    node_options o;
    o.device_id = "BO";
    o.priority = 100;
    o.extra_args = {"--create-store", "--store.id", "shop-17"};
    ::setenv("STORENODE_TEST_LOG_LEVEL", "info", 1);  // the key lines are info
    node_process bo(data, o);
    const bool started = bo.start();
    ::unsetenv("STORENODE_TEST_LOG_LEVEL");
    ASSERT_TRUE(started) << bo.log_text();
    // Keys: private files in a private directory.
    const auto id_dir = data / "identity";
    EXPECT_EQ(mode_of(id_dir), 0700u);
    EXPECT_EQ(mode_of(id_dir / "signing.key"), 0600u);
    EXPECT_EQ(mode_of(id_dir / "curve.key"), 0600u);
    const std::string signing_secret = file_hex(id_dir / "signing.key");
    const std::string curve_secret = file_hex(id_dir / "curve.key");
    ASSERT_EQ(signing_secret.size(), 128u);
    ASSERT_EQ(curve_secret.size(), 64u);
    // The genesis: store.created then device.enrolled, BO's first events.
    auto created = events_of_type(bo, "store.created");
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0]["origin"], "BO");
    EXPECT_EQ(created[0]["seq"], 1);
    store_id = created[0]["payload"]["store_id"];
    EXPECT_EQ(store_id.size(), 32u);
    EXPECT_EQ(created[0]["payload"]["name"], "shop-17");
    auto enrolled = events_of_type(bo, "device.enrolled");
    ASSERT_EQ(enrolled.size(), 1u);
    EXPECT_EQ(enrolled[0]["seq"], 2);
    const auto& p = enrolled[0]["payload"];
    EXPECT_EQ(p["device_id"], "BO");
    EXPECT_EQ(p["priority"], 100);
    EXPECT_EQ(p["approved_by"], "");
    signing_key = p["signing_key"];
    // The libsodium secret key's second half is the public key.
    EXPECT_EQ(signing_key, signing_secret.substr(64));
    EXPECT_EQ(p["curve_key"].get<std::string>().size(), 64u);
    EXPECT_NE(p["curve_key"], curve_secret);
    auto status = bo.get_json("/v1/status");
    EXPECT_EQ(status["store"]["id"], store_id);
    EXPECT_EQ(status["store"]["name"], "shop-17");
    ASSERT_TRUE(bo.stop());
    // No secret byte in the log, the public key is there.
    const std::string log = bo.log_text();
    EXPECT_EQ(log.find(signing_secret.substr(0, 64)), std::string::npos);
    EXPECT_EQ(log.find(curve_secret), std::string::npos);
    EXPECT_NE(log.find(signing_key), std::string::npos);
  }
  {
    // Once only: a second --create-store is refused and appends nothing.
    node_options o;
    o.device_id = "BO";
    o.extra_args = {"--create-store"};
    node_process again(data, o);
    ASSERT_TRUE(again.start(false));
    ASSERT_TRUE(eventually([&] { return again.exited(); }));
    EXPECT_EQ(again.exit_code(), 2);
    EXPECT_NE(again.log_text().find("already belongs to store " + store_id), std::string::npos) << again.log_text();
  }
  {
    // A plain restart: the same keys, the same store, still one genesis.
    node_options o;
    o.device_id = "BO";
    node_process bo(data, o);
    ASSERT_TRUE(bo.start()) << bo.log_text();
    EXPECT_EQ(bo.get_json("/v1/status")["store"]["id"], store_id);
    EXPECT_EQ(events_of_type(bo, "store.created").size(), 1u);
    auto enrolled = events_of_type(bo, "device.enrolled");
    ASSERT_EQ(enrolled.size(), 1u);
    EXPECT_EQ(enrolled[0]["payload"]["signing_key"], signing_key);
  }
}

// A key file that others may read stops the node with a message naming it;
// the file is not replaced.
TEST(create_store, an_exposed_key_file_stops_the_node) {
  temp_dir dir;
  const auto data = dir.path() / "POS1";
  {
    node_process n(data, {});
    ASSERT_TRUE(n.start()) << n.log_text();  // the harness creates the store on a first start
    EXPECT_FALSE(n.get_json("/v1/status")["store"]["id"].is_null());
    ASSERT_TRUE(n.stop());
  }
  const auto key = data / "identity" / "signing.key";
  const std::string before = file_hex(key);
  ::chmod(key.c_str(), 0644);
  node_process n(data, {});
  ASSERT_TRUE(n.start(false));
  ASSERT_TRUE(eventually([&] { return n.exited(); }));
  EXPECT_EQ(n.exit_code(), 2);
  EXPECT_NE(n.log_text().find("signing.key is readable by group or others"), std::string::npos) << n.log_text();
  EXPECT_EQ(file_hex(key), before);
}

// Proves: a member's data dir whose keys are gone (a backup restored without
// identity/) does not start under new keys, which its store would refuse: it
// exits 2, names the missing files and the way on, and makes no keys; with the
// key files put back it starts with its old keys and store.
TEST(create_store, a_member_without_its_key_files_does_not_make_new_ones) {
  temp_dir dir;
  const auto data = dir.path() / "POS1";
  std::string signing_key;
  std::string store_id;
  {
    node_process n(data, {});
    ASSERT_TRUE(n.start()) << n.log_text();
    const auto status = n.get_json("/v1/status");
    ASSERT_TRUE(status["store"]["id"].is_string()) << status.dump();
    store_id = status["store"]["id"];
    signing_key = file_hex(data / "identity" / "signing.key");
    ASSERT_TRUE(n.stop());
  }
  const auto id_dir = data / "identity";
  const auto aside = dir.path() / "identity-backup";
  std::filesystem::rename(id_dir, aside);
  {
    node_process n(data, {});
    ASSERT_TRUE(n.start(false));
    ASSERT_TRUE(eventually([&] { return n.exited(); }));
    EXPECT_EQ(n.exit_code(), 2);
    const auto log = n.log_text();
    EXPECT_NE(log.find("belongs to store " + store_id), std::string::npos) << log;
    EXPECT_NE(log.find("identity/signing.key and identity/curve.key are missing"), std::string::npos) << log;
    EXPECT_NE(log.find("Restore identity/"), std::string::npos) << log;
    EXPECT_FALSE(std::filesystem::exists(id_dir / "signing.key"));
    EXPECT_FALSE(std::filesystem::exists(id_dir / "curve.key"));
  }
  // One file back, the other still missing: refused too, naming that one.
  std::filesystem::create_directory(id_dir);
  ::chmod(id_dir.c_str(), 0700);
  std::filesystem::copy_file(aside / "signing.key", id_dir / "signing.key");
  {
    node_process n(data, {});
    ASSERT_TRUE(n.start(false));
    ASSERT_TRUE(eventually([&] { return n.exited(); }));
    EXPECT_EQ(n.exit_code(), 2);
    EXPECT_NE(n.log_text().find("identity/curve.key is missing"), std::string::npos) << n.log_text();
    EXPECT_FALSE(std::filesystem::exists(id_dir / "curve.key"));
  }
  std::filesystem::copy_file(aside / "curve.key", id_dir / "curve.key");
  node_process n(data, {});
  ASSERT_TRUE(n.start()) << n.log_text();
  EXPECT_EQ(n.get_json("/v1/status")["store"]["id"], store_id);
  EXPECT_EQ(file_hex(id_dir / "signing.key"), signing_key);
}

}  // namespace

// Proves: a device started on an empty data dir with neither --create-store
// nor --join does not run: it exits with 2 and says both ways to go on.
TEST(create_store, an_empty_data_dir_without_create_or_join_says_what_to_do) {
  temp_dir dir;
  node_options o;
  o.device_id = "POS9";
  o.enroll_if_fresh = false;
  node_process n(dir.path() / "POS9", o);
  ASSERT_TRUE(n.start(false));
  ASSERT_TRUE(eventually([&] { return n.exited(); }));
  EXPECT_EQ(n.exit_code(), 2);
  const auto log = n.log_text();
  EXPECT_NE(log.find("belongs to no store"), std::string::npos) << log;
  EXPECT_NE(log.find("--create-store"), std::string::npos) << log;
  EXPECT_NE(log.find("storectl devices enroll POS9"), std::string::npos) << log;
  EXPECT_NE(log.find("STORENODE_JOIN_CODE"), std::string::npos) << log;
}
