// Order independence (ARCHITECTURE.md §5): seeded random event sets from three
// tills that sell, return, void, change prices and count while partitioned,
// folded in >= 100 random interleavings that keep each origin's order, give
// identical digests for every projection. Also checkpoints: save/load in the
// middle equals a full replay.
#include <cstdlib>
#include <set>
#include <gtest/gtest.h>

#include "tests/unit/retail/retail_support.hpp"

namespace sn::retail::test {
namespace {

using nlohmann::json;

constexpr int interleavings = 120;
constexpr int steps = 90;

std::uint64_t base_seed() {
  const char* env = std::getenv("SN_TEST_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20261125;
}

const char* const skus[] = {"S0", "S1", "S2", "LAST"};

// Three tills do random valid work; they sync only now and then, so they
// write concurrently (price changes, last-unit sales, cross-device returns
// and voids of each other's sales).
std::map<std::string, std::vector<event>> random_day(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  till a{"A"}, b{"B"}, c{"C"};
  till* tills[] = {&a, &b, &c};
  for (const char* s : skus) {
    a.run(command_kind::upsert_product,
          {{"sku", s}, {"name", s}, {"price_cents", 100 + pick(900)}, {"tax_rate_bp", pick(3) * 1000}, {"low_stock_threshold", 2}});
  }
  a.run(command_kind::receive_stock, {{"sku", "LAST"}, {"qty", 1}});
  for (const char* s : {"S0", "S1", "S2"}) a.run(command_kind::receive_stock, {{"sku", s}, {"qty", 5 + pick(10)}});
  b.pull(a);
  c.pull(a);
  // the last unit, sold on two tills while apart
  auto rb = b.run(command_kind::complete_sale, {{"lines", {{{"sku", "LAST"}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 100000}}}}});
  auto rc = c.run(command_kind::complete_sale, {{"lines", {{{"sku", "LAST"}, {"qty", 1}}}}, {"payments", {{{"method", "card"}, {"amount_cents", c.handler.state().product("LAST")->at("price_cents").get<std::int64_t>()}}}}});
  EXPECT_EQ(rb.http_status, 201) << rb.body.dump();
  EXPECT_EQ(rc.http_status, 201) << rc.body.dump();
  for (int i = 0; i < steps; ++i) {
    till& t = *tills[pick(3)];
    const char* sku = skus[pick(3)];
    switch (pick(9)) {
      case 0:
        t.run(command_kind::change_price, {{"sku", sku}, {"price_cents", 50 + pick(1000)}});
        break;
      case 1:
      case 2:
      case 3: {
        json lines = json::array();
        for (int n = 0; n <= pick(2); ++n) lines.push_back({{"sku", skus[pick(3)]}, {"qty", 1 + pick(3)}, {"discount_cents", pick(2) * 10}});
        t.run(command_kind::complete_sale, {{"lines", lines}, {"payments", {{{"method", pick(2) ? "cash" : "card"}, {"amount_cents", 5000}}}}});
        break;
      }
      case 4: {  // return something of a random sale this till knows
        const json list = t.handler.state().sales(std::nullopt, std::nullopt)["sales"];
        if (list.empty()) break;
        const std::string receipt = list[pick(static_cast<int>(list.size()))]["receipt"];
        const json s = *t.handler.state().sale(receipt);
        const json& l = s["lines"][pick(static_cast<int>(s["lines"].size()))];
        t.run(command_kind::return_sale, {{"receipt", receipt}, {"lines", {{{"sku", l["sku"]}, {"qty", 1}}}}});
        break;
      }
      case 5: {
        const json list = t.handler.state().sales(std::nullopt, std::nullopt)["sales"];
        if (list.empty()) break;
        t.run(command_kind::void_sale, {{"receipt", list[pick(static_cast<int>(list.size()))]["receipt"]}, {"reason", "r"}});
        break;
      }
      case 6:
        if (pick(2)) {
          t.run(command_kind::count_stock, {{"sku", sku}, {"counted_qty", pick(10)}});
        } else {
          t.run(command_kind::adjust_stock, {{"sku", sku}, {"delta", pick(5) - 2 == 0 ? 1 : pick(5) - 2}, {"reason", "other"}});
        }
        break;
      case 7:
        t.run(command_kind::upsert_product, {{"sku", sku}, {"name", std::string("n") + std::to_string(pick(100))}, {"price_cents", 100 + pick(500)}, {"active", pick(4) != 0}});
        break;
      case 8: {  // partial sync: one till pulls from another
        till& from = *tills[pick(3)];
        if (&from != &t) t.pull(from);
        break;
      }
    }
  }
  return by_origin({&a, &b, &c});
}

TEST(order_independence, every_interleaving_gives_identical_digests) {
  for (std::uint64_t k = 0; k < 4; ++k) {
    const std::uint64_t seed = base_seed() + k;
    SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with SN_TEST_SEED)");
    const auto streams = random_day(seed);
    std::size_t total = 0;
    for (const auto& [o, list] : streams) total += list.size();
    ASSERT_GT(total, 60u);
    std::map<std::uint16_t, std::set<std::string>> writers;  // type -> origins that wrote it
    for (const auto& [o, list] : streams) {
      for (const event& e : list) writers[e.type].insert(o);
    }
    // the set exercises what order independence is about
    EXPECT_GE(writers[static_cast<std::uint16_t>(event_type::price_changed)].size(), 2u);
    EXPECT_GE(writers[static_cast<std::uint16_t>(event_type::sale_returned)].size(), 1u);
    EXPECT_GE(writers[static_cast<std::uint16_t>(event_type::sale_voided)].size(), 1u);
    EXPECT_GE(writers[static_cast<std::uint16_t>(event_type::stock_counted)].size(), 1u);
    std::mt19937_64 rng(seed * 7919);
    const views first = replay(interleave(streams, rng));
    const auto expected = first.digests();
    ASSERT_EQ(expected.size(), 7u);
    EXPECT_EQ(first.applied(), total);
    EXPECT_EQ(first.parked(), 0u);
    {  // B and C both sold the single unit of LAST while apart: oversold, not clamped
      std::vector<event> start(streams.at("A").begin(), streams.at("A").begin() + 8);
      start.push_back(streams.at("B").front());
      start.push_back(streams.at("C").front());
      const views v = replay(start);
      EXPECT_EQ(v.on_hand("LAST"), -1);
      EXPECT_TRUE(v.inventory_item("LAST")->at("oversold").get<bool>());
    }
    for (int i = 0; i < interleavings; ++i) {
      const views v = replay(interleave(streams, rng));
      const auto got = v.digests();
      for (const auto& [name, h] : expected) {
        ASSERT_EQ(to_hex(got.at(name)), to_hex(h)) << "projection " << name << ", interleaving " << i;
      }
      // the JSON views agree too (they are derived from the same state)
      ASSERT_EQ(v.daily_report(std::nullopt, std::nullopt), first.daily_report(std::nullopt, std::nullopt));
      ASSERT_EQ(v.inventory(false), first.inventory(false));
    }
  }
}

TEST(order_independence, checkpoint_in_the_middle_equals_full_replay) {
  for (std::uint64_t k = 0; k < 3; ++k) {
    const std::uint64_t seed = base_seed() + 100 + k;
    SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with SN_TEST_SEED)");
    std::mt19937_64 rng(seed);
    const std::vector<event> order = interleave(random_day(seed), rng);
    const views full = replay(order);
    for (std::size_t cut : {std::size_t{0}, order.size() / 3, order.size() / 2, order.size()}) {
      views head({});
      for (std::size_t i = 0; i < cut; ++i) head.apply(order[i]);
      const std::string bytes = head.save();
      views restored({});
      ASSERT_TRUE(restored.load(bytes).is_ok());
      EXPECT_EQ(restored.digests(), head.digests());
      EXPECT_EQ(restored.save(), bytes);  // canonical: byte-identical
      for (std::size_t i = cut; i < order.size(); ++i) restored.apply(order[i]);
      EXPECT_EQ(restored.digests(), full.digests()) << "cut at " << cut;
      EXPECT_EQ(restored.applied(), full.applied());
      EXPECT_EQ(restored.save(), full.save());
    }
  }
}

} // namespace
} // namespace sn::retail::test
