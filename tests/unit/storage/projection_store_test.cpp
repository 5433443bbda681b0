#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"
#include "storage/rocks_config.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage {
namespace {

using test::temp_dir;

/// Polls `done` every 10 ms for up to 20 s.
template <class F> bool eventually(F done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Proves: get_many (RocksDB's MultiGet, what a chunk's read-ahead uses)
// answers exactly what get() answers key by key: present rows with their
// values, absent rows as nullopt, repeats and any order; at a snapshot it
// sees the rows as they were then, not a later write.
TEST(ProjectionStore, GetManyAnswersWhatGetAnswersKeyByKey) {
  temp_dir t;
  test::log_with_projections db(t.data());
  projection_store& s = *db.store;

  const std::string v1 = "one", v2 = "two", other = "inventory's";
  std::vector<projection_store::write_ref> w{{0, "a", &v1}, {0, "c", &v2}, {1, "b", &other}};
  ASSERT_TRUE(s.write_all(w));
  const auto at = s.snapshot();

  const std::vector<std::string_view> keys{"c", "b", "a", "zz", "a"};
  std::vector<std::optional<std::string>> got;
  s.get_many(0, keys, got);
  ASSERT_EQ(got.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(got[i], s.get(0, keys[i])) << keys[i];
  EXPECT_EQ(got[0], "two");
  EXPECT_FALSE(got[1].has_value());  // "b" is in the other family only
  EXPECT_EQ(got[2], "one");
  EXPECT_FALSE(got[3].has_value());
  EXPECT_EQ(got[4], "one");

  const std::string v3 = "three";
  std::vector<projection_store::write_ref> later{{0, "a", &v3}, {0, "c", nullptr}};
  ASSERT_TRUE(s.write_all(later));
  s.get_many(0, keys, got, at.get());
  EXPECT_EQ(got[0], "two");
  EXPECT_EQ(got[2], "one");
  s.get_many(0, keys, got);
  EXPECT_FALSE(got[0].has_value());
  EXPECT_EQ(got[2], "three");

  s.get_many(0, {}, got);
  EXPECT_TRUE(got.empty());
}

// Proves: clear() empties a family at once, and the table files that held
// only its rows below level 0 are gone from disk at once (not left for
// compactions to read and drop: a rebuild of a large store otherwise
// rewrote its old rows through every level); the other family keeps its
// rows; the cleared family takes new rows and keeps them across a reopen.
TEST(ProjectionStore, ClearDropsTheFamilysTableFilesAtOnce) {
  temp_dir t;
  const auto family_bytes = [](const event_log& log, const std::string& name) {
    for (const auto& f : log.io().families) {
      if (f.name == name) return f.sst_bytes;
    }
    return std::uint64_t(0);
  };
  const std::string other_value = "inventory's";
  {
    test::log_with_projections db(t.data());
    projection_store& s = *db.store;
    // Enough flushed batches that compaction moves them below level 0.
    const std::string value(200, 'v');
    for (int batch = 0; batch < 8; ++batch) {
      std::vector<std::string> keys;
      for (int i = 0; i < 2000; ++i) keys.push_back("r" + std::to_string(batch * 100000 + i));
      std::vector<projection_store::write_ref> w;
      for (const auto& k : keys) w.push_back({0, k, &value});
      if (batch == 0) w.push_back({1, "kept", &other_value});
      ASSERT_TRUE(s.write_all(w));
      ASSERT_TRUE(db.log->checkpoint(t.path() + "/flush" + std::to_string(batch)));  // flushes the memtables
    }
    ASSERT_TRUE(eventually([&] {
      const auto io = db.log->io();
      return io.compactions_running == 0 && io.flushes_running == 0 &&
             std::any_of(io.families.begin(), io.families.end(),
                         [](const family_io& f) { return f.name == "p.sales" && f.compactions > 0; });
    }));
    ASSERT_GT(family_bytes(*db.log, "p.sales"), 1000000u);
    ASSERT_TRUE(s.clear(0));
    EXPECT_EQ(family_bytes(*db.log, "p.sales"), 0u);
    EXPECT_FALSE(s.get(0, "r5").has_value());
    EXPECT_EQ(s.get(1, "kept"), other_value);
    const std::string fresh = "fresh";
    std::vector<projection_store::write_ref> w{{0, "r5", &fresh}};
    ASSERT_TRUE(s.write_all(w));
  }
  test::log_with_projections db(t.data());
  EXPECT_EQ(db.store->get(0, "r5"), "fresh");
  EXPECT_FALSE(db.store->get(0, "r6").has_value());
  EXPECT_EQ(db.store->get(1, "kept"), other_value);
}

// Proves: the projection families let level 0 grow further than RocksDB's
// default before it slows every write of the database (a bulk fold at 10 M
// events stalled at 20 files: docs/benchmarks.md "Sales as tills write them
// now"); the log's own families keep RocksDB's defaults.
TEST(ProjectionStore, ItsFamiliesSlowWritesOnlyPastMoreLevel0FilesThanTheLog) {
  temp_dir t;
  log_options o;
  o.data_dir = t.data();
  o.projection_families = {"sales"};
  const rocksdb::ColumnFamilyOptions defaults;
  bool seen = false;
  for (const auto& d : rocks::cf_descriptors(o)) {
    if (d.name == rocks::projection_cf_name("sales")) {
      seen = true;
      EXPECT_GE(d.options.level0_slowdown_writes_trigger, 2 * defaults.level0_slowdown_writes_trigger);
      EXPECT_GT(d.options.level0_stop_writes_trigger, d.options.level0_slowdown_writes_trigger);
    } else {
      EXPECT_EQ(d.options.level0_slowdown_writes_trigger, defaults.level0_slowdown_writes_trigger) << d.name;
      EXPECT_EQ(d.options.level0_stop_writes_trigger, defaults.level0_stop_writes_trigger) << d.name;
    }
  }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace sn::storage
