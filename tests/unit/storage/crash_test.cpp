// Crash durability and cross-process behaviour, with real child processes.
#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "storage/audit.hpp"
#include "storage/errc.hpp"
#include "tests/unit/storage/crash_child.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage::test {
namespace {

using namespace std::chrono_literals;
constexpr auto child_timeout = 20s;  // generous: the machine is shared

std::string describe(const audit_report& r) {
  std::string s;
  for (const auto& f : r.findings) s += std::string(to_string(f.kind)) + " " + f.message + "\n";
  return s;
}

// Proves: after kill -9 of a process in the middle of appending, every batch
// it acknowledged is present with its hash chain intact, over 20 cycles that
// each reopen the log the previous crash left.
TEST(log_crash, every_acknowledged_event_survives_kill9) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  temp_dir t;
  std::uint64_t acked = 0;
  constexpr int cycles = 20;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    const std::size_t batch = 1 + rng() % 16;
    const std::uint64_t target = acked + 1 + rng() % 64;
    {
      appender_process child(t.data(), "POS1", batch);
      ASSERT_GE(child.wait_acked(target, child_timeout), target) << "child made no progress";
      acked = child.kill9();
    }
    auto log = event_log::open(rw_options(t.data()));
    ASSERT_TRUE(log) << log.error().to_string();
    auto h = (*log)->head(device_id{"POS1"});
    ASSERT_TRUE(h);
    ASSERT_GE(h->seq.value(), acked);
    auto events = (*log)->read_origin(device_id{"POS1"}, origin_seq{1}, h->seq.value() + 1);
    ASSERT_EQ(events.size(), h->seq.value());
    hash256 prev{};
    for (std::size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].ev.seq.value(), i + 1);
      ASSERT_EQ(events[i].ev.prev_hash, prev);
      ASSERT_TRUE(verify_hash(events[i].ev));
      prev = events[i].ev.hash;
    }
    EXPECT_EQ(prev, h->hash);
    auto report = audit_log(**log);
    ASSERT_TRUE(report);
    ASSERT_TRUE(report->clean()) << describe(*report);
    acked = h->seq.value();  // the next child continues from what is held
  }
}

// Proves: a read-only open works on the data dir of a process that is
// appending, sees what it acknowledged, audits clean, does not disturb it,
// and a read-write open of that dir is refused as locked.
TEST(log_crash, read_only_beside_a_writing_process) {
  temp_dir t;
  appender_process child(t.data(), "POS1", 5);
  const std::uint64_t before = child.wait_acked(20, child_timeout);
  ASSERT_GE(before, 20u);

  auto reader = event_log::open(ro_options(t.data()));
  ASSERT_TRUE(reader) << reader.error().to_string();
  EXPECT_GE((*reader)->size(), before);
  auto report = audit_log(**reader);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->clean()) << describe(*report);

  auto writer = event_log::open(rw_options(t.data()));
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code, static_cast<int>(errc::locked));
  EXPECT_NE(writer.error().message.find("is in use by another storenode process"), std::string::npos);

  // The child keeps appending; the reader catches up with it.
  const std::uint64_t later = child.wait_acked(before + 20, child_timeout);
  ASSERT_GE(later, before + 20);
  ASSERT_TRUE((*reader)->catch_up());
  EXPECT_GE((*reader)->size(), later);
  auto again = audit_log(**reader);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->clean()) << describe(*again);
  child.kill9();
}

} // namespace
} // namespace sn::storage::test
