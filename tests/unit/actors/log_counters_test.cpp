// own_counters_from_log (actors/log_counters.hpp): a start-up whose sales
// projection folds in the background numbers the next sale and return from
// this device's own events in the log; they must be the counters the sales
// projection holds once it has folded the same log.
#include <gtest/gtest.h>

#include "actors/log_counters.hpp"
#include "actors/projections/sales.hpp"
#include "storage/event_log.hpp"
#include "tests/unit/projections/sales_history.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::actors {
namespace {

using namespace projections::sales_daily_test;

/// An empty log in a temp dir.
struct temp_log {
  storage::test::temp_dir dir;
  std::unique_ptr<storage::event_log> log;
  temp_log() {
    auto opened = storage::event_log::open(storage::test::rw_options(dir.data()));
    EXPECT_TRUE(opened) << opened.error().message;
    if (opened) log = std::move(*opened);
  }
};

/// Appends every origin's events of `h` to `log`, interleaved, each origin's
/// chained and sealed as its writer would.
void append_history(storage::event_log& log, const history& h, std::uint64_t seed) {
  std::map<std::string, hash256> prev;
  std::vector<event> batch;
  for (const event* e : interleave(h, seed)) {
    event copy = *e;
    copy.prev_hash = prev[copy.origin.value()];
    seal(copy);
    prev[copy.origin.value()] = copy.hash;
    batch.push_back(std::move(copy));
    if (batch.size() == 1000) {
      ASSERT_TRUE(log.append(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) {
    ASSERT_TRUE(log.append(batch));
  }
}

// Proves: for every origin of a seeded history (more events per origin than
// one read of the origin index, duplicates across origins, parked and
// undecodable events among them), the counters read from the log equal the
// sales projection's after folding that log; an origin with no events has
// none.
TEST(LogCounters, EqualTheSalesProjectionsAfterFoldingTheSameLog) {
  for (std::uint64_t seed : {7u, 8u}) {
    temp_log t;
    ASSERT_TRUE(t.log);
    auto& log = *t.log;
    history_options opt;
    opt.events_per_origin = 9000;
    opt.cross_origin_duplicates = seed % 2 == 0;
    const history h = make_history(seed, opt);
    append_history(log, h, seed);
    ASSERT_EQ(log.size(), h.size());
    projections::sales_projection p;
    const folded f = fold(p, interleave(h, seed));
    const retail::store_settings settings;
    for (std::size_t i = 0; i < h.origins.size(); ++i) {
      const std::string& origin = h.origins[i];
      const auto want = projections::sales::counters(f.rows, origin);
      const auto got = own_counters_from_log(log, device_id{origin}, settings);
      EXPECT_GT(h.by_origin[i].size(), 2 * 4096u) << "seed " << seed << " " << origin << ": too few for two index reads";
      EXPECT_GT(want.last_return_no, 0u) << "seed " << seed << " " << origin;
      EXPECT_EQ(got.last_receipt_no, want.last_receipt_no) << "seed " << seed << " " << origin;
      EXPECT_EQ(got.last_return_no, want.last_return_no) << "seed " << seed << " " << origin;
    }
    const auto none = own_counters_from_log(log, device_id{"NOBODY"}, settings);
    EXPECT_EQ(none.last_receipt_no, 0u);
    EXPECT_EQ(none.last_return_no, 0u);
  }
}

// Proves: from the counters a sales projection held after folding the
// log's first P events (what a refold drops), counting the own events after
// position P gives the counters of the whole log, for any P.
TEST(LogCounters, FromAKnownPointEqualTheWholeLogs) {
  const std::uint64_t seed = 11;
  temp_log t;
  ASSERT_TRUE(t.log);
  auto& log = *t.log;
  history_options opt;
  opt.events_per_origin = 3000;
  opt.cross_origin_duplicates = true;
  const history h = make_history(seed, opt);
  append_history(log, h, seed);
  const auto order = interleave(h, seed);  // the log's order: position i + 1 holds order[i]
  const retail::store_settings settings;
  for (const std::size_t p : {std::size_t{0}, std::size_t{1}, order.size() / 3, order.size() - 1, order.size()}) {
    projections::sales_projection first;
    const folded at_p = fold(first, std::vector<const event*>(order.begin(), order.begin() + p));
    for (const auto& origin : h.origins) {
      const auto whole = own_counters_from_log(log, device_id{origin}, settings);
      const auto got = own_counters_after(log, device_id{origin}, settings,
                                          projections::sales::counters(at_p.rows, origin), p);
      EXPECT_EQ(got.last_receipt_no, whole.last_receipt_no) << "P " << p << " " << origin;
      EXPECT_EQ(got.last_return_no, whole.last_return_no) << "P " << p << " " << origin;
    }
  }
}

}  // namespace
}  // namespace sn::actors
