// Upcasters: a schema 1 sale or return (no business_day) gets the day its HLC
// falls on in the store's zone, exactly as the fold computed it before schema
// 2; a schema 2 event keeps the day its till stamped, whatever the zone of
// the reader; every other type decodes unchanged. The stored bytes never
// change (the hash still verifies).
#include <gtest/gtest.h>

#include "events/civil_date.hpp"
#include "events/codec.hpp"
#include "events/errc.hpp"
#include "events/upcast.hpp"
#include "tests/unit/events/samples.hpp"

namespace sn {
namespace {

// 2026-10-24T22:30:00Z: 00:30 CEST on Sunday 25 October in Berlin, but
// 23:30 on the 24th for a store still on a fixed +60 offset.
const std::uint64_t late_saturday_ms =
    static_cast<std::uint64_t>(days_from_civil(2026, 10, 24)) * 86400000 + (22 * 60 + 30) * 60000;

time_zone berlin() { return *time_zone::from_posix("Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3"); }

TEST(upcast, schema1_sale_gets_the_day_of_its_hlc_in_the_store_zone) {
  const event e = test::schema1_event(test::sample_sale_completed(), late_saturday_ms);
  ASSERT_EQ(e.schema, 1);
  const time_zone z = berlin(), fixed = time_zone::fixed(60), utc;
  auto in_berlin = decode_current<sale_completed>(e, {&z});
  ASSERT_TRUE(in_berlin) << in_berlin.error().message;
  EXPECT_EQ(in_berlin->business_day, "2026-10-25");
  EXPECT_EQ(in_berlin->receipt, "POS1-000042");  // the other fields as written
  EXPECT_EQ(in_berlin->change_cents, 55);
  EXPECT_EQ(decode_current<sale_completed>(e, {&fixed})->business_day, "2026-10-24");
  EXPECT_EQ(decode_current<sale_completed>(e, {&utc})->business_day, "2026-10-24");
  // Plain decoding leaves the field empty: only the upcaster fills it.
  EXPECT_EQ(payload_of<sale_completed>(e)->business_day, "");
  EXPECT_TRUE(verify_hash(e));
}

TEST(upcast, schema1_return_gets_the_day_of_its_hlc_in_the_store_zone) {
  const event e = test::schema1_event(test::sample_sale_returned(), late_saturday_ms);
  const time_zone z = berlin(), fixed = time_zone::fixed(60);
  auto r = decode_current<sale_returned>(e, {&z});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->business_day, "2026-10-25");
  EXPECT_EQ(r->method, "cash");
  EXPECT_EQ(decode_current<sale_returned>(e, {&fixed})->business_day, "2026-10-24");
}

TEST(upcast, a_stamped_day_is_kept_whatever_the_reader_zone) {
  sale_completed s = test::sample_sale_completed();
  s.business_day = "2026-10-24";  // stamped by a till on another zone: the reader must not recompute it
  const event e =
      make_event(device_id{"POS1"}, origin_seq{1}, hlc_timestamp::from_parts(late_saturday_ms, 0), term_id{1}, s);
  ASSERT_EQ(e.schema, 4);
  const time_zone z = berlin();
  EXPECT_EQ(decode_current<sale_completed>(e, {&z})->business_day, "2026-10-24");
  EXPECT_EQ(decode_current<sale_completed>(e, {&z})->staff_id, "c1");
  sale_returned r = test::sample_sale_returned();
  r.business_day = "2026-10-23";
  const event re =
      make_event(device_id{"POS1"}, origin_seq{2}, hlc_timestamp::from_parts(late_saturday_ms, 0), term_id{1}, r);
  EXPECT_EQ(decode_current<sale_returned>(re, {&z})->business_day, "2026-10-23");
}

TEST(upcast, a_stamped_sale_without_a_day_is_treated_as_schema1) {
  sale_completed s = test::sample_sale_completed();
  s.business_day.clear();
  const event e =
      make_event(device_id{"POS1"}, origin_seq{1}, hlc_timestamp::from_parts(late_saturday_ms, 0), term_id{1}, s);
  const time_zone z = berlin();
  EXPECT_EQ(decode_current<sale_completed>(e, {&z})->business_day, "2026-10-25");
  s.business_day = "not a day";  // kept: the fold parks it
  const event bad =
      make_event(device_id{"POS1"}, origin_seq{1}, hlc_timestamp::from_parts(late_saturday_ms, 0), term_id{1}, s);
  EXPECT_EQ(decode_current<sale_completed>(bad, {&z})->business_day, "not a day");
}

TEST(upcast, types_without_an_upcaster_decode_unchanged) {
  const event e = test::sample_event(test::sample_sale_voided());
  auto v = decode_current<sale_voided>(e, {});  // no zone needed
  ASSERT_TRUE(v);
  EXPECT_EQ(v->receipt, "POS1-000042");
  EXPECT_EQ(v->reason, "customer left");
  auto d = decode_current<day_closed>(test::sample_event(test::sample_day_closed()), {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->day, "2026-11-25");
}

TEST(upcast, a_wrong_type_or_bad_payload_is_an_error_not_a_guess) {
  const time_zone z;
  auto wrong = decode_current<sale_completed>(test::sample_event(test::sample_sale_voided()), {&z});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, static_cast<int>(events::errc::wrong_type));
  event bad = test::schema1_event(test::sample_sale_completed(), late_saturday_ms);
  bad.payload = "\x91\x01";  // receipt is not a string
  auto b = decode_current<sale_completed>(bad, {&z});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, static_cast<int>(events::errc::malformed));
}

}  // namespace
}  // namespace sn
