// Issue 16, defect 7: a node must notice a damaged log at start-up. Three
// kinds of damage made with raw RocksDB writes to a stopped node's data dir
// (the head's event deleted, the head's event tampered, the heads behind the
// log): each time the node refuses to start with exit code 3, naming
// origin:seq and `storectl audit verify`; with --allow-damaged it serves reads
// only (commands 503 read_only) and writes nothing to the data dir.
#include <gtest/gtest.h>

#include "events/codec.hpp"
#include "storage/keys.hpp"
#include "storage/testing.hpp"
#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;
using std::chrono::seconds;
namespace raw = sn::storage::testing;

namespace {

constexpr const char* device = "POS1";

/// A stopped node's data dir holding a few events of its own.
struct damaged_fixture : ::testing::Test {
  temp_dir dir;
  std::filesystem::path data() const { return dir.path() / "data"; }
  std::uint64_t head_seq = 0;

  void SetUp() override {
    node_process n(data(), {});
    ASSERT_TRUE(n.start()) << n.log_text();
    auto r = n.post("/v1/products", R"({"sku":"MILK","name":"Milk 1L","price_cents":129})");
    ASSERT_TRUE(r && r->status == 201);
    r = n.post("/v1/stock/receipts", R"({"sku":"MILK","qty":10,"supplier_ref":"PO-1"})");
    ASSERT_TRUE(r && r->status == 201);
    head_seq = n.get_json("/v1/status")["version_vector"].value(device, 0);
    ASSERT_GE(head_seq, 2u);
    ASSERT_TRUE(n.stop());
  }

  /// Starts a node on the damaged dir and expects exit 3 naming POS1:seq.
  void expect_refused(std::uint64_t seq) {
    node_process n(data(), {});
    ASSERT_TRUE(n.start(false));
    ASSERT_TRUE(eventually([&] { return n.exited(); }, seconds(20))) << n.log_text();
    EXPECT_EQ(n.exit_code(), 3) << n.log_text();
    const std::string log = n.log_text();
    EXPECT_NE(log.find(std::string(device) + ":" + std::to_string(seq)), std::string::npos) << log;
    EXPECT_NE(log.find("storectl audit verify"), std::string::npos) << log;
    EXPECT_NE(log.find("--allow-damaged"), std::string::npos) << log;
  }

  /// With --allow-damaged: reads work, commands get 503 read_only, the log is untouched.
  void expect_inspection() {
    auto before = raw::raw_get(data().string(), "heads", device);
    node_process n(data(), {device, 0, {}, {"--allow-damaged"}});
    ASSERT_TRUE(n.start()) << n.log_text();
    auto r = n.get("/v1/products/MILK");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    r = n.post("/v1/sales", R"({"lines":[{"sku":"MILK","qty":1}],"payments":[{"method":"cash","amount_cents":200}]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_EQ(json::parse(r->body)["error"]["code"], "read_only") << r->body;
    ASSERT_TRUE(n.stop());
    EXPECT_EQ(n.exit_code(), 0);
    auto after = raw::raw_get(data().string(), "heads", device);
    ASSERT_EQ(before.has_value(), after.has_value());
    if (before) {
      EXPECT_EQ(*before, *after) << "inspection mode wrote the heads";
    }
  }
};

TEST_F(damaged_fixture, a_deleted_head_event_refuses_start_and_inspection_is_read_only) {
  ASSERT_TRUE(raw::delete_event(data().string(), device, head_seq));
  expect_refused(head_seq);
  expect_inspection();
}

TEST_F(damaged_fixture, a_tampered_head_event_refuses_start) {
  auto pos = raw::position_of(data().string(), device, head_seq);
  ASSERT_TRUE(pos);
  auto bytes = raw::get_event_bytes(data().string(), *pos);
  ASSERT_TRUE(bytes);
  std::string tampered = *bytes;
  tampered[tampered.size() - 40] ^= 0x01;  // inside the hash: the head's hash no longer matches
  ASSERT_TRUE(raw::put_event_bytes(data().string(), *pos, tampered));
  expect_refused(head_seq);
}

TEST_F(damaged_fixture, heads_behind_the_log_refuse_start) {
  // Rewind POS1's head by one: the log holds an event beyond it.
  auto prev_pos = raw::position_of(data().string(), device, head_seq - 1);
  ASSERT_TRUE(prev_pos);
  auto prev = raw::get_event_bytes(data().string(), *prev_pos);
  ASSERT_TRUE(prev);
  auto ev = sn::decode(*prev);
  ASSERT_TRUE(ev);
  std::string value;
  sn::storage::keys::head_value(value, head_seq - 1, ev->hash);
  ASSERT_TRUE(raw::raw_put(data().string(), "heads", device, value));
  expect_refused(head_seq);
}

TEST_F(damaged_fixture, an_intact_log_starts_as_before) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  auto r = n.post("/v1/sales", R"({"lines":[{"sku":"MILK","qty":1}],"payments":[{"method":"cash","amount_cents":200}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
}

} // namespace
