// The command side's overlay (decision_overlay.hpp) and the race it exists
// for: the projection actor and the command actor hear of a committed event
// independently, so the projection's rows may already hold an event the
// handler still keeps in its overlay (an own draft it has not heard
// committed yet, a remote event it observed), or hold one the handler has
// not observed at all. Every read must count each event exactly once.
#include <deque>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "actors/retail/business_day.hpp"
#include "actors/retail/decision_overlay.hpp"
#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "tests/support/memory_decision.hpp"
#include "tests/support/reference_views/views.hpp"
#include "tests/unit/retail/retail_support.hpp"

namespace sn::retail::test {
namespace {

event remote(const std::string& origin, std::uint64_t seq, std::uint64_t wall_ms, const stock_received& p) {
  return make_event(device_id{origin}, origin_seq{seq}, hlc_timestamp::from_parts(wall_ms, 0), term_id{1}, p);
}

event with_seq(event e, std::uint64_t seq) {
  e.seq = origin_seq{seq};
  return e;
}

// Proves: entries stay in log order (committed by position, then drafts),
// leave once every part has folded them, and past the bound the dropped
// positions become what the parts must reach before they answer again.
TEST(decision_overlay, keeps_log_order_prunes_by_position_and_bounds) {
  decision_overlay o(3);
  o.start_at(10);
  const event a = remote("POS2", 1, 1000, stock_received{"A", 1, ""});
  o.add_own(with_seq(a, 1));
  o.add_own(with_seq(a, 2));
  o.add_committed(11, with_seq(a, 7));  // remote, committed before the drafts
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o.entries()[0].position, std::optional<std::uint64_t>(11));
  EXPECT_FALSE(o.entries()[1].position);
  EXPECT_TRUE(o.own_committed(1, 12));
  EXPECT_FALSE(o.own_committed(5, 13)) << "no draft under seq 5";
  o.add_committed(13, with_seq(a, 8));
  EXPECT_EQ(o.entries()[1].position, std::optional<std::uint64_t>(12));
  EXPECT_EQ(o.entries()[2].position, std::optional<std::uint64_t>(13));
  EXPECT_FALSE(o.entries()[3].position) << "the draft not yet committed stays last";

  o.prune({12, 12, 13, 12});  // every part has folded 11 and 12
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o.required(source_part::sales), 12u);
  o.prune({12, 12, 12, 12});  // nothing more folded: 13 stays (and the bound of 3 holds)
  EXPECT_EQ(o.size(), 2u);
  o.add_committed(14, with_seq(a, 9));
  o.add_committed(15, with_seq(a, 10));  // 4 entries > 3: the oldest committed one goes anyway
  o.prune({12, 12, 12, 12});
  EXPECT_EQ(o.size(), 3u);
  EXPECT_EQ(o.required(source_part::inventory), 13u) << "the rows must reach 13 before they answer again";
}

// One node POS1 whose projections the test folds by hand.
struct node_under_test {
  store_settings settings{time_zone::fixed(60)};
  sn::test::memory_node node{device_id{"POS1"}, settings};
  command_handler handler{settings, device_id{"POS1"}, node.source()};
  std::unique_ptr<decision_source> reads = node.source();  // a second reader over the same rows
  std::uint64_t own_seq = 0;
  std::uint64_t wall_ms = morning_ms();

  /// Decides `c` (must be accepted); returns its drafts sealed with the seqs
  /// the log writer will give them (not yet in the log).
  std::vector<event> decide(const command& c) {
    wall_ms += 1000;
    command_outcome out = handler.handle(c, "", command_context{device_id{"POS1"}, wall_ms, term_id{1}});
    std::vector<event> sealed;
    if (!out.is_accepted()) return sealed;
    for (event e : std::get<accepted>(out.decision).events) {
      e.seq = origin_seq{++own_seq};
      sealed.push_back(e);
    }
    return sealed;
  }
  std::int64_t on_hand(const std::string& sku) {
    auto r = reads->on_hand(sku, handler.overlay());
    EXPECT_FALSE(r.behind);
    return r.value;
  }
};

