// Business days follow the shop's clock, daylight saving included (issue 12
// item 8). Through command_handler with the command's wall time
// (command_context::wall_ms): sales and returns at 23:30 and 00:30 local
// around Berlin's spring-forward and fall-back land on the right days; the
// day is stamped into the event, so a device configured with another zone
// folds the same days and digests; schema 1 events (no stamped day) take
// their day from the HLC in the reader's zone, as before; close_day defaults
// to today in the store's zone; checkpoints name the zone they were folded
// with. Zones are built from POSIX rules here: nothing reads the host's tzdata.
#include <gtest/gtest.h>

#include "actors/retail/business_day.hpp"
#include "actors/retail/errc.hpp"
#include "events/civil_date.hpp"
#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"
#include "tests/unit/retail/retail_support.hpp"

namespace sn::retail::test {
namespace {

using nlohmann::json;

time_zone berlin() { return *time_zone::from_posix("Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3"); }
time_zone new_york() { return *time_zone::from_posix("America/New_York", "EST5EDT,M3.2.0,M11.1.0"); }

// ms since the epoch of a UTC civil time.
std::uint64_t utc_ms(std::int64_t y, unsigned mo, unsigned d, int h, int mi) {
  return static_cast<std::uint64_t>((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000);
}

// A till whose commands run at the wall times given (ascending).
struct shop {
  explicit shop(const std::string& id, const time_zone& z) : t(id, store_settings{z}) {
    t.wall_ms = utc_ms(2026, 1, 1, 8, 0);
    ok(product("BREAD", "Bread", 300));
    ok(receive_stock{"BREAD", 100, ""});
  }
  command_result ok(const command& c) {
    command_outcome r = t.run(c);
    EXPECT_TRUE(r.is_accepted());
    return r.is_accepted() ? std::get<accepted>(r.decision).result : command_result{};
  }
  command_result at(std::uint64_t wall_ms, const command& c) {
    EXPECT_GE(wall_ms, t.wall_ms + 1000) << "commands must run in time order (the HLC never goes back)";
    t.wall_ms = wall_ms - 1000;  // run() adds a second
    return ok(c);
  }
  complete_sale_result sell_at(std::uint64_t wall_ms) {
    return std::get<complete_sale_result>(at(wall_ms, sale({line("BREAD", 1)}, {{pay("cash", 300)}})));
  }
  const views& v() const { return t.state; }
  std::int64_t transactions(const std::string& day) const {
    return v().daily_report(day, std::nullopt)["transactions"].get<std::int64_t>();
  }
  till t;
};

// The stamped day of the newest own event of a type.
std::string stamped_day(const till& t) {
  const event& e = t.own.back();
  if (e.type == static_cast<std::uint16_t>(event_type::sale_returned))
    return payload_of<sale_returned>(e)->business_day;
  return payload_of<sale_completed>(e)->business_day;
}

// Spring forward, Sunday 29 March 2026: at 02:00 CET the clocks go to 03:00.
TEST(business_day, sales_around_the_spring_forward_land_on_their_local_day) {
  shop s("POS1", berlin());
  struct sale_case {
    std::uint64_t utc;
    const char* local;
    const char* day;
  };
  for (const sale_case& c : {
           sale_case{utc_ms(2026, 3, 28, 22, 30), "Sat 23:30 CET", "2026-03-28"},
           sale_case{utc_ms(2026, 3, 28, 23, 30), "Sun 00:30 CET", "2026-03-29"},
           sale_case{utc_ms(2026, 3, 29, 0, 59), "Sun 01:59 CET", "2026-03-29"},
           sale_case{utc_ms(2026, 3, 29, 1, 0), "Sun 03:00 CEST", "2026-03-29"},
           sale_case{utc_ms(2026, 3, 29, 21, 30), "Sun 23:30 CEST", "2026-03-29"},
           sale_case{utc_ms(2026, 3, 29, 22, 30), "Mon 00:30 CEST", "2026-03-30"},  // a fixed +1 said Sunday
       }) {
    const complete_sale_result sold = s.sell_at(c.utc);
    EXPECT_EQ(sold.sale.day, c.day) << c.local;
    EXPECT_EQ(stamped_day(s.t), c.day) << c.local;
    EXPECT_EQ(s.t.own.back().schema, 4);  // business_day (2), attribution (3), card fields (4)
  }
  EXPECT_EQ(s.transactions("2026-03-28"), 1);
  EXPECT_EQ(s.transactions("2026-03-29"), 4);
  EXPECT_EQ(s.transactions("2026-03-30"), 1);
  EXPECT_EQ(s.v().sales(std::string("2026-03-30"), std::nullopt)["count"], 1);
}

// Fall back, Sunday 25 October 2026: at 03:00 CEST the clocks go back to
// 02:00; 02:00-03:00 happens twice, both on the 25th.
TEST(business_day, sales_around_the_fall_back_land_on_their_local_day) {
  shop s("POS1", berlin());
  struct sale_case {
    std::uint64_t utc;
    const char* local;
    const char* day;
  };
  for (const sale_case& c : {
           sale_case{utc_ms(2026, 10, 24, 21, 30), "Sat 23:30 CEST", "2026-10-24"},
           sale_case{utc_ms(2026, 10, 24, 22, 30), "Sun 00:30 CEST", "2026-10-25"},  // a fixed +1 said Saturday
           sale_case{utc_ms(2026, 10, 25, 0, 30), "Sun 02:30 CEST", "2026-10-25"},
           sale_case{utc_ms(2026, 10, 25, 1, 30), "Sun 02:30 CET", "2026-10-25"},
           sale_case{utc_ms(2026, 10, 25, 22, 30), "Sun 23:30 CET", "2026-10-25"},
           sale_case{utc_ms(2026, 10, 25, 23, 30), "Mon 00:30 CET", "2026-10-26"},
       }) {
    const complete_sale_result sold = s.sell_at(c.utc);
    EXPECT_EQ(sold.sale.day, c.day) << c.local;
    EXPECT_EQ(stamped_day(s.t), c.day) << c.local;
  }
  EXPECT_EQ(s.transactions("2026-10-24"), 1);
  EXPECT_EQ(s.transactions("2026-10-25"), 4);
  EXPECT_EQ(s.transactions("2026-10-26"), 1);
  // A return at 00:30 CEST counts on the new day too, and says so.
  const auto ret = std::get<return_sale_result>(s.at(utc_ms(2026, 10, 26, 22, 30), give_back("POS1-000001", {{"BREAD", 1}})));
  EXPECT_EQ(ret.day, "2026-10-26");  // 23:30 CET Monday
  EXPECT_EQ(stamped_day(s.t), "2026-10-26");
  EXPECT_EQ(s.v().daily_report(std::string("2026-10-26"), std::nullopt)["returns_cents"], 300);
}

// The Z close without a day closes today in the store's zone: at 00:30 CEST
// on the 25th that is the 25th (the old fixed +1 closed the 24th).
TEST(business_day, close_day_defaults_to_today_in_the_store_zone) {
  shop s("POS1", berlin());
  s.sell_at(utc_ms(2026, 10, 24, 22, 20));
  const auto z = std::get<close_day_result>(s.at(utc_ms(2026, 10, 24, 22, 30), close_day{}));
  EXPECT_EQ(z.day, "2026-10-25");
  EXPECT_EQ(z.transactions, 1);
  shop fixed("POS1", time_zone::fixed(60));
  fixed.sell_at(utc_ms(2026, 10, 24, 22, 20));
  EXPECT_EQ(std::get<close_day_result>(fixed.at(utc_ms(2026, 10, 24, 22, 30), close_day{})).day, "2026-10-24");
}

// A store whose devices disagree on store.time_zone (a misconfigured till)
// still shows one set of days: each event carries its day, so every device
// folds it the same, and the projection digests agree.
TEST(business_day, devices_with_different_zones_fold_the_same_days) {
  shop berlin_till("POS1", berlin());
  shop ny_till("POS2", new_york());  // wrong zone for a Berlin shop
  shop utc_office("OFFICE", time_zone{});
  berlin_till.sell_at(utc_ms(2026, 10, 24, 22, 30));  // 00:30 CEST Sunday: the 25th
  ny_till.sell_at(utc_ms(2026, 10, 25, 3, 30));       // 23:30 EDT Saturday in New York: POS2 stamps the 24th
  ny_till.t.pull(berlin_till.t);
  ny_till.at(utc_ms(2026, 10, 25, 3, 40), give_back("POS1-000001", {{"BREAD", 1}}));
  for (till* t : {&berlin_till.t, &ny_till.t, &utc_office.t}) {
    for (const till* from : {&berlin_till.t, &ny_till.t, &utc_office.t}) {
      if (t != from) t->pull(*from);
    }
  }
  const auto digests = berlin_till.v().digests();
  for (const shop* s : {&ny_till, &utc_office}) {
    EXPECT_EQ(s->v().digests(), digests) << s->t.id;
    EXPECT_EQ(s->v().sale("POS1-000001")->at("day"), "2026-10-25") << s->t.id;
    EXPECT_EQ(s->v().sale("POS2-000001")->at("day"), "2026-10-24") << s->t.id;
    const json d = s->v().daily_report(std::string("2026-10-24"), std::nullopt);
    EXPECT_EQ(d["transactions"], 1) << s->t.id;
    EXPECT_EQ(d["returns_cents"], 300) << s->t.id;  // POS2's return, stamped in its (wrong) zone: the 24th
  }
  // A fresh replay in any zone gives the same state again.
  std::vector<event> all;
  for (const till* t : {&berlin_till.t, &ny_till.t, &utc_office.t}) all.insert(all.end(), t->own.begin(), t->own.end());
  EXPECT_EQ(replay(all, store_settings{new_york()}).digests(), digests);
  EXPECT_EQ(replay(all, store_settings{time_zone::fixed(-600)}).digests(), digests);
}

// Events written before the day was stamped (schema 1) are folded as before:
// the HLC's day in the reader's configured zone or offset.
TEST(business_day, schema1_events_take_their_day_from_the_configured_zone) {
  sale_completed s;
  s.receipt = "OLD-000001";
  s.lines.push_back(sale_line{"BREAD", 1, 300, 0, 0, 0});
  s.gross_cents = s.total_cents = 300;
  s.payments.push_back(payment{"cash", 300});
  event e = make_event(device_id{"OLD"}, origin_seq{1}, hlc_timestamp::from_parts(utc_ms(2026, 10, 24, 22, 30), 0),
                       term_id{1}, s);
  e.schema = 1;
  std::string v1 = encode_payload(s);  // schema 1 bytes: the array without its last field
  v1[0] = static_cast<char>(v1[0] - 1);
  v1.pop_back();
  e.payload = v1;
  seal(e);
  EXPECT_EQ(replay({e}, store_settings{berlin()}).sale("OLD-000001")->at("day"), "2026-10-25");
  EXPECT_EQ(replay({e}, store_settings{time_zone::fixed(60)}).sale("OLD-000001")->at("day"), "2026-10-24");
  EXPECT_EQ(replay({e}, store_settings{}).sale("OLD-000001")->at("day"), "2026-10-24");
  EXPECT_EQ(replay({e}, store_settings{berlin()}).parked(), 0u);
}

TEST(business_day, a_sale_with_a_day_that_is_not_a_date_is_parked) {
  sale_completed s;
  s.receipt = "BAD-000001";
  s.lines.push_back(sale_line{"BREAD", 1, 300, 0, 0, 0});
  s.gross_cents = s.total_cents = 300;
  s.business_day = "2026-02-30";
  event e = make_event(device_id{"BAD"}, origin_seq{1}, hlc_timestamp::from_parts(utc_ms(2026, 2, 27, 12, 0), 0),
                       term_id{1}, s);
  seal(e);
  const views v = replay({e});
  EXPECT_EQ(v.parked(), 1u);
  EXPECT_EQ(v.parked_events()[0].reason, "invalid business_day");
  EXPECT_FALSE(v.sale("BAD-000001").has_value());
}

// A checkpoint names the zone it folded schema 1 events with; another zone
// refuses it (the node then replays the log). One written before time zones
// named a fixed utc_offset_minutes: a fixed zone of that offset still loads it.
TEST(business_day, checkpoints_name_their_zone) {
  shop s("POS1", berlin());
  s.sell_at(utc_ms(2026, 10, 24, 22, 30));
  const std::string bytes = s.v().save();
  views same(store_settings{berlin()});
  ASSERT_TRUE(same.load(bytes).is_ok());
  EXPECT_EQ(same.digests(), s.v().digests());
  views other(store_settings{time_zone::fixed(60)});
  const status st = other.load(bytes);
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.error().code, static_cast<int>(errc::settings_mismatch));

  views fixed_views(store_settings{time_zone::fixed(60)});
  fixed_views.apply(s.t.own.back());
  json old = json::from_msgpack(fixed_views.save());
  EXPECT_EQ(old["time_zone"], "UTC+01:00");
  old.erase("time_zone");
  old["utc_offset_minutes"] = 60;  // as the build before store.time_zone wrote it
  const std::vector<std::uint8_t> old_bytes = json::to_msgpack(old);
  const std::string old_checkpoint(old_bytes.begin(), old_bytes.end());
  views upgraded(store_settings{time_zone::fixed(60)});
  EXPECT_TRUE(upgraded.load(old_checkpoint).is_ok());
  EXPECT_EQ(upgraded.digests(), fixed_views.digests());
  views migrated(store_settings{berlin()});
  EXPECT_FALSE(migrated.load(old_checkpoint).is_ok());
  views other_offset(store_settings{time_zone::fixed(120)});
  EXPECT_FALSE(other_offset.load(old_checkpoint).is_ok());
}

// Issue 9 item 5: a committed event of another device whose HLC is 3 days
// ahead (a till with a wrong clock, or forged) does not drag this till's
// clock: its next sale is stamped today. One within clock.max_skew_ms is
// merged as before. At start-up the same bound applies to other origins'
// newest events (restore_clock_within); this device's own restore as they are.
TEST(business_day, a_remote_event_far_ahead_does_not_drag_the_clock) {
  shop s("POS1", time_zone::utc());
  till far("POS9", store_settings{time_zone::utc()});
  far.wall_ms = s.t.wall_ms + 3 * 86400000ull;  // its clock is 3 days ahead
  far.run(product("MILK", "Milk", 100));
  const std::uint64_t now = s.t.wall_ms + 60000;
  const event& ahead = far.own.back();
  EXPECT_FALSE(s.t.handler.observe(s.t.node.append(ahead), ahead, now));
  s.t.state.apply(ahead);
  EXPECT_EQ(s.t.handler.clock_refusals(), 1u);
  EXPECT_TRUE(s.v().product("MILK").has_value()) << "the event itself is applied";
  const complete_sale_result sold = s.sell_at(now);
  EXPECT_EQ(sold.sale.day, "2026-01-01");
  EXPECT_EQ(stamped_day(s.t), "2026-01-01");
  EXPECT_LT(s.t.handler.clock().wall_ms(), now + 1000);

  // Within the bound: merged (the clock moves up to it).
  till near("POS8", store_settings{time_zone::utc()});
  near.wall_ms = now + 30000;
  near.run(product("TEA", "Tea", 100));
  const event& close = near.own.back();
  EXPECT_TRUE(s.t.handler.observe(s.t.node.append(close), close, now + 1000));
  EXPECT_GE(s.t.handler.clock(), close.hlc);

  // Start-up: another origin's newest event only within the bound; our own as it is.
  till restarted("POS1", store_settings{time_zone::utc()});
  EXPECT_FALSE(restarted.handler.restore_clock_within(ahead.hlc, now + 2000));
  EXPECT_LT(restarted.handler.clock().wall_ms(), now);
  EXPECT_TRUE(restarted.handler.restore_clock_within(close.hlc, now + 2000));
  restarted.handler.restore_clock(s.t.own.back().hlc);
  EXPECT_GT(restarted.handler.clock(), close.hlc);
  EXPECT_GT(restarted.handler.clock(), s.t.own.back().hlc);
  EXPECT_EQ(restarted.handler.clock().wall_ms(), std::max(close.hlc, s.t.own.back().hlc).wall_ms());
}

}  // namespace
}  // namespace sn::retail::test
