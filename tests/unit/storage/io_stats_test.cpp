#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "storage/event_log.hpp"
#include "storage/io_stats.hpp"
#include "storage/projection_store.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage {
namespace {

using test::temp_dir;

const family_io* family(const storage_io& io, const std::string& name) {
  for (const auto& f : io.families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// Proves: event_log::io() counts, per column family, what flushes and
// compactions wrote (RocksDB's event listener) beside what the family holds
// on disk now: four rounds of overwrites of the same 2,000 rows, each
// flushed by a checkpoint, reach RocksDB's L0 trigger and are compacted into
// fewer bytes than the compaction read (the overwritten values dropped); a
// family nothing was written to shows nothing; a read-only (secondary) open
// sees the table files but wrote nothing.
TEST(StorageIo, FlushesAndCompactionsAreCountedPerFamilyBesideTheirFiles) {
  temp_dir t;
  {
    test::log_with_projections db(t.data());
    const storage_io before = db.log->io();
    const family_io* sales = family(before, "p.sales");
    ASSERT_NE(sales, nullptr);
    EXPECT_EQ(sales->flushes, 0u);
    EXPECT_EQ(sales->sst_bytes, 0u);
    EXPECT_EQ(write_amplification(*sales), 0.0);  // nothing flushed yet

    constexpr int rounds = 4;  // RocksDB's level0_file_num_compaction_trigger
    for (int r = 0; r < rounds; ++r) {
      std::vector<std::string> keys, values;
      for (int i = 0; i < 2000; ++i) {
        keys.push_back("row-" + std::to_string(i));
        values.push_back(std::string(100, static_cast<char>('a' + r)) + std::to_string(i));
      }
      std::vector<projection_store::write_ref> w;
      for (std::size_t i = 0; i < keys.size(); ++i) w.push_back({0, keys[i], &values[i]});
      ASSERT_TRUE(db.store->write_all(w));
      // A checkpoint flushes every memtable first: one table file per round.
      auto c = db.log->checkpoint(t.path() + "/ck" + std::to_string(r));
      ASSERT_TRUE(c) << c.error().message;
    }

    storage_io io;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      io = db.log->io();
      sales = family(io, "p.sales");
      ASSERT_NE(sales, nullptr);
      if ((sales->compactions >= 1 && io.compactions_running == 0) || std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GE(sales->flushes, 4u);
    EXPECT_GT(sales->flushed_bytes, 4u * 2000u * 100u / 4);  // values compress, but not to nothing
    ASSERT_GE(sales->compactions, 1u);
    EXPECT_GT(sales->compaction_read_bytes, 0u);
    EXPECT_GT(sales->compaction_written_bytes, 0u);
    EXPECT_LT(sales->compaction_written_bytes, sales->compaction_read_bytes);  // three of four versions dropped
    EXPECT_GT(sales->sst_bytes, 0u);
    EXPECT_LE(sales->sst_bytes, sales->flushed_bytes + sales->compaction_written_bytes);
    EXPECT_DOUBLE_EQ(write_amplification(*sales),
                     double(sales->flushed_bytes + sales->compaction_written_bytes) / double(sales->flushed_bytes));
    EXPECT_GT(write_amplification(*sales), 1.0);

    const family_io* inventory = family(io, "p.inventory");
    ASSERT_NE(inventory, nullptr);
    EXPECT_EQ(inventory->flushes, 0u);
    EXPECT_EQ(inventory->flushed_bytes, 0u);
    EXPECT_EQ(inventory->compactions, 0u);
    EXPECT_EQ(inventory->sst_bytes, 0u);
  }

  auto ro = test::ro_options(t.data());
  auto reader = event_log::open(ro);
  ASSERT_TRUE(reader) << reader.error().message;
  const storage_io seen = (*reader)->io();
  const family_io* sales = family(seen, "p.sales");
  ASSERT_NE(sales, nullptr);
  EXPECT_GT(sales->sst_bytes, 0u);
  EXPECT_EQ(sales->flushes, 0u);
  EXPECT_EQ(sales->compactions, 0u);
}

}  // namespace
}  // namespace sn::storage
