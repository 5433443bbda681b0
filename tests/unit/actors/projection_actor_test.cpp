// The projection actor's read-your-writes contract (actors/projection_actor.hpp,
// actors/fold_progress.hpp), on CAF's test coordinator one message at a time:
// a position the actor publishes to the queries covers only rows that are
// written. A query that sees position p reads the rows at once through a
// snapshot; a published position ahead of the written rows is a stale read
// (node_test.a_restarted_node_decides_from_its_projections_without_replay
// saw one under load) and lets the command side prune overlay entries that
// its snapshot does not hold yet.
#include <gtest/gtest.h>

#include <caf/all.hpp>

#include "actors/fold_progress.hpp"
#include "actors/messages.hpp"
#include "actors/metrics.hpp"
#include "actors/projection_actor.hpp"
#include "actors/projections/digest_rows.hpp"
#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/row_codec.hpp"
#include "storage/event_log.hpp"
#include "tests/unit/storage/helpers.hpp"
#include "tests/unit/actors/test_coordinator_system.hpp"

namespace sn::actors {
namespace {

struct projection_actor_test : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  storage::test::temp_dir dir;
  std::unique_ptr<storage::event_log> log;
  storage::test::chain pos1{"POS1"};
  std::unique_ptr<projections::memory_row_store> store;
  std::unique_ptr<fold_progress> progress;
  node_metrics metrics;
  projection_actor actor;
  std::chrono::milliseconds interval = live_write_interval_default;

  void SetUp() override {
    sys = std::make_unique<caf::actor_system>(test::testing_config(cfg));
    sched = &test::coordinator_of(*sys);
    auto opened = storage::event_log::open(storage::test::rw_options(dir.data()));
    ASSERT_TRUE(opened) << opened.error().message;
    log = std::move(*opened);
    const std::size_t n = projections::all_projections().size();
    store = std::make_unique<projections::memory_row_store>(n);
    auto set =
        std::make_unique<projections::projection_set>(retail::store_settings{}, projections::all_projections(), *store);
    ASSERT_TRUE(set->open());
    progress = std::make_unique<fold_progress>(n);
    actor = spawn_projection_actor(*sys, std::move(set), *log, metrics, *progress, interval);
    sched->run();
  }

  void TearDown() override {
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
    sched->run();
  }

  /// The log writer's part: appends one event durably and returns the
  /// committed batch it would send the projection actor.
  committed_batch commit_one() {
    const auto first = log->last_position().value() + 1;
    auto appended = log->append({pos1.next()});
    EXPECT_TRUE(appended);
    auto events = log->read_from(log_position{first}, 1);
    EXPECT_EQ(events.size(), 1u);
    return committed_batch{std::make_shared<const std::vector<storage::stored_event>>(std::move(events)), nullptr};
  }

  /// The position projection i's written rows were folded to.
  std::uint64_t written_position(std::size_t i) const {
    auto row = store->family(i).get(projections::reserved::position);
    return row ? projections::row_in(*row).u64() : 0;
  }

  /// The contract: no projection is published ahead of its written rows.
  void expect_published_positions_written(const char* step) const {
    for (std::size_t i = 0; i < progress->size(); ++i) {
      EXPECT_LE(progress->position(i), written_position(i))
          << "after " << step << ": projection " << i << " published ahead of its written rows";
    }
  }
};

// Proves: when the log writer commits batch 2 while the actor writes batch 1
// (the flush then sees the log ahead and queues a catch-up tick behind batch
// 2's committed message), the tick that finds nothing behind does not
// publish batch 2's position before batch 2's rows are written. This is the
// interleaving of a loaded node: command, 201, command, 201 ... The mailbox
// is stepped one message at a time in exactly that order.
TEST_F(projection_actor_test, a_tick_between_a_live_fold_and_its_write_publishes_only_written_positions) {
  caf::anon_send(actor, committed_atom::value, commit_one());
  ASSERT_TRUE(sched->try_run_once());  // batch 1 folded; flush_atom queued
  expect_published_positions_written("batch 1 folded");
  auto second = commit_one();  // committed while batch 1 is being written
  caf::anon_send(actor, committed_atom::value, std::move(second));
  ASSERT_TRUE(sched->try_run_once());  // flush: batch 1 written and published; log ahead: tick queued
  expect_published_positions_written("batch 1 written");
  EXPECT_EQ(progress->position(0), 1u);
  ASSERT_TRUE(sched->try_run_once());  // batch 2 folded; flush_atom queued behind the tick
  expect_published_positions_written("batch 2 folded");
  ASSERT_TRUE(sched->try_run_once());  // the tick: nothing behind
  expect_published_positions_written("the tick");
  sched->run();
  expect_published_positions_written("the end");
  for (std::size_t i = 0; i < progress->size(); ++i) {
    EXPECT_EQ(progress->position(i), 2u) << "projection " << i;
    EXPECT_EQ(written_position(i), 2u) << "projection " << i;
  }
}

// Proves: pausing a projection while a live batch waits for its write
// publishes only written positions too (pause publishes at once).
TEST_F(projection_actor_test, a_pause_between_a_live_fold_and_its_write_publishes_only_written_positions) {
  caf::anon_send(actor, committed_atom::value, commit_one());
  caf::anon_send(actor, pause_atom::value, std::string("sales"));
  ASSERT_TRUE(sched->try_run_once());  // batch 1 folded; flush_atom queued behind the pause
  expect_published_positions_written("batch 1 folded");
  ASSERT_TRUE(sched->try_run_once());  // the pause (its answer goes nowhere: anonymous)
  expect_published_positions_written("the pause");
  sched->run();
  expect_published_positions_written("the end");
  EXPECT_EQ(progress->position(0), 1u);
}

/// An interval no test outlasts: a write it delays happens only when a
/// query hurries it or the test fires the delayed message.
struct projection_actor_slow_write_test : projection_actor_test {
  projection_actor_slow_write_test() { interval = std::chrono::hours(1); }

