// The inventory projection against its specification, retail::views'
// inventory (history generator and harness: catalog_inventory_support.hpp).
//
// What is proved, and how:
// - OrderIndependence: per seed, several random interleavings of one history
//   (each origin's order kept) fold to byte-identical inventory rows.
// - EquivalenceWithViews: over many seeds and arrival orders, after every
//   stretch of events, GET /v1/inventory, ?low=1 and /v1/inventory/{sku}
//   (every sku of the history and one never seen) render to views' JSON
//   (next_cursor / truncated aside), on_hand() is views' on_hand(), and the
//   events parked are views' (same reasons). The histories hold voids and
//   returns that arrive before their sale, repeated voids, duplicate
//   receipts and return ids (also across origins, with other contents),
//   oversold items that are not low, unknown types, undecodable payloads.
// - Paging: all and low-only lists, limits 1, 2, 3, 7, walked by their
//   cursors, concatenate to the whole list; every page carries the whole
//   list's count and oversold_count.
// - PagesCostTheirSize: a page of 10 reads at most 22 rows among 3,000 items.
// - A scenario by hand: void before its sale, repeated void, duplicate receipt.
// A failure names its seed; SN_TEST_SEED=<seed> replays exactly that one.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "events/payload_codec.hpp"
#include "node/views_json/inventory_json.hpp"
#include "tests/unit/projections/catalog_inventory_support.hpp"

