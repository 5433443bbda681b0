// A shop day on two tills through command_handler, with exact figures:
// stock on hand, the count rule, oversell, returns across devices, voids,
// the daily report per device and store-wide, the Z close, restart.
#include <gtest/gtest.h>

#include "tests/unit/retail/retail_support.hpp"

namespace sn::retail::test {
namespace {

using nlohmann::json;

class shop_day : public ::testing::Test {
protected:
  static inline const store_settings settings{time_zone::fixed(60)};
  till pos1{"POS1", settings};
  till pos2{"POS2", settings};

  void sync() {
    pos1.pull(pos2);
    pos2.pull(pos1);
  }
  json ok(till& t, command_kind k, const json& body, int status = 201) {
    command_reply r = t.run(k, body);
    EXPECT_EQ(r.http_status, status) << r.body.dump();
    EXPECT_FALSE(r.drafts.empty());
    return r.body;
  }

  void run_day() {
    ok(pos1, command_kind::upsert_product,
       {{"sku", "COFFEE"}, {"name", "Coffee"}, {"price_cents", 450}, {"tax_rate_bp", 2000}, {"low_stock_threshold", 5}});
    ok(pos1, command_kind::upsert_product,
       {{"sku", "TEA"}, {"name", "Tea"}, {"price_cents", 300}, {"tax_rate_bp", 1000}, {"low_stock_threshold", 2}});
    ok(pos1, command_kind::upsert_product,
       {{"sku", "MUG"}, {"name", "Mug"}, {"price_cents", 1200}, {"tax_rate_bp", 2000}, {"low_stock_threshold", 2}});
    ok(pos1, command_kind::receive_stock, {{"sku", "COFFEE"}, {"qty", 20}, {"supplier_ref", "PO-1"}});
    ok(pos1, command_kind::receive_stock, {{"sku", "TEA"}, {"qty", 10}});
    ok(pos1, command_kind::receive_stock, {{"sku", "MUG"}, {"qty", 3}});

    s1 = ok(pos1, command_kind::complete_sale,
            {{"lines", {{{"sku", "COFFEE"}, {"qty", 2}}, {{"sku", "TEA"}, {"qty", 1}, {"discount_cents", 50}}}},
             {"payments", {{{"method", "cash"}, {"amount_cents", 2000}}}}});
    ok(pos1, command_kind::complete_sale,
       {{"lines", {{{"sku", "MUG"}, {"qty", 1}, {"unit_price_cents", 1000}}}},
        {"payments", {{{"method", "card"}, {"amount_cents", 1000}}}}});
    ok(pos1, command_kind::complete_sale,
       {{"lines", {{{"sku", "COFFEE"}, {"qty", 3}}}}, {"payments", {{{"method", "card"}, {"amount_cents", 1350}}}}});
    ok(pos1, command_kind::void_sale, {{"receipt", "POS1-000003"}, {"reason", "wrong customer"}}, 200);
    sync();

    // cross-device return at POS2
    ret2 = ok(pos2, command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {{{"sku", "COFFEE"}, {"qty", 1}}}}});
    sync();
    over = pos1.run(command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {{{"sku", "COFFEE"}, {"qty", 2}}}}});
    ret1 = ok(pos1, command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {{{"sku", "COFFEE"}, {"qty", 1}}}}});

    // POS1 counts TEA while POS2 (not yet synced) sells one
    count = ok(pos1, command_kind::count_stock, {{"sku", "TEA"}, {"counted_qty", 8}});
    ok(pos2, command_kind::complete_sale,
       {{"lines", {{{"sku", "TEA"}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 300}}}}});
    // both tills sell the last mugs while apart
    ok(pos1, command_kind::complete_sale,
       {{"lines", {{{"sku", "MUG"}, {"qty", 2}}}}, {"payments", {{{"method", "card"}, {"amount_cents", 2400}}}}});
    ok(pos2, command_kind::complete_sale,
       {{"lines", {{{"sku", "MUG"}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 1500}}}}});
    ok(pos1, command_kind::adjust_stock, {{"sku", "COFFEE"}, {"delta", -1}, {"reason", "damage"}});
    sync();
  }

  json s1, ret1, ret2, count;
  command_reply over;
};