// Proves: an own draft the projection folded BEFORE the command actor heard
// it committed is counted once (the rows have it; the overlay entry finds
// its position in the log and is skipped) — and still once after the
// handler hears it and prunes it.
TEST(decision_race, own_draft_folded_before_the_handler_hears_it_counts_once) {
  node_under_test n;
  n.node.auto_fold = false;
  auto setup = n.decide(product("A", "Apple", 100));
  for (const event& e : setup) n.handler.committed_own(e.seq.value(), n.node.append(e));
  n.node.fold();

  auto recv = n.decide(receive_stock{"A", 10, ""});
  EXPECT_EQ(n.on_hand("A"), 10) << "a draft not yet in the log: from the overlay";
  const std::uint64_t pos = n.node.append(recv[0]);
  EXPECT_EQ(n.on_hand("A"), 10) << "in the log, not folded: from the overlay";
  n.node.fold();
  EXPECT_EQ(n.on_hand("A"), 10) << "folded, handler not told: from the rows only";
  // The count decided now records what the node showed: 10, not 20.
  auto count = n.decide(count_stock{"A", 9});
  ASSERT_EQ(count.size(), 1u);
  EXPECT_EQ(payload_of<stock_counted>(count[0])->expected_qty, 10);
  n.handler.committed_own(recv[0].seq.value(), pos);
  EXPECT_EQ(n.on_hand("A"), 9);
  n.handler.committed_own(count[0].seq.value(), n.node.append(count[0]));
  EXPECT_EQ(n.on_hand("A"), 9);
  n.node.fold();
  n.handler.committed_own(0, 0);  // any report prunes: every entry is folded now
  EXPECT_EQ(n.handler.overlay().size(), 0u);
  EXPECT_EQ(n.on_hand("A"), 9);
}

// Proves: a remote event the handler observed before the projection folds
// it counts once before and after the fold; one the projection folded
// before the handler observed it counts once too (from the rows).
TEST(decision_race, remote_events_count_once_whichever_side_is_ahead) {
  node_under_test n;
  n.node.auto_fold = false;
  for (const event& e : n.decide(product("A", "Apple", 100))) n.handler.committed_own(e.seq.value(), n.node.append(e));
  n.node.fold();
  const event r1 = remote("POS2", 1, morning_ms() + 100, stock_received{"A", 5, ""});
  const event r2 = remote("POS2", 2, morning_ms() + 200, stock_received{"A", 7, ""});
  const std::uint64_t p1 = n.node.append(r1);
  n.handler.observe(p1, r1, n.wall_ms);  // command actor first
  EXPECT_EQ(n.on_hand("A"), 5);
  n.node.fold();
  EXPECT_EQ(n.on_hand("A"), 5);
  const std::uint64_t p2 = n.node.append(r2);
  n.node.fold();  // projection actor first
  EXPECT_EQ(n.on_hand("A"), 12) << "folded but not observed: read from the rows";
  n.handler.observe(p2, r2, n.wall_ms);
  EXPECT_EQ(n.on_hand("A"), 12);
}

// Proves: a return and a void of the same receipt, one own draft in flight
// and one remote event already folded, give the figures of the reference
// model: only the first void gives stock back, returns are keyed by id.
TEST(decision_race, sale_return_and_void_in_flight_match_the_reference) {
  node_under_test n;
  n.node.auto_fold = false;
  std::vector<event> all;
  const auto commit = [&](const std::vector<event>& es) {
    for (const event& e : es) {
      n.handler.committed_own(e.seq.value(), n.node.append(e));
      all.push_back(e);
    }
  };
  commit(n.decide(product("A", "Apple", 100)));
  commit(n.decide(receive_stock{"A", 10, ""}));
  commit(n.decide(sale({line("A", 3)}, {{pay("cash", 300)}})));
  n.node.fold();
  // A remote void of POS1-000001 reaches the log and the projections; the
  // command actor has not observed it yet.
  const event v = make_event(device_id{"POS2"}, origin_seq{1}, hlc_timestamp::from_parts(n.wall_ms + 50, 0), term_id{1},
                             sale_voided{"POS1-000001", "remote"});
  const std::uint64_t vp = n.node.append(v);
  n.node.fold();
  all.push_back(v);
  auto s = n.reads->sale("POS1-000001", n.handler.overlay());
  ASSERT_TRUE(s.value);
  EXPECT_TRUE(s.value->voided);
  EXPECT_EQ(n.on_hand("A"), 10);
  // The handler refuses to void it again (the rows say voided) and to return against it.
  n.wall_ms += 1000;
  EXPECT_EQ(errc_of(n.handler.handle(void_sale{"POS1-000001", "again"}, "",
                                     command_context{device_id{"POS1"}, n.wall_ms, term_id{1}})),
            command_errc::already_voided);
  n.handler.observe(vp, v, n.wall_ms);
  EXPECT_EQ(n.on_hand("A"), 10) << "observing the folded void changes nothing";
  views ref(n.settings);
  for (const event& e : all) ref.apply(e);
  EXPECT_EQ(ref.on_hand("A"), 10);
}

