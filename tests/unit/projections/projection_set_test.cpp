// The projection set with a small test projection over memory rows: positions
// and digests written with the rows, exactly-once after a failed write,
// pause/behind, rebuild, and digests that depend only on the rows.
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <shared_mutex>

#include "actors/projections/digest_rows.hpp"
#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/row_codec.hpp"
#include "actors/projections/row_overlay.hpp"
#include "tests/unit/projections/counting_reader.hpp"
#include "tests/bench/retail/replay_mix.hpp"
#include "events/errc.hpp"
#include "events/payload_codec.hpp"

namespace sn::projections {
namespace {

// Counts received stock per sku (a sum: order independent).
class received_projection final : public projection {
 public:
  const char* name() const noexcept override { return "received"; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context&) override {
    const auto* p = std::get_if<stock_received>(&e.p);
    if (!p) return nullptr;
    if (p->qty == 13) return "unlucky";
    const std::string key = "s" + p->sku;
    std::int64_t n = 0;
    if (auto v = rows.get(key)) n = row_in(*v).i64();
    rows.put(key, row_out().i64(n + p->qty).bytes());
    return nullptr;
  }
};

// Memory rows behind a lock, so that with `beside` a deferred write may run
// on one fold thread while the others read (as RocksDB allows).
class memory_store final : public row_store {
 public:
  explicit memory_store(std::size_t n, bool beside = false) : rows_(n), beside_(beside) {
    for (std::size_t i = 0; i < n; ++i) readers_.emplace_back(*this, i);
  }
  const row_reader& rows(std::size_t i) const override { return readers_[i]; }
  bool writes_beside_reads() const noexcept override { return beside_; }
  status write_all(const std::vector<write>& writes) override {
    std::unique_lock lock(m_);
    if (fail_next) {
      fail_next = false;
      return sn::events::make_error(sn::events::errc::invalid, "injected write failure");
    }
    for (const auto& w : writes) {
      if (w.value) {
        rows_[w.projection].put(w.key, *w.value);
      } else {
        rows_[w.projection].erase(w.key);
      }
    }
    ++writes_done;
    return status::ok();
  }
  status clear(std::size_t i) override {
    std::unique_lock lock(m_);
    rows_[i].clear();
    return status::ok();
  }
  memory_rows& family(std::size_t i) { return rows_[i]; }
  bool fail_next = false;
  int writes_done = 0;

 private:
  class locked_rows final : public row_reader {
   public:
    locked_rows(const memory_store& s, std::size_t i) : s_(s), i_(i) {}
    std::optional<std::string> get(std::string_view key) const override {
      std::shared_lock lock(s_.m_);
      return s_.rows_[i_].get(key);
    }
    void scan(std::string_view prefix, std::string_view from, const row_visitor& fn) const override {
      std::shared_lock lock(s_.m_);
      s_.rows_[i_].scan(prefix, from, fn);
    }

