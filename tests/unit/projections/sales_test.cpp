// The sales projection (actors/projections/sales.hpp) against its
// specification, retail::views, on seeded random histories
// (sales_history.hpp). Every failure names its seed; rerun with it.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "actors/projections/row_codec.hpp"
#include "actors/projections/sales.hpp"
#include "tests/support/reference_views/views.hpp"
#include "node/views_json/sales_json.hpp"
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
                                              std::string("garbage")};
  for (const auto& d : h.days) out.emplace_back(d);
  return out;
}

std::vector<std::optional<std::string>> device_filters(const history& h) {
  std::vector<std::optional<std::string>> out{std::nullopt, std::string("NOBODY"), std::string("")};
  for (const auto& o : h.origins) out.emplace_back(o);
  return out;
}

json without_cursor(json j) {
  j.erase("next_cursor");
  return j;
}

// Compares every sales query views offers: each receipt's sale, and the list
// under every filter (day, device, both, neither; invalid and empty ones).
void expect_same_queries(const history& h, const retail::views& v, const row_reader& rows, std::uint64_t seed) {
  for (const auto& receipt : h.receipts) {
    const auto want = v.sale(receipt);
    const auto got = sales::sale(rows, receipt);
    ASSERT_EQ(want.has_value(), got.has_value()) << "seed " << seed << " receipt " << receipt;
    if (want) {
      ASSERT_EQ(*want, node::sale_json(*got))
          << "seed " << seed << " receipt " << receipt << "\nviews: " << want->dump()
          << "\nrows:  " << node::sale_json(*got).dump();
    }
  }
  for (const auto& day : day_filters(h)) {
    for (const auto& device : device_filters(h)) {
      const json want = v.sales(day, device);
      const json got = node::sales_list_json(sales::list(rows, sales::filter{day, device}, page_request{}));
      ASSERT_EQ(want, without_cursor(got))
          << "seed " << seed << " day " << day.value_or("-") << " device " << device.value_or("-")
          << "\nviews: " << want.dump() << "\nrows:  " << got.dump();
    }
    // Who rang it (issue 10: a cashier's own sales), alone and with the day;
    // "" and an unknown id list nothing (unattributed sales are no one's).
    std::vector<std::optional<std::string>> staff_filters{std::string(""), std::string("nobody")};
    for (const auto& who : h.staff) staff_filters.emplace_back(who);
    for (const auto& who : staff_filters) {
      const json want = v.sales(day, std::nullopt, who);
      const json got =
          node::sales_list_json(sales::list(rows, sales::filter{day, std::nullopt, who}, page_request{}));
      ASSERT_EQ(want, without_cursor(got)) << "seed " << seed << " day " << day.value_or("-") << " staff " << *who
                                           << "\nviews: " << want.dump() << "\nrows:  " << got.dump();
    }
  }
}

// (b) The rows are a function of the set of events: two interleavings (one
// folded straight into rows, one through the overlay in random batches as
// the node folds) give byte-identical row maps.
TEST(SalesProjection, RowsAreTheSameForAnyInterleaving) {
  for (bool cross : {false, true}) {
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
      history_options opt;
      opt.cross_origin_duplicates = cross;
      const history h = make_history(seed, opt);
      sales_projection p;
      const folded a = fold(p, interleave(h, seed * 7 + 1));
      const folded b = fold(p, interleave(h, seed * 7 + 2), seed);
      const folded c = fold(p, hlc_order(h));
      ASSERT_EQ(first_difference(a.rows, b.rows), "") << "seed " << seed << " cross " << cross;
      ASSERT_EQ(first_difference(a.rows, c.rows), "") << "seed " << seed << " cross " << cross;
      EXPECT_TRUE(a.conflicts.empty());  // views reports no conflicts for sales
    }
  }
}

// (c) For the same events in the same order, the JSON of every query equals
// views' JSON (next_cursor is new; truncated matches views' at the default
// page size).
TEST(SalesProjection, QueriesGiveViewsJson) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const history h = make_history(seed);
    const auto order = interleave(h, seed);
    sales_projection p;
    const folded f = fold(p, order, seed);
    const retail::views v = views_of(order);
    expect_same_queries(h, v, f.rows, seed);
    if (HasFatalFailure()) return;
  }
}

