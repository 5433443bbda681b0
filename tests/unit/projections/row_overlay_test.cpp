#include <gtest/gtest.h>

#include <map>

#include "actors/projections/memory_rows.hpp"
#include "actors/projections/row_codec.hpp"
#include "actors/projections/row_overlay.hpp"
#include "tests/unit/projections/counting_reader.hpp"

namespace sn::projections {
namespace {

TEST(RowOverlay, ReadsItsOwnWritesAndListsOnlyRealChanges) {
  memory_rows base;
  base.put("a", "1");
  base.put("b", "2");
  row_overlay o(base);
  EXPECT_EQ(o.get("a"), "1");
  o.put("a", "10");
  o.put("b", "2");  // back to the durable value: no change
  o.put("c", "3");
  o.erase("zz");    // absent: no change
  EXPECT_EQ(o.get("a"), "10");
  EXPECT_EQ(base.get("a"), "1");  // nothing written below before commit
  std::map<std::string, std::pair<std::optional<std::string>, std::optional<std::string>>> changes;
  o.for_each_change([&](const std::string& k, const auto& was, const auto& now) { changes[k] = {was, now}; });
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes["a"].first, "1");
  EXPECT_EQ(changes["a"].second, "10");
  EXPECT_FALSE(changes["c"].first.has_value());
  EXPECT_EQ(changes["c"].second, "3");
}

TEST(RowOverlay, CommitMakesChangesTheNewBaselineAndDiscardForgets) {
  memory_rows base;
  row_overlay o(base);
  o.put("k", "v1");
  base.put("k", "v1");  // what the set's write did
  o.commit();
  std::size_t n = 0;
  o.for_each_change([&](const auto&, const auto&, const auto&) { ++n; });
  EXPECT_EQ(n, 0u);
  o.erase("k");
  o.for_each_change([&](const std::string& k, const auto& was, const auto& now) {
    ++n;
    EXPECT_EQ(k, "k");
    EXPECT_EQ(was, "v1");
    EXPECT_FALSE(now.has_value());
  });
  EXPECT_EQ(n, 1u);
  o.discard();
  EXPECT_EQ(o.get("k"), "v1");  // the durable value again
}

TEST(RowOverlay, ScanMergesDurableRowsWithTheBatchInKeyOrder) {
  memory_rows base;
  base.put("p1", "a");
  base.put("p3", "c");
  base.put("q1", "x");
  row_overlay o(base);
  o.put("p2", "b");
  o.erase("p3");
  o.put("p4", "d");
  std::string seen;
  o.scan("p", "", [&](std::string_view k, std::string_view v) {
    seen += std::string(k) + "=" + std::string(v) + ";";
    return true;
  });
  EXPECT_EQ(seen, "p1=a;p2=b;p4=d;");
  seen.clear();
  o.scan("p", "p2", [&](std::string_view k, std::string_view) {
    seen += std::string(k) + ";";
    return true;
  });
  EXPECT_EQ(seen, "p2;p4;");
}

TEST(RowOverlay, PutNewReadsNothingBelowAndGivesWhatPutGives) {
  memory_rows durable;
  durable.put("old", "x");
  testing::counting_reader base(durable);  // the reads that reach the durable rows
  row_overlay o(base);
  o.put_new("new", "1");
  EXPECT_EQ(base.reads, 0u);
  EXPECT_EQ(o.get("new"), "1");
  // Erased, then put again in the same batch (a displaced duplicate listed
  // again under the same key): the overlay's own row, no change at all.
  o.erase("old");
  o.put_new("old", "x");
  EXPECT_EQ(base.reads, 1u);  // the erase's read
  std::map<std::string, std::pair<std::optional<std::string>, std::optional<std::string>>> changes;
  o.for_each_change([&](const std::string& k, const auto& was, const auto& now) { changes[k] = {was, now}; });
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes["new"].first.has_value());
  EXPECT_EQ(changes["new"].second, "1");
}

