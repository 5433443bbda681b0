// node/config: store.time_zone is checked against the system tzdata at
// start-up with a message naming the key; the deprecated
// store.utc_offset_minutes still works alone (a fixed zone) and is refused
// together with store.time_zone.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "events/civil_date.hpp"
#include "node/config.hpp"

namespace sn::node {
namespace {

sn::expected<node_config> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "storenode");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_config(static_cast<int>(argv.size()), argv.data());
}

bool have_tzdata() { return std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin"); }

const std::int64_t july_2026 = days_from_civil(2026, 7, 1) * 86400;

TEST(config, time_zone_defaults_to_utc) {
  auto c = parse({"--device-id", "POS1"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->store.time_zone, "UTC");
  EXPECT_EQ(c->zone.name(), "UTC");
}

TEST(config, time_zone_is_loaded_from_the_system_tzdata) {
  if (!have_tzdata()) GTEST_SKIP() << "no tzdata (scripts/setup.sh installs it)";
  auto c = parse({"--device-id", "POS1", "--store.time-zone", "Europe/Berlin"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->zone.name(), "Europe/Berlin");
  EXPECT_EQ(c->zone.offset_seconds(july_2026), 7200);

  const auto file = std::filesystem::temp_directory_path() / ("sn_config_test_" + std::to_string(getpid()) + ".toml");
  std::ofstream(file) << "device_id = \"POS1\"\n[store]\ntime_zone = \"America/New_York\"\n";
  auto f = parse({"--config", file.string()});
  std::filesystem::remove(file);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->zone.name(), "America/New_York");
  EXPECT_EQ(f->zone.offset_seconds(july_2026), -4 * 3600);
}

TEST(config, an_unknown_time_zone_stops_the_node_naming_the_key) {
  auto typo = parse({"--device-id", "POS1", "--store.time-zone", "Europe/Berln"});
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().code, 0);
  EXPECT_EQ(typo.error().message.rfind("store.time_zone: ", 0), 0u) << typo.error().message;
  EXPECT_NE(typo.error().message.find("Europe/Berln"), std::string::npos) << typo.error().message;
  auto escape = parse({"--device-id", "POS1", "--store.time-zone", "../../etc/passwd"});
  ASSERT_FALSE(escape);
  EXPECT_NE(escape.error().message.find("not a time zone name"), std::string::npos) << escape.error().message;
  // --print-config checks it too: a config that prints is a config that starts.
  EXPECT_NE(parse({"--device-id", "POS1", "--store.time-zone", "Mars/Olympus", "--print-config"}).error().code, 0);
}

TEST(config, deprecated_utc_offset_still_works_alone) {
  auto c = parse({"--device-id", "POS1", "--store.utc-offset-minutes", "60"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->zone.name(), "UTC+01:00");
  EXPECT_EQ(c->zone.offset_seconds(july_2026), 3600);  // no daylight saving: why it is deprecated
}

TEST(config, deprecated_utc_offset_with_a_time_zone_is_refused) {
  auto c = parse({"--device-id", "POS1", "--store.utc-offset-minutes", "60", "--store.time-zone", "Europe/Berlin"});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("store.utc_offset_minutes is deprecated"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("store.time_zone"), std::string::npos) << c.error().message;
}

TEST(config, example_config_documents_the_time_zone) {
  auto c = parse({"--device-id", "POS1", "--print-example-config"});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, 0);
  EXPECT_NE(c.error().message.find("#time_zone = 'UTC'"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("flag: --store.time-zone"), std::string::npos);
  EXPECT_NE(c.error().message.find("DEPRECATED, use store.time_zone"), std::string::npos);
}

}  // namespace
}  // namespace sn::node
