// Issue 16, defect 1: a peer sends one correctly chained event under the
// receiving node's OWN origin. Before the fix the sync path appended it, the
// log writer's head did not move, and every later sale was refused by the log
// while the HTTP client still got 201. Now: the forged event is refused and
// counted (sync counter refused_own_origin), and every sale answered 201 is in
// the log, as its own next seq, chained.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "actors/sync/messages.hpp"
#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "storage/event_log.hpp"
#include "tests/integration/curve_peer.hpp"
#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;
using std::chrono::seconds;

namespace {

std::unique_ptr<sn::storage::event_log> open_read_only(const std::filesystem::path& dir) {
  sn::storage::log_options o;
  o.data_dir = dir.string();
  o.mode = sn::storage::open_mode::read_only;
  auto opened = sn::storage::event_log::open(o);
  if (!opened) ADD_FAILURE() << opened.error().to_string();
  return opened ? std::move(*opened) : nullptr;
}

/// The next event of `origin`'s chain as the log holds it: correctly hashed.
sn::event forge_next(const sn::storage::origin_head& head, const std::string& origin) {
  sn::price_changed p;
  p.sku = "MILK";
  p.price_cents = 1;
  sn::event e = sn::make_event(sn::device_id{origin}, sn::origin_seq{head.seq.value() + 1},
                               sn::hlc_timestamp::from_parts(1'700'000'000'000, 0), sn::term_id{1}, p);
  e.prev_hash = head.hash;
  sn::seal(e);
  return e;
}

TEST(forged_origin_test, event_under_own_origin_is_refused_and_every_acknowledged_sale_is_in_the_log) {
  cluster c({{"N1", 10}});
  // The liar is a configured peer: frames from an unknown sender are not even
  // delivered until it proves its address (docs/protocol.md 2.6); this test
  // is about what sync does with a forged event from a peer it listens to.
  const std::string liar = "tcp://127.0.0.1:1";
  c[0].peers().push_back(liar);
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all()); }, seconds(20))) << c.describe(c.all());
  auto r = c[0].post("/v1/products", json{{"sku", "MILK"}, {"name", "Milk 1L"}, {"price_cents", 129}}.dump());
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
  r = c[0].post("/v1/stock/receipts", json{{"sku", "MILK"}, {"qty", 1000}, {"supplier_ref", "PO-1"}}.dump());
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");

  auto log = open_read_only(c[0].data_dir());
  ASSERT_TRUE(log);
  // Quiet node: the forged event chains onto the head the log holds now.
  auto head = log->head(sn::device_id{"N1"});
  ASSERT_TRUE(head);
  const std::uint64_t head_before = head->seq.value();
  const sn::event forged = forge_next(*head, "N1");
  std::string bytes;
  sn::encode(forged, bytes);

  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  curve_client(dealer, c[0].data_dir(), c[0].data_dir());  // an enrolled key: the peer port admits no other
  dealer.connect(c[0].bind());
  // An unsolicited sync reply and a live-events frame, both carrying it.
  ASSERT_TRUE(send_frame(dealer, 12, liar, sn::sync::encode_sync_reply(0, {{"N1", forged.seq.value()}}, false, {bytes})));
  ASSERT_TRUE(send_frame(dealer, 10, liar, sn::sync::encode_live_events({bytes}, 0, 1)));
  auto refused = [&] {
    return c.get_json(0, "/v1/status")["sync"]["counters"].value("refused_own_origin", 0L);
  };
  ASSERT_TRUE(eventually([&] { return refused() >= 1; }, seconds(10))) << c.describe(c.all());

  // Sell: every 201 must be in the log.
  std::set<std::string> acknowledged;
  for (int i = 0; i < 30; ++i) {
    auto s = c[0].post("/v1/sales", json{{"lines", json::array({{{"sku", "MILK"}, {"qty", 1}}})},
                                         {"payments", json::array({{{"method", "cash"}, {"amount_cents", 200}}})}}
                                        .dump());
    ASSERT_TRUE(s) << "no answer";
    ASSERT_EQ(s->status, 201) << s->body;
    acknowledged.insert(json::parse(s->body).at("receipt").get<std::string>());
  }
  ASSERT_TRUE(log->catch_up());
  std::set<std::string> stored;
  bool forged_seen = false;
  for (auto& se : log->read_origin(sn::device_id{"N1"}, sn::origin_seq{head_before + 1}, 1000)) {
    if (se.ev.hash == forged.hash) forged_seen = true;
    if (auto sale = sn::payload_of<sn::sale_completed>(se.ev)) stored.insert(sale->receipt);
  }
  EXPECT_FALSE(forged_seen) << "the forged event under N1's own origin was appended";
  for (const auto& receipt : acknowledged) EXPECT_EQ(stored.count(receipt), 1u) << receipt << " acknowledged but not in the log";
  const auto head_after = log->head(sn::device_id{"N1"});
  ASSERT_TRUE(head_after);
  EXPECT_GE(head_after->seq.value(), head_before + acknowledged.size());
  EXPECT_EQ(c.get_json(0, "/v1/status")["sync"]["counters"].value("refused_own_origin", 0L), refused());
}

} // namespace