   private:
    const memory_store& s_;
    std::size_t i_;
  };
  std::vector<memory_rows> rows_;
  std::deque<locked_rows> readers_;
  bool beside_;
  mutable std::shared_mutex m_;
};

std::vector<std::unique_ptr<projection>> two() {
  std::vector<std::unique_ptr<projection>> v;
  v.push_back(std::make_unique<received_projection>());
  v.push_back(std::make_unique<received_projection>());
  return v;
}

event received(const std::string& origin, std::uint64_t seq, const std::string& sku, std::int64_t qty) {
  stock_received p;
  p.sku = sku;
  p.qty = qty;
  return make_event(device_id{origin}, origin_seq{seq}, hlc_timestamp::from_parts(1000 + seq, 0), term_id{1}, p);
}

/// A projection's own rows, without the set's reserved ones (positions,
/// digest buckets and journal, which depend on how the folds were batched).
std::map<std::string, std::string, std::less<>> own_rows(const memory_rows& r) {
  std::map<std::string, std::string, std::less<>> out;
  for (const auto& [k, v] : r.all()) {
    if (k.empty() || k[0] != reserved_key_byte) out.emplace(k, v);
  }
  return out;
}

std::size_t rows_with_prefix(const memory_rows& r, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& [k, v] : r.all()) n += k.compare(0, prefix.size(), prefix) == 0;
  return n;
}

std::int64_t on(const memory_rows& r, const std::string& sku) {
  auto v = r.get("s" + sku);
  return v ? row_in(*v).i64() : 0;
}

TEST(ProjectionSet, WritesRowsPositionAndDigestTogetherAndReopensWhereItStopped) {
  memory_store store(2);
  std::string digest;
  {
    projection_set set({}, two(), store);
    ASSERT_TRUE(set.open());
    set.apply(1, received("A", 1, "X", 5), false);
    set.apply(2, received("A", 2, "X", 2), false);
    set.apply(2, received("A", 2, "X", 2), false);  // the same position again: once
    ASSERT_TRUE(set.flush());
    EXPECT_EQ(on(store.family(0), "X"), 7);
    EXPECT_EQ(set.info(0).position, 2u);
    EXPECT_EQ(set.info(0).applied, 2u);
    digest = set.digest_hex(0);
    EXPECT_EQ(digest, set.digest_hex(1));  // same rows, same digest
  }
  projection_set again({}, two(), store);
  ASSERT_TRUE(again.open());
  EXPECT_EQ(again.info(0).position, 2u);
  EXPECT_EQ(again.digest_hex(0), digest);
  again.apply(3, received("B", 1, "X", 1), false);
  ASSERT_TRUE(again.flush());
  EXPECT_EQ(on(store.family(0), "X"), 8);
  EXPECT_NE(again.digest_hex(0), digest);
}

TEST(ProjectionSet, AFailedWriteFoldsNothingTwice) {
  memory_store store(2);
  projection_set set({}, two(), store);
  ASSERT_TRUE(set.open());
  set.apply(1, received("A", 1, "X", 5), false);
  ASSERT_TRUE(set.flush());
  set.apply(2, received("A", 2, "X", 2), false);
  store.fail_next = true;
  EXPECT_FALSE(set.flush());
  EXPECT_EQ(set.info(0).position, 1u);  // back to what is durable
  set.apply(2, received("A", 2, "X", 2), false);
  ASSERT_TRUE(set.flush());
  EXPECT_EQ(on(store.family(0), "X"), 7);
  EXPECT_EQ(set.info(0).applied, 2u);
}

TEST(ProjectionSet, ADeferredWriteIsDoneByTheNextFoldOrSettleAndItsFailureFoldsNothingTwice) {
  for (const bool beside : {false, true}) {
    SCOPED_TRACE(beside ? "written beside the next fold" : "written by settle");
    memory_store store(2, beside);
    projection_set set({}, two(), store);
    set.set_fold_threads(2);
    ASSERT_TRUE(set.open());
    const std::vector<event> log{received("A", 1, "X", 5), received("A", 2, "X", 2), received("A", 3, "X", 1)};
    set.apply_chunk({{1, &log[0]}}, false);
    ASSERT_TRUE(set.flush_deferred());
    // Folded, committed in memory, not written: reads go on over it.
    EXPECT_EQ(set.info(0).position, 1u);
    EXPECT_EQ(set.written_position(0), 0u);
    EXPECT_EQ(on(store.family(0), "X"), 0);
    set.apply_chunk({{2, &log[1]}}, false);  // beside: writes position 1 first
    EXPECT_EQ(on(store.family(0), "X"), beside ? 5 : 0);
    ASSERT_TRUE(set.flush_deferred());  // settles position 1, defers position 2
    EXPECT_EQ(on(store.family(0), "X"), 5);
    EXPECT_EQ(set.written_position(0), 1u);
    EXPECT_EQ(set.info(0).position, 2u);
    // The write of position 2 fails: position 3, folded over it, goes too.
    store.fail_next = true;
    set.apply_chunk({{3, &log[2]}}, false);
    EXPECT_FALSE(set.settle());
    EXPECT_EQ(set.info(0).position, 1u);  // back to what is durable
    EXPECT_EQ(set.written_position(0), 1u);
    set.apply_chunk({{2, &log[1]}, {3, &log[2]}}, false);
    ASSERT_TRUE(set.flush());
    EXPECT_EQ(set.written_position(0), 3u);
    EXPECT_EQ(on(store.family(0), "X"), 8);
    EXPECT_EQ(set.info(0).applied, 3u);
    // The same digest as one write of the three.
    memory_store other(2);
    projection_set once({}, two(), other);
    ASSERT_TRUE(once.open());
    once.apply_chunk({{1, &log[0]}, {2, &log[1]}, {3, &log[2]}}, false);
    ASSERT_TRUE(once.flush());
    EXPECT_EQ(set.digest_hex(0), once.digest_hex(0));
    EXPECT_EQ(stored_digest_hex(store.family(0)), once.digest_hex(0));
  }
}

TEST(ProjectionSet, ABehindOrPausedProjectionSkipsLiveEventsUntilCaughtUp) {
  memory_store store(2);
  projection_set set({}, two(), store);
  ASSERT_TRUE(set.open());
  set.pause(1);
  set.apply(1, received("A", 1, "X", 5), false);
  set.apply(2, received("A", 2, "X", 1), false);
  ASSERT_TRUE(set.flush());
  EXPECT_EQ(set.info(1).position, 0u);
  EXPECT_TRUE(set.behind(0, 2) == false);
  set.resume(1);
  EXPECT_TRUE(set.behind(1, 2));
  set.apply(3, received("A", 3, "X", 1), false);  // live: projection 1 is not at 2
  EXPECT_EQ(set.info(1).position, 0u);
  // catch up from the "log"
  set.apply(1, received("A", 1, "X", 5), false);
  set.apply(2, received("A", 2, "X", 1), false);
  set.apply(3, received("A", 3, "X", 1), false);
  ASSERT_TRUE(set.flush());
  EXPECT_EQ(on(store.family(0), "X"), 7);
  EXPECT_EQ(on(store.family(1), "X"), 7);
  EXPECT_EQ(set.digest_hex(0), set.digest_hex(1));
}

TEST(ProjectionSet, RebuildDropsRowsDigestAndPositionAndParkingIsCounted) {
  memory_store store(2);
  projection_set set({}, two(), store);
  ASSERT_TRUE(set.open());
  const std::string empty = set.digest_hex(0);
  set.apply(1, received("A", 1, "X", 13), false);  // parked by the projection
  set.apply(2, received("A", 2, "Y", 4), false);
  ASSERT_TRUE(set.flush());
  EXPECT_EQ(set.info(0).parked, 1u);
  ASSERT_EQ(set.parked_events().size(), 1u);
  EXPECT_EQ(set.parked_events()[0].reason, "unlucky");
  ASSERT_TRUE(set.rebuild(0));
  EXPECT_EQ(set.info(0).position, 0u);
  EXPECT_EQ(set.digest_hex(0), empty);
  EXPECT_FALSE(store.family(0).get("sY").has_value());
  set.apply(1, received("A", 1, "X", 13), false);
  set.apply(2, received("A", 2, "Y", 4), false);
  ASSERT_TRUE(set.flush());
  EXPECT_EQ(set.digest_hex(0), set.digest_hex(1));
}

TEST(ProjectionSet, DigestDependsOnlyOnTheRowsNotOnTheOrderOrBatching) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<event> a, b;
    for (std::uint64_t s = 1; s <= 30; ++s) a.push_back(received("A", s, "S" + std::to_string(rng() % 5), 1 + rng() % 9));
    for (std::uint64_t s = 1; s <= 30; ++s) b.push_back(received("B", s, "S" + std::to_string(rng() % 5), 1 + rng() % 9));
    const auto fold = [&](std::uint64_t order_seed) {
      std::mt19937_64 r(order_seed);
      memory_store store(1);
      std::vector<std::unique_ptr<projection>> one;
      one.push_back(std::make_unique<received_projection>());
      projection_set set({}, std::move(one), store);
      EXPECT_TRUE(set.open());
      std::size_t i = 0, j = 0;
      std::uint64_t pos = 0;
      while (i < a.size() || j < b.size()) {
        const bool take_a = j == b.size() || (i < a.size() && r() % 2 == 0);
        set.apply(++pos, take_a ? a[i++] : b[j++], false);
        if (r() % 4 == 0) {
          EXPECT_TRUE(set.flush());
        }
      }
      EXPECT_TRUE(set.flush());
      return std::make_pair(set.digest_hex(0), own_rows(store.family(0)));
    };
    const auto x = fold(seed * 7), y = fold(seed * 11);
    EXPECT_EQ(x.second, y.second) << "seed " << seed;
    EXPECT_EQ(x.first, y.first) << "seed " << seed;
  }
}