// Proves: after a commit, a row the batch created (a receipt, a list entry)
// is not kept in the cache, so such rows never fill the bound and empty the
// hot rows with them; a row that existed and changed stays cached. A created
// row read again is read from below once, with its committed value, and is
// cached from then on.
TEST(RowOverlay, RowsCreatedByABatchAreNotKeptCachedAfterItsCommit) {
  memory_rows durable;
  durable.put("total", "1");
  testing::counting_reader base(durable);
  row_overlay o(base);
  o.put("total", "2");       // read below once: existed
  o.put("receipt", "r");     // read below once: absent
  o.put_new("entry", "");    // not read below
  EXPECT_EQ(base.reads, 2u);
  EXPECT_EQ(o.cached(), 3u);
  for (const char* k : {"total", "receipt", "entry"}) durable.put(k, *o.get(k));  // the set's write
  o.commit();
  EXPECT_EQ(o.cached(), 1u);
  EXPECT_EQ(o.get("total"), "2");
  EXPECT_EQ(base.reads, 2u);  // the hot row from the cache
  EXPECT_EQ(o.get("receipt"), "r");
  EXPECT_EQ(o.get("entry"), "");
  EXPECT_EQ(base.reads, 4u);  // the created rows from below, once
  EXPECT_EQ(o.get("receipt"), "r");
  EXPECT_EQ(base.reads, 4u);  // and cached since
  std::size_t n = 0;
  o.for_each_change([&](const auto&, const auto&, const auto&) { ++n; });
  EXPECT_EQ(n, 0u);
}

TEST(RowOverlay, RowsCommittedUnwrittenStayCachedUntilWritten) {
  memory_rows base;
  row_overlay o(base, /*cached_rows_max=*/2);
  for (const char* k : {"a", "b", "c", "d"}) o.put(k, k);
  o.erase("a");
  o.commit_unwritten();  // their write is still to come: base holds nothing
  EXPECT_EQ(o.cached(), 4u);
  EXPECT_FALSE(o.get("a").has_value());
  EXPECT_EQ(o.get("d"), "d");
  o.put("d", "d2");  // the next batch, over the unwritten one
  std::size_t n = 0;
  o.for_each_change([&](const std::string& k, const auto& was, const auto& now) {
    ++n;
    EXPECT_EQ(k, "d");
    EXPECT_EQ(was, "d");  // the unwritten batch's value is the baseline
    EXPECT_EQ(now, "d2");
  });
  EXPECT_EQ(n, 1u);
  for (const char* k : {"b", "c", "d"}) base.put(k, k);  // the deferred write lands
  o.written();  // past the bound: only the rows the next batch used stay (d changed, a read)
  EXPECT_EQ(o.cached(), 2u);
  EXPECT_EQ(o.get("d"), "d2");
  EXPECT_EQ(o.get("b"), "b");  // from below again
  n = 0;
  o.for_each_change([&](const auto&, const auto&, const auto&) { ++n; });
  EXPECT_EQ(n, 1u);
}

// Proves: past the bound the cache drops its least recently used rows, not
// every row: a row every batch updates (a total) is read from below once in
// ten batches, while each batch also reads rows nothing reads again, and the
// cache stays near its bound.
TEST(RowOverlay, PastTheBoundTheLeastRecentlyUsedRowsGoAndAHotRowStays) {
  memory_rows durable;
  durable.put("hot", "0");
  for (int i = 0; i < 100; ++i) durable.put("cold" + std::to_string(i), "c");
  testing::counting_reader base(durable);
  row_overlay o(base, /*cached_rows_max=*/8);
  for (int batch = 1; batch <= 10; ++batch) {
    o.put("hot", std::to_string(batch));
    for (int k = 0; k < 5; ++k) EXPECT_EQ(o.get("cold" + std::to_string(batch * 5 + k)), "c");
    durable.put("hot", *o.get("hot"));  // the set's write
    o.commit();
    EXPECT_LE(o.cached(), 8u) << "batch " << batch;
  }
  EXPECT_EQ(base.reads, 1u + 10 * 5);  // "hot" once, every cold row once
  EXPECT_EQ(o.get("hot"), "10");
  EXPECT_EQ(base.reads, 1u + 10 * 5);
}

