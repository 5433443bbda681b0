// node/zoneinfo: the system tzdata read into time_zone values. The reader
// must agree with the C library, which reads the same files, at every
// instant sampled from 1901 to 2060 for zones with unusual rules (southern
// hemisphere, half-hour and 45-minute offsets, negative DST, rules changed
// and abolished); past 2037 the TZif footer rule decides. Names that could
// leave the directory, missing zones, non-TZif and leap-second files are
// errors that say what is wrong.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "events/civil_date.hpp"
#include "node/zoneinfo.hpp"

namespace sn::node {
namespace {

const char* const system_dir = "/usr/share/zoneinfo";

bool have_tzdata() { return std::filesystem::exists(std::string(system_dir) + "/Europe/Berlin"); }

std::int64_t utc(std::int64_t y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

TEST(zoneinfo, berlin_from_the_system_tzdata_around_both_2026_changes) {
  if (!have_tzdata()) GTEST_SKIP() << "no tzdata in " << system_dir << " (scripts/setup.sh installs it)";
  auto z = load_time_zone("Europe/Berlin", system_dir);
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(z->name(), "Europe/Berlin");
  EXPECT_EQ(z->offset_seconds(utc(2026, 3, 29, 0, 59, 59)), 3600);
  EXPECT_EQ(z->offset_seconds(utc(2026, 3, 29, 1)), 7200);
  EXPECT_EQ(z->offset_seconds(utc(2026, 10, 25, 0, 59, 59)), 7200);
  EXPECT_EQ(z->offset_seconds(utc(2026, 10, 25, 1)), 3600);
  EXPECT_EQ(format_day(z->local_day(utc(2026, 10, 24, 22, 30) * 1000)), "2026-10-25");  // 00:30 CEST
  EXPECT_EQ(format_day(z->local_day(utc(2026, 3, 29, 22, 30) * 1000)), "2026-03-30");   // 00:30 CEST
  // Past the last transition of a fat file (2037) the footer rule decides.
  EXPECT_EQ(z->offset_seconds(utc(2040, 7, 1)), 7200);
  EXPECT_EQ(z->offset_seconds(utc(2040, 12, 1)), 3600);
}

// Every sampled instant: the offset our reader gives equals the C library's
// tm_gmtoff for the same zone file. (TZ is process-global: fine in this
// single-threaded test, which is exactly why the daemon does not do this.)
TEST(zoneinfo, agrees_with_the_c_library_from_1901_to_2060) {
  if (!have_tzdata()) GTEST_SKIP() << "no tzdata in " << system_dir;
  const char* zones[] = {"Europe/Berlin",     "Europe/London",     "Europe/Dublin",    "America/New_York",
                         "America/Sao_Paulo", "America/St_Johns",  "Australia/Sydney", "Australia/Lord_Howe",
                         "Asia/Kolkata",      "Asia/Kathmandu",    "Asia/Tehran",      "Pacific/Chatham",
                         "Pacific/Apia",      "Africa/Casablanca", "America/Nuuk",     "Etc/GMT+5"};
  const char* saved = std::getenv("TZ");
  const std::string saved_tz = saved ? saved : "";
  for (const char* name : zones) {
    auto z = load_time_zone(name, system_dir);
    ASSERT_TRUE(z) << name << ": " << z.error().message;
    setenv("TZ", (std::string(":") + system_dir + "/" + name).c_str(), 1);
    tzset();
    int checked = 0;
    // 7 h 13 min 17 s steps walk through every hour of the day and minute
    // of the hour over the years.
    for (std::int64_t t = utc(1901, 12, 14); t < utc(2060, 1, 1); t += 7 * 3600 + 13 * 60 + 17) {
      const std::time_t tt = static_cast<std::time_t>(t);
      std::tm tm{};
      ASSERT_NE(localtime_r(&tt, &tm), nullptr);
      ASSERT_EQ(z->offset_seconds(t), tm.tm_gmtoff) << name << " at " << t;
      ++checked;
    }
    EXPECT_GT(checked, 100000) << name;
  }
  if (saved)
    setenv("TZ", saved_tz.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

TEST(zoneinfo, utc_is_built_in) {
  auto z = load_time_zone("UTC", "/nonexistent");
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(z->name(), "UTC");
  EXPECT_EQ(z->fixed_offset_minutes(), 0);
}

TEST(zoneinfo, errors_say_what_is_wrong) {
  auto escape = load_time_zone("../../etc/passwd", system_dir);
  ASSERT_FALSE(escape);
  EXPECT_EQ(escape.error().code, static_cast<int>(zoneinfo_errc::invalid_name));
  EXPECT_NE(escape.error().message.find("Europe/Berlin"), std::string::npos) << escape.error().message;
  auto typo = load_time_zone("Europe/Berln", system_dir);
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, static_cast<int>(zoneinfo_errc::not_found));
  EXPECT_NE(typo.error().message.find("\"Europe/Berln\""), std::string::npos) << typo.error().message;
  EXPECT_NE(typo.error().message.find("tzdata"), std::string::npos) << typo.error().message;
  // A directory is not a zone.
  EXPECT_EQ(load_time_zone("Europe", system_dir).error().code, static_cast<int>(zoneinfo_errc::not_found));

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sn_zoneinfo_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "Bad");
  std::ofstream(dir / "Bad" / "Zone") << "# not a TZif file\n";
  auto bad = load_time_zone("Bad/Zone", dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, static_cast<int>(zoneinfo_errc::invalid));
  EXPECT_NE(bad.error().message.find("not a TZif file"), std::string::npos) << bad.error().message;

  if (std::filesystem::exists(std::string(system_dir) + "/right/Europe/Berlin")) {
    auto leap = load_time_zone("right/Europe/Berlin", system_dir);
    ASSERT_FALSE(leap);
    EXPECT_NE(leap.error().message.find("leap-second"), std::string::npos) << leap.error().message;
  }
}

TEST(zoneinfo, tzdir_names_the_directory_as_for_the_c_library) {
  const char* saved = std::getenv("TZDIR");
  const std::string saved_dir = saved ? saved : "";
  setenv("TZDIR", "/opt/zoneinfo", 1);
  EXPECT_EQ(zoneinfo_dir(), "/opt/zoneinfo");
  unsetenv("TZDIR");
  EXPECT_EQ(zoneinfo_dir(), "/usr/share/zoneinfo");
  if (saved) setenv("TZDIR", saved_dir.c_str(), 1);
}

}  // namespace
}  // namespace sn::node