// Proves, on random interleavings of: the handler deciding, the log writer
// committing, remote events arriving, the projection folding any prefix of
// the log, and the command actor hearing commits late: every read (stock of
// every sku, each receipt's returns / refunds / void, the day's figures)
// equals the reference model over exactly the events the handler or the
// projection has — each counted once.
TEST(decision_race, random_interleavings_read_every_event_exactly_once) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const auto pick = [&](std::size_t k) { return static_cast<std::size_t>(rng() % k); };
    node_under_test n;
    n.node.auto_fold = false;
    std::vector<event> own_decided;  // every own draft (sealed)
    const auto setup = [&](const command& c) {
      for (const event& e : n.decide(c)) {
        n.handler.committed_own(e.seq.value(), n.node.append(e));
        own_decided.push_back(e);
      }
    };
    for (const char* sku : {"A", "B", "C"}) setup(product(sku, sku, 100));
    setup(receive_stock{"A", 50, ""});
    n.node.fold();

    std::deque<event> writer_queue;                          // own drafts decided, not in the log
    std::deque<std::pair<std::uint64_t, event>> to_handler;  // committed, command actor not told yet
    std::uint64_t remote_seq = 0;
    std::vector<std::string> receipts;
    std::set<std::pair<std::string, std::uint64_t>> observed;  // remote events the handler has
    const std::string day = day_to_string(business_day(hlc_timestamp::from_parts(n.wall_ms + 1000, 0), n.settings));

    for (int step = 0; step < 120; ++step) {
      switch (pick(6)) {
        case 0: {  // the handler decides
          command c = receive_stock{"B", 1 + static_cast<std::int64_t>(pick(5)), ""};
          switch (pick(5)) {
            case 0:
              c = sale({line(pick(2) ? "A" : "B", 1 + static_cast<std::int64_t>(pick(2)))}, {{pay("card", 1000)}});
              break;
            case 1:
              if (!receipts.empty()) c = give_back(receipts[pick(receipts.size())], {{"A", 1}});
              break;
            case 2:
              if (!receipts.empty()) c = void_sale{receipts[pick(receipts.size())], ""};
              break;
            case 3:
              c = count_stock{pick(2) ? "A" : "B", static_cast<std::int64_t>(pick(20))};
              break;
            default:
              break;
          }
          for (const event& e : n.decide(c)) {
            writer_queue.push_back(e);
            own_decided.push_back(e);
            if (e.type == static_cast<std::uint16_t>(event_type::sale_completed)) {
              receipts.push_back(payload_of<sale_completed>(e)->receipt);
            }
          }
          break;
        }
        case 1:  // the log writer commits the oldest draft
          if (!writer_queue.empty()) {
            const std::uint64_t pos = n.node.append(writer_queue.front());
            to_handler.emplace_back(pos, writer_queue.front());
            writer_queue.pop_front();
          }
          break;
        case 2: {  // a remote event arrives (stock, or a void / return of one of POS1's receipts)
          event e = remote("POS2", ++remote_seq, n.wall_ms + 1, stock_received{"A", 2, ""});
          if (!receipts.empty() && pick(2)) {
            const std::string& r = receipts[pick(receipts.size())];
            if (pick(2)) {
              e = make_event(device_id{"POS2"}, origin_seq{remote_seq}, e.hlc, term_id{1}, sale_voided{r, "remote"});
            } else {
              sale_returned p;
              p.return_id = "POS2-R" + std::to_string(100000 + remote_seq).substr(0, 6);
              p.receipt = r;
              p.lines.push_back(return_line{"A", 1, 100, 0});
              p.refund_cents = 100;
              p.method = "cash";
              p.business_day = day;
              e = make_event(device_id{"POS2"}, origin_seq{remote_seq}, e.hlc, term_id{1}, p);
            }
          }
          to_handler.emplace_back(n.node.append(e), e);
          break;
        }
        case 3:  // the command actor hears the oldest commit
          if (!to_handler.empty()) {
            auto [pos, e] = to_handler.front();
            to_handler.pop_front();
            if (e.origin.value() == "POS1") {
              n.handler.committed_own(e.seq.value(), pos);
            } else {
              n.handler.observe(pos, e, n.wall_ms);
              observed.insert({e.origin.value(), e.seq.value()});
            }
          }
          break;
        default:  // the projection actor folds some prefix of the log
          n.node.fold(n.node.set().lowest_position() + pick(4));
          break;
      }
      // What the handler and the projection have together: own drafts,
      // observed remote events, the folded prefix of the log.
      views ref(n.settings);
      ref.set_detect_conflicts(false);
      for (const event& e : own_decided) ref.apply(e);
      const std::uint64_t folded = n.node.set().lowest_position();
      for (std::uint64_t p = 1; p <= n.node.head(); ++p) {
        const event& e = n.node.log()[p - 1];
        if (e.origin.value() == "POS1") continue;
        if (p <= folded || observed.count({e.origin.value(), e.seq.value()})) ref.apply(e);
      }
      for (const char* sku : {"A", "B", "C"}) ASSERT_EQ(n.on_hand(sku), ref.on_hand(sku)) << sku << " step " << step;
      for (const std::string& r : receipts) {
        auto got = n.reads->sale(r, n.handler.overlay());
        const auto want = ref.sale(r);
        ASSERT_TRUE(got.value && want) << r;
        EXPECT_EQ(got.value->voided, want->at("voided")) << r << " step " << step;
        EXPECT_EQ(got.value->refunded_cents, want->at("refunded_cents")) << r << " step " << step;
        EXPECT_EQ(got.value->returns.size(), want->at("returns").size()) << r << " step " << step;
      }
      auto d = n.reads->day(*day_from_string(day), "POS1", n.handler.overlay());
      const auto rep = ref.daily_report(day, std::string("POS1"));
      ASSERT_FALSE(d.behind);
      EXPECT_EQ(d.value.figures.gross_cents, rep.value("gross_cents", std::int64_t{0})) << "step " << step;
      EXPECT_EQ(d.value.figures.net_cents, rep.value("net_cents", std::int64_t{0})) << "step " << step;
      EXPECT_EQ(d.value.figures.transactions, rep.value("transactions", std::int64_t{0})) << "step " << step;
    }
    EXPECT_LE(n.handler.overlay().size(), writer_queue.size() + to_handler.size() + n.node.head());
  }
}