TEST_F(shop_day, sale_reply_carries_receipt_and_figures) {
  run_day();
  EXPECT_EQ(s1["receipt"], "POS1-000001");
  EXPECT_EQ(s1["gross_cents"], 1200);
  EXPECT_EQ(s1["discount_cents"], 50);
  EXPECT_EQ(s1["tax_cents"], 150 + 23);  // 900*2000/12000, round(250*1000/11000)
  EXPECT_EQ(s1["total_cents"], 1150);
  EXPECT_EQ(s1["change_cents"], 850);
  EXPECT_EQ(s1["paid_cents"], 2000);
  EXPECT_EQ(s1["day"], "2026-11-25");
}

TEST_F(shop_day, returns_count_earlier_returns_from_any_device) {
  run_day();
  EXPECT_EQ(ret2["return_id"], "POS2-R000001");
  EXPECT_EQ(ret2["refund_cents"], 450);
  EXPECT_EQ(ret2["method"], "cash");
  EXPECT_EQ(over.http_status, 409);
  EXPECT_EQ(over.body["error"]["code"], "return_exceeds_sold");
  EXPECT_TRUE(over.drafts.empty());
  EXPECT_EQ(ret1["return_id"], "POS1-R000001");
  EXPECT_EQ(ret1["refund_cents"], 450);
  const json sale = *pos2.handler.state().sale("POS1-000001");
  EXPECT_EQ(sale["refunded_cents"], 900);
  EXPECT_EQ(sale["lines"][0]["returned_qty"], 2);
  // nothing left to return
  auto again = pos2.run(command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {{{"sku", "COFFEE"}, {"qty", 1}}}}});
  EXPECT_EQ(again.http_status, 409);
}

TEST_F(shop_day, stock_on_hand_count_rule_and_oversell) {
  run_day();
  EXPECT_EQ(count["expected_qty"], 9);
  EXPECT_EQ(count["adjustment"], -1);
  for (till* t : {&pos1, &pos2}) {
    const views& v = t->handler.state();
    EXPECT_EQ(v.on_hand("COFFEE"), 19);  // 20 - 2 sold + 2 returned - 1 damaged; voided sale gave 3 back
    EXPECT_EQ(v.on_hand("TEA"), 7);      // 10 - 1 - 1 (POS2 during the count) - 1 (count 8 vs 9)
    EXPECT_EQ(v.on_hand("MUG"), -1);     // 3 - 1 - 2 - 1: never clamped
    const json mug = *v.inventory_item("MUG");
    EXPECT_TRUE(mug["oversold"].get<bool>());
    EXPECT_TRUE(mug["low_stock"].get<bool>());
    const json low = v.inventory(true);
    ASSERT_EQ(low["items"].size(), 1u);
    EXPECT_EQ(low["items"][0]["sku"], "MUG");
    EXPECT_EQ(v.inventory(false)["items"].size(), 3u);
    EXPECT_EQ(v.inventory(false)["oversold_count"], 1);
  }
}

TEST_F(shop_day, daily_report_per_device_and_store_wide) {
  run_day();
  const json d = pos2.handler.state().daily_report(std::string("2026-11-25"), std::nullopt);
  EXPECT_EQ(d["gross_cents"], 6100);
  EXPECT_EQ(d["discounts_cents"], 50);
  EXPECT_EQ(d["tax_cents"], 173 + 167 + 400 - 75 + 27 + 200 - 75);
  EXPECT_EQ(d["returns_cents"], 900);
  EXPECT_EQ(d["net_cents"], 5150);
  EXPECT_EQ(d["by_method"]["cash"], 1750);
  EXPECT_EQ(d["by_method"]["card"], 3400);
  EXPECT_EQ(d["by_method"]["other"], 0);
  EXPECT_EQ(d["transactions"], 5);
  EXPECT_EQ(d["returns"], 2);
  EXPECT_EQ(d["voids"], 1);
  const json p1 = d["devices"]["POS1"];
  EXPECT_EQ(p1["gross_cents"], 4600);
  EXPECT_EQ(p1["tax_cents"], 665);
  EXPECT_EQ(p1["returns_cents"], 450);
  EXPECT_EQ(p1["net_cents"], 4100);
  EXPECT_EQ(p1["by_method"]["cash"], 700);
  EXPECT_EQ(p1["by_method"]["card"], 3400);
  EXPECT_EQ(p1["transactions"], 3);
  const json p2 = pos1.handler.state().daily_report(std::string("2026-11-25"), std::string("POS2"));
  EXPECT_EQ(p2["gross_cents"], 1500);
  EXPECT_EQ(p2["net_cents"], 1050);
  EXPECT_EQ(p2["by_method"]["cash"], 1050);
  EXPECT_EQ(p2["transactions"], 2);
  // the default day is the newest day with figures
  EXPECT_EQ(pos1.handler.state().daily_report(std::nullopt, std::nullopt), d);
  // the sales list of the day
  const json list = pos1.handler.state().sales(std::string("2026-11-25"), std::string("POS1"));
  EXPECT_EQ(list["count"], 4);
  EXPECT_EQ(list["sales"][0]["receipt"], "POS1-000004");  // newest first
  EXPECT_EQ(pos1.handler.state().sales(std::string("2026-11-24"), std::nullopt)["count"], 0);
}

