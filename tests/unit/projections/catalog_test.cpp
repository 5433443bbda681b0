// The catalog projection against its specification, retail::views' catalog
// (history generator and harness: catalog_inventory_support.hpp).
//
// What is proved, and how:
// - OrderIndependence: per seed, several random interleavings of one history
//   (each origin's order kept) fold to byte-identical catalog rows.
// - EquivalenceWithViews: over many seeds and arrival orders, after every
//   stretch of events, GET /v1/products and GET /v1/products/{sku} (every sku
//   of the history and one never seen) render to views' JSON (next_cursor /
//   truncated aside); the register conflicts reported are views' list,
//   detection on (and none when off); the product events parked are views'.
// - Paging: pages of limits 1, 2, 3, 7 walked by their cursors concatenate to
//   the whole list, each page carrying the whole total.
// - PagesCostTheirSize: a page of 10 in a catalog of 3,000 reads 12 rows.
// - WithInventoryThroughTheProjectionSet: both units in the real set
//   (batched flushes, LtHash digests): digests equal across interleavings,
//   durable rows equal to a direct fold, the set's conflicts are views'.
// - A scenario by hand: a price change before its product, lost upserts.
// A failure names its seed; SN_TEST_SEED=<seed> replays exactly that one.
#include <set>

#include <gtest/gtest.h>

#include "actors/projections/projection_set.hpp"
#include "events/payload_codec.hpp"
#include "node/views_json/catalog_json.hpp"
#include "tests/unit/projections/catalog_inventory_support.hpp"