  void expect_written_and_published(std::uint64_t position, const char* step) const {
    for (std::size_t i = 0; i < progress->size(); ++i) {
      EXPECT_EQ(written_position(i), position) << step << ": projection " << i;
      EXPECT_EQ(progress->position(i), position) << step << ": projection " << i;
    }
  }
};

// Proves: a live batch after a quiet spell is written at once; batches
// committed within the interval after a write are folded and share the next
// write; a query that has to wait for them hurries that write; the delayed
// write that follows finds nothing to write.
TEST_F(projection_actor_slow_write_test, live_batches_within_the_interval_share_one_write_that_a_waiting_query_hurries) {
  caf::anon_send(actor, committed_atom::value, commit_one());
  sched->run();
  EXPECT_EQ(metrics.projection_writes.load(), 1u);
  expect_written_and_published(1, "the first batch");
  for (int k = 0; k < 3; ++k) caf::anon_send(actor, committed_atom::value, commit_one());
  sched->run();
  EXPECT_EQ(metrics.projection_writes.load(), 1u);
  expect_written_and_published(1, "three batches within the interval");
  // A query that needs them waits (here not at all) and hurries the write.
  EXPECT_FALSE(progress->wait_for(0, 4, std::chrono::milliseconds(0)));
  sched->run();
  EXPECT_EQ(metrics.projection_writes.load(), 2u);
  expect_written_and_published(4, "the hurried write");
  EXPECT_TRUE(progress->wait_for(0, 4, std::chrono::milliseconds(0)));
  sched->trigger_timeouts();
  sched->run();
  EXPECT_EQ(metrics.projection_writes.load(), 2u);
  expect_written_and_published(4, "the delayed write");
}

// Proves: queries that wait for the same write hurry it once; the next
// published write lets the next wait hurry again.
TEST(fold_progress, a_burst_of_waiting_queries_hurries_the_write_once) {
  fold_progress progress(2);
  int hurries = 0;
  progress.set_hurry([&] { ++hurries; });
  EXPECT_TRUE(progress.wait_for(0, 0, std::chrono::milliseconds(0)));  // ready: no hurry
  EXPECT_EQ(hurries, 0);
  EXPECT_FALSE(progress.wait_for(0, 3, std::chrono::milliseconds(0)));
  EXPECT_FALSE(progress.wait_for(1, 3, std::chrono::milliseconds(0)));
  EXPECT_EQ(hurries, 1);
  progress.advance(0, 3, false);
  EXPECT_TRUE(progress.wait_for(0, 3, std::chrono::milliseconds(0)));
  EXPECT_FALSE(progress.wait_for(1, 3, std::chrono::milliseconds(0)));
  EXPECT_EQ(hurries, 2);
}

/// One origin's sealed, chained events with any payload (the log refuses a
/// broken chain).
struct origin_stream {
  std::string origin;
  std::uint64_t seq = 1;
  hash256 prev{};
  template <class Payload>
  event next(std::uint64_t wall_ms, const Payload& p) {
    event e = make_event(device_id{origin}, origin_seq{seq++}, hlc_timestamp::from_parts(wall_ms, 0), term_id{1}, p);
    e.prev_hash = prev;
    seal(e);
    prev = e.hash;
    return e;
  }
};

/// Conflict drafts the master's projection actor hands the command actor.
struct recorded {
  std::size_t drafts = 0;
};

caf::behavior recorder_behavior(caf::event_based_actor*, std::shared_ptr<recorded> out) {
  return {[out](system_event_atom, const std::vector<event>& drafts) { out->drafts += drafts.size(); }};
}

// Proves: when appends outrun the fold (the mailbox holds more than
// live_backlog_max events in newer batches: a node catching up), the actor
// does not fold the queued batches one by one — which kept every queued
// batch's events in memory until its turn — but leaves them to the log
// reader; it still ends with exactly the rows of a direct fold of the log,
// and, on the master, still records the conflicts of those live events.
TEST_F(projection_actor_test, a_backlog_of_live_batches_is_folded_from_the_log_with_its_conflicts_judged) {
  auto out = std::make_shared<recorded>();
  auto recorder = sys->spawn(recorder_behavior, out);
  caf::anon_send(actor, role_atom::value, true);
  caf::anon_send(actor, subscribe_atom::value, caf::actor_cast<caf::actor>(recorder));
  sched->run();

  // A backlog: 3 catch-up chunks of stock and then a price change that an
  // older upsert from another device loses to (one register conflict).
  std::vector<event> events = pos1.take(3 * 4096);
  origin_stream a{"A"}, b{"B"};
  price_changed price;
  price.sku = "TEA";
  price.price_cents = 450;
  events.push_back(b.next(1'000'009, price));
  product_upserted tea;
  tea.sku = "TEA";
  tea.name = "Tea";
  tea.price_cents = 300;
  events.push_back(a.next(1'000'005, tea));
  std::vector<committed_batch> batches;
  for (std::size_t at = 0; at < events.size(); at += 500) {
    const auto first = log->last_position().value() + 1;
    const std::vector<event> part(events.begin() + at, events.begin() + std::min(at + 500, events.size()));
    ASSERT_TRUE(log->append(part));
    auto stored = log->read_from(log_position{first}, part.size());
    batches.push_back({std::make_shared<const std::vector<storage::stored_event>>(std::move(stored)), nullptr});
  }
  const std::uint64_t head = log->last_position().value();
  for (auto& b : batches) caf::anon_send(actor, committed_atom::value, b);
  // Every queued batch is passed over (batch 1 is far behind the log's head;
  // the rest follow it), then the log reader folds one chunk per tick.
  for (std::size_t k = 0; k < batches.size(); ++k) ASSERT_TRUE(sched->try_run_once());
  for (std::size_t i = 0; i < progress->size(); ++i) EXPECT_EQ(written_position(i), 0u) << "projection " << i;
  ASSERT_TRUE(sched->try_run_once());
  for (std::size_t i = 0; i < progress->size(); ++i) EXPECT_EQ(written_position(i), 4096u) << "projection " << i;
  sched->run();
  expect_published_positions_written("the end");

  // A direct fold of the same log, one chunk.
  projections::memory_row_store direct(projections::all_projections().size());
  projections::projection_set set(retail::store_settings{}, projections::all_projections(), direct);
  ASSERT_TRUE(set.open());
  auto all = log->read_from(log_position{1}, head);
  std::vector<projections::projection_set::positioned> chunk;
  for (const auto& se : all) chunk.push_back({se.position.value(), &se.ev});
  set.apply_chunk(chunk, true);
  ASSERT_TRUE(set.flush());
  EXPECT_EQ(set.take_conflicts().size(), 1u);
  for (std::size_t i = 0; i < progress->size(); ++i) {
    EXPECT_EQ(progress->position(i), head) << "projection " << i;
    EXPECT_EQ(written_position(i), head) << "projection " << i;
    // The projection's own rows; the set's (0xff: digest journal and
    // checkpoints) depend on how the folds were split into writes.
    const auto own = [](const projections::memory_rows& rows) {
      std::map<std::string, std::string> out;
      for (const auto& [k, v] : rows.all()) {
        if (k.empty() || static_cast<unsigned char>(k[0]) != 0xff) out.emplace(k, v);
      }
      return out;
    };
    EXPECT_TRUE(own(store->family(i)) == own(direct.family(i))) << "projection " << i << ": rows differ";
    EXPECT_EQ(projections::stored_digest_hex(store->family(i)), set.digest_hex(i)) << "projection " << i;
  }
  EXPECT_EQ(out->drafts, 1u) << "the backlog's register conflict was not recorded";
  caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace sn::actors
