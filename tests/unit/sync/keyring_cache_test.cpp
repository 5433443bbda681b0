// keyring_cache: what a restart reads instead of the whole log (the
// membership events and the position they cover) survives encode/decode,
// never goes back, ignores what it already holds, and refuses damaged bytes.
#include "actors/sync/keyring_cache.hpp"

#include <gtest/gtest.h>

namespace {

using sn::sync::keyring_cache;

TEST(keyring_cache, round_trips_events_in_order_and_the_position_covered) {
  keyring_cache c;
  c.add(1, "store created");
  c.add(7, std::string("enrolled \0 with a zero byte", 27));
  c.cover(1000);
  keyring_cache d;
  ASSERT_TRUE(d.decode(c.encode()));
  EXPECT_EQ(d.covered(), 1000u);
  ASSERT_EQ(d.events().size(), 2u);
  EXPECT_EQ(d.events()[0], "store created");
  EXPECT_EQ(d.events()[1], std::string("enrolled \0 with a zero byte", 27));
  EXPECT_FALSE(d.dirty());
}

TEST(keyring_cache, new_events_are_urgent_a_moved_position_is_not) {
  keyring_cache c;
  c.cover(50);
  EXPECT_TRUE(c.dirty());
  EXPECT_FALSE(c.has_new_events());
  c.clean();
  c.add(60, "rotated");
  EXPECT_TRUE(c.has_new_events());
  EXPECT_EQ(c.covered(), 60u);
}

// A batch committed while the log was scanned at start-up arrives again as
// a committed batch: what the cache covers already is not added twice.
TEST(keyring_cache, ignores_events_at_or_below_what_it_covers_and_never_goes_back) {
  keyring_cache c;
  c.add(5, "a");
  c.cover(100);
  c.add(100, "again");
  c.add(42, "older");
  c.cover(90);
  EXPECT_EQ(c.covered(), 100u);
  ASSERT_EQ(c.events().size(), 1u);
  c.add(101, "b");
  EXPECT_EQ(c.events().size(), 2u);
}

TEST(keyring_cache, refuses_damaged_bytes_and_holds_nothing_then) {
  keyring_cache c;
  c.add(3, "member");
  c.cover(10);
  const std::string good = c.encode();
  keyring_cache d;
  EXPECT_FALSE(d.decode(good.substr(0, good.size() - 1)));  // truncated
  EXPECT_EQ(d.covered(), 0u);
  EXPECT_TRUE(d.events().empty());
  EXPECT_FALSE(d.decode(good + "x"));                           // trailing bytes
  std::string other_version = good;
  other_version[other_version.find("keyring-cache") + 13] = 2;   // the version field follows the name
  EXPECT_FALSE(d.decode(other_version));
  EXPECT_FALSE(d.decode(""));
  EXPECT_TRUE(d.decode(good));
  EXPECT_EQ(d.covered(), 10u);
}

}  // namespace
