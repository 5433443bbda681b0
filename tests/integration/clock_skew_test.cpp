// Issue 9 item 5, "clocks cannot be dragged": an outside peer injects a
// correctly chained event of a new origin whose HLC is 3 days ahead (the
// issue's forged event). Before the fix it was appended and moved the node's
// clock: later sales were booked to a business day 3 days away. Now it is not
// appended, the node's clock does not move (a sale after it is stamped with
// today's business day and a time near now), the refusal is counted
// (storenode_events_refused_total{reason="clock_skew"}), /v1/status shows
// clock.skew_warning, the node logs it once (not per event), and an in-range
// event of another new origin sent alongside is appended as usual.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include <chrono>
#include <ctime>

#include "actors/sync/messages.hpp"
#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "storage/event_log.hpp"
#include "tests/integration/curve_peer.hpp"
#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;
using std::chrono::seconds;

namespace {

constexpr std::uint64_t day_ms = 86400000;

std::uint64_t wall_now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

/// The UTC day (the node's default store zone) of a wall time, YYYY-MM-DD.
std::string utc_day(std::uint64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

/// `origin`'s first `n` events, correctly chained and hashed, at these HLC wall times.
std::vector<std::string> chain(const std::string& origin, const std::vector<std::uint64_t>& hlc_ms) {
  std::vector<std::string> out;
  sn::hash256 prev{};
  for (std::size_t i = 0; i < hlc_ms.size(); ++i) {
    sn::price_changed p;
    p.sku = "MILK";
    p.price_cents = 1 + static_cast<std::int64_t>(i);
    sn::event e = sn::make_event(sn::device_id{origin}, sn::origin_seq{i + 1}, sn::hlc_timestamp::from_parts(hlc_ms[i], 0),
                                 sn::term_id{1}, p);
    e.prev_hash = prev;
    sn::seal(e);
    prev = e.hash;
    std::string bytes;
    sn::encode(e, bytes);
    out.push_back(std::move(bytes));
  }
  return out;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

/// One series of the node's /metrics (-1 when absent or no answer).
long metric(node_process& n, const std::string& series) {
  auto r = n.get("/metrics");
  return r && r->status == 200 ? sn::testing::metric(r->body, series) : -1;
}

TEST(clock_skew_test, event_three_days_ahead_is_refused_and_the_clock_does_not_move) {
  cluster c({{"N1", 10}});
  // The outsider is a configured peer: frames of an unknown sender are not
  // delivered before it proves its address (docs/protocol.md 2.6).
  const std::string outsider = "tcp://127.0.0.1:1";
  c[0].peers().push_back(outsider);
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all()); }, seconds(20))) << c.describe(c.all());
  auto r = c[0].post("/v1/products", json{{"sku", "MILK"}, {"name", "Milk 1L"}, {"price_cents", 129}}.dump());
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
  r = c[0].post("/v1/stock/receipts", json{{"sku", "MILK"}, {"qty", 1000}, {"supplier_ref", "PO-1"}}.dump());
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");

  auto status = c.get_json(0, "/v1/status");
  ASSERT_TRUE(status.contains("clock")) << status.dump();
  EXPECT_EQ(status["clock"].value("max_skew_ms", 0L), 60000);
  EXPECT_TRUE(status["clock"]["skew_warning"].is_null()) << status.dump();

  // FAR: a new origin whose first event is 3 days ahead (its second one too:
  // it waits behind the first). NEAR: a new origin in range, sent alongside:
  // it passes the clock check and meets the origin gate next (no device
  // enrolled it, docs/protocol.md 3.3), so it is refused as unknown_origin,
  // not for its clock.
  const std::uint64_t now = wall_now_ms();
  const auto far = chain("FAR", {now + 3 * day_ms, now + 3 * day_ms + 1});
  const auto near = chain("NEAR", {now});
  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  curve_client(dealer, c[0].data_dir(), c[0].data_dir());  // an enrolled key: the peer port admits no other
  dealer.connect(c[0].bind());
  // Live events and an unsolicited catch-up reply, several times over.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(send_frame(dealer, 10, outsider, sn::sync::encode_live_events({far[0], far[1], near[0]}, 0, 3)));
    ASSERT_TRUE(send_frame(dealer, 12, outsider, sn::sync::encode_sync_reply(0, {{"FAR", 2}, {"NEAR", 1}}, false, {far[0], far[1], near[0]})));
  }
  auto refused = [&] { return c.get_json(0, "/v1/status")["sync"]["counters"].value("refused_clock_skew", 0L); };
  ASSERT_TRUE(eventually([&] { return refused() >= 1; }, seconds(10))) << c.describe(c.all());
  ASSERT_TRUE(eventually(
      [&] { return c.get_json(0, "/v1/status")["sync"]["counters"].value("refused_unknown_origin", 0L) >= 1; },
      seconds(10)))
      << "the in-range event of NEAR did not reach the origin gate: " << c.describe(c.all());

  status = c.get_json(0, "/v1/status");
  EXPECT_FALSE(status["version_vector"].contains("FAR")) << status.dump();
  const auto& warning = status["clock"]["skew_warning"];
  ASSERT_TRUE(warning.is_object()) << status.dump();
  EXPECT_EQ(warning.value("origin", ""), "FAR");
  EXPECT_EQ(warning.value("peer", ""), outsider);
  EXPECT_EQ(warning.value("seq", 0L), 1);
  EXPECT_GT(warning.value("ahead_ms", 0ULL), 3 * day_ms - 60000);
  EXPECT_LT(warning.value("ahead_ms", 0ULL), 3 * day_ms + 60000);
  EXPECT_FALSE(warning.value("since", "").empty());
  EXPECT_FALSE(status.contains("sync") && status["sync"].contains("clock")) << "clock is top-level in /v1/status";
  EXPECT_GE(metric(c[0], "storenode_events_refused_total{reason=\"clock_skew\"}"), 1);
  EXPECT_EQ(metric(c[0], "storenode_clock_skew_held_origins"), 1);

  // The node's clock did not move: a sale now is stamped today, at about now.
  const std::uint64_t before = wall_now_ms();
  auto s = c[0].post("/v1/sales", json{{"lines", json::array({{{"sku", "MILK"}, {"qty", 1}}})},
                                       {"payments", json::array({{{"method", "cash"}, {"amount_cents", 200}}})}}
                                      .dump());
  const std::uint64_t after = wall_now_ms();
  ASSERT_TRUE(s && s->status == 201) << (s ? s->body : "no answer");
  const auto sale = json::parse(s->body);
  const std::string day = sale.value("day", "");
  EXPECT_TRUE(day == utc_day(before) || day == utc_day(after)) << "sale booked to " << day << ": " << s->body;
  const std::string time = sale.value("time", "");
  EXPECT_TRUE(time.substr(0, 10) == utc_day(before) || time.substr(0, 10) == utc_day(after)) << s->body;

  // Logged once (per origin), not per event or per frame.
  ASSERT_TRUE(eventually([&] { return c[0].log_text().find("refused FAR:1") != std::string::npos; }, seconds(5)));
  EXPECT_EQ(count_of(c[0].log_text(), "refused FAR:1"), 1u) << c[0].log_text();

  // Nothing of FAR in the log.
  ASSERT_TRUE(c[0].stop());
  sn::storage::log_options o;
  o.data_dir = c[0].data_dir().string();
  o.mode = sn::storage::open_mode::read_only;
  auto log = sn::storage::event_log::open(o);
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_FALSE((*log)->head(sn::device_id{"FAR"}).has_value());
  EXPECT_FALSE((*log)->head(sn::device_id{"NEAR"}).has_value()) << "an unenrolled origin was appended";
}

} // namespace