// Duplicates across origins (a broken writer): views keeps the first to
// arrive; the projection keeps the oldest by (HLC, origin, seq) in any
// order. When events arrive oldest first the two agree exactly.
TEST(SalesProjection, CrossOriginDuplicatesMatchViewsInHlcOrder) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    history_options opt;
    opt.cross_origin_duplicates = true;
    const history h = make_history(seed, opt);
    const auto order = hlc_order(h);
    sales_projection p;
    const folded f = fold(p, order);
    const retail::views v = views_of(order);
    expect_same_queries(h, v, f.rows, seed);
    if (HasFatalFailure()) return;
  }
}

std::vector<std::string> receipts_of(const sales::sales_list& l) {
  std::vector<std::string> out;
  for (const auto& s : l.sales.items) out.push_back(s.receipt);
  return out;
}

// Reads a sales list `limit` sales a page, each page from the last one's
// cursor as the edge round-trips it, until a page says it is the last: the
// receipts in page order. Every page holds at most `limit` sales, each
// cursor is past the one before, and `check` sees every page.
std::vector<std::string> page_through(const row_reader& rows, const sales::filter& flt, std::size_t limit,
                                      const std::function<void(const sales::sales_list&)>& check = {}) {
  std::vector<std::string> got;
  page_request req;
  req.limit = limit;
  for (int pages = 0;; ++pages) {
    if (pages == 10000) {
      ADD_FAILURE() << "paging does not end";
      break;
    }
    const auto pg = sales::list(rows, flt, req);
    EXPECT_LE(pg.sales.items.size(), limit);
    if (check) check(pg);
    for (auto& r : receipts_of(pg)) got.push_back(std::move(r));
    if (pg.sales.next.empty()) break;
    EXPECT_GT(pg.sales.next, req.from) << "a cursor moves forward";
    const auto decoded = decode_cursor(encode_cursor(pg.sales.next));
    EXPECT_TRUE(decoded && *decoded == pg.sales.next);
    req.from = pg.sales.next;
  }
  return got;
}

// (d) Pages of any small limit, followed by their next keys, concatenate to
// the whole list; every page carries the total and the whole by_product.
TEST(SalesProjection, PagesConcatenateToTheWholeList) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const history h = make_history(seed);
    sales_projection p;
    const folded f = fold(p, interleave(h, seed));
    for (const auto& day : day_filters(h)) {
      for (const auto& device : device_filters(h)) {
        const sales::filter flt{day, device};
        const auto whole = sales::list(f.rows, flt, page_request{});
        ASSERT_TRUE(whole.sales.next.empty());
        ASSERT_EQ(whole.sales.total, whole.sales.items.size()) << "seed " << seed;
        for (std::size_t limit : {1, 2, 3, 7}) {
          const auto got = page_through(f.rows, flt, limit, [&](const sales::sales_list& pg) {
            EXPECT_EQ(pg.sales.total, whole.sales.total);
            EXPECT_EQ(pg.by_product.size(), whole.by_product.size());
            if (!pg.sales.next.empty()) {
              EXPECT_EQ(pg.sales.items.size(), limit);  // only the last page is short
            }
          });
          ASSERT_EQ(got, receipts_of(whole)) << "seed " << seed << " limit " << limit;
        }
      }
    }
  }
}

// Proves: the list of every sale and a day's list keep no index rows or
// counts of their own (layouts 3 and 4): they are merges of the device
// lists and sums of the devices' counts; by_product (layout 5) is kept for
// a device, a day and a person only: every sale's is the sum of the
// devices', and a day and device's or a day and person's list sums its own
// receipts. (Their results equal views': QueriesGiveViewsJson; their
// pages: PagesConcatenate…)
TEST(SalesProjection, OnlyDevicesDaysAndPeopleKeepByProductRows) {
  std::size_t people_products = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const history h = make_history(seed);
    sales_projection p;
    const folded f = fold(p, interleave(h, seed));
    std::size_t device_lists = 0, device_products = 0;
    std::map<std::string, std::size_t> day_products;
    for (const auto& [key, value] : f.rows.all()) {
      const std::string_view k(key);
      for (const char* gone : {"lg", "ld", "ng", "nd", "pg", "pw", "pt"}) {
        ASSERT_NE(k.substr(0, 2), gone) << "seed " << seed;
      }
      device_lists += k.substr(0, 2) == "lv";
      device_products += k.substr(0, 2) == "pv";
      people_products += k.substr(0, 2) == "ps";
      if (k.substr(0, 2) == "pd") ++day_products[std::string(k.substr(2, 4))];
    }
    const auto whole = sales::list(f.rows, sales::filter{}, page_request{});
    EXPECT_EQ(device_lists, whole.sales.items.size()) << "seed " << seed;  // one device entry per listed sale
    EXPECT_GE(device_products, whole.by_product.size()) << "seed " << seed;  // summed over devices
    for (const auto& day : h.days) {
      const auto of_day = sales::list(f.rows, sales::filter{day}, page_request{});
      const auto d = retail::day_from_string(day);
      ASSERT_TRUE(d.has_value());
      const std::string day_key = row_out().i32(*d).bytes();
      EXPECT_EQ(day_products[day_key], of_day.by_product.size()) << "seed " << seed << " day " << day;  // its own rows
    }
  }
  EXPECT_GT(people_products, 0u);  // the histories hold attributed sales
}