// Small batches journal their digest changes; a full journal is checkpointed
// into the bucket rows. Whatever the mix, the stored digest (read back by a
// set opened afresh, by GET /v1/digest's short row and by the bucket reads of
// storectl diff) is the digest of the rows, the same as one bulk fold's.
TEST(ProjectionSet, AJournalledDigestReadsBackAsTheDigestOfTheRows) {
  std::mt19937_64 rng(5);
  std::vector<event> events;
  for (std::uint64_t s = 1; s <= 5000; ++s) events.push_back(received("A", s, "S" + std::to_string(rng() % 400), 1 + rng() % 9));

  memory_store bulk_store(1);
  std::vector<std::unique_ptr<projection>> one;
  one.push_back(std::make_unique<received_projection>());
  projection_set bulk({}, std::move(one), bulk_store);
  ASSERT_TRUE(bulk.open());

  memory_store store(1);
  one.clear();
  one.push_back(std::make_unique<received_projection>());
  auto set = std::make_unique<projection_set>(retail::store_settings{}, std::move(one), store);
  ASSERT_TRUE(set->open());
  const auto reopen = [&] {
    std::vector<std::unique_ptr<projection>> v;
    v.push_back(std::make_unique<received_projection>());
    set = std::make_unique<projection_set>(retail::store_settings{}, std::move(v), store);
    ASSERT_TRUE(set->open());
  };
  bool saw_journal = false, saw_checkpoint = false;
  std::uint64_t pos = 0;
  for (const auto& e : events) {
    ++pos;
    bulk.apply(pos, e, false);
    set->apply(pos, e, false);
    ASSERT_TRUE(set->flush());  // one event per batch: the live path
    const std::size_t journal = rows_with_prefix(store.family(0), reserved::journal_prefix);
    saw_journal = saw_journal || journal > 0;
    saw_checkpoint = saw_checkpoint || (saw_journal && journal == 0);
    if (pos % 997 == 0 || pos == events.size()) {
      ASSERT_TRUE(bulk.flush());
      EXPECT_EQ(set->digest_hex(0), bulk.digest_hex(0)) << "at " << pos;
      EXPECT_EQ(stored_digest_hex(store.family(0)), bulk.digest_hex(0)) << "at " << pos;
      const auto buckets = stored_bucket_hexes(store.family(0));
      for (std::size_t b = 0; b < digest_bucket_count; ++b) {
        ASSERT_EQ(buckets[b], bulk.bucket_hex(0, static_cast<std::uint8_t>(b))) << "bucket " << b << " at " << pos;
      }
      EXPECT_EQ(stored_bucket_hex(store.family(0), 7), bulk.bucket_hex(0, 7));
      reopen();
      EXPECT_EQ(set->digest_hex(0), bulk.digest_hex(0)) << "reopened at " << pos;
      EXPECT_EQ(own_rows(store.family(0)), own_rows(bulk_store.family(0)));
    }
  }
  EXPECT_TRUE(saw_journal);
  EXPECT_TRUE(saw_checkpoint);  // 5,000 one-row batches of 2 records overflow a 4,096-record journal
  // A batch too large for the journal is a checkpoint: no journal, the buckets written.
  memory_store big_store(1);
  one.clear();
  one.push_back(std::make_unique<received_projection>());
  projection_set big({}, std::move(one), big_store);
  ASSERT_TRUE(big.open());
  for (std::uint64_t s = 1; s <= digest_journal_max_changes + 1; ++s) big.apply(s, received("A", s, "U" + std::to_string(s), 1), false);
  ASSERT_TRUE(big.flush());
  EXPECT_EQ(rows_with_prefix(big_store.family(0), reserved::journal_prefix), 0u);
  EXPECT_EQ(rows_with_prefix(big_store.family(0), reserved::bucket_digest(0).substr(0, 2)), digest_bucket_count);
  EXPECT_EQ(stored_digest_hex(big_store.family(0)), big.digest_hex(0));
}