TEST_F(shop_day, void_restores_stock_and_removes_figures) {
  run_day();
  const json s3 = *pos1.handler.state().sale("POS1-000003");
  EXPECT_TRUE(s3["voided"].get<bool>());
  EXPECT_EQ(s3["void"]["reason"], "wrong customer");
  auto again = pos1.run(command_kind::void_sale, {{"receipt", "POS1-000003"}});
  EXPECT_EQ(again.http_status, 409);
  EXPECT_EQ(again.body["error"]["code"], "already_voided");
  auto with_returns = pos1.run(command_kind::void_sale, {{"receipt", "POS1-000001"}});
  EXPECT_EQ(with_returns.http_status, 409);
  EXPECT_EQ(with_returns.body["error"]["code"], "sale_has_returns");
  auto ret = pos1.run(command_kind::return_sale, {{"receipt", "POS1-000003"}, {"lines", {{{"sku", "COFFEE"}, {"qty", 1}}}}});
  EXPECT_EQ(ret.body["error"]["code"], "sale_voided");
}

TEST_F(shop_day, z_close_records_the_figures_once) {
  run_day();
  const json z = ok(pos1, command_kind::close_day, json::object());
  EXPECT_EQ(z["day"], "2026-11-25");
  EXPECT_EQ(z["net_cents"], 4100);
  EXPECT_EQ(z["by_method"]["cash"], 700);
  EXPECT_EQ(z["transactions"], 3);
  auto twice = pos1.run(command_kind::close_day, {{"day", "2026-11-25"}});
  EXPECT_EQ(twice.http_status, 409);
  EXPECT_EQ(twice.body["error"]["code"], "day_already_closed");
  sync();
  const json d = pos2.handler.state().daily_report(std::string("2026-11-25"), std::nullopt);
  EXPECT_EQ(d["devices"]["POS1"]["closed"]["net_cents"], 4100);
  EXPECT_TRUE(d["devices"]["POS2"]["closed"].is_null());
}

TEST_F(shop_day, both_tills_and_a_fresh_replay_agree) {
  run_day();
  const auto streams = by_origin({&pos1, &pos2});
  std::vector<event> all;
  for (const auto& [o, list] : streams) all.insert(all.end(), list.begin(), list.end());
  const views fresh = replay(all, settings);
  EXPECT_EQ(pos1.handler.state().digests(), pos2.handler.state().digests());
  EXPECT_EQ(fresh.digests(), pos1.handler.state().digests());
  EXPECT_EQ(fresh.applied(), all.size());
}

TEST_F(shop_day, receipt_numbers_survive_restart) {
  run_day();
  command_handler restarted(settings);
  for (const till* t : {&pos1, &pos2}) {
    for (const event& e : t->own) restarted.restore_own(e);
  }
  const std::uint64_t later = pos1.wall_ms - 3600000;  // wall clock stepped back: HLC still moves on
  command_reply r = restarted.handle(
      command_kind::complete_sale,
      {{"lines", {{{"sku", "COFFEE"}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 500}}}}}, "",
      command_context{device_id{"POS1"}, later, term_id{1}});
  ASSERT_EQ(r.http_status, 201) << r.body.dump();
  EXPECT_EQ(r.body["receipt"], "POS1-000005");
  ASSERT_EQ(r.drafts.size(), 1u);
  EXPECT_GT(r.drafts[0].hlc, pos1.own.back().hlc);
  command_reply ret = restarted.handle(command_kind::return_sale,
                                       {{"receipt", "POS1-000002"}, {"lines", {{{"sku", "MUG"}, {"qty", 1}}}}}, "",
                                       command_context{device_id{"POS1"}, later, term_id{1}});
  EXPECT_EQ(ret.body["return_id"], "POS1-R000002");
  EXPECT_EQ(ret.body["method"], "card");
  EXPECT_EQ(ret.body["refund_cents"], 1000);
}

