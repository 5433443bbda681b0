// The election actor's timer contract (actors/election_actor.*, issue 13 item
// 6), on CAF's test coordinator: every set_timer output replaces the previous
// timer by a new generation, and a tick of an older generation is ignored, so
// a superseded timer can never run the state machine early.
#include <gtest/gtest.h>

#include <optional>

#include <caf/all.hpp>
#include <thread>

#include "actors/election_actor.hpp"
#include "actors/metrics.hpp"
#include "broker/transport.hpp"
#include "storage/event_log.hpp"
#include "tests/support/free_port.hpp"
#include "tests/unit/storage/helpers.hpp"
#include "tests/unit/actors/test_coordinator_system.hpp"

namespace sn::actors {
namespace {

/// Takes anything (stands in for the command and sync actors).
caf::behavior sink(caf::event_based_actor* self) {
  self->set_default_handler(caf::drop);
  return {[](int) {}};
}

/// Asks `target` for its status report and keeps it.
caf::behavior status_probe(caf::event_based_actor* self, election_actor target,
                           std::shared_ptr<std::optional<election_report>> out) {
  self->request(target, caf::infinite, status_atom::value).then([=](election_report& r) { *out = std::move(r); });
  return {};
}

struct election_actor_test : ::testing::Test {
  storage::test::temp_dir dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::unique_ptr<storage::event_log> log;
  std::unique_ptr<broker::transport> transport;
  std::atomic<std::uint64_t> term{0};
  election_actor election;

  void SetUp() override {
    sys = std::make_unique<caf::actor_system>(test::testing_config(cfg));
    sched = &test::coordinator_of(*sys);
    auto opened = storage::event_log::open(storage::test::rw_options(dir.data()));
    ASSERT_TRUE(opened) << opened.error().to_string();
    log = std::move(*opened);
    broker::transport_options to;
    to.bind = sn::test::free_node_address();
    to.identity = "A";
    auto t = broker::transport::start(to, [](broker::inbound&&) {});
    ASSERT_TRUE(t) << t.error().to_string();
    transport = std::move(*t);
    auto dummy = sys->spawn(sink);
    election_actor_options eo;
    eo.address = transport->address();
    eo.discovery_ms = 300;
    election = spawn_election_actor(*sys, *log, *transport, caf::actor_cast<command_actor>(dummy),
                                    caf::actor_cast<sync_actor>(dummy), device_id{"A"}, eo, term);
    sched->run();  // first on_tick: discovery, a timer of generation 1
  }

  void TearDown() override {
    caf::anon_send_exit(election, caf::exit_reason::user_shutdown);
    sched->run();
  }

  std::string role() {
    auto out = std::make_shared<std::optional<election_report>>();
    sys->spawn(status_probe, election, out);
    sched->run();
    return out->has_value() ? election::to_string((*out)->view.current_role) : "no answer";
  }
};

// Proves: past discovery_ms, a tick of a stale generation leaves the node in
// discovery; the timer's own (current) tick moves it on.
TEST_F(election_actor_test, a_stale_timer_generation_is_ignored) {
  ASSERT_EQ(role(), "discovery");
  // The fsm reads the monotonic clock: let discovery_ms pass for real.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  caf::anon_send(election, tick_atom::value, std::uint64_t{0});  // superseded generation
  sched->run();
  EXPECT_EQ(role(), "discovery") << "a stale tick ran the state machine";
  ASSERT_GE(sched->trigger_timeouts(), 1u);  // the pending timer, current generation
  sched->run();
  EXPECT_NE(role(), "discovery");
}

} // namespace
} // namespace sn::actors
