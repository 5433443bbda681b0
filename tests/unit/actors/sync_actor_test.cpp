// The sync actor's gap contract (actors/sync_actor.*, issue 13 item 6), on
// CAF's test coordinator: a live event that skips a seq of its origin is held,
// and the actor asks the sender for what is missing (a sync_request through
// the real transport, whose frame a second transport on loopback receives).
#include <gtest/gtest.h>

#include <optional>

#include <caf/all.hpp>
#include <mutex>


#include "actors/metrics.hpp"
#include "actors/sync/keyring_cache.hpp"
#include "actors/sync/messages.hpp"
#include "actors/sync/types.hpp"
#include "actors/sync_actor.hpp"
#include "broker/transport.hpp"
#include "events/device.hpp"
#include "storage/event_log.hpp"
#include "tests/support/free_port.hpp"
#include "tests/unit/storage/helpers.hpp"
#include "tests/unit/actors/test_coordinator_system.hpp"

namespace sn::actors {
namespace {

/// Asks `target` for its status report and keeps it.
caf::behavior status_probe(caf::event_based_actor* self, sync_actor target, std::shared_ptr<std::optional<sync_report>> out) {
  self->request(target, caf::infinite, status_atom::value).then([=](sync_report& r) { *out = std::move(r); });
  return {};
}

/// Takes anything (stands in for the log writer: nothing reaches it here).
caf::behavior sink(caf::event_based_actor* self) {
  self->set_default_handler(caf::drop);
  return {[](int) {}};
}

struct received {
  std::mutex mu;
  std::vector<broker::inbound> frames;
};

/// A test coordinator's actor system and an event log in a temp dir.
struct sync_actor_test : ::testing::Test {
  storage::test::temp_dir dir;
  caf::actor_system_config cfg;
  caf::actor_system sys{test::testing_config(cfg)};
  caf::scheduler::test_coordinator& sched = test::coordinator_of(sys);
  std::unique_ptr<storage::event_log> log;

