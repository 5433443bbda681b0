// Backups (storage/checkpoint.hpp, event_log::checkpoint): a checkpoint of a
// live log opens as a data dir holding every event appended before it began,
// also while a writer thread keeps appending; the target rules; and the
// checkpoint of a closed data dir takes its lock.
#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "storage/audit.hpp"
#include "storage/checkpoint.hpp"
#include "storage/errc.hpp"
#include "storage/event_log.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage::test {
namespace {

namespace fs = std::filesystem;

bool is_code(const sn::error& e, errc c) { return e.code == static_cast<int>(c); }

// A checkpoint of an open log holds every event, heads, meta and projection
// state; it opens read-write (as a node would) and read-only, audits clean,
// and the source goes on appending unaffected.
TEST(checkpoint, copy_of_a_live_log_opens_and_holds_everything) {
  temp_dir t;
  auto log = event_log::open(rw_options(t.data()));
  ASSERT_TRUE(log) << log.error().message;
  chain a("POS1"), b("POS2");
  ASSERT_TRUE((*log)->append(a.take(300)));
  ASSERT_TRUE((*log)->append(b.take(50)));
  ASSERT_TRUE((*log)->put_meta("device_id", "POS1"));
  ASSERT_TRUE((*log)->save_projection("retail_views", "state-bytes", log_position{350}));

  const std::string to = t.path() + "/backup";
  auto r = (*log)->checkpoint(to);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->position.value(), 350u);
  ASSERT_TRUE((*log)->append(a.take(10)));  // the source lives on
  EXPECT_EQ((*log)->size(), 360u);

  {
    auto copy = event_log::open(ro_options(to));
    ASSERT_TRUE(copy) << copy.error().message;
    EXPECT_EQ((*copy)->size(), 350u);
    auto audit = audit_log(**copy);
    ASSERT_TRUE(audit);
    EXPECT_TRUE(audit->clean());
  }
  auto copy = event_log::open(rw_options(to));
  ASSERT_TRUE(copy) << copy.error().message;
  EXPECT_EQ((*copy)->size(), 350u);
  EXPECT_EQ((*copy)->versions(), (version_vector{{"POS1", 300}, {"POS2", 50}}));
  EXPECT_EQ((*copy)->get_meta("device_id"), std::optional<std::string>("POS1"));
  auto proj = (*copy)->load_projection("retail_views");
  ASSERT_TRUE(proj);
  EXPECT_EQ(proj->first, "state-bytes");
  // The copy is a log in its own right: it takes the next event of POS1.
  chain a2("POS1", 301, (*copy)->head(device_id{"POS1"})->hash);
  auto appended = (*copy)->append({a2.next()});
  ASSERT_TRUE(appended);
  EXPECT_EQ(appended->appended, 1u);
}

// While a writer thread appends, a checkpoint still holds at least every event
// appended before it began (and the copy's chain is whole).
TEST(checkpoint, under_concurrent_appends_holds_what_was_acknowledged) {
  temp_dir t;
  auto opened = event_log::open(rw_options(t.data()));
  ASSERT_TRUE(opened);
  event_log& log = **opened;
  chain a("POS1");
  ASSERT_TRUE(log.append(a.take(200)));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> acked{0};
  std::thread writer([&] {
    while (!stop.load()) {
      auto r = log.append(a.take(20));
      if (!r) break;
      acked.store(log.last_position().value());
    }
  });
  for (int i = 0; i < 5; ++i) {
    const std::uint64_t before = acked.load();
    const std::string to = t.path() + "/backup-" + std::to_string(i);
    auto r = log.checkpoint(to);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_GE(r->position.value(), before);
    auto copy = event_log::open(ro_options(to));
    ASSERT_TRUE(copy) << copy.error().message;
    EXPECT_GE((*copy)->size(), r->position.value());
    auto audit = audit_log(**copy);
    ASSERT_TRUE(audit);
    EXPECT_TRUE(audit->clean()) << "checkpoint " << i;
  }
  stop.store(true);
  writer.join();
}

// The target rules: it must not exist, its parent must, not inside the data
// dir; and a read-only (secondary) log refuses to checkpoint.
TEST(checkpoint, target_rules_and_read_only_refusal) {
  temp_dir t;
  auto log = event_log::open(rw_options(t.data()));
  ASSERT_TRUE(log);
  chain a("POS1");
  ASSERT_TRUE((*log)->append(a.take(5)));
  fs::create_directories(t.path() + "/taken");
  auto r = (*log)->checkpoint(t.path() + "/taken");
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_code(r.error(), errc::exists)) << r.error().message;
  EXPECT_NE(r.error().message.find("already exists"), std::string::npos);
  r = (*log)->checkpoint(t.path() + "/no/such/parent/backup");
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_code(r.error(), errc::not_found)) << r.error().message;
  r = (*log)->checkpoint(t.data() + "/inside");
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_code(r.error(), errc::invalid_argument)) << r.error().message;
  EXPECT_FALSE(fs::exists(t.data() + "/inside"));

  auto ro = event_log::open(ro_options(t.data()));
  ASSERT_TRUE(ro);
  r = (*ro)->checkpoint(t.path() + "/from-secondary");
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_code(r.error(), errc::read_only));
  EXPECT_FALSE(fs::exists(t.path() + "/from-secondary"));
}

// A closed data dir: checkpoint_data_dir takes the lock (refused while a
// writer holds it), copies everything, and leaves the source usable.
TEST(checkpoint, closed_data_dir_takes_the_lock) {
  temp_dir t;
  chain a("POS1");
  {
    auto log = event_log::open(rw_options(t.data()));
    ASSERT_TRUE(log);
    ASSERT_TRUE((*log)->append(a.take(40)));
    auto held = checkpoint_data_dir(t.data(), t.path() + "/while-open");
    ASSERT_FALSE(held);
    EXPECT_TRUE(is_code(held.error(), errc::locked)) << held.error().message;
    EXPECT_FALSE(fs::exists(t.path() + "/while-open"));
  }
  auto r = checkpoint_data_dir(t.data(), t.path() + "/closed");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->position.value(), 40u);
  auto copy = event_log::open(ro_options(t.path() + "/closed"));
  ASSERT_TRUE(copy);
  EXPECT_EQ((*copy)->size(), 40u);
  auto source = event_log::open(rw_options(t.data()));
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ((*source)->size(), 40u);

  auto none = checkpoint_data_dir(t.path() + "/nothing-here", t.path() + "/x");
  ASSERT_FALSE(none);
  EXPECT_TRUE(is_code(none.error(), errc::not_found));
}

} // namespace
} // namespace sn::storage::test
