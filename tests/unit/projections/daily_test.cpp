// The daily projection (actors/projections/daily.hpp) against its
// specification, retail::views, on seeded random histories
// (sales_history.hpp). Every failure names its seed; rerun with it.
#include <gtest/gtest.h>

#include "actors/projections/daily.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/sales.hpp"
#include "tests/support/reference_views/views.hpp"
#include "node/views_json/daily_json.hpp"
#include "tests/unit/projections/sales_history.hpp"

namespace sn::projections {
namespace {

using namespace sales_daily_test;
using nlohmann::json;

constexpr std::uint64_t seeds = 150;

retail::views views_of(const std::vector<const event*>& events) {
  retail::views v(retail::store_settings{});
  for (const event* e : events) v.apply(*e);
  return v;
}

std::vector<std::optional<std::string>> day_filters(const history& h) {
  std::vector<std::optional<std::string>> out{std::nullopt, std::string("2025-02-30"), std::string("2030-01-01"),
                                              std::string("")};
  for (const auto& d : h.days) out.emplace_back(d);
  return out;
}

std::vector<std::optional<std::string>> device_filters(const history& h) {
  std::vector<std::optional<std::string>> out{std::nullopt, std::string("NOBODY")};
  for (const auto& o : h.origins) out.emplace_back(o);
  return out;
}

std::vector<std::optional<std::string>> staff_filters(const history& h) {
  std::vector<std::optional<std::string>> out{std::nullopt, std::string("NOBODY"), std::string("")};
  for (const auto& s : h.staff) out.emplace_back(s);
  return out;
}

// The daily report under every (day, device, staff) filter (per-staff
// totals included), the newest-day default, and closed() for every (day,
// device).
void expect_same_queries(const history& h, const retail::views& v, const row_reader& rows, std::uint64_t seed) {
  for (const auto& day : day_filters(h)) {
    for (const auto& device : device_filters(h)) {
      for (const auto& staff : staff_filters(h)) {
        const json want = v.daily_report(day, device, staff);
        const json got = node::daily_report_json(daily::report(rows, day, device, staff));
        ASSERT_EQ(want, got) << "seed " << seed << " day " << day.value_or("-") << " device " << device.value_or("-")
                             << " staff " << staff.value_or("-") << "\nviews: " << want.dump()
                             << "\nrows:  " << got.dump();
      }
    }
  }
  const json newest = v.daily_report(std::nullopt, std::nullopt).at("day");
  const auto got_newest = daily::newest_day(rows);
  ASSERT_EQ(newest.is_null(), !got_newest.has_value()) << "seed " << seed;
  if (got_newest) {
    ASSERT_EQ(newest.get<std::string>(), retail::day_to_string(*got_newest)) << "seed " << seed;
  }
  for (const auto& day : h.days) {
    for (const auto& device : h.origins) {
      const json r = v.daily_report(day, device);
      const bool want = r.at("devices").contains(device) && !r.at("devices").at(device).at("closed").is_null();
      ASSERT_EQ(want, daily::closed(rows, *retail::day_from_string(day), device))
          << "seed " << seed << " " << day << " " << device;
    }
  }
}

// (b) The rows are a function of the set of events: interleavings (straight
// into rows, through the overlay in random batches, in HLC order) give
// byte-identical row maps, duplicates across origins included.
TEST(DailyProjection, RowsAreTheSameForAnyInterleaving) {
  for (bool cross : {false, true}) {
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
      history_options opt;
      opt.cross_origin_duplicates = cross;
      const history h = make_history(seed, opt);
      daily_projection p;
      const folded a = fold(p, interleave(h, seed * 11 + 1));
      const folded b = fold(p, interleave(h, seed * 11 + 2), seed);
      const folded c = fold(p, hlc_order(h));
      ASSERT_EQ(first_difference(a.rows, b.rows), "") << "seed " << seed << " cross " << cross;
      ASSERT_EQ(first_difference(a.rows, c.rows), "") << "seed " << seed << " cross " << cross;
      EXPECT_TRUE(a.conflicts.empty());  // views reports no conflicts for closures
    }
  }
}

// (c) For the same events in the same order, the report's JSON equals
// views' for every filter; closed() and the default day agree.
TEST(DailyProjection, QueriesGiveViewsJson) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const history h = make_history(seed);
    const auto order = interleave(h, seed);
    daily_projection p;
    const folded f = fold(p, order, seed);
    expect_same_queries(h, views_of(order), f.rows, seed);
    if (HasFatalFailure()) return;
  }
}

