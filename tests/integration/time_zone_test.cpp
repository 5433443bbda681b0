// store.time_zone through a real node (issue 12 item 8). The node reads its
// own clock, so the test cannot choose the instant of a sale: it checks that
// the sale carries the business day of its own time in the configured zone
// (read from the same system tzdata), in the event and in the views. The
// DST cases themselves are unit tests of the command handler with
// command_context::wall_ms (tests/unit/retail/business_day_test.cpp). A zone
// the tzdata lacks stops the node with exit code 2 and a message naming the key.
#include <gtest/gtest.h>

#include "events/civil_date.hpp"
#include "events/hlc.hpp"
#include "node/zoneinfo.hpp"
#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

json post_ok(node_process& n, const std::string& path, const json& body) {
  auto r = n.post(path, body.dump());
  EXPECT_TRUE(r) << path;
  if (!r) return json();
  EXPECT_EQ(r->status, 201) << path << " " << body.dump() << " -> " << r->body;
  return json::parse(r->body, nullptr, false);
}

TEST(time_zone, a_sale_is_stamped_with_its_day_in_the_store_zone) {
  auto berlin = sn::node::load_time_zone("Europe/Berlin");
  if (!berlin) GTEST_SKIP() << berlin.error().message << " (scripts/setup.sh installs tzdata)";
  temp_dir dir;
  node_process n(dir.path() / "data", {"POS1", 0, {}, {"--store.time-zone", "Europe/Berlin"}});
  ASSERT_TRUE(n.start()) << n.log_text();
  post_ok(n, "/v1/products", {{"sku", "BREAD"}, {"name", "Bread"}, {"price_cents", 300}});
  const json sale = post_ok(
      n, "/v1/sales",
      {{"lines", {{{"sku", "BREAD"}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 300}}}}});
  const json ret =
      post_ok(n, "/v1/returns", {{"receipt", sale["receipt"]}, {"lines", {{{"sku", "BREAD"}, {"qty", 1}}}}});

  const json events = n.get_json("/v1/events?type=sale.*");
  ASSERT_EQ(events["events"].size(), 2u) << events.dump();
  for (const json& e : events["events"]) {
    const auto wall_ms = sn::hlc_timestamp{e["hlc"].get<std::uint64_t>()}.wall_ms();
    const std::string want = sn::format_day(berlin->local_day(static_cast<std::int64_t>(wall_ms)));
    // sale.completed: business_day (2), attribution (3), card fields (4); sale.returned: 3.
    EXPECT_EQ(e["schema"], e["type"] == "sale.completed" ? 4 : 3) << e.dump();
    EXPECT_EQ(e["payload"]["business_day"], want) << e.dump();
    if (e["type"] == "sale.completed") {
      EXPECT_EQ(sale["day"], want);
      ASSERT_TRUE(
          eventually([&] { return n.get_json("/v1/sales/" + sale["receipt"].get<std::string>()).contains("day"); }));
      EXPECT_EQ(n.get_json("/v1/sales/" + sale["receipt"].get<std::string>())["day"], want);
    } else {
      EXPECT_EQ(ret["day"], want);
    }
  }
}

TEST(time_zone, an_unknown_zone_stops_the_node_naming_the_key) {
  temp_dir dir;
  node_process typo(dir.path() / "a", {"POS1", 0, {}, {"--store.time-zone", "Europe/Berln"}});
  ASSERT_TRUE(typo.start(false));
  ASSERT_TRUE(eventually([&] { return typo.exited(); }));
  EXPECT_EQ(typo.exit_code(), 2);
  EXPECT_NE(typo.log_text().find("store.time_zone"), std::string::npos) << typo.log_text();
  EXPECT_NE(typo.log_text().find("Europe/Berln"), std::string::npos) << typo.log_text();

  node_process both(dir.path() / "b",
                    {"POS1", 0, {}, {"--store.time-zone", "Europe/Berlin", "--store.utc-offset-minutes", "60"}});
  ASSERT_TRUE(both.start(false));
  ASSERT_TRUE(eventually([&] { return both.exited(); }));
  EXPECT_EQ(both.exit_code(), 2);
  EXPECT_NE(both.log_text().find("store.utc_offset_minutes is deprecated"), std::string::npos) << both.log_text();
}

}  // namespace