TEST_F(shop_day, idempotent_retry_returns_first_reply_and_no_drafts) {
  run_day();
  const json sale{{"lines", {{{"sku", "TEA"}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 300}}}}};
  command_reply first = pos1.run(command_kind::complete_sale, sale, "key-1");
  ASSERT_EQ(first.http_status, 201);
  ASSERT_TRUE(first.idempotency_record.has_value());
  EXPECT_EQ(first.idempotency_record->first, "key-1");
  const auto before = pos1.handler.state().digests();
  command_reply retry = pos1.run(command_kind::complete_sale, sale, "key-1");
  EXPECT_EQ(retry.http_status, 201);
  EXPECT_EQ(retry.body, first.body);
  EXPECT_TRUE(retry.drafts.empty());
  EXPECT_FALSE(retry.idempotency_record.has_value());
  EXPECT_EQ(pos1.handler.state().digests(), before);
  json other = sale;
  other["lines"][0]["qty"] = 2;
  command_reply reused = pos1.run(command_kind::complete_sale, other, "key-1");
  EXPECT_EQ(reused.http_status, 409);
  EXPECT_EQ(reused.body["error"]["code"], "idempotency_key_reused");
  EXPECT_TRUE(reused.drafts.empty());
  command_reply other_kind = pos1.run(command_kind::receive_stock, {{"sku", "TEA"}, {"qty", 1}}, "key-1");
  EXPECT_EQ(other_kind.http_status, 409);
  // an idempotency_key body field does not change the fingerprint
  json with_field = sale;
  with_field["idempotency_key"] = "key-1";
  EXPECT_EQ(pos1.run(command_kind::complete_sale, with_field, "key-1").body, first.body);
  // after a restart the persisted record still answers
  command_handler restarted(settings);
  for (const event& e : pos1.own) restarted.restore_own(e);
  restarted.load_idempotency(first.idempotency_record->first, first.idempotency_record->second);
  command_reply after = restarted.handle(command_kind::complete_sale, sale, "key-1",
                                         command_context{device_id{"POS1"}, pos1.wall_ms + 10, term_id{1}});
  EXPECT_EQ(after.http_status, 201);
  EXPECT_EQ(after.body, first.body);
  EXPECT_TRUE(after.drafts.empty());
  // a rejected command is not recorded: the retry is judged again
  command_reply bad = pos1.run(command_kind::receive_stock, {{"sku", "NOPE"}, {"qty", 1}}, "key-2");
  EXPECT_EQ(bad.http_status, 404);
  EXPECT_FALSE(bad.idempotency_record.has_value());
  ok(pos1, command_kind::upsert_product, {{"sku", "NOPE"}, {"name", "n"}, {"price_cents", 1}});
  EXPECT_EQ(pos1.run(command_kind::receive_stock, {{"sku", "NOPE"}, {"qty", 1}}, "key-2").http_status, 201);
}

TEST_F(shop_day, drafts_are_unsealed_and_typed) {
  command_reply r = pos1.handler.handle(command_kind::upsert_product, {{"sku", "A"}, {"name", "A"}, {"price_cents", 1}},
                                        "", command_context{device_id{"POS1"}, morning_ms(), term_id{3}});
  ASSERT_EQ(r.drafts.size(), 1u);
  const event& e = r.drafts[0];
  EXPECT_EQ(e.origin, device_id{"POS1"});
  EXPECT_EQ(e.term, term_id{3});
  EXPECT_EQ(e.type, static_cast<std::uint16_t>(event_type::product_upserted));
  EXPECT_EQ(e.seq, origin_seq{0});
  EXPECT_EQ(e.hash, hash256{});
  EXPECT_EQ(e.hlc.wall_ms(), morning_ms());
}

} // namespace
} // namespace sn::retail::test