// Proves: a merged list (every sale, a day) pages exactly even when index
// entries lead to no receipt (a corrupt row is skipped): the pages, read
// with any limit, concatenate to the whole list, each holds at most `limit`
// sales, and the last says so.
TEST(SalesProjection, AMergedListPagesExactlyPastEntriesWithoutAReceipt) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const history h = make_history(seed);
    sales_projection p;
    folded f = fold(p, interleave(h, seed));
    const auto before = sales::list(f.rows, sales::filter{}, page_request{});
    if (before.sales.items.size() < 4) continue;
    // Ghost entries in two devices' lists, among the real ones: right after
    // the newest sale and right before the oldest, with receipts no row has.
    const auto& newest = before.sales.items.front();
    const auto& oldest = before.sales.items.back();
    int n = 0;
    for (const auto* s : {&newest, &oldest}) {
      for (const auto& device : h.origins) {
        const std::uint64_t hlc = s == &newest ? s->hlc - 1 : s->hlc + 1;
        row_out key;
        key.u8('l').u8('v').key(device).u64(newest_first(hlc));
        const std::string ghost = "GHOST-" + std::to_string(++n);
        for (unsigned char c : ghost) key.u8(static_cast<std::uint8_t>(0xff - c));
        key.u8(0xff);
        f.rows.put(key.bytes(), "");
      }
    }
    const auto whole = sales::list(f.rows, sales::filter{}, page_request{});
    ASSERT_TRUE(whole.sales.next.empty());
    ASSERT_EQ(receipts_of(whole), receipts_of(before)) << "seed " << seed << ": ghosts are not listed";
    for (std::size_t limit : {1, 2, 3, 7}) {
      // Pages may be short here (the ghosts use up places), never wrong.
      ASSERT_EQ(page_through(f.rows, sales::filter{}, limit), receipts_of(whole)) << "seed " << seed << " limit " << limit;
    }
  }
}

// Proves: a cursor below a list starts it, one past it (another list's)
// gives no sales, and either way the count and by_product are the whole
// list's, for a list of its own and for a merged one.
TEST(SalesProjection, ACursorOutsideTheListGivesItsStartOrNothingWithItsTotals) {
  const history h = make_history(7);
  sales_projection p;
  const folded f = fold(p, interleave(h, 7));
  for (const auto& device : {std::optional<std::string>{}, std::optional<std::string>{h.origins.front()}}) {
    const sales::filter flt{std::nullopt, device};
    const auto whole = sales::list(f.rows, flt, page_request{});
    ASSERT_FALSE(whole.sales.items.empty());
    ASSERT_FALSE(whole.by_product.empty());
    page_request below;
    below.from = "a";  // sorts before every list key ("l…")
    const auto first = sales::list(f.rows, flt, below);
    ASSERT_EQ(first.sales.items.size(), whole.sales.items.size());
    page_request past;
    past.from = "m";  // sorts after every list key
    const auto none = sales::list(f.rows, flt, past);
    EXPECT_TRUE(none.sales.items.empty());
    EXPECT_TRUE(none.sales.next.empty());
    EXPECT_EQ(none.sales.total, whole.sales.total);
    ASSERT_EQ(none.by_product.size(), whole.by_product.size());
    for (std::size_t i = 0; i < whole.by_product.size(); ++i) {
      EXPECT_EQ(none.by_product[i].sku, whole.by_product[i].sku);
      EXPECT_EQ(none.by_product[i].qty, whole.by_product[i].qty);
      EXPECT_EQ(none.by_product[i].net_cents, whole.by_product[i].net_cents);
    }
  }
}