namespace sn::projections::catalog_inventory_test {
namespace {

using nlohmann::json;

const std::vector<event_type> inventory_types{
    event_type::product_upserted, event_type::stock_received, event_type::stock_adjusted, event_type::stock_counted,
    event_type::sale_completed,   event_type::sale_returned,  event_type::sale_voided};

void expect_same_inventory(const folded& f) {
  for (bool low : {false, true}) {
    const json mine =
        without_paging(node::inventory_json(inventory::list_items(f.inventory_rows, low, page_request{})));
    const json theirs = f.views.inventory(low);
    ASSERT_EQ(mine, theirs) << "low=" << low << " " << json::diff(theirs, mine).dump();
  }
  for (const std::string& sku : test_skus()) {
    const auto it = inventory::find_item(f.inventory_rows, sku);
    const auto vi = f.views.inventory_item(sku);
    ASSERT_EQ(it.has_value(), vi.has_value()) << "item " << sku;
    if (it) {
      ASSERT_EQ(node::inventory_item_json(*it), *vi) << "item " << sku;
    }
    ASSERT_EQ(inventory::on_hand(f.inventory_rows, sku), f.views.on_hand(sku)) << "on_hand " << sku;
  }
}

TEST(InventoryProjection, OrderIndependence) {
  for (const std::uint64_t seed : test_seeds(20261126, 40)) {
    SCOPED_TRACE(seed_note(seed));
    const streams s = random_history(seed);
    std::mt19937_64 rng(seed * 7919);
    folded first;
    for (const event& e : interleave(s, rng)) first.apply(e);
    ASSERT_FALSE(first.inventory_rows.all().empty());
    for (int i = 0; i < 4; ++i) {
      folded other;
      for (const event& e : interleave(s, rng)) other.apply(e);
      ASSERT_TRUE(other.inventory_rows.all() == first.inventory_rows.all()) << "interleaving " << i;
    }
  }
}

TEST(InventoryProjection, EquivalenceWithViews) {
  std::set<std::string> parks_seen;
  std::size_t voids_early = 0, returns_early = 0, oversold = 0, oversold_not_low = 0;
  for (const std::uint64_t seed : test_seeds(20262126, 150)) {
    SCOPED_TRACE(seed_note(seed));
    history_options opt;
    opt.conflicting_duplicates = seed % 2 == 1;
    std::mt19937_64 rng(seed);
    const std::vector<event> order = interleave(random_history(seed, opt), rng);
    folded f;
    for (std::size_t i = 0; i < order.size(); ++i) {
      f.apply(order[i]);
      if (i % 40 == 39 || i + 1 == order.size()) {
        SCOPED_TRACE("after " + std::to_string(i + 1) + " events");
        ASSERT_NO_FATAL_FAILURE(expect_same_inventory(f));
      }
    }
    ASSERT_EQ(f.inventory_parked, views_parked(f, order, inventory_types));
    for (const auto& [key, reason] : f.inventory_parked) parks_seen.insert(reason);
    voids_early += f.voids_before_sale;
    returns_early += f.returns_before_sale;
    const auto all = inventory::list_items(f.inventory_rows, false, page_request{});
    const auto low = inventory::list_items(f.inventory_rows, true, page_request{});
    oversold += all.oversold_count;
    oversold_not_low += all.oversold_count - low.oversold_count;
  }
  if (replaying_one_seed()) return;
  // the histories exercised what the semantics are about
  EXPECT_GT(voids_early, 50u);
  EXPECT_GT(returns_early, 50u);
  EXPECT_GT(oversold, 50u);
  EXPECT_GT(oversold_not_low, 5u);
  for (const char* r : {"empty sku", "empty receipt", "invalid business_day", "duplicate receipt",
                        "empty return id or receipt", "duplicate return id"}) {
    EXPECT_EQ(parks_seen.count(r), 1u) << r;
  }
  EXPECT_TRUE(std::any_of(parks_seen.begin(), parks_seen.end(),
                          [](const std::string& r) { return r.rfind("payload: ", 0) == 0; }));
}

TEST(InventoryProjection, Paging) {
  for (const std::uint64_t seed : test_seeds(20263126, 10)) {
    SCOPED_TRACE(seed_note(seed));
    std::mt19937_64 rng(seed);
    folded f;
    for (const event& e : interleave(random_history(seed), rng)) f.apply(e);
    for (int i = 0; i < 30; ++i) {  // more items than the generator's few, some low, some oversold
      f.apply(make_event(device_id{"Z"}, origin_seq{static_cast<std::uint64_t>(i + 1)},
                         hlc_timestamp{static_cast<std::uint64_t>(i + 1) << 40}, term_id{1},
                         stock_adjusted{"P" + std::to_string(i), i % 5 - 2, "other", ""}));
    }
    for (bool low : {false, true}) {
      const auto all = inventory::list_items(f.inventory_rows, low, page_request{});
      ASSERT_TRUE(all.next.empty());
      std::vector<std::string> expect;
      for (const auto& it : all.items) expect.push_back(it.sku);
      ASSERT_EQ(expect.size(), all.total);
      for (std::size_t limit : {1, 2, 3, 7}) {
        std::string failure;
        const auto got = walk_pages<inventory::item_page>(
            [&](const page_request& r) {
              auto p = inventory::list_items(f.inventory_rows, low, r);
              if (p.oversold_count != all.oversold_count) failure += "oversold_count of a page differs; ";
              return p;
            },
            limit, all.total, &failure);
        ASSERT_EQ(failure, "") << "low=" << low << " limit " << limit;
        ASSERT_EQ(got, expect) << "low=" << low << " limit " << limit;
      }
      const json j = node::inventory_json(inventory::list_items(f.inventory_rows, low, page_request{2, ""}));
      EXPECT_TRUE(j.at("truncated").get<bool>());
      EXPECT_TRUE(j.at("next_cursor").is_string());
      EXPECT_EQ(j.at("count").get<std::size_t>(), all.total);
      EXPECT_EQ(j.at("oversold_count").get<std::size_t>(), all.oversold_count);
      EXPECT_TRUE(node::inventory_json(all).at("next_cursor").is_null());
    }
  }
}

TEST(InventoryProjection, PagesCostTheirSize) {
  folded f;
  for (int i = 0; i < 3000; ++i) {
    product_upserted p;
    p.sku = "K" + std::to_string(100000 + i);
    p.low_stock_threshold = 5;
    f.apply(make_event(device_id{"A"}, origin_seq{static_cast<std::uint64_t>(2 * i + 1)},
                       hlc_timestamp{static_cast<std::uint64_t>(2 * i + 1)}, term_id{1}, p));
    if (i % 2 == 0) {  // every other item stocked above its threshold: not in the low list
      f.apply(make_event(device_id{"A"}, origin_seq{static_cast<std::uint64_t>(2 * i + 2)},
                         hlc_timestamp{static_cast<std::uint64_t>(2 * i + 2)}, term_id{1},
                         stock_received{p.sku, 10, ""}));
    }
  }
  counting_reader rows(f.inventory_rows);
  for (bool low : {false, true}) {
    rows.reads = 0;
    const auto page = inventory::list_items(rows, low, page_request{10, ""});
    ASSERT_EQ(page.items.size(), 10u);
    EXPECT_EQ(page.total, low ? 1500u : 3000u);
    // 11 rows of the list (10 + the next page's first), 1 of totals; low: + 10 item reads
    EXPECT_LE(rows.reads, low ? 22u : 12u) << "low=" << low;
  }
  rows.reads = 0;
  EXPECT_EQ(inventory::on_hand(rows, "K100000"), 10);
  EXPECT_TRUE(inventory::find_item(rows, "K100001"));
  EXPECT_EQ(rows.reads, 2u);
}

TEST(InventoryProjection, VoidBeforeItsSaleMovesNoStockAndOnlyTheFirstVoidCounts) {
  folded f;
  std::map<std::string, std::uint64_t> seq;
  const auto at = [&](const std::string& origin, std::uint64_t t, const auto& p) {
    f.apply(make_event(device_id{origin}, origin_seq{++seq[origin]}, hlc_timestamp::from_parts(1000 + t, 0), term_id{1},
                       p));
  };
  const auto sale = [](const std::string& receipt, const std::string& sku, std::int64_t qty) {
    sale_completed s;
    s.receipt = receipt;
    s.lines.push_back(sale_line{sku, qty, 100, 0, 0, 0});
    s.gross_cents = s.total_cents = qty * 100;
    s.payments.push_back(payment{"cash", s.total_cents});
    s.business_day = "2026-11-25";
    return s;
  };
  at("A", 1, stock_received{"MUG", 5, ""});
  at("B", 2, sale_voided{"C-000001", "wrong"});  // the sale is still on its way
  at("C", 1, sale("C-000001", "CUP", 2));        // voided already: moves nothing, CUP is listed
  at("C", 3, sale("C-000002", "MUG", 1));
  EXPECT_EQ(inventory::on_hand(f.inventory_rows, "MUG"), 4);
  at("A", 4, sale_voided{"C-000002", "x"});
  at("B", 5, sale_voided{"C-000002", "again"});  // a second void changes nothing
  at("B", 6, sale("C-000002", "MUG", 4));        // a second sale under one receipt parks
  const auto mug = inventory::find_item(f.inventory_rows, "MUG");
  ASSERT_TRUE(mug);
  EXPECT_EQ(mug->on_hand, 5);
  EXPECT_EQ(mug->sold_qty, 0);
  const auto cup = inventory::find_item(f.inventory_rows, "CUP");
  ASSERT_TRUE(cup);
  EXPECT_EQ(cup->on_hand, 0);
  EXPECT_EQ(f.inventory_parked.size(), 1u);
  expect_same_inventory(f);
}

}  // namespace
}  // namespace sn::projections::catalog_inventory_test