namespace sn::projections::catalog_inventory_test {
namespace {

using nlohmann::json;

const std::vector<event_type> catalog_types{event_type::product_upserted, event_type::price_changed,
                                            event_type::product_deactivated};

std::string conflict_text(const retail::register_conflict& c) {
  return c.register_name + "|" + c.key + "|" + c.winner + "|" + c.loser + "|" + c.method + "|" + c.old_value.dump() +
         "|" + c.new_value.dump() + "|" + std::to_string(c.winner_hlc.packed()) + "|" +
         std::to_string(c.loser_hlc.packed());
}

void expect_same_conflicts(const std::vector<retail::register_conflict>& mine,
                           const std::vector<retail::register_conflict>& theirs) {
  ASSERT_EQ(mine.size(), theirs.size());
  for (std::size_t i = 0; i < mine.size(); ++i) {
    ASSERT_EQ(conflict_text(mine[i]), conflict_text(theirs[i])) << "conflict " << i;
  }
}

void expect_same_catalog(const folded& f) {
  const json mine = without_paging(node::products_json(catalog::list_products(f.catalog_rows, page_request{})));
  const json theirs = f.views.products();
  ASSERT_EQ(mine, theirs) << json::diff(theirs, mine).dump();
  for (const std::string& sku : test_skus()) {
    const auto p = catalog::find_product(f.catalog_rows, sku);
    const auto vp = f.views.product(sku);
    ASSERT_EQ(p.has_value(), vp.has_value()) << "product " << sku;
    if (p) {
      ASSERT_EQ(node::product_json(*p), *vp) << "product " << sku;
    }
  }
}

TEST(CatalogProjection, OrderIndependence) {
  for (const std::uint64_t seed : test_seeds(20261126, 40)) {
    SCOPED_TRACE(seed_note(seed));
    const streams s = random_history(seed);
    std::mt19937_64 rng(seed * 7919);
    folded first;
    for (const event& e : interleave(s, rng)) first.apply(e);
    ASSERT_FALSE(first.catalog_rows.all().empty());
    for (int i = 0; i < 4; ++i) {
      folded other;
      for (const event& e : interleave(s, rng)) other.apply(e);
      ASSERT_TRUE(other.catalog_rows.all() == first.catalog_rows.all()) << "interleaving " << i;
    }
  }
}

TEST(CatalogProjection, EquivalenceWithViews) {
  std::size_t conflicts_seen = 0, listed_seen = 0;
  std::set<std::string> parks_seen;
  for (const std::uint64_t seed : test_seeds(20262126, 150)) {
    SCOPED_TRACE(seed_note(seed));
    history_options opt;
    opt.conflicting_duplicates = seed % 2 == 1;
    const bool detect = seed % 5 != 4;  // detection off too: then nothing is reported
    std::mt19937_64 rng(seed);
    const std::vector<event> order = interleave(random_history(seed, opt), rng);
    folded f;
    for (std::size_t i = 0; i < order.size(); ++i) {
      f.apply(order[i], detect);
      if (i % 40 == 39 || i + 1 == order.size()) {
        SCOPED_TRACE("after " + std::to_string(i + 1) + " events");
        ASSERT_NO_FATAL_FAILURE(expect_same_catalog(f));
      }
    }
    const auto theirs = f.views.take_conflicts();
    ASSERT_NO_FATAL_FAILURE(expect_same_conflicts(f.conflicts, theirs));
    if (!detect) {
      ASSERT_TRUE(f.conflicts.empty());
    }
    ASSERT_EQ(f.catalog_parked, views_parked(f, order, catalog_types));
    conflicts_seen += f.conflicts.size();
    listed_seen += catalog::list_products(f.catalog_rows, page_request{}).total;
    for (const auto& [key, reason] : f.catalog_parked) parks_seen.insert(reason);
  }
  if (replaying_one_seed()) return;
  // the histories exercised what the semantics are about
  EXPECT_GT(conflicts_seen, 300u);
  EXPECT_GT(listed_seen, 500u);
  EXPECT_EQ(parks_seen.count("empty sku"), 1u);
}

TEST(CatalogProjection, Paging) {
  for (const std::uint64_t seed : test_seeds(20263126, 10)) {
    SCOPED_TRACE(seed_note(seed));
    std::mt19937_64 rng(seed);
    folded f;
    for (const event& e : interleave(random_history(seed), rng)) f.apply(e);
    for (int i = 0; i < 30; ++i) {  // more products than the generator's few
      product_upserted p;
      p.sku = "P" + std::to_string(i);
      f.apply(make_event(device_id{"Z"}, origin_seq{static_cast<std::uint64_t>(i + 1)},
                         hlc_timestamp{static_cast<std::uint64_t>(i + 1) << 40}, term_id{1}, p));
    }
    const auto all = catalog::list_products(f.catalog_rows, page_request{});
    ASSERT_TRUE(all.next.empty());
    std::vector<std::string> expect;
    for (const auto& p : all.items) expect.push_back(p.sku);
    ASSERT_EQ(expect.size(), all.total);
    for (std::size_t limit : {1, 2, 3, 7}) {
      std::string failure;
      const auto got = walk_pages<page<catalog::product>>(
          [&](const page_request& r) { return catalog::list_products(f.catalog_rows, r); }, limit, all.total, &failure);
      ASSERT_EQ(failure, "") << "limit " << limit;
      ASSERT_EQ(got, expect) << "limit " << limit;
    }
    const json j = node::products_json(catalog::list_products(f.catalog_rows, page_request{2, ""}));
    EXPECT_TRUE(j.at("truncated").get<bool>());
    EXPECT_TRUE(j.at("next_cursor").is_string());
    EXPECT_EQ(j.at("count").get<std::size_t>(), all.total);
    const json last = node::products_json(all);
    EXPECT_FALSE(last.at("truncated").get<bool>());
    EXPECT_TRUE(last.at("next_cursor").is_null());
  }
}

TEST(CatalogProjection, PagesCostTheirSize) {
  folded f;
  for (int i = 0; i < 3000; ++i) {
    product_upserted p;
    p.sku = "K" + std::to_string(100000 + i);
    f.apply(make_event(device_id{"A"}, origin_seq{static_cast<std::uint64_t>(i + 1)},
                       hlc_timestamp{static_cast<std::uint64_t>(i + 1)}, term_id{1}, p));
    f.apply(make_event(device_id{"B"}, origin_seq{static_cast<std::uint64_t>(i + 1)},
                       hlc_timestamp{static_cast<std::uint64_t>(i + 1)}, term_id{1},
                       price_changed{"W" + std::to_string(i), 100}));  // pending: never listed
  }
  counting_reader rows(f.catalog_rows);
  const auto p = catalog::list_products(rows, page_request{10, row_out().u8('p').key("K101500").bytes()});
  ASSERT_EQ(p.items.size(), 10u);
  EXPECT_EQ(p.items.front().sku, "K101500");
  EXPECT_EQ(p.total, 3000u);
  EXPECT_LE(rows.reads, 12u);
  rows.reads = 0;
  EXPECT_TRUE(catalog::find_product(rows, "K100007"));
  EXPECT_FALSE(catalog::find_product(rows, "W7"));
  EXPECT_EQ(rows.reads, 2u);
}

// Both units in the real projection set (decode, batches, LtHash digests):
// interleavings give equal digests, the durable rows are the direct fold's,
// and the set hands out views' conflicts.
TEST(CatalogProjection, WithInventoryThroughTheProjectionSet) {
  for (const std::uint64_t seed : test_seeds(20264126, 10)) {
    SCOPED_TRACE(seed_note(seed));
    const streams s = random_history(seed);
    std::mt19937_64 rng(seed);
    std::vector<std::string> digests;
    for (int round = 0; round < 3; ++round) {
      const std::vector<event> order = interleave(s, rng);
      memory_store store(2);
      std::vector<std::unique_ptr<projection>> units;
      units.push_back(std::make_unique<catalog_projection>());
      units.push_back(std::make_unique<inventory_projection>());
      projection_set set({}, std::move(units), store);
      ASSERT_TRUE(set.open());
      folded direct;
      for (std::size_t i = 0; i < order.size(); ++i) {
        set.apply(i + 1, order[i], true);
        direct.apply(order[i]);
        if (i % 37 == 36) {
          ASSERT_TRUE(set.flush());
        }
      }
      ASSERT_TRUE(set.flush());
      ASSERT_TRUE(store.projection_rows(0) == direct.catalog_rows.all());
      ASSERT_TRUE(store.projection_rows(1) == direct.inventory_rows.all());
      ASSERT_NO_FATAL_FAILURE(expect_same_conflicts(set.take_conflicts(), direct.views.take_conflicts()));
      digests.push_back(set.digest_hex(0) + "/" + set.digest_hex(1));
    }
    EXPECT_EQ(digests[0], digests[1]);
    EXPECT_EQ(digests[0], digests[2]);
  }
}

TEST(CatalogProjection, PriceBeforeItsProductWaitsAndOlderUpsertsReportTheirLoss) {
  folded f;
  std::map<std::string, std::uint64_t> seq;
  const auto at = [&](const std::string& origin, std::uint64_t t, const auto& p) {
    f.apply(make_event(device_id{origin}, origin_seq{++seq[origin]}, hlc_timestamp::from_parts(1000 + t, 0), term_id{1},
                       p));
  };
  at("B", 9, price_changed{"TEA", 450});
  EXPECT_FALSE(catalog::find_product(f.catalog_rows, "TEA"));
  product_upserted p;
  p.sku = "TEA";
  p.name = "Tea";
  p.price_cents = 300;
  at("A", 5, p);  // older than the price change: the price stays 450
  const auto tea = catalog::find_product(f.catalog_rows, "TEA");
  ASSERT_TRUE(tea);
  EXPECT_EQ(tea->name, "Tea");
  EXPECT_EQ(tea->price_cents, 450);
  EXPECT_EQ(tea->updated_at, hlc_timestamp::from_parts(1009, 0));
  ASSERT_EQ(f.conflicts.size(), 1u);
  EXPECT_EQ(f.conflicts[0].register_name, "product.price");
  EXPECT_EQ(f.conflicts[0].winner, "B:1");
  EXPECT_EQ(f.conflicts[0].loser, "A:1");
  p.name = "Old tea";
  at("C", 4, p);  // loses every register: one "product" report
  ASSERT_EQ(f.conflicts.size(), 2u);
  EXPECT_EQ(f.conflicts[1].register_name, "product");
  EXPECT_EQ(catalog::find_product(f.catalog_rows, "TEA")->name, "Tea");
  expect_same_catalog(f);
  expect_same_conflicts(f.conflicts, f.views.take_conflicts());
}

}  // namespace
}  // namespace sn::projections::catalog_inventory_test