// views truncates its list at list_entries_max with "truncated": the
// default page is that size, and the reply says the same.
TEST(SalesProjection, ALongListIsTruncatedAsViewsTruncatesIt) {
  history_options opt;
  opt.origins = 2;
  opt.events_per_origin = 1500;
  opt.sale_percent = 60;
  const history h = make_history(4242, opt);
  const auto order = interleave(h, 1);
  sales_projection p;
  const folded f = fold(p, order);
  const retail::views v = views_of(order);
  const json want = v.sales(std::nullopt, std::nullopt);
  ASSERT_TRUE(want.at("truncated").get<bool>());
  const json got = node::sales_list_json(sales::list(f.rows, sales::filter{}, page_request{}));
  EXPECT_EQ(want, without_cursor(got));
  EXPECT_FALSE(got.at("next_cursor").is_null());
}

// (e) The projection parks exactly the sales events views parks (a payload
// that does not decode is parked by the set before any projection).
TEST(SalesProjection, ParksWhatViewsParks) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const history h = make_history(seed);
    const auto order = interleave(h, seed + 99);
    sales_projection p;
    const folded f = fold(p, order);
    const retail::views v = views_of(order);
    std::set<event_id> want, got = f.parked;
    got.insert(f.undecodable.begin(), f.undecodable.end());
    for (const auto& pe : v.parked_events()) {
      const event_id id{pe.origin, pe.seq};
      // a day.closed that decodes but names no date is the daily projection's
      if (static_cast<event_type>(pe.type) == event_type::day_closed && !f.undecodable.count(id)) continue;
      want.insert(id);
    }
    ASSERT_EQ(want, got) << "seed " << seed;
  }
}

// The command side's facts of a receipt agree with views' sale (lines,
// returned per sku, return ids, payments, voided, present); a receipt with
// only returns or a void is not present but shows them.
TEST(SalesProjection, ReceiptFactsAgreeWithViews) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    const history h = make_history(seed);
    const auto order = interleave(h, seed);
    sales_projection p;
    const folded f = fold(p, order);
    const retail::views v = views_of(order);
    for (const auto& receipt : h.receipts) {
      const auto want = v.sale(receipt);
      const sales::receipt_facts got = sales::facts(f.rows, receipt);
      ASSERT_EQ(want.has_value(), got.present) << "seed " << seed << " " << receipt;
      if (!want) continue;
      EXPECT_EQ(want->at("voided").get<bool>(), got.voided);
      EXPECT_EQ(want->at("device").get<std::string>(), got.device);
      EXPECT_EQ(want->at("returns").get<std::vector<std::string>>(), got.return_ids);
      const json& lines = want->at("lines");
      ASSERT_EQ(lines.size(), got.lines.size());
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& l = got.lines[i];
        EXPECT_EQ(lines[i].at("sku"), l.sku);
        EXPECT_EQ(lines[i].at("qty"), l.qty);
        EXPECT_EQ(lines[i].at("unit_price_cents"), l.unit_price_cents);
        EXPECT_EQ(lines[i].at("discount_cents"), l.discount_cents);
        EXPECT_EQ(lines[i].at("tax_rate_bp"), l.tax_rate_bp);
        EXPECT_EQ(lines[i].at("tax_cents"), l.tax_cents);
        std::int64_t returned = 0;
        for (const auto& [sku, qty] : got.returned) {
          if (sku == l.sku) returned = qty;
        }
        EXPECT_EQ(lines[i].at("returned_qty"), returned) << "seed " << seed << " " << receipt;
      }
      method_amounts paid{};
      for (const json& m : want->at("payments")) {
        paid[static_cast<std::size_t>(method_or_other(m.at("method").get<std::string>()))] = m.at("amount_cents");
      }
      EXPECT_EQ(paid, got.paid);
    }
    const auto none = sales::facts(f.rows, "NEVER-000001");
    EXPECT_FALSE(none.present);
    EXPECT_TRUE(none.lines.empty());
  }
}

