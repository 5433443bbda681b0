// Hybrid logical clock rules: monotonic across wall-clock steps back, the
// merge rule on receive, logical overflow, restore; RFC 3339 rendering.
#include <gtest/gtest.h>

#include <random>

#include "events/hlc.hpp"

namespace sn {
namespace {

TEST(hlc, packs_wall_and_logical) {
  const auto t = hlc_timestamp::from_parts(1795615387123ULL, 5);
  EXPECT_EQ(t.wall_ms(), 1795615387123ULL);
  EXPECT_EQ(t.logical(), 5u);
  EXPECT_EQ(t.packed(), (1795615387123ULL << 16) | 5);
  EXPECT_LT(hlc_timestamp::from_parts(10, hlc_timestamp::logical_max), hlc_timestamp::from_parts(11, 0));
}

TEST(hlc, follows_the_wall_clock_when_it_advances) {
  hybrid_logical_clock c;
  EXPECT_EQ(c.now(1000), hlc_timestamp::from_parts(1000, 0));
  EXPECT_EQ(c.now(1005), hlc_timestamp::from_parts(1005, 0));
}

TEST(hlc, same_millisecond_counts_logically) {
  hybrid_logical_clock c;
  c.now(1000);
  EXPECT_EQ(c.now(1000), hlc_timestamp::from_parts(1000, 1));
  EXPECT_EQ(c.now(1000), hlc_timestamp::from_parts(1000, 2));
}

TEST(hlc, monotonic_when_wall_clock_steps_back) {
  hybrid_logical_clock c;
  const auto a = c.now(5000);
  const auto b = c.now(1000);  // NTP stepped the clock back 4 s
  EXPECT_GT(b, a);
  EXPECT_EQ(b, hlc_timestamp::from_parts(5000, 1));
  EXPECT_EQ(c.now(5001), hlc_timestamp::from_parts(5001, 0));
}

TEST(hlc, monotonic_under_random_wall_times) {
  const auto seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  hybrid_logical_clock c;
  hlc_timestamp prev = c.last();
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t wall = 1000000 + rng() % 50;
    const auto t = (rng() % 3 == 0) ? c.observe(hlc_timestamp::from_parts(1000000 + rng() % 60, rng() % 70000 & 0xffff), wall)
                                    : c.now(wall);
    ASSERT_GT(t, prev) << "step " << i;
    prev = t;
  }
}

TEST(hlc, observe_moves_past_a_remote_ahead_of_us) {
  hybrid_logical_clock c;
  c.now(1000);
  const auto remote = hlc_timestamp::from_parts(2000, 7);
  const auto m = c.observe(remote, 1001);
  EXPECT_EQ(m, hlc_timestamp::from_parts(2000, 8));
  EXPECT_GT(c.now(1002), remote);
  EXPECT_EQ(c.last(), hlc_timestamp::from_parts(2000, 9));
}

TEST(hlc, observe_rule_cases) {
  {  // equal wall parts: max logical + 1
    hybrid_logical_clock c;
    c.restore(hlc_timestamp::from_parts(1000, 3));
    EXPECT_EQ(c.observe(hlc_timestamp::from_parts(1000, 9), 900), hlc_timestamp::from_parts(1000, 10));
  }
  {  // ours ahead: our logical + 1
    hybrid_logical_clock c;
    c.restore(hlc_timestamp::from_parts(1000, 3));
    EXPECT_EQ(c.observe(hlc_timestamp::from_parts(999, 9), 900), hlc_timestamp::from_parts(1000, 4));
  }
  {  // wall clock ahead of both: logical resets
    hybrid_logical_clock c;
    c.restore(hlc_timestamp::from_parts(1000, 3));
    EXPECT_EQ(c.observe(hlc_timestamp::from_parts(1001, 9), 1500), hlc_timestamp::from_parts(1500, 0));
  }
}

TEST(hlc, logical_overflow_advances_wall_by_one) {
  hybrid_logical_clock c;
  c.restore(hlc_timestamp::from_parts(1000, hlc_timestamp::logical_max - 1));
  EXPECT_EQ(c.now(1000), hlc_timestamp::from_parts(1000, hlc_timestamp::logical_max));
  const auto t = c.now(1000);
  EXPECT_EQ(t, hlc_timestamp::from_parts(1001, 0));
  EXPECT_EQ(c.now(1000), hlc_timestamp::from_parts(1001, 1));
  // Same through observe.
  hybrid_logical_clock d;
  EXPECT_EQ(d.observe(hlc_timestamp::from_parts(50, hlc_timestamp::logical_max), 10),
            hlc_timestamp::from_parts(51, 0));
}

TEST(hlc, restore_continues_after_the_last_timestamp) {
  hybrid_logical_clock c;
  const auto last = hlc_timestamp::from_parts(9000, 4);
  c.restore(last);
  EXPECT_EQ(c.last(), last);
  EXPECT_EQ(c.now(100), hlc_timestamp::from_parts(9000, 5));  // wall clock behind the log
}

TEST(hlc, rfc3339) {
  EXPECT_EQ(hlc_timestamp::from_parts(0, 0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(hlc_timestamp::from_parts(1795615387123ULL, 9).to_rfc3339(), "2026-11-25T14:03:07.123Z");
  EXPECT_EQ(hlc_timestamp::from_parts(951782400000ULL, 0).to_rfc3339(), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(hlc_timestamp::from_parts(4102444799999ULL, 0).to_rfc3339(), "2099-12-31T23:59:59.999Z");
}

// The max-offset rule: a remote clock more than max_skew ahead of our wall
// clock cannot drag ours; one within the bound is merged as usual.
TEST(hlc, observe_within_refuses_a_remote_beyond_the_bound) {
  hybrid_logical_clock c;
  c.now(1000000);
  const auto before = c.last();
  const auto far = hlc_timestamp::from_parts(1000000 + 60001, 0);
  EXPECT_TRUE(hybrid_logical_clock::too_far_ahead(far, 1000000, 60000));
  EXPECT_FALSE(c.observe_within(far, 1000000, 60000));
  EXPECT_EQ(c.last(), before);
  EXPECT_EQ(c.now(1000001), hlc_timestamp::from_parts(1000001, 0));  // not dragged

  const auto edge = hlc_timestamp::from_parts(1000001 + 60000, 5);
  EXPECT_FALSE(hybrid_logical_clock::too_far_ahead(edge, 1000001, 60000));
  EXPECT_TRUE(c.observe_within(edge, 1000001, 60000));
  EXPECT_EQ(c.last(), hlc_timestamp::from_parts(1060001, 6));
  // Behind us or our own wall clock: always merged.
  EXPECT_TRUE(c.observe_within(hlc_timestamp::from_parts(5, 0), 1000002, 0));
  EXPECT_FALSE(hybrid_logical_clock::too_far_ahead(hlc_timestamp::from_parts(5, 0), 1000002, 0));
}

} // namespace
} // namespace sn