TEST(ProjectionSet, AnUnreadableJournalIsAnErrorNotADifferentDigest) {
  memory_store store(1);
  std::vector<std::unique_ptr<projection>> one;
  one.push_back(std::make_unique<received_projection>());
  projection_set set({}, std::move(one), store);
  ASSERT_TRUE(set.open());
  set.apply(1, received("A", 1, "X", 5), false);
  ASSERT_TRUE(set.flush());
  ASSERT_EQ(rows_with_prefix(store.family(0), reserved::journal_prefix), 1u);
  store.family(0).put(reserved::journal_entry(1), "torn");
  std::vector<std::unique_ptr<projection>> v;
  v.push_back(std::make_unique<received_projection>());
  projection_set again({}, std::move(v), store);
  const auto st = again.open();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("digest journal entry 1"), std::string::npos) << st.error().message;
  EXPECT_EQ(stored_bucket_hexes(store.family(0))[0], unreadable_digest);
}

TEST(DigestJournal, RecordsRoundTripAndMalformedBytesAreRefused) {
  std::vector<digest_change> v{{3, true, lthash_seed_of("k", "v")}, {250, false, lthash_seed_of("k", "w")}};
  const std::string bytes = encode_journal(v);
  EXPECT_EQ(bytes.size(), 2 * digest_journal_record_bytes);
  auto back = decode_journal(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v);
  EXPECT_FALSE(decode_journal(bytes.substr(1)));
  std::string bad_op = bytes;
  bad_op[1] = '\x02';
  EXPECT_FALSE(decode_journal(bad_op));
  // A replayed record moves a digest exactly as the change that made it.
  digest_buckets direct, replayed;
  std::vector<digest_change> made;
  direct.change("k", std::nullopt, std::string_view("v"), &made);
  direct.change("k", std::string_view("v"), std::string_view("w"), &made);
  for (const auto& c : made) replayed.apply(c);
  EXPECT_EQ(direct.total(), replayed.total());
  lthash16 only_w;
  only_w.add("k", "w");
  EXPECT_EQ(direct.total(), only_w);
}

} // namespace
} // namespace sn::projections