// The counters are views' last_receipt_no_ / last_return_no_: the highest
// own number of the sales / returns views applied, per origin.
TEST(SalesProjection, CountersAreTheHighestOwnNumbers) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const history h = make_history(seed);
    const auto order = interleave(h, seed);
    sales_projection p;
    const folded f = fold(p, order);
    const retail::views v = views_of(order);
    std::set<event_id> parked;
    for (const auto& pe : v.parked_events()) parked.insert({pe.origin, pe.seq});
    std::map<std::string, sales::receipt_counters> want;
    retail::store_settings settings;
    for (const event* e : order) {
      if (parked.count({e->origin.value(), e->seq.value()})) continue;
      auto d = decode_for_fold(*e, settings);
      if (!d) continue;
      const std::string& o = e->origin.value();
      if (const auto* s = std::get_if<sale_completed>(&*d)) {
        want[o].last_receipt_no = std::max(want[o].last_receipt_no, sales::own_number(o, s->receipt, false));
      } else if (const auto* r = std::get_if<sale_returned>(&*d)) {
        want[o].last_return_no = std::max(want[o].last_return_no, sales::own_number(o, r->return_id, true));
      }
    }
    for (const auto& o : h.origins) {
      const auto got = sales::counters(f.rows, o);
      EXPECT_EQ(want[o].last_receipt_no, got.last_receipt_no) << "seed " << seed << " " << o;
      EXPECT_EQ(want[o].last_return_no, got.last_return_no) << "seed " << seed << " " << o;
    }
    EXPECT_EQ(sales::counters(f.rows, "NOBODY").last_receipt_no, 0u);
    std::size_t listed = 0;
    for (const auto& [o, c] : sales::all_counters(f.rows)) {
      ++listed;
      EXPECT_EQ(c.last_receipt_no, sales::counters(f.rows, o).last_receipt_no);
    }
    EXPECT_LE(listed, h.origins.size());
  }
}

// Proves: counting an origin's events one by one with count_number (what a
// start-up reads from the log while sales folds in the background,
// actors/log_counters.hpp) gives exactly the counters the fold keeps, in
// any interleaving, duplicates (own and across origins), parked and
// undecodable events included.
TEST(SalesProjection, CountingAnOriginsEventsGivesTheFoldsCounters) {
  retail::store_settings settings;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    history_options opt;
    opt.cross_origin_duplicates = seed % 2 == 0;
    const history h = make_history(seed, opt);
    sales_projection p;
    const folded f = fold(p, interleave(h, seed), seed);
    for (std::size_t i = 0; i < h.origins.size(); ++i) {
      sales::receipt_counters counted;
      for (const event& e : h.by_origin[i]) {
        if (auto d = decode_for_fold(e, settings)) sales::count_number(e, *d, counted);
      }
      const auto want = sales::counters(f.rows, h.origins[i]);
      EXPECT_EQ(counted.last_receipt_no, want.last_receipt_no) << "seed " << seed << " " << h.origins[i];
      EXPECT_EQ(counted.last_return_no, want.last_return_no) << "seed " << seed << " " << h.origins[i];
    }
  }
}

TEST(SalesProjection, OwnNumbersReadOnlyTheOriginsOwnForm) {
  EXPECT_EQ(sales::own_number("POS1", "POS1-000042", false), 42u);
  EXPECT_EQ(sales::own_number("POS1", "POS1-R000007", true), 7u);
  EXPECT_EQ(sales::own_number("POS1", "POS1-R000007", false), 0u);
  EXPECT_EQ(sales::own_number("POS1", "POS10-000001", false), 0u);
  EXPECT_EQ(sales::own_number("A", "AB-000001", false), 0u);
  EXPECT_EQ(sales::own_number("POS1", "POS1-", false), 0u);
}

