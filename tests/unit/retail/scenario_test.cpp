// A shop day on two tills through command_handler, with exact figures:
// stock on hand, the count rule, oversell, returns across devices, voids,
// the daily report per device and store-wide, the Z close, restart.
#include <gtest/gtest.h>

#include "actors/retail/business_day.hpp"
#include "actors/retail/command_codec.hpp"
#include "events/payload_codec.hpp"
#include "events/staff.hpp"
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
  /// Runs a command that must be accepted with events; returns its result.
  template <class R = void>
  command_result ok(till& t, const command& c) {
    command_outcome r = t.run(c);
    EXPECT_TRUE(r.is_accepted()) << (r.is_accepted() ? "" : std::get<rejected>(r.decision).message);
    EXPECT_FALSE(events_of(r).empty());
    return r.is_accepted() ? std::get<accepted>(r.decision).result : command_result{};
  }

  void run_day() {
    ok(pos1, product("COFFEE", "Coffee", 450, 2000, 5));
    ok(pos1, product("TEA", "Tea", 300, 1000, 2));
    ok(pos1, product("MUG", "Mug", 1200, 2000, 2));
    ok(pos1, receive_stock{"COFFEE", 20, "PO-1"});
    ok(pos1, receive_stock{"TEA", 10, ""});
    ok(pos1, receive_stock{"MUG", 3, ""});

    s1 = std::get<complete_sale_result>(
        ok(pos1, sale({line("COFFEE", 2), line("TEA", 1, std::nullopt, 50)}, {{pay("cash", 2000)}})));
    ok(pos1, sale({line("MUG", 1, 1000)}, {{pay("card", 1000)}}));
    ok(pos1, sale({line("COFFEE", 3)}, {{pay("card", 1350)}}));
    ok(pos1, void_sale{"POS1-000003", "wrong customer"});
    sync();

    // cross-device return at POS2
    ret2 = std::get<return_sale_result>(ok(pos2, give_back("POS1-000001", {{"COFFEE", 1}})));
    sync();
    over = pos1.run(give_back("POS1-000001", {{"COFFEE", 2}}));
    ret1 = std::get<return_sale_result>(ok(pos1, give_back("POS1-000001", {{"COFFEE", 1}})));

    // POS1 counts TEA while POS2 (not yet synced) sells one
    count = std::get<count_stock_result>(ok(pos1, count_stock{"TEA", 8}));
    ok(pos2, sale({line("TEA", 1)}, {{pay("cash", 300)}}));
    // both tills sell the last mugs while apart
    ok(pos1, sale({line("MUG", 2)}, {{pay("card", 2400)}}));
    ok(pos2, sale({line("MUG", 1)}, {{pay("cash", 1500)}}));
    ok(pos1, adjust_stock{"COFFEE", -1, "damage", ""});
    sync();
  }

  /// POS1 started again on its log (a fresh node over the same events).
  command_handler* restarted_pos1() {
    restart_node = std::make_unique<sn::test::memory_node>(device_id{"POS1"}, settings);
    for (const event& e : pos1.node.log()) restart_node->append(e);
    for (const auto& [key, value] : pos1.node.records()) restart_node->store_record(key, value);
    restart_handler = restart_node->restore_handler();
    return restart_handler.get();
  }
  std::unique_ptr<sn::test::memory_node> restart_node;
  std::unique_ptr<command_handler> restart_handler;

  complete_sale_result s1;
  return_sale_result ret1, ret2;
  count_stock_result count;
  command_outcome over;
};

TEST_F(shop_day, sale_reply_carries_receipt_and_figures) {
  run_day();
  EXPECT_EQ(s1.sale.receipt, "POS1-000001");
  EXPECT_EQ(s1.sale.gross_cents, 1200);
  EXPECT_EQ(s1.sale.discount_cents, 50);
  EXPECT_EQ(s1.sale.tax_cents, 150 + 23);  // 900*2000/12000, round(250*1000/11000)
  EXPECT_EQ(s1.sale.total_cents, 1150);
  EXPECT_EQ(s1.sale.change_cents, 850);
  EXPECT_EQ(s1.paid_cents, 2000);
  EXPECT_EQ(s1.sale.day, "2026-11-25");
}

