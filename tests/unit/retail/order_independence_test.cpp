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
    const std::int64_t price = 100 + pick(900);
    const std::int32_t tax = pick(3) * 1000;
    a.run(product(s, s, price, tax, 2));
  }
  a.run(receive_stock{"LAST", 1, ""});
  for (const char* s : {"S0", "S1", "S2"}) a.run(receive_stock{s, 5 + pick(10), ""});
  b.pull(a);
  c.pull(a);
  // the last unit, sold on two tills while apart
  auto rb = b.run(sale({line("LAST", 1)}, {{pay("cash", 100000)}}));
  auto rc = c.run(sale({line("LAST", 1)}, {{pay("card", c.state.product("LAST")->at("price_cents").get<std::int64_t>())}}));
  EXPECT_TRUE(rb.is_accepted());
  EXPECT_TRUE(rc.is_accepted());
  for (int i = 0; i < steps; ++i) {
    till& t = *tills[pick(3)];
    const char* sku = skus[pick(3)];
    switch (pick(9)) {
      case 0:
        t.run(change_price{sku, 50 + pick(1000)});
        break;
      case 1:
      case 2:
      case 3: {
        std::vector<sale_line_input> lines;
        for (int n = 0; n <= pick(2); ++n) {
          const char* line_sku = skus[pick(3)];
          const std::int64_t qty = 1 + pick(3);
          lines.push_back(line(line_sku, qty, std::nullopt, pick(2) * 10));
        }
        t.run(sale(std::move(lines), {{pay(pick(2) ? "cash" : "card", 5000)}}));
        break;
      }
      case 4: {  // return something of a random sale this till knows
        const json list = t.state.sales(std::nullopt, std::nullopt)["sales"];
        if (list.empty()) break;
        const std::string receipt = list[pick(static_cast<int>(list.size()))]["receipt"];
        const json s = *t.state.sale(receipt);
        const json& l = s["lines"][pick(static_cast<int>(s["lines"].size()))];
        t.run(give_back(receipt, {{l["sku"].get<std::string>(), 1}}));
        break;
      }
      case 5: {
        const json list = t.state.sales(std::nullopt, std::nullopt)["sales"];
        if (list.empty()) break;
        t.run(void_sale{list[pick(static_cast<int>(list.size()))]["receipt"].get<std::string>(), "r"});
        break;
      }
      case 6:
        if (pick(2)) {
          t.run(count_stock{sku, pick(10)});
        } else {
          const std::int64_t delta = pick(5) - 2 == 0 ? 1 : pick(5) - 2;
          t.run(adjust_stock{sku, delta, "other", ""});
        }
        break;
      case 7:
      {
        std::string name = std::string("n") + std::to_string(pick(100));
        const std::int64_t price = 100 + pick(500);
        const bool active = pick(4) != 0;
        t.run(product(sku, name, price, 0, 0, active));
      }
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