  void SetUp() override {
    auto opened = storage::event_log::open(storage::test::rw_options(dir.data()));
    ASSERT_TRUE(opened) << opened.error().to_string();
    log = std::move(*opened);
  }
};

TEST_F(sync_actor_test, a_gap_in_live_events_triggers_a_catch_up_request_to_the_sender) {

  // Two transports that name each other as configured peers (trusted).
  const std::string a = sn::test::free_node_address();
  const std::string b = sn::test::free_node_address();
  auto got = std::make_shared<received>();
  broker::transport_options tb;
  tb.bind = b;
  tb.identity = "B";
  tb.peers = {a};
  auto peer = broker::transport::start(tb, [got](broker::inbound&& in) {
    std::lock_guard lock(got->mu);
    got->frames.push_back(std::move(in));
  });
  ASSERT_TRUE(peer) << peer.error().to_string();
  broker::transport_options ta;
  ta.bind = a;
  ta.identity = "A";
  ta.peers = {b};
  auto node = broker::transport::start(ta, [](broker::inbound&&) {});
  ASSERT_TRUE(node) << node.error().to_string();

  node_metrics metrics;
  sync_actor_options so;
  auto sync = spawn_sync_actor(sys, *log, **node, caf::actor_cast<log_writer_actor>(sys.spawn(sink)), device_id{"A"},
                               so, metrics);
  // Sync requests B received so far (through the real sockets), decoded.
  auto requests = [&] {
    std::vector<sync::sync_request_body> out;
    std::lock_guard lock(got->mu);
    for (auto& f : got->frames) {
      if (f.type != static_cast<std::uint8_t>(sync::message_type::sync_request)) continue;
      if (auto r = sync::decode_sync_request(f.body)) out.push_back(*r);
    }
    return out;
  };
  auto await_requests = [&](std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (requests().size() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return requests().size() >= n;
  };

  // B becomes reachable: the actor starts a catch-up round with it; B answers
  // that it holds nothing, so the round ends and the actor is idle.
  caf::anon_send(sync, peer_liveness{b, "B", true});
  sched.run();
  ASSERT_TRUE(await_requests(1)) << "no first round with a reachable peer";
  caf::anon_send(sync, inbound_atom::value, b, static_cast<std::uint8_t>(sync::message_type::sync_reply),
                 sync::encode_sync_reply(requests()[0].request_id, {}, false, {}));
  sched.run();

  // Then B's seq 2 arrives live without its seq 1: a gap.
  storage::test::chain chain_b("B");
  chain_b.next();
  const event second = chain_b.next();
  std::string bytes;
  encode(second, bytes);
  caf::anon_send(sync, inbound_atom::value, b, static_cast<std::uint8_t>(sync::message_type::live_events),
                 sync::encode_live_events({bytes}, 0, 1));
  sched.run();
  ASSERT_TRUE(await_requests(2)) << "no sync_request reached the sender after a gap";
  const std::optional<sync::sync_request_body> request = requests()[1];
  ASSERT_TRUE(request) << "no sync_request reached the sender after a gap";
  EXPECT_EQ(request->versions.count("B") ? request->versions.at("B") : 0u, 0u)
      << "the request must ask B's events from seq 1";
  EXPECT_EQ(log->size(), 0u) << "an event beyond a gap was appended";
  auto status = std::make_shared<std::optional<sync_report>>();
  sys.spawn(status_probe, sync, status);
  sched.run();
  ASSERT_TRUE(status->has_value()) << "the sync actor did not answer status";
  EXPECT_EQ((*status)->status.counters.gap_requests, 1u) << "the request was not the gap's";
  EXPECT_EQ((*status)->status.ahead_events, 1u) << "the event beyond the gap is not held";
  caf::anon_send_exit(sync, caf::exit_reason::user_shutdown);
  sched.run();
}

// Proves: the keyring cache is stored as soon as the start-up scan of the log
// is done, not at the actor's first tick: a node stopped right after a long
// scan (here the exit is queued before the actor ever runs) does not scan the
// whole log again at its next start.
TEST_F(sync_actor_test, the_keyring_cache_is_stored_as_soon_as_the_start_up_scan_is_done) {
  store_created created;
  created.store_id = std::string(32, 'a');
  created.name = "shop";
  event genesis = make_event(device_id{"A"}, origin_seq{1}, hlc_timestamp::from_parts(1'700'000'000'000, 0),
                             term_id{1}, created);
  seal(genesis);
  ASSERT_TRUE(log->append({genesis}));
  storage::test::chain other("B");
  ASSERT_TRUE(log->append(other.take(50)));
  ASSERT_FALSE(log->get_meta("sync.keyring_cache"));

  broker::transport_options to;
  to.bind = sn::test::free_node_address();
  to.identity = "A";
  auto transport = broker::transport::start(to, [](broker::inbound&&) {});
  ASSERT_TRUE(transport) << transport.error().to_string();
  node_metrics metrics;
  sync_actor_options so;
  so.journal = log.get();
  auto sync = spawn_sync_actor(sys, *log, **transport, caf::actor_cast<log_writer_actor>(sys.spawn(sink)),
                               device_id{"A"}, so, metrics);
  caf::anon_send_exit(sync, caf::exit_reason::user_shutdown);
  sched.run();

  const auto stored = log->get_meta("sync.keyring_cache");
  ASSERT_TRUE(stored) << "the scan's result was not stored";
  sync::keyring_cache cache;
  ASSERT_TRUE(cache.decode(*stored));
  EXPECT_EQ(cache.covered(), log->last_position().value());
  ASSERT_EQ(cache.events().size(), 1u);
  std::string genesis_bytes;
  encode(genesis, genesis_bytes);
  EXPECT_EQ(cache.events()[0], genesis_bytes);
}

} // namespace
} // namespace sn::actors