// Duplicates across origins: the oldest by (HLC, origin, seq) wins in any
// order; arriving oldest first, that is what views keeps too.
TEST(DailyProjection, CrossOriginDuplicatesMatchViewsInHlcOrder) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    history_options opt;
    opt.cross_origin_duplicates = true;
    const history h = make_history(seed, opt);
    const auto order = hlc_order(h);
    daily_projection p;
    const folded f = fold(p, order);
    expect_same_queries(h, views_of(order), f.rows, seed);
    if (HasFatalFailure()) return;
  }
}

// (e) The projection parks exactly the events of its types views parks (a
// payload that does not decode is parked by the set before any projection).
TEST(DailyProjection, ParksWhatViewsParks) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const history h = make_history(seed);
    const auto order = interleave(h, seed + 5);
    daily_projection p;
    const folded f = fold(p, order);
    const retail::views v = views_of(order);
    std::set<event_id> want, got = f.parked;
    got.insert(f.undecodable.begin(), f.undecodable.end());
    for (const auto& pe : v.parked_events()) want.insert({pe.origin, pe.seq});
    ASSERT_EQ(want, got) << "seed " << seed;
  }
}

// A displaced duplicate that was the only figure of the newest day takes
// that day away: the default day falls back to the next newest (the day
// index), and the rows equal those of the other arrival order.
TEST(DailyProjection, ADisplacedDuplicateGivesBackItsDay) {
  const auto sale = [](const char* origin, std::uint64_t ms, const char* day) {
    sale_completed s;
    s.receipt = "X-000001";
    s.lines = {sale_line{"MUG", 1, 500, 0, 2000, 83}};
    s.gross_cents = s.total_cents = 500;
    s.payments = {payment{"cash", 500}};
    s.business_day = day;
    return make_event(device_id{origin}, origin_seq{1}, hlc_timestamp::from_parts(ms, 0), term_id{1}, s);
  };
  const event older = sale("B", 1000, "2025-11-24");
  const event newer = sale("A", 2000, "2025-12-05");
  daily_projection p;
  const folded late = fold(p, {&newer, &older});  // the winner arrives second
  const folded early = fold(p, {&older, &newer});
  EXPECT_EQ(first_difference(late.rows, early.rows), "");
  EXPECT_EQ(late.parked.size(), 0u);  // the displaced one had been applied
  EXPECT_EQ(early.parked.size(), 1u);
  ASSERT_TRUE(daily::newest_day(late.rows));
  EXPECT_EQ(retail::day_to_string(*daily::newest_day(late.rows)), "2025-11-24");
  const auto r = daily::report(late.rows, std::nullopt, std::nullopt);
  ASSERT_EQ(r.devices.size(), 1u);
  EXPECT_EQ(r.devices[0].device, "B");
  EXPECT_EQ(r.total.gross_cents, 500);
  EXPECT_EQ(views_of({&older, &newer}).daily_report(std::nullopt, std::nullopt), node::daily_report_json(r));
}

