// retail::decision_state: the products' registers (last-writer-wins as the
// catalog projection folds them) and this device's counters, folded from
// events or loaded from the projections' rows at start-up.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "actors/projections/decision_rows.hpp"
#include "actors/retail/decision_state.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "tests/support/memory_decision.hpp"
#include "tests/support/reference_views/views.hpp"

namespace sn::retail::test {
namespace {

struct writer {
  std::string origin;
  std::uint64_t seq = 0;
  template <class P>
  event make(std::uint64_t wall_ms, const P& p) {
    return make_event(device_id{origin}, origin_seq{++seq}, hlc_timestamp::from_parts(wall_ms, 0), term_id{1}, p);
  }
};

product_upserted upsert(const std::string& sku, const std::string& name, std::int64_t price, bool active = true) {
  product_upserted p;
  p.sku = sku;
  p.name = name;
  p.price_cents = price;
  p.tax_rate_bp = 1000;
  p.low_stock_threshold = 3;
  p.active = active;
  return p;
}

sale_completed sold(const std::string& receipt) {
  sale_completed s;
  s.receipt = receipt;
  s.business_day = "2026-11-25";
  s.lines.push_back(sale_line{"A", 1, 100, 0, 0, 0});
  s.gross_cents = s.total_cents = 100;
  s.payments.push_back(payment{"cash", 100});
  return s;
}

// Proves: products are known from their first upsert; each register keeps
// the newest write by (HLC, origin), whatever the arrival order.
TEST(decision_state, product_registers_are_last_writer_wins_in_any_order) {
  writer pos1{"POS1"}, pos2{"POS2"};
  const std::vector<event> events = {
      pos1.make(1000, upsert("A", "Apple", 100)),
      pos2.make(2000, price_changed{"A", 120}),
      pos2.make(3000, upsert("A", "Apfel", 130)),  // newest product register
      pos1.make(3000, price_changed{"A", 140}),    // same HLC: POS2 > POS1 wins
      pos1.make(4000, product_deactivated{"A"}),
      pos2.make(500, price_changed{"B", 77}),  // before any upsert of B: waits
  };
  std::vector<std::size_t> order(events.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    decision_state st(device_id{"POS1"});
    for (std::size_t i : order) st.apply(events[i]);
    const product_registers* a = st.product("A");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name, "Apfel");
    EXPECT_EQ(a->price_cents, 130);
    EXPECT_FALSE(a->active);
    EXPECT_EQ(a->row().updated_at, hlc_timestamp::from_parts(4000, 0));
    EXPECT_EQ(st.product("B"), nullptr) << "a price change alone does not make a product";
  }
}

// Proves: counters follow this device's own receipt and return numbers only.
TEST(decision_state, counters_count_own_numbers_only) {
  writer pos1{"POS1"}, pos2{"POS2"};
  decision_state st(device_id{"POS1"});
  st.apply(pos1.make(1000, sold("POS1-000007")));
  st.apply(pos1.make(1001, sold("POS1-000003")));   // lower: no change
  st.apply(pos2.make(1002, sold("POS1-000099")));   // another origin's event: not ours
  st.apply(pos1.make(1003, sold("POS1-R000012")));  // a return id on a sale: not a receipt number
  sale_returned r;
  r.return_id = "POS1-R000002";
  r.receipt = "POS1-000007";
  r.business_day = "2026-11-25";
  st.apply(pos1.make(1004, r));
  EXPECT_EQ(st.last_receipt_no(), 7u);
  EXPECT_EQ(st.last_return_no(), 2u);
  st.load_counters(5, 9);  // loading never lowers
  EXPECT_EQ(st.last_receipt_no(), 7u);
  EXPECT_EQ(st.last_return_no(), 9u);
}

// Proves: the state loaded from the catalog and sales projections' rows
// equals the state folded from the same events — including a register
// that waits for its upsert, which a later upsert must still lose to.
TEST(decision_state, loaded_from_rows_equals_folded_from_events) {
  writer pos1{"POS1"}, pos2{"POS2"};
  std::vector<event> events;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 300; ++i) {
    writer& w = (rng() % 2) ? pos1 : pos2;
    const std::string sku = "S" + std::to_string(rng() % 25);
    const std::uint64_t t = 1000 + (rng() % 5000);
    switch (rng() % 4) {
      case 0:
        events.push_back(w.make(t, upsert(sku, "N" + std::to_string(i), 100 + i, rng() % 5 != 0)));
        break;
      case 1:
        events.push_back(w.make(t, price_changed{sku, 200 + i}));
        break;
      case 2:
        events.push_back(w.make(t, product_deactivated{sku}));
        break;
      default:
        events.push_back(w.make(t, sold(w.origin + "-" + std::to_string(100000 + i).substr(0, 6))));
        break;
    }
  }
  // Half the events before the "restart", half after.
  const std::size_t half = events.size() / 2;
  sn::test::memory_node node(device_id{"POS1"});
  decision_state folded(device_id{"POS1"});
  for (std::size_t i = 0; i < half; ++i) {
    node.append(events[i]);
    folded.apply(events[i]);
  }
  decision_state loaded(device_id{"POS1"});
  projections::load_decision_state(node.rows("catalog"), node.rows("sales"), loaded);
  for (std::size_t i = half; i < events.size(); ++i) {
    folded.apply(events[i]);
    loaded.apply(events[i]);
  }
  EXPECT_EQ(loaded.products(), folded.products());
  EXPECT_EQ(loaded.last_receipt_no(), folded.last_receipt_no());
  for (int s = 0; s < 25; ++s) {
    const std::string sku = "S" + std::to_string(s);
    const product_registers* a = folded.product(sku);
    const product_registers* b = loaded.product(sku);
    ASSERT_EQ(a == nullptr, b == nullptr) << sku;
    if (!a) continue;
    const product_row ra = a->row(), rb = b->row();
    EXPECT_EQ(ra.name, rb.name) << sku;
    EXPECT_EQ(ra.price_cents, rb.price_cents) << sku;
    EXPECT_EQ(ra.active, rb.active) << sku;
    EXPECT_EQ(ra.updated_at, rb.updated_at) << sku;
  }
  // ... and equals the reference model's products.
  views ref(store_settings{});
  for (const event& e : events) ref.apply(e);
  for (int s = 0; s < 25; ++s) {
    const std::string sku = "S" + std::to_string(s);
    const auto want = ref.product(sku);
    const product_registers* got = loaded.product(sku);
    ASSERT_EQ(want.has_value(), got != nullptr) << sku;
    if (!got) continue;
    EXPECT_EQ(want->at("name"), got->name) << sku;
    EXPECT_EQ(want->at("price_cents"), got->price_cents) << sku;
    EXPECT_EQ(want->at("active"), got->active) << sku;
  }
}

}  // namespace
}  // namespace sn::retail::test