// A void before its sale, then the sale: not in by_product, listed as
// voided; a return before its sale is shown once the sale arrives.
TEST(SalesProjection, VoidAndReturnBeforeTheirSale) {
  const auto ev = [](const char* origin, std::uint64_t seq, std::uint64_t ms, const auto& p) {
    return make_event(device_id{origin}, origin_seq{seq}, hlc_timestamp::from_parts(ms, 0), term_id{1}, p);
  };
  sale_completed s;
  s.receipt = "POS1-000001";
  s.lines = {sale_line{"MUG", 2, 500, 0, 2000, 166}};
  s.gross_cents = s.total_cents = 1000;
  s.payments = {payment{"card", 1000}};
  s.business_day = "2025-11-24";
  sale_voided vd{"POS1-000001", "mistake"};
  sale_returned r;
  r.return_id = "POS2-R000001";
  r.receipt = "POS1-000001";
  r.lines = {return_line{"MUG", 1, 500, 83}};
  r.refund_cents = 500;
  r.method = "card";
  r.business_day = "2025-11-24";
  const std::vector<event> evs{ev("POS2", 1, 1000, vd), ev("POS2", 2, 1001, r), ev("POS1", 1, 900, s)};
  const std::vector<const event*> order{&evs[0], &evs[1], &evs[2]};
  sales_projection p;
  const folded f = fold(p, order);
  EXPECT_FALSE(sales::facts(f.rows, "POS1-000002").present);
  const auto d = sales::sale(f.rows, "POS1-000001");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->voided);
  ASSERT_TRUE(d->void_);
  EXPECT_EQ(d->void_->device, "POS2");
  EXPECT_EQ(d->refunded_cents, 500);
  EXPECT_EQ(d->lines.at(0).returned_qty, 1);
  const auto l = sales::list(f.rows, sales::filter{std::string("2025-11-24"), std::string("POS1")}, page_request{});
  ASSERT_EQ(l.sales.items.size(), 1u);
  EXPECT_TRUE(l.sales.items[0].voided);
  EXPECT_TRUE(l.by_product.empty());
  EXPECT_EQ(views_of(order).sale("POS1-000001"), node::sale_json(*d));
}

}  // namespace
}  // namespace sn::projections

namespace sn::projections {
namespace {

using namespace sales_daily_test;

// The generator covers what the tests above claim: over a few seeds, every
// parking reason, voids and returns folded before their sale, equal HLCs in
// one list, and (cross-origin mode) a better duplicate arriving second.
TEST(SalesHistory, CoversTheTrickyCases) {
  std::map<std::string, int> reasons;
  int void_first = 0, return_first = 0, hlc_ties = 0, displaced = 0, unknown = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    for (bool cross : {false, true}) {
      history_options opt;
      opt.cross_origin_duplicates = cross;
      const history h = make_history(seed, opt);
      const auto order = interleave(h, seed);
      retail::views v(retail::store_settings{});
      std::map<std::string, std::tuple<std::uint64_t, std::string, std::uint64_t>> first_sale;
      std::set<std::string> voided, returned;
      std::map<std::uint64_t, int> sale_hlcs;
      for (const event* e : order) {
        const std::size_t parked = v.parked_events().size();
        v.apply(*e);
        if (v.parked_events().size() > parked) {
          const std::string r = v.parked_events().back().reason;
          reasons[r.rfind("payload", 0) == 0 ? "payload" : r] += 1;
        }
        if (e->type == 999) ++unknown;
        auto d = decode_for_fold(*e, retail::store_settings{});
        if (!d) continue;
        if (const auto* s = std::get_if<sale_completed>(&*d)) {
          if (v.parked_events().size() > parked) {
            const auto it = first_sale.find(s->receipt);
            if (it != first_sale.end() &&
                std::make_tuple(e->hlc.packed(), e->origin.value(), e->seq.value()) < it->second) {
              ++displaced;
            }
            continue;
          }
          first_sale[s->receipt] = {e->hlc.packed(), e->origin.value(), e->seq.value()};
          if (voided.count(s->receipt)) ++void_first;
          if (returned.count(s->receipt)) ++return_first;
          if (++sale_hlcs[e->hlc.packed()] == 2) ++hlc_ties;
        } else if (const auto* x = std::get_if<sale_voided>(&*d)) {
          voided.insert(x->receipt);
        } else if (const auto* r = std::get_if<sale_returned>(&*d)) {
          returned.insert(r->receipt);
        }
      }
    }
  }
  for (const char* r : {"duplicate receipt", "duplicate return id", "invalid business_day", "empty receipt",
                        "empty return id or receipt", "invalid day", "payload"}) {
    EXPECT_GT(reasons[r], 0) << r;
  }
  EXPECT_GT(void_first, 0);
  EXPECT_GT(return_first, 0);
  EXPECT_GT(hlc_ties, 0);
  EXPECT_GT(displaced, 0);
  EXPECT_GT(unknown, 0);
  std::string seen;
  for (const auto& [r, n] : reasons) seen += r + "=" + std::to_string(n) + " ";
  std::printf("reasons: %s\nvoid first %d, return first %d, hlc ties %d, displaced %d, unknown %d\n", seen.c_str(),
              void_first, return_first, hlc_ties, displaced, unknown);
}

}  // namespace
}  // namespace sn::projections