TEST_F(shop_day, returns_count_earlier_returns_from_any_device) {
  run_day();
  EXPECT_EQ(ret2.return_id, "POS2-R000001");
  EXPECT_EQ(ret2.refund_cents, 450);
  EXPECT_EQ(ret2.method, "cash");
  EXPECT_EQ(errc_of(over), command_errc::return_exceeds_sold);
  EXPECT_TRUE(events_of(over).empty());
  EXPECT_EQ(ret1.return_id, "POS1-R000001");
  EXPECT_EQ(ret1.refund_cents, 450);
  const json sale = *pos2.state.sale("POS1-000001");
  EXPECT_EQ(sale["refunded_cents"], 900);
  EXPECT_EQ(sale["lines"][0]["returned_qty"], 2);
  // nothing left to return
  auto again = pos2.run(give_back("POS1-000001", {{"COFFEE", 1}}));
  EXPECT_EQ(errc_of(again), command_errc::return_exceeds_sold);
}

TEST_F(shop_day, stock_on_hand_count_rule_and_oversell) {
  run_day();
  EXPECT_EQ(count.expected_qty, 9);
  EXPECT_EQ(count.adjustment, -1);
  for (till* t : {&pos1, &pos2}) {
    const views& v = t->state;
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
  const json d = pos2.state.daily_report(std::string("2026-11-25"), std::nullopt);
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
  const json p2 = pos1.state.daily_report(std::string("2026-11-25"), std::string("POS2"));
  EXPECT_EQ(p2["gross_cents"], 1500);
  EXPECT_EQ(p2["net_cents"], 1050);
  EXPECT_EQ(p2["by_method"]["cash"], 1050);
  EXPECT_EQ(p2["transactions"], 2);
  // the default day is the newest day with figures
  EXPECT_EQ(pos1.state.daily_report(std::nullopt, std::nullopt), d);
  // the sales list of the day
  const json list = pos1.state.sales(std::string("2026-11-25"), std::string("POS1"));
  EXPECT_EQ(list["count"], 4);
  EXPECT_EQ(list["sales"][0]["receipt"], "POS1-000004");  // newest first
  EXPECT_EQ(pos1.state.sales(std::string("2026-11-24"), std::nullopt)["count"], 0);
}

TEST_F(shop_day, void_restores_stock_and_removes_figures) {
  run_day();
  const json s3 = *pos1.state.sale("POS1-000003");
  EXPECT_TRUE(s3["voided"].get<bool>());
  EXPECT_EQ(s3["void"]["reason"], "wrong customer");
  EXPECT_EQ(errc_of(pos1.run(void_sale{"POS1-000003", ""})), command_errc::already_voided);
  EXPECT_EQ(errc_of(pos1.run(void_sale{"POS1-000001", ""})), command_errc::sale_has_returns);
  EXPECT_EQ(errc_of(pos1.run(give_back("POS1-000003", {{"COFFEE", 1}}))), command_errc::sale_voided);
}

TEST_F(shop_day, z_close_records_the_figures_once) {
  run_day();
  const auto z = std::get<close_day_result>(ok(pos1, close_day{}));
  EXPECT_EQ(z.day, "2026-11-25");
  EXPECT_EQ(z.device, "POS1");
  EXPECT_EQ(z.net_cents, 4100);
  ASSERT_EQ(z.by_method.size(), 3u);
  EXPECT_EQ(z.by_method[0].method, "cash");
  EXPECT_EQ(z.by_method[0].amount_cents, 700);
  EXPECT_EQ(z.transactions, 3);
  auto twice = pos1.run(close_day{day_from_string("2026-11-25")});
  EXPECT_EQ(errc_of(twice), command_errc::day_already_closed);
  sync();
  const json d = pos2.state.daily_report(std::string("2026-11-25"), std::nullopt);
  EXPECT_EQ(d["devices"]["POS1"]["closed"]["net_cents"], 4100);
  EXPECT_TRUE(d["devices"]["POS2"]["closed"].is_null());
}

TEST_F(shop_day, both_tills_and_a_fresh_replay_agree) {
  run_day();
  const auto streams = by_origin({&pos1, &pos2});
  std::vector<event> all;
  for (const auto& [o, list] : streams) all.insert(all.end(), list.begin(), list.end());
  const views fresh = replay(all, settings);
  EXPECT_EQ(pos1.state.digests(), pos2.state.digests());
  EXPECT_EQ(fresh.digests(), pos1.state.digests());
  EXPECT_EQ(fresh.applied(), all.size());
}

TEST_F(shop_day, receipt_numbers_survive_restart) {
  run_day();
  // POS1 restarts on its data dir (its log holds both tills' events): the
  // handler starts from the projections' rows, nothing replayed into it.
  auto& restarted = *restarted_pos1();
  const std::uint64_t later = pos1.wall_ms - 3600000;  // wall clock stepped back: HLC still moves on
  command_outcome r = restarted.handle(sale({line("COFFEE", 1)}, {{pay("cash", 500)}}), "",
                                       command_context{device_id{"POS1"}, later, term_id{1}});
  EXPECT_EQ(result_of<complete_sale_result>(r).sale.receipt, "POS1-000005");
  ASSERT_EQ(events_of(r).size(), 1u);
  EXPECT_GT(events_of(r)[0].hlc, pos1.own.back().hlc);
  command_outcome ret = restarted.handle(give_back("POS1-000002", {{"MUG", 1}}), "",
                                         command_context{device_id{"POS1"}, later, term_id{1}});
  EXPECT_EQ(result_of<return_sale_result>(ret).return_id, "POS1-R000002");
  EXPECT_EQ(result_of<return_sale_result>(ret).method, "card");
  EXPECT_EQ(result_of<return_sale_result>(ret).refund_cents, 1000);
}

// The staff commands decide from the staff registers a restarted handler
// loads from the staff projection's rows (node.cpp restore()): a person
// added before the restart exists, a removed one can be added again, an
// unknown one cannot be changed; the newest register (an update on another
// till) is what a restarted till changes.
TEST_F(shop_day, staff_registers_survive_restart) {
  run_day();
  const std::string hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";
  ASSERT_TRUE(pos1.run(add_staff{"anna", "Anna", "cashier", hash}).is_accepted());
  ASSERT_TRUE(pos1.run(add_staff{"ben", "Ben", "cashier", hash}).is_accepted());
  ASSERT_TRUE(pos1.run(remove_staff{"ben"}).is_accepted());
  pos2.pull(pos1);
  ASSERT_TRUE(pos2.run(update_staff{"anna", std::string("Anna B."), std::string("supervisor"), std::nullopt, ""})
                  .is_accepted());
  pos1.pull(pos2);
  auto& restarted = *restarted_pos1();
  const command_context ctx{device_id{"POS1"}, pos1.wall_ms, term_id{1}};
  EXPECT_EQ(errc_of(restarted.handle(add_staff{"anna", "Anna", "cashier", hash}, "", ctx)), command_errc::staff_exists);
  EXPECT_EQ(errc_of(restarted.handle(update_staff{"cleo", std::string("C"), std::nullopt, std::nullopt, ""}, "", ctx)),
            command_errc::unknown_staff);
  EXPECT_EQ(errc_of(restarted.handle(remove_staff{"ben"}, "", ctx)), command_errc::unknown_staff);
  const command_outcome again = restarted.handle(add_staff{"ben", "Ben", "cashier", hash}, "", ctx);
  EXPECT_TRUE(again.is_accepted());
  // A PUT of only `active` keeps the newest name and role (POS2's update).
  const command_outcome off = restarted.handle(update_staff{"anna", std::nullopt, std::nullopt, false, ""}, "", ctx);
  ASSERT_TRUE(off.is_accepted());
  ASSERT_EQ(events_of(off).size(), 1u);
  const auto p = payload_of<staff_updated>(events_of(off)[0]);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "Anna B.");
  EXPECT_EQ(p->role, "supervisor");
  EXPECT_FALSE(p->active);
}