// A device that only closed a day is listed with zero figures and its Z
// close; closing twice keeps the newest close; an empty store has no day.
TEST(DailyProjection, ClosuresAlone) {
  const auto close = [](std::uint64_t seq, std::uint64_t ms, std::int64_t gross) {
    day_closed c;
    c.day = "2025-11-24";
    c.gross_cents = gross;
    c.by_method = {method_total{"cash", gross}};
    return make_event(device_id{"POS2"}, origin_seq{seq}, hlc_timestamp::from_parts(ms, 0), term_id{1}, c);
  };
  const event c1 = close(1, 1000, 10), c2 = close(2, 2000, 20);
  daily_projection p;
  const folded f = fold(p, {&c1, &c2});
  EXPECT_FALSE(daily::newest_day(f.rows));
  EXPECT_TRUE(daily::closed(f.rows, *retail::day_from_string("2025-11-24"), "POS2"));
  EXPECT_FALSE(daily::closed(f.rows, *retail::day_from_string("2025-11-24"), "POS1"));
  const auto r = daily::report(f.rows, std::string("2025-11-24"), std::nullopt);
  ASSERT_EQ(r.devices.size(), 1u);
  ASSERT_TRUE(r.devices[0].closed);
  EXPECT_EQ(r.devices[0].closed->gross_cents, 20);
  const retail::views v = views_of({&c1, &c2});
  EXPECT_EQ(v.daily_report(std::string("2025-11-24"), std::nullopt), node::daily_report_json(r));
  EXPECT_EQ(v.daily_report(std::nullopt, std::nullopt),
            node::daily_report_json(daily::report(f.rows, std::nullopt, std::nullopt)));
}

}  // namespace
}  // namespace sn::projections

namespace sn::projections {
namespace {

using namespace sales_daily_test;

class memory_store final : public row_store {
 public:
  explicit memory_store(std::size_t n) : rows_(n) {}
  const row_reader& rows(std::size_t i) const override { return rows_[i]; }
  status write_all(const std::vector<write>& writes) override {
    for (const auto& w : writes) {
      if (w.value) {
        rows_[w.projection].put(w.key, *w.value);
      } else {
        rows_[w.projection].erase(w.key);
      }
    }
    return status::ok();
  }
  status clear(std::size_t i) override {
    rows_[i].clear();
    return status::ok();
  }

 private:
  std::vector<memory_rows> rows_;
};

struct set_run {
  std::vector<std::string> digests;
  std::set<event_id> parked;
  std::vector<std::uint64_t> parked_counts;
};

set_run run_set(const std::vector<const event*>& order, std::uint64_t flush_seed) {
  std::vector<std::unique_ptr<projection>> units;
  units.push_back(std::make_unique<sales_projection>());
  units.push_back(std::make_unique<daily_projection>());
  memory_store store(units.size());
  projection_set set(retail::store_settings{}, std::move(units), store);
  EXPECT_TRUE(set.open());
  std::mt19937_64 rng(flush_seed);
  std::uint64_t pos = 0;
  for (const event* e : order) {
    set.apply(++pos, *e, true);
    if (rng() % 16 == 0) {
      EXPECT_TRUE(set.flush());
    }
  }
  EXPECT_TRUE(set.flush());
  set_run out;
  for (std::size_t i = 0; i < set.size(); ++i) {
    out.digests.push_back(set.digest_hex(i));
    out.parked_counts.push_back(set.info(i).parked);
  }
  for (const auto& pe : set.parked_events()) out.parked.insert({pe.origin, pe.seq});
  EXPECT_TRUE(set.take_conflicts().empty());
  return out;
}

// Through the real projection set (overlay batches, LtHash digests): two
// interleavings give equal digests for both projections, and the set's
// parked list is views' (the list holds each event once).
TEST(SalesAndDailyInTheSet, DigestsAgreeAndParkedIsViews) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const history h = make_history(seed);
    const auto first = interleave(h, seed * 3);
    const set_run a = run_set(first, seed);
    const set_run b = run_set(interleave(h, seed * 3 + 1), seed + 1);
    ASSERT_EQ(a.digests, b.digests) << "seed " << seed;
    ASSERT_EQ(a.parked_counts, b.parked_counts) << "seed " << seed;
    std::set<event_id> want;
    for (const auto& pe : views_of(first).parked_events()) want.insert({pe.origin, pe.seq});
    ASSERT_EQ(want, a.parked) << "seed " << seed;
  }
}

}  // namespace
}  // namespace sn::projections