// Proves: in the deferred flow as the node runs it (batch N folds, then
// batch N-1's write lands: written(), then N is committed unwritten), rows a
// batch created and no later batch read are the first to go past the bound;
// a row only every other batch changes stays, and so does a row created by
// one batch and read again by the next (a new day's total): each row is read
// from below once.
TEST(RowOverlay, CreatedRowsNotReadAgainGoFirstAndWarmRowsStay) {
  memory_rows durable;
  durable.put("hot", "0");
  durable.put("warm", "0");
  testing::counting_reader base(durable);
  row_overlay o(base, /*cached_rows_max=*/8);
  std::map<std::string, std::string> pending;  // batch N-1's rows, written when N has folded
  for (int batch = 1; batch <= 6; ++batch) {
    std::map<std::string, std::string> rows;
    rows["hot"] = std::to_string(batch);
    rows["day"] = std::to_string(batch);                          // created by batch 1
    if (batch % 2 == 1) rows["warm"] = std::to_string(batch);     // batches 1, 3, 5
    for (int k = 0; k < 3; ++k) rows["receipt" + std::to_string(batch * 3 + k)] = "r";  // never read again
    for (const auto& [k, v] : rows) o.put(k, v);
    if (batch > 1) {
      for (const auto& [k, v] : pending) durable.put(k, v);  // batch N-1's deferred write lands
      o.written();
      EXPECT_LE(o.cached(), 3u + 3) << "batch " << batch;  // hot, day, warm and this batch's receipts
    }
    o.commit_unwritten();
    pending = rows;
  }
  // Reads below: "hot" and "warm" once, "day" once (absent), each receipt once (absent).
  EXPECT_EQ(base.reads, 3u + 6 * 3);
  EXPECT_EQ(o.get("day"), "6");
  EXPECT_EQ(o.get("warm"), "5");
  EXPECT_EQ(base.reads, 3u + 6 * 3);
}

// Proves: read_ahead reads the rows not cached in one batch (repeats and
// cached rows are not read again), and the fold's reads and writes of them
// then read nothing below; a row read ahead and changed is listed with the
// value read as its old one, and one read ahead as absent as created.
TEST(RowOverlay, ReadAheadReadsTheRowsNotCachedInOneBatch) {
  memory_rows durable;
  durable.put("a", "1");
  durable.put("b", "2");
  testing::counting_reader base(durable);
  row_overlay o(base);
  EXPECT_EQ(o.get("a"), "1");  // cached from here
  EXPECT_EQ(base.reads, 1u);
  std::vector<std::string> keys{"c", "b", "a", "b", "c"};
  o.read_ahead(keys);
  EXPECT_EQ(base.batches, 1u);
  EXPECT_EQ(base.reads, 3u);  // "b" and "c" once each
  EXPECT_EQ(o.get("b"), "2");
  EXPECT_FALSE(o.get("c").has_value());
  o.put("b", "3");
  o.put("c", "new");
  EXPECT_EQ(base.reads, 3u);
  std::map<std::string, std::pair<std::optional<std::string>, std::optional<std::string>>> changes;
  o.for_each_change([&](const std::string& k, const auto& was, const auto& now) { changes[k] = {was, now}; });
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes["b"].first, "2");
  EXPECT_EQ(changes["b"].second, "3");
  EXPECT_FALSE(changes["c"].first.has_value());
  EXPECT_EQ(changes["c"].second, "new");
}

TEST(RowCodec, KeysSortNumericallyAndValuesRoundTrip) {
  EXPECT_LT(row_out().i64(-5).bytes(), row_out().i64(3).bytes());
  EXPECT_LT(row_out().i32(-1).bytes(), row_out().i32(0).bytes());
  EXPECT_LT(row_out().u64(newest_first(200)).bytes(), row_out().u64(newest_first(100)).bytes());
  const std::string v = row_out().str("héllo").i64(-42).u32(7).key("k").boolean(true).bytes();
  row_in in(v);
  EXPECT_EQ(in.str(), "héllo");
  EXPECT_EQ(in.i64(), -42);
  EXPECT_EQ(in.u32(), 7u);
  EXPECT_EQ(in.key(), "k");
  EXPECT_TRUE(in.boolean());
  EXPECT_TRUE(in.at_end());
  EXPECT_FALSE(in.failed());
  row_in short_in(std::string_view("\x00\x00", 2));
  short_in.u64();
  EXPECT_TRUE(short_in.failed());
  EXPECT_EQ(decode_cursor(encode_cursor(std::string("a\0\xff", 3))), std::string("a\0\xff", 3));
  EXPECT_FALSE(decode_cursor("xyz").has_value());
  EXPECT_EQ(prefix_end("ab"), "ac");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
}

} // namespace
} // namespace sn::projections