namespace sn::projections {
namespace {

// Folding a chunk on two threads (each projection on one) gives what one
// thread gives: the same rows, digests, positions, parked events and
// conflicts, in the same order.
struct folded {
  std::vector<std::map<std::string, std::string, std::less<>>> rows;
  std::vector<std::string> digests;
  std::vector<std::vector<std::string>> stored;  // the stored digest: short digest, then every bucket (journal replayed)
  std::vector<std::uint64_t> positions;
  std::vector<std::string> parked;
  std::vector<std::string> conflicts;
};

/// How fold_all writes each chunk: flush(), or flush_deferred() with the
/// write done by the next chunk's apply_chunk (beside its folds) or by settle().
enum class writes { each_chunk, deferred_beside, deferred_settled };

folded fold_all(const std::vector<event>& log, std::size_t threads, std::size_t chunk,
                writes mode = writes::each_chunk) {
  auto units = all_projections();
  const std::size_t n = units.size();
  memory_store store(n, mode == writes::deferred_beside);
  projection_set set({}, std::move(units), store);
  set.set_fold_threads(threads);
  EXPECT_TRUE(set.open());
  std::vector<projection_set::positioned> batch;
  folded out;
  for (std::size_t i = 0; i < log.size(); ++i) {
    batch.push_back({i + 1, &log[i]});
    if (batch.size() == chunk || i + 1 == log.size()) {
      set.apply_chunk(batch, /*detect_conflicts=*/true);
      EXPECT_TRUE(mode == writes::each_chunk || i + 1 == log.size() ? set.flush() : set.flush_deferred());
      batch.clear();
      for (auto& c : set.take_conflicts()) out.conflicts.push_back(c.register_name + " " + c.key + " " + c.winner + " " + c.loser);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    out.rows.push_back(own_rows(store.family(i)));
    out.digests.push_back(set.digest_hex(i));
    auto stored = stored_bucket_hexes(store.family(i));
    stored.insert(stored.begin(), stored_digest_hex(store.family(i)));
    EXPECT_EQ(stored.front(), out.digests.back()) << "projection " << i << ": stored short digest";
    out.stored.push_back(std::move(stored));
    out.positions.push_back(set.info(i).position);
  }
  for (const auto& p : set.parked_events()) out.parked.push_back(p.origin + ":" + std::to_string(p.seq) + " " + p.reason);
  return out;
}

TEST(ProjectionSet, AChunkFoldedOnTwoThreadsEqualsOneThreadsFold) {
  bench::replay_mix mix(6000);
  std::vector<std::vector<event>> by_origin(bench::replay_mix::origin_count);
  while (!mix.done()) {
    event e = mix.next();
    for (int o = 0; o < bench::replay_mix::origin_count; ++o) {
      if (e.origin.value() == bench::replay_mix::origin(o)) by_origin[o].push_back(std::move(e));
    }
  }
  // Origin by origin (each in its seq order), newest origin first: registers
  // see older writes after newer ones, so the catalog finds conflicts.
  std::vector<event> log;
  for (int o = bench::replay_mix::origin_count - 1; o >= 0; --o) {
    for (auto& e : by_origin[o]) log.push_back(std::move(e));
  }
  // An event whose payload does not decode: parked by every projection, listed once.
  event bad = log[10];
  bad.type = static_cast<std::uint16_t>(event_type::sale_completed);
  bad.payload = std::string("\xc1", 1);
  log.insert(log.begin() + 500, bad);
  const folded one = fold_all(log, 1, 4096);
  const folded two = fold_all(log, 2, 4096);
  ASSERT_EQ(one.rows.size(), two.rows.size());
  for (std::size_t i = 0; i < one.rows.size(); ++i) EXPECT_TRUE(one.rows[i] == two.rows[i]) << "projection " << i;
  EXPECT_EQ(one.digests, two.digests);
  EXPECT_EQ(one.positions, two.positions);
  EXPECT_EQ(one.parked, two.parked);
  EXPECT_EQ(one.conflicts, two.conflicts);
  EXPECT_FALSE(one.parked.empty());
  EXPECT_FALSE(one.conflicts.empty());
  EXPECT_EQ(one.stored, two.stored);
  // Batches of 300 events: flushes share their digest work over the threads
  // by bucket, first into the digest journal, then past it as checkpoints:
  // the same rows and the same stored digest as one thread's.
  const folded one_300 = fold_all(log, 1, 300);
  const folded two_300 = fold_all(log, 2, 300);
  for (std::size_t i = 0; i < one.rows.size(); ++i) EXPECT_TRUE(two_300.rows[i] == one.rows[i]) << "projection " << i;
  EXPECT_EQ(two_300.digests, one.digests);
  EXPECT_EQ(two_300.stored, one_300.stored);
  EXPECT_EQ(one_300.digests, one.digests);
  // Each chunk's write deferred (a catch-up's): done beside the next chunk's
  // folds, or by settle(): the same rows and stored digests as a write per chunk.
  // On one thread too: the write first, then the projections one by one.
  for (const auto& [threads, mode] : {std::pair{2, writes::deferred_beside}, std::pair{2, writes::deferred_settled},
                                      std::pair{1, writes::deferred_beside}}) {
    const folded deferred = fold_all(log, threads, 300, mode);
    for (std::size_t i = 0; i < one.rows.size(); ++i) EXPECT_TRUE(deferred.rows[i] == one.rows[i]) << "projection " << i;
    EXPECT_EQ(deferred.digests, one.digests);
    EXPECT_EQ(deferred.stored, one_300.stored);
    EXPECT_EQ(deferred.positions, one.positions);
    EXPECT_EQ(deferred.parked, one.parked);
    EXPECT_EQ(deferred.conflicts, one.conflicts);
  }
  // And the same as small batches folded one event at a time (the live path).
  const folded live = fold_all(log, 2, 1);
  EXPECT_EQ(live.digests, one.digests);
}

// Proves: the rows a projection names for a chunk (rows_to_read) are the rows
// its folds read: read ahead in one batch, folding the chunk then reads from
// below only the few rows every sale shares (counts, counters, a day's
// figures), not a row per sale.
TEST(ProjectionSet, RowsToReadNameWhatTheFoldsOfAChunkRead) {
  bench::replay_mix mix(8000);  // 2,000 products first, then the mix: ~3,300 sales
  std::vector<event> log;
  std::size_t sales = 0;
  while (!mix.done()) {
    log.push_back(mix.next());
    sales += log.back().type == static_cast<std::uint16_t>(event_type::sale_completed);
  }
  const retail::store_settings settings{};
  std::vector<payload> decoded;
  for (const event& e : log) {
    auto d = decode_payload(e, settings);
    ASSERT_TRUE(d);
    decoded.push_back(std::move(*d));
  }
  for (auto& p : all_projections()) {
    const std::string name = p->name();
    if (name != "sales" && name != "inventory" && name != "daily") continue;
    memory_rows durable;
    testing::counting_reader base(durable);
    row_overlay rows(base, std::size_t(-1));
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < log.size(); ++i) p->rows_to_read(folded_event{log[i], decoded[i]}, keys);
    ASSERT_FALSE(keys.empty()) << name;
    rows.read_ahead(keys);
    const std::size_t ahead = base.reads;
    fold_context ctx{settings, nullptr};
    for (std::size_t i = 0; i < log.size(); ++i) p->apply(folded_event{log[i], decoded[i]}, rows, ctx);
    const std::size_t during = base.reads - ahead;
    EXPECT_GT(ahead, sales) << name;  // a receipt per sale at least
    EXPECT_LT(during, 50u) << name << ": rows read while folding, not named by rows_to_read";
  }
}

}  // namespace
}  // namespace sn::projections
