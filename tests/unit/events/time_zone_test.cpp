// time_zone: POSIX TZ rules (both hemispheres, every date form, year-round
// daylight saving), TZif parsing (transitions, the footer rule after the last
// one, slim files, hostile bytes) and local days across the DST changes.
// Pure: every zone is built from literals here, so the results do not depend
// on the host's tzdata (tests/unit/node/zoneinfo_test.cpp reads that).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/civil_date.hpp"
#include "events/errc.hpp"
#include "events/time_zone.hpp"

namespace sn {
namespace {

constexpr const char* berlin_rule = "CET-1CEST,M3.5.0,M10.5.0/3";

// Seconds since the epoch of a UTC civil time.
std::int64_t utc(std::int64_t y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

time_zone posix(const char* rule) {
  auto z = time_zone::from_posix("test", rule);
  EXPECT_TRUE(z) << rule << ": " << (z ? "" : z.error().message);
  return z ? *z : time_zone{};
}

TEST(time_zone, utc_and_fixed_offsets) {
  const time_zone u;
  EXPECT_EQ(u.name(), "UTC");
  EXPECT_EQ(u.offset_seconds(utc(2026, 7, 1)), 0);
  EXPECT_EQ(u.fixed_offset_minutes(), 0);
  EXPECT_EQ(time_zone::fixed(0).name(), "UTC");
  EXPECT_EQ(time_zone::fixed(60).name(), "UTC+01:00");
  EXPECT_EQ(time_zone::fixed(-330).name(), "UTC-05:30");
  EXPECT_EQ(time_zone::fixed(840).name(), "UTC+14:00");
  EXPECT_EQ(time_zone::fixed(-330).offset_seconds(utc(2026, 7, 1)), -19800);
  EXPECT_EQ(time_zone::fixed(60).fixed_offset_minutes(), 60);
  // Days are floored, also before 1970.
  EXPECT_EQ(u.local_day(-1), -1);
  EXPECT_EQ(u.local_day(0), 0);
  EXPECT_EQ(time_zone::fixed(-60).local_day(30 * 60000), -1);
  EXPECT_EQ(time_zone::fixed(60).local_day(-30 * 60000), 0);
  EXPECT_EQ(time_zone::fixed(60).to_local_ms(1000), 3601000);
}

// Europe/Berlin 2026: 02:00 CET -> 03:00 CEST on 29 March (01:00 UTC) and
// 03:00 CEST -> 02:00 CET on 25 October (01:00 UTC).
TEST(time_zone, berlin_rule_changes_at_the_right_second) {
  const time_zone z = posix(berlin_rule);
  EXPECT_EQ(z.offset_seconds(utc(2026, 3, 29, 0, 59, 59)), 3600);
  EXPECT_EQ(z.offset_seconds(utc(2026, 3, 29, 1, 0, 0)), 7200);
  EXPECT_EQ(z.offset_seconds(utc(2026, 10, 25, 0, 59, 59)), 7200);
  EXPECT_EQ(z.offset_seconds(utc(2026, 10, 25, 1, 0, 0)), 3600);
  EXPECT_EQ(z.offset_seconds(utc(2026, 1, 1)), 3600);
  EXPECT_EQ(z.offset_seconds(utc(2026, 7, 1)), 7200);
  // Last Sunday of the month for other years too (2027: 28 March, 31 October).
  EXPECT_EQ(z.offset_seconds(utc(2027, 3, 28, 0, 59, 59)), 3600);
  EXPECT_EQ(z.offset_seconds(utc(2027, 3, 28, 1, 0, 0)), 7200);
  EXPECT_EQ(z.offset_seconds(utc(2027, 10, 31, 0, 59, 59)), 7200);
  EXPECT_EQ(z.offset_seconds(utc(2027, 10, 31, 1, 0, 0)), 3600);
  EXPECT_EQ(z.fixed_offset_minutes(), std::nullopt);
}

// The shop's question: which day does a sale at local 23:30 or 00:30 belong
// to, on the days around both changes? UTC instants are given, the local
// time they are in Berlin is in the comment.
TEST(time_zone, local_days_around_both_berlin_changes) {
  const time_zone z = posix(berlin_rule);
  auto day = [&](std::int64_t s) { return format_day(z.local_day(s * 1000)); };
  // spring forward: Saturday 28 March is still CET (+1), Sunday 29 CEST (+2)
  EXPECT_EQ(day(utc(2026, 3, 28, 22, 30)), "2026-03-28");  // 23:30 CET Sat
  EXPECT_EQ(day(utc(2026, 3, 28, 23, 30)), "2026-03-29");  // 00:30 CET Sun
  EXPECT_EQ(day(utc(2026, 3, 29, 21, 30)), "2026-03-29");  // 23:30 CEST Sun
  EXPECT_EQ(day(utc(2026, 3, 29, 22, 30)), "2026-03-30");  // 00:30 CEST Mon: a fixed +1 said the 29th
  // fall back: Saturday 24 October CEST (+2), Sunday 25 CET (+1)
  EXPECT_EQ(day(utc(2026, 10, 24, 21, 30)), "2026-10-24");  // 23:30 CEST Sat: a fixed +1 said 22:30
  EXPECT_EQ(day(utc(2026, 10, 24, 22, 30)), "2026-10-25");  // 00:30 CEST Sun: a fixed +1 said the 24th
  EXPECT_EQ(day(utc(2026, 10, 25, 22, 30)), "2026-10-25");  // 23:30 CET Sun
  EXPECT_EQ(day(utc(2026, 10, 25, 23, 30)), "2026-10-26");  // 00:30 CET Mon
  // The repeated hour 02:00-03:00 of 25 October is one day either way.
  EXPECT_EQ(day(utc(2026, 10, 25, 0, 30)), "2026-10-25");  // 02:30 CEST
  EXPECT_EQ(day(utc(2026, 10, 25, 1, 30)), "2026-10-25");  // 02:30 CET
  // Midnight itself belongs to the new day, one millisecond before to the old.
  EXPECT_EQ(format_day(z.local_day(utc(2026, 7, 1, 22) * 1000)), "2026-07-02");
  EXPECT_EQ(format_day(z.local_day(utc(2026, 7, 1, 22) * 1000 - 1)), "2026-07-01");
}

TEST(time_zone, southern_hemisphere_and_us_rules) {
  // Australia/Sydney: daylight saving from the first Sunday of October to the
  // first Sunday of April, across the new year.
  const time_zone syd = posix("AEST-10AEDT,M10.1.0,M4.1.0/3");
  EXPECT_EQ(syd.offset_seconds(utc(2026, 1, 15)), 11 * 3600);
  EXPECT_EQ(syd.offset_seconds(utc(2026, 7, 15)), 10 * 3600);
  EXPECT_EQ(syd.offset_seconds(utc(2026, 12, 31, 23)), 11 * 3600);
  EXPECT_EQ(syd.offset_seconds(utc(2026, 4, 4, 15, 59, 59)), 11 * 3600);  // 02:59:59 AEDT on 5 April
  EXPECT_EQ(syd.offset_seconds(utc(2026, 4, 4, 16)), 10 * 3600);
  EXPECT_EQ(syd.offset_seconds(utc(2026, 10, 3, 15, 59, 59)), 10 * 3600);  // 01:59:59 AEST on 4 October
  EXPECT_EQ(syd.offset_seconds(utc(2026, 10, 3, 16)), 11 * 3600);
  // America/New_York: second Sunday of March, first Sunday of November.
  const time_zone ny = posix("EST5EDT,M3.2.0,M11.1.0");
  EXPECT_EQ(ny.offset_seconds(utc(2026, 3, 8, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny.offset_seconds(utc(2026, 3, 8, 7)), -4 * 3600);
  EXPECT_EQ(ny.offset_seconds(utc(2026, 11, 1, 5, 59, 59)), -4 * 3600);
  EXPECT_EQ(ny.offset_seconds(utc(2026, 11, 1, 6)), -5 * 3600);
  EXPECT_EQ(format_day(ny.local_day(utc(2026, 11, 1, 3, 30) * 1000)), "2026-10-31");  // 23:30 EDT
}

TEST(time_zone, every_posix_form) {
  // Quoted numeric abbreviations and half-hour offsets without daylight saving.
  const time_zone india = posix("<+0530>-5:30");
  EXPECT_EQ(india.offset_seconds(utc(2026, 6, 1)), 19800);
  EXPECT_EQ(india.fixed_offset_minutes(), 330);
  EXPECT_EQ(posix("<-03>3").offset_seconds(utc(2026, 6, 1)), -3 * 3600);
  // Explicit daylight offset and seconds: Lord Howe's half-hour DST.
  const time_zone lh = posix("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  EXPECT_EQ(lh.offset_seconds(utc(2026, 1, 1)), 11 * 3600);
  EXPECT_EQ(lh.offset_seconds(utc(2026, 7, 1)), 10 * 3600 + 1800);
  // Negative rule times (America/Nuuk since 2023: -01 in summer).
  const time_zone nuuk = posix("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  EXPECT_EQ(nuuk.offset_seconds(utc(2026, 3, 29, 0, 59, 59)), -2 * 3600);  // Sat 22:59:59 -02
  EXPECT_EQ(nuuk.offset_seconds(utc(2026, 3, 29, 1)), -1 * 3600);          // "Sun -01:00" = Sat 23:00 -02
  // Jn never counts 29 February; n does.
  const time_zone j = posix("AAA0BBB,J60/0,J300/0");  // 1 March in every year
  EXPECT_EQ(j.offset_seconds(utc(2028, 2, 29, 23, 59, 59)), 0);
  EXPECT_EQ(j.offset_seconds(utc(2028, 3, 1)), 3600);
  EXPECT_EQ(j.offset_seconds(utc(2027, 2, 28, 23, 59, 59)), 0);
  EXPECT_EQ(j.offset_seconds(utc(2027, 3, 1)), 3600);
  const time_zone n = posix("AAA0BBB,59/0,299/0");  // day 59: 29 February in a leap year, else 1 March
  EXPECT_EQ(n.offset_seconds(utc(2028, 2, 28, 23, 59, 59)), 0);
  EXPECT_EQ(n.offset_seconds(utc(2028, 2, 29)), 3600);
  EXPECT_EQ(n.offset_seconds(utc(2027, 3, 1)), 3600);
  EXPECT_EQ(n.offset_seconds(utc(2027, 2, 28, 23)), 0);
  // Year-round daylight saving as zic writes it: on through every new year.
  const time_zone all = posix("EST5EDT,0/0,J365/25");
  for (std::int64_t y = 2025; y <= 2028; ++y) {
    EXPECT_EQ(all.offset_seconds(utc(y, 1, 1, 5)), -4 * 3600) << y;
    EXPECT_EQ(all.offset_seconds(utc(y, 1, 1, 4, 59, 59)), -4 * 3600) << y;
    EXPECT_EQ(all.offset_seconds(utc(y, 7, 1)), -4 * 3600) << y;
    EXPECT_EQ(all.offset_seconds(utc(y, 12, 31, 23)), -4 * 3600) << y;
  }
  // Fifth week = last: October 2026 has four Saturdays after the 3rd... and a 31st.
  EXPECT_EQ(posix("AAA0BBB,M10.5.6/0,M12.1.0").offset_seconds(utc(2026, 10, 31)), 3600);  // Sat 31 October
  EXPECT_EQ(posix("AAA0BBB,M10.5.6/0,M12.1.0").offset_seconds(utc(2026, 10, 30, 23)), 0);
  EXPECT_EQ(posix("AAA0BBB,M2.5.0/0,M12.1.0").offset_seconds(utc(2026, 2, 22)), 3600);  // no 5th Sunday: the 4th
  EXPECT_EQ(posix("AAA0BBB,M2.5.0/0,M12.1.0").offset_seconds(utc(2026, 2, 21, 23)), 0);
}

TEST(time_zone, malformed_posix_rules_are_errors) {
  for (const char* bad : {"",
                          "C",
                          "CE-1",
                          "CET",
                          "CET-25",
                          "CET-1CEST",
                          "CET-1CEST,M3.5.0",
                          "CET-1CEST,M13.1.0,M10.5.0",
                          "CET-1CEST,M3.6.0,M10.5.0",
                          "CET-1CEST,M3.5.7,M10.5.0",
                          "CET-1CEST,M3.5.0,M10.5.0/168",
                          "CET-1CEST,M3.5.0,M10.5.0 x",
                          "CET-1CEST,J0,J365",
                          "CET-1CEST,366,0",
                          "<+0>-1",
                          "<+0530-5:30",
                          "CET-1:60",
                          "CET-1:00:60",
                          "CET-1CEST,M3.5.0/2:5x,M10.5.0",
                          "CET-0001"}) {
    auto z = time_zone::from_posix("bad", bad);
    ASSERT_FALSE(z) << "'" << bad << "' was accepted";
    EXPECT_EQ(z.error().code, static_cast<int>(events::errc::invalid_time_zone)) << bad;
  }
}

// ---------------------------------------------------------------- TZif

struct tzif_type {
  std::int32_t offset;
  bool dst;
};

void put32(std::string& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}
void put64(std::string& out, std::int64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> s) & 0xff));
}
void header(std::string& out, char version, std::uint32_t time, std::uint32_t type, std::uint32_t chars) {
  const std::uint32_t leap = 0;
  out += "TZif";
  out.push_back(version);
  out += std::string(15, '\0');
  for (std::uint32_t c : {type, type, leap, time, type, chars}) put32(out, c);  // isut, isstd, leap, time, type, char
}

// A TZif version 2 file as zic writes one: a minimal version 1 block, the
// 64-bit block, then the footer line.
std::string tzif(const std::vector<std::int64_t>& times, const std::vector<std::uint8_t>& index,
                 const std::vector<tzif_type>& types, const std::string& footer, char version = '2') {
  std::string out;
  header(out, version, 0, 1, 4);  // version 1 block: one type (LMT, +0), no transitions
  put32(out, 0);
  out += std::string("\0\0LMT\0\0\0", 8);  // isdst, desigidx, "LMT\0", isstd, isut
  const std::string chars("LMT\0STD\0DST\0", 12);
  header(out, version, static_cast<std::uint32_t>(times.size()), static_cast<std::uint32_t>(types.size()),
         static_cast<std::uint32_t>(chars.size()));
  for (std::int64_t t : times) put64(out, t);
  for (std::uint8_t i : index) out.push_back(static_cast<char>(i));
  for (const tzif_type& t : types) {
    put32(out, static_cast<std::uint32_t>(t.offset));
    out.push_back(t.dst ? 1 : 0);
    out.push_back(t.dst ? 8 : 4);
  }
  out += chars;
  out += std::string(2 * types.size(), '\0');  // isstd, isut
  out += "\n" + footer + "\n";
  return out;
}

// Berlin-like: LMT until 1893, then CET; two real 2026 changes as
// transitions; the footer rule for everything after.
std::string berlin_like(const std::string& footer = berlin_rule) {
  return tzif({utc(1893, 3, 31, 23, 6, 32), utc(2026, 3, 29, 1), utc(2026, 10, 25, 1)}, {1, 2, 1},
              {{3208, false}, {3600, false}, {7200, true}}, footer);
}

TEST(time_zone, tzif_transitions_then_the_footer_rule) {
  auto z = time_zone::from_tzif("Europe/Berlin", berlin_like());
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(z->name(), "Europe/Berlin");
  EXPECT_EQ(z->offset_seconds(utc(1800, 1, 1)), 3208);  // before the first transition: type 0
  EXPECT_EQ(z->offset_seconds(utc(1893, 3, 31, 23, 6, 31)), 3208);
  EXPECT_EQ(z->offset_seconds(utc(1893, 3, 31, 23, 6, 32)), 3600);
  EXPECT_EQ(z->offset_seconds(utc(2026, 3, 29, 0, 59, 59)), 3600);
  EXPECT_EQ(z->offset_seconds(utc(2026, 3, 29, 1)), 7200);
  EXPECT_EQ(z->offset_seconds(utc(2026, 10, 25, 1)), 3600);
  // After the last transition the footer decides: summer 2027 and 2040 too
  // (a reader that keeps the last transition's offset would say +1 here).
  EXPECT_EQ(z->offset_seconds(utc(2027, 7, 1)), 7200);
  EXPECT_EQ(z->offset_seconds(utc(2040, 7, 1)), 7200);
  EXPECT_EQ(z->offset_seconds(utc(2040, 12, 1)), 3600);
  EXPECT_EQ(z->fixed_offset_minutes(), std::nullopt);
}

TEST(time_zone, slim_and_ruleless_tzif) {
  // Slim files stop at the last rule change and leave the rest to the footer.
  auto slim =
      time_zone::from_tzif("slim", tzif({utc(1980, 4, 6, 1)}, {1}, {{3600, false}, {3600, false}}, berlin_rule));
  ASSERT_TRUE(slim) << slim.error().message;
  EXPECT_EQ(slim->offset_seconds(utc(2026, 3, 29, 1)), 7200);
  EXPECT_EQ(slim->offset_seconds(utc(2026, 10, 25, 1)), 3600);
  // No transitions: the footer applies to every instant.
  auto only_footer = time_zone::from_tzif("rule", tzif({}, {}, {{3600, false}}, berlin_rule));
  ASSERT_TRUE(only_footer) << only_footer.error().message;
  EXPECT_EQ(only_footer->offset_seconds(utc(1990, 7, 1)), 7200);
  // No footer: the last transition's offset stays.
  auto no_footer = time_zone::from_tzif("none", tzif({utc(2000, 1, 1)}, {1}, {{0, false}, {-10800, false}}, ""));
  ASSERT_TRUE(no_footer) << no_footer.error().message;
  EXPECT_EQ(no_footer->offset_seconds(utc(2100, 1, 1)), -10800);
  // UTC as zic writes it, and version 3 and 4 files.
  auto utc_file = time_zone::from_tzif("UTC", tzif({}, {}, {{0, false}}, "UTC0", '3'));
  ASSERT_TRUE(utc_file) << utc_file.error().message;
  EXPECT_EQ(utc_file->fixed_offset_minutes(), 0);
  EXPECT_TRUE(time_zone::from_tzif("v4", tzif({}, {}, {{0, false}}, "UTC0", '4')));
}

TEST(time_zone, hostile_tzif_bytes_are_errors) {
  const std::string good = berlin_like();
  auto refused = [](const std::string& bytes, const char* why) {
    auto z = time_zone::from_tzif("x", bytes);
    ASSERT_FALSE(z) << why;
    EXPECT_EQ(z.error().code, static_cast<int>(events::errc::invalid_time_zone)) << why;
  };
  for (std::size_t cut = 0; cut < good.size(); ++cut) refused(good.substr(0, cut), "truncated");
  refused(good + "x", "bytes after the footer");
  refused("TZIF" + good.substr(4), "bad magic");
  refused(tzif({}, {}, {{0, false}}, "UTC0", '\0'), "version 1");
  refused(tzif({}, {}, {{0, false}}, "UTC0\nUTC0"), "footer with two lines");
  refused(tzif({}, {}, {{0, false}}, "NOT A RULE"), "footer not a rule");
  refused(tzif({utc(2026, 1, 1), utc(2025, 1, 1)}, {0, 0}, {{0, false}}, ""), "descending transitions");
  refused(tzif({utc(2026, 1, 1), utc(2026, 1, 1)}, {0, 0}, {{0, false}}, ""), "repeated transition");
  refused(tzif({utc(2026, 1, 1)}, {1}, {{0, false}}, ""), "index of no type");
  refused(tzif({}, {}, {{100000, false}}, ""), "offset out of range");
  refused(tzif({}, {}, {}, ""), "no types");
  std::string leap = good;
  leap[44 + 12 + 20 + 8 + 3] = 1;  // low byte of the version 2 header's leapcnt (after the 12-byte v1 block)
  refused(leap, "leap seconds");
  refused(std::string(tzif_bytes_max + 1, 'x'), "too large");
}

TEST(time_zone, names_that_may_be_looked_up) {
  for (const char* ok : {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14", "GMT-0",
                         "America/Port-au-Prince", "posixrules"}) {
    EXPECT_TRUE(valid_time_zone_name(ok)) << ok;
  }
  for (const char* bad : {"", "/etc/passwd", "../etc/passwd", "Europe/../../etc/passwd", "Europe//Berlin", "Europe/",
                          "./UTC", "Europe/Berlin\n", "Europe Berlin", "-rf", "Europe/-x", "Zürich"}) {
    EXPECT_FALSE(valid_time_zone_name(bad)) << bad;
  }
  EXPECT_FALSE(valid_time_zone_name(std::string(time_zone_name_length_max + 1, 'a')));
}

}  // namespace
}  // namespace sn