TEST_F(shop_day, idempotent_retry_returns_first_reply_and_no_drafts) {
  run_day();
  const complete_sale tea = sale({line("TEA", 1)}, {{pay("cash", 300)}});
  command_outcome first = pos1.run(tea, "key-1");
  const auto& first_sale = result_of<complete_sale_result>(first);
  ASSERT_TRUE(first.idempotency_record.has_value());
  EXPECT_EQ(first.idempotency_record->first, "key-1");
  const auto before = pos1.state.digests();
  command_outcome retry = pos1.run(tea, "key-1");
  EXPECT_TRUE(retry.is_replay());
  EXPECT_EQ(encode_result(std::get<accepted>(retry.decision).result), encode_result(std::get<accepted>(first.decision).result));
  EXPECT_EQ(result_of<complete_sale_result>(retry).sale.receipt, first_sale.sale.receipt);
  EXPECT_TRUE(events_of(retry).empty());
  EXPECT_FALSE(retry.idempotency_record.has_value());
  EXPECT_EQ(pos1.state.digests(), before);
  complete_sale other = tea;
  other.lines[0].qty = 2;
  command_outcome reused = pos1.run(other, "key-1");
  EXPECT_EQ(errc_of(reused), command_errc::idempotency_key_reused);
  EXPECT_EQ(errc_of(pos1.run(receive_stock{"TEA", 1, ""}, "key-1")), command_errc::idempotency_key_reused);
  // after a restart the stored record still answers: read from storage when
  // the key comes (nothing is loaded at start-up)
  auto& restarted = *restarted_pos1();
  command_outcome after =
      restarted.handle(tea, "key-1", command_context{device_id{"POS1"}, pos1.wall_ms + 10, term_id{1}});
  EXPECT_TRUE(after.is_replay());
  EXPECT_EQ(encode_result(std::get<accepted>(after.decision).result), encode_result(std::get<accepted>(first.decision).result));
  // a rejected command is not recorded: the retry is judged again
  command_outcome bad = pos1.run(receive_stock{"NOPE", 1, ""}, "key-2");
  EXPECT_EQ(errc_of(bad), command_errc::unknown_sku);
  EXPECT_FALSE(bad.idempotency_record.has_value());
  ok(pos1, product("NOPE", "n", 1));
  EXPECT_TRUE(pos1.run(receive_stock{"NOPE", 1, ""}, "key-2").is_accepted());
}