// Proves: while a projection rebuilds (its rows and position start again
// from 0), a command that needs it is refused projection_behind — never
// decided from the missing rows — and is decided again once it caught up;
// a sale (products and counters in memory) is never refused.
TEST(decision_race, a_rebuilding_projection_refuses_what_needs_it_until_caught_up) {
  node_under_test n;
  for (const event& e : n.decide(product("A", "Apple", 100))) n.handler.committed_own(e.seq.value(), n.node.append(e));
  for (const event& e : n.decide(receive_stock{"A", 10, ""})) n.handler.committed_own(e.seq.value(), n.node.append(e));
  for (const event& e : n.decide(sale({line("A", 1)}, {{pay("cash", 100)}}))) {
    n.handler.committed_own(e.seq.value(), n.node.append(e));
  }
  n.handler.committed_own(0, 0);  // prune: everything is folded
  ASSERT_EQ(n.handler.overlay().size(), 0u);
  n.node.auto_fold = false;
  ASSERT_TRUE(n.node.set().rebuild(*n.node.set().index_of("inventory")));
  ASSERT_TRUE(n.node.set().flush());
  n.wall_ms += 1000;
  const command_context ctx{device_id{"POS1"}, n.wall_ms, term_id{1}};
  EXPECT_EQ(errc_of(n.handler.handle(count_stock{"A", 3}, "", ctx)), command_errc::projection_behind);
  EXPECT_TRUE(n.handler.handle(give_back("POS1-000001", {{"A", 1}}), "", ctx).is_accepted())
      << "sales is not rebuilding";
  EXPECT_TRUE(n.handler.handle(sale({line("A", 1)}, {{pay("cash", 100)}}), "", ctx).is_accepted());
  n.node.fold();
  auto c = n.handler.handle(count_stock{"A", 3}, "", ctx);
  ASSERT_TRUE(c.is_accepted());
  EXPECT_EQ(std::get<count_stock_result>(std::get<accepted>(c.decision).result).expected_qty, 10 - 1 + 1 - 1);
}

}  // namespace
}  // namespace sn::retail::test