// Proves: a record of the build before typed commands (JSON text) is kept: a
// reuse of its key, identical or not, is refused and never decided again.
TEST_F(shop_day, a_legacy_json_record_reserves_its_key) {
  run_day();
  const std::string legacy =
      R"({"body":{"receipt":"POS1-000001"},"command":"complete_sale","fingerprint":"00","status":201})";
  // Stored (the node reads a key's record when a keyed command comes).
  pos1.node.store_record("old-key", legacy);
  pos1.node.store_record("junk-key", "\x01junk");
  const auto before = pos1.state.digests();
  for (const char* key : {"old-key", "junk-key"}) {
    command_outcome r = pos1.run(sale({line("TEA", 1)}, {{pay("cash", 300)}}), key);
    EXPECT_EQ(errc_of(r), command_errc::idempotency_key_reused) << key;
  }
  EXPECT_EQ(pos1.state.digests(), before);
}

// Proves: the handler keeps only the recent records in memory
// (idempotency_keys_max); a retry of an older key is answered from the
// stored record, exactly as from memory, and never decided twice.
TEST_F(shop_day, a_retry_after_many_newer_keys_is_answered_from_the_stored_record) {
  run_day();
  const receive_stock first_cmd{"TEA", 7, "PO-1"};
  command_outcome first = pos1.run(first_cmd, "old-key");
  ASSERT_TRUE(first.is_accepted());
  for (std::size_t i = 0; i <= idempotency_keys_max; ++i) {
    ASSERT_TRUE(pos1.run(receive_stock{"MUG", 1, ""}, "key-" + std::to_string(i)).is_accepted()) << i;
  }
  const auto before = pos1.state.digests();
  const std::uint64_t head = pos1.node.head();
  command_outcome retry = pos1.run(first_cmd, "old-key");
  EXPECT_TRUE(retry.is_replay());
  EXPECT_EQ(encode_result(std::get<accepted>(retry.decision).result),
            encode_result(std::get<accepted>(first.decision).result));
  EXPECT_EQ(errc_of(pos1.run(receive_stock{"TEA", 8, "PO-1"}, "old-key")), command_errc::idempotency_key_reused);
  EXPECT_EQ(pos1.node.head(), head);
  EXPECT_EQ(pos1.state.digests(), before);
}

TEST_F(shop_day, drafts_are_unsealed_and_typed) {
  command_outcome r =
      pos1.handler.handle(product("A", "A", 1), "", command_context{device_id{"POS1"}, morning_ms(), term_id{3}});
  ASSERT_EQ(events_of(r).size(), 1u);
  const event& e = events_of(r)[0];
  EXPECT_EQ(e.origin, device_id{"POS1"});
  EXPECT_EQ(e.term, term_id{3});
  EXPECT_EQ(e.type, static_cast<std::uint16_t>(event_type::product_upserted));
  EXPECT_EQ(e.seq, origin_seq{0});
  EXPECT_EQ(e.hash, hash256{});
  EXPECT_EQ(e.hlc.wall_ms(), morning_ms());
}

} // namespace
} // namespace sn::retail::test
