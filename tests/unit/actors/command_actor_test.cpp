// The command actor's contract (actors/command_actor.hpp, issue 13 item 6), on
// CAF's test coordinator with a scripted log writer in place of the real one:
// - a command is answered only once its events are durable;
// - a failed durable append answers the error command_errc::storage_failed
//   (category atom("command")) and refuses every later command without
//   deciding it (the handler's state ran ahead of the log);
// - a refused own event (writer_errc::own_event_refused) is never accepted;
// - no JSON crosses: the request is a typed command, the answer a typed result;
// - an event the log committed before the writer's report reached the actor
//   does not make a command refused (committed_log), and its report does not
//   apply it again.
#include <chrono>

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include "actors/command_actor.hpp"
#include "actors/metrics.hpp"
#include "actors/retail/command_handler.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "tests/support/memory_decision.hpp"
#include "tests/unit/actors/test_coordinator_system.hpp"

namespace sn::actors {
namespace {

/// What the scripted writer received, for the test to answer when it wants.
struct writer_script {
  std::vector<append_local_request> requests;
  std::vector<caf::typed_response_promise<append_local_reply>> promises;
};

using release_atom = caf::atom_constant<caf::atom("release")>;

/// The writer's interface plus (release_atom, index, error): answers request
/// `index` from inside the actor (a promise is delivered by its owner only),
/// durable when the error is empty. Untyped so that it can take the extra
/// message; the command actor gets it as a log_writer_actor handle.
caf::behavior scripted_writer(caf::event_based_actor* self, std::shared_ptr<writer_script> s) {
  return {
    [=](append_local_atom, append_local_request& req) {
      auto rp = self->make_response_promise<append_local_reply>();
      s->requests.push_back(std::move(req));
      s->promises.push_back(rp);
      return rp;
    },
    [=](release_atom, std::size_t i, const caf::error& err) {
      if (err) {
        s->promises.at(i).deliver(err);
        return;
      }
      append_local_reply r;
      for (auto& d : s->requests.at(i).drafts) {
        r.sealed.push_back(d);
        r.positions.push_back(log_position{r.positions.size() + 1});
      }
      s->promises.at(i).deliver(std::move(r));
    },
    [=](subscribe_atom, caf::actor&) {},
  };
}

/// What a client got: the response, or the error's category and code.
struct answer {
  std::optional<command_response> response;
  caf::atom_value category = caf::atom("");
  std::uint8_t code = 0;
  bool is_error() const { return !response; }
};

/// Answers a client would get (nullopt until the command actor answers).
struct answers {
  std::vector<std::optional<answer>> got;
};

/// An event-based client: sends one command and records the answer.
caf::behavior client(caf::event_based_actor* self, command_actor target, command_request req,
                     std::shared_ptr<answers> out, std::size_t slot) {
  self->request(target, caf::infinite, command_atom::value, std::move(req))
    .then([=](command_response& r) { out->got[slot] = answer{std::move(r)}; },
          [=](caf::error& err) { out->got[slot] = answer{std::nullopt, err.category(), err.code()}; });
  return {};
}

struct command_actor_test : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  node_metrics metrics;
  std::shared_ptr<writer_script> script = std::make_shared<writer_script>();
  std::shared_ptr<answers> out = std::make_shared<answers>();
  sn::test::memory_node node{device_id{"POS1"}};  ///< the handler's rows (empty: a new store)
  command_actor commands;
  caf::actor writer;

  void SetUp() override {
    sys = std::make_unique<caf::actor_system>(test::testing_config(cfg));
    sched = &test::coordinator_of(*sys);
    writer = sys->spawn(scripted_writer, script);
    commands = spawn_commands();
  }

  /// A command actor of POS1 over the scripted writer and the rows of
  /// `node`, reading `log` when it refuses a command (empty: no log).
  command_actor spawn_commands(committed_log log = {}) {
    auto a = spawn_command_actor(*sys, std::make_unique<retail::command_handler>(retail::store_settings{}, device_id{"POS1"}, node.source()),
                                 caf::actor_cast<log_writer_actor>(writer), device_id{"POS1"},
                                 [] { return std::uint64_t{1}; }, metrics, std::move(log));
    sched->run();
    return a;
  }

  /// A client sends `cmd` to `target`; returns the slot of its answer.
  std::size_t send(const command_actor& target, retail::command cmd) {
    out->got.emplace_back();
    sys->spawn(client, target, command_request{std::move(cmd), ""}, out, out->got.size() - 1);
    sched->run();
    return out->got.size() - 1;
  }

  /// Sends a product upsert; returns the slot of its answer.
  std::size_t send_upsert(const std::string& sku) {
    retail::upsert_product cmd;
    cmd.sku = sku;
    cmd.name = "Milk";
    cmd.price_cents = 129;
    return send(commands, cmd);
  }

  /// The writer answers request `i`: durable (sealed events at positions 1, 2, ...) or `err`.
  void release(std::size_t i, caf::error err = caf::error{}) {
    caf::anon_send(writer, release_atom::value, i, std::move(err));
    sched->run();
  }
  void make_durable(std::size_t i) { release(i); }

  static bool storage_failed(const answer& a) {
    return a.is_error() && a.category == caf::atom("command") &&
           a.code == static_cast<std::uint8_t>(command_errc::storage_failed);
  }
};

// Proves: the command reaches the writer, and its answer waits for durability.
TEST_F(command_actor_test, a_command_is_answered_only_once_durable) {
  const auto slot = send_upsert("MILK");
  ASSERT_EQ(script->requests.size(), 1u);
  EXPECT_EQ(script->requests[0].drafts.size(), 1u);
  EXPECT_FALSE(out->got[slot].has_value()) << "answered before the writer made it durable";
  make_durable(0);
  ASSERT_TRUE(out->got[slot].has_value());
  ASSERT_TRUE(out->got[slot]->response && out->got[slot]->response->is_accepted());
  const auto& result = std::get<retail::upsert_product_result>(std::get<retail::command_result>(out->got[slot]->response->outcome));
  EXPECT_TRUE(result.created);
  EXPECT_EQ(result.product.sku, "MILK");
  EXPECT_EQ(metrics.commands_accepted.load(), 1u);
}

// Proves: a failed durable write answers 503 storage_failed, and every later
// command is refused without reaching the writer.
TEST_F(command_actor_test, a_failed_append_marks_storage_failed_and_refuses_writes) {
  const auto first = send_upsert("MILK");
  ASSERT_EQ(script->requests.size(), 1u);
  release(0, make_error(writer_errc::write_failed));
  ASSERT_TRUE(out->got[first].has_value());
  EXPECT_TRUE(storage_failed(*out->got[first]));
  const auto second = send_upsert("BREAD");
  ASSERT_TRUE(out->got[second].has_value());
  EXPECT_TRUE(storage_failed(*out->got[second]));
  EXPECT_EQ(script->requests.size(), 1u) << "a command reached the writer after a failed append";
}

// Proves (issue 16): an own event the log refused is never acknowledged.
TEST_F(command_actor_test, a_refused_own_event_is_never_acknowledged) {
  const auto slot = send_upsert("MILK");
  ASSERT_EQ(script->requests.size(), 1u);
  release(0, make_error(writer_errc::own_event_refused));
  ASSERT_TRUE(out->got[slot].has_value());
  EXPECT_TRUE(storage_failed(*out->got[slot]));
  EXPECT_EQ(metrics.commands_accepted.load(), 0u);
}

// Proves: commands are answered in the order the writer makes them durable,
// and a later command waits while an earlier one is still in flight.
TEST_F(command_actor_test, two_commands_each_wait_for_their_own_durability) {
  const auto a = send_upsert("MILK");
  const auto b = send_upsert("BREAD");
  ASSERT_EQ(script->requests.size(), 2u);
  make_durable(1);
  EXPECT_FALSE(out->got[a].has_value());
  ASSERT_TRUE(out->got[b].has_value());
  EXPECT_TRUE(out->got[b]->response && out->got[b]->response->is_accepted());
  make_durable(0);
  ASSERT_TRUE(out->got[a].has_value());
  EXPECT_TRUE(out->got[a]->response && out->got[a]->response->is_accepted());
}

// Proves: a domain refusal crosses as the typed errc (no JSON, no HTTP
// status), reaches no writer and counts as rejected.
TEST_F(command_actor_test, a_rejected_command_answers_its_errc_and_appends_nothing) {
  ASSERT_EQ(send(commands, retail::change_price{"NOPE", 5}), 0u);
  ASSERT_TRUE(out->got[0].has_value());
  ASSERT_TRUE(out->got[0]->response.has_value());
  ASSERT_FALSE(out->got[0]->response->is_accepted());
  EXPECT_EQ(std::get<retail::rejected>(out->got[0]->response->outcome).errc, retail::command_errc::unknown_sku);
  EXPECT_TRUE(script->requests.empty());
  EXPECT_EQ(metrics.commands_rejected.load(), 1u);
}

// A log the test appends to without telling the actor (what the projection
// actor's catch-up can read before the writer's report is processed).
struct scripted_log {
  std::vector<storage::stored_event> events;
  std::size_t reads = 0;
  std::size_t events_read = 0;
  committed_log view() {
    committed_log l;
    l.last_position = [this] { return static_cast<std::uint64_t>(events.size()); };
    l.read_from = [this](std::uint64_t from, std::size_t limit) {
      ++reads;
      std::vector<storage::stored_event> out;
      for (std::uint64_t p = from; p <= events.size() && out.size() < limit; ++p) out.push_back(events[p - 1]);
      events_read += out.size();
      return out;
    };
    return l;
  }
  const storage::stored_event& append(event e) {
    events.push_back({log_position{events.size() + 1}, std::move(e)});
    return events.back();
  }
};

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// Proves: a product the back office synced is known to a command sent after
// the log holds it, before the writer's report reaches the command actor
// (the 404 unknown_sku race of peer_links_test under load: refused, the log
// read, decided again); the report that follows is not applied a second
// time, and a later command reads no log.
TEST_F(command_actor_test, an_event_the_log_holds_before_its_report_is_decided_with) {
  scripted_log log;
  const auto commands_with_log = spawn_commands(log.view());
  product_upserted p;
  p.sku = "MILK";
  p.name = "Milk";
  p.price_cents = 129;
  const auto& milk = log.append(make_event(device_id{"BACKOFFICE"}, origin_seq{1}, hlc_timestamp::from_parts(now_ms(), 0), term_id{1}, p));

  const auto ask_price = [&](std::int64_t cents) { return send(commands_with_log, retail::change_price{"MILK", cents}); };
  const auto first = ask_price(150);
  ASSERT_EQ(script->requests.size(), 1u) << "a product the log holds was refused (nothing reached the writer)";
  make_durable(0);
  ASSERT_TRUE(out->got[first].has_value());
  ASSERT_TRUE(out->got[first]->response.has_value());
  ASSERT_TRUE(out->got[first]->response->is_accepted());
  const auto& changed = std::get<retail::change_price_result>(std::get<retail::command_result>(out->got[first]->response->outcome));
  EXPECT_EQ(changed.previous_price_cents, 129) << "decided from the product the log holds";

  // The writer's report of the same event arrives now: skipped (applying it
  // again would be harmless for LWW registers, but it must read no log).
  const auto reads_before = log.reads;
  committed_batch report;
  report.events = std::make_shared<const std::vector<storage::stored_event>>(std::vector<storage::stored_event>{milk});
  caf::anon_send(commands_with_log, committed_atom::value, std::move(report));
  sched->run();
  const auto second = ask_price(175);
  ASSERT_EQ(script->requests.size(), 2u);
  make_durable(1);
  ASSERT_TRUE(out->got[second].has_value());
  ASSERT_TRUE(out->got[second]->response && out->got[second]->response->is_accepted());
  EXPECT_EQ(log.reads, reads_before) << "the log was read although the actor had applied all of it";
}

// Proves: a refusal on a node far behind its log (catching a long history
// up) reads a bounded part of the gap, not all of it, so other commands do
// not wait behind it; later refusals read on, and the command is accepted
// once the event is read.
TEST_F(command_actor_test, a_refusal_reads_a_bounded_part_of_a_long_gap) {
  scripted_log log;
  const auto commands_with_log = spawn_commands(log.view());
  const std::uint64_t t = now_ms();
  product_upserted other;
  other.name = "Other";
  other.price_cents = 1;
  constexpr std::uint64_t before_milk = 40'000;
  for (std::uint64_t i = 1; i <= before_milk; ++i) {
    other.sku = "SKU" + std::to_string(i % 100);
    log.append(make_event(device_id{"BACKOFFICE"}, origin_seq{i}, hlc_timestamp::from_parts(t, i), term_id{1}, other));
  }
  product_upserted milk;
  milk.sku = "MILK";
  milk.name = "Milk";
  milk.price_cents = 129;
  log.append(make_event(device_id{"BACKOFFICE"}, origin_seq{before_milk + 1}, hlc_timestamp::from_parts(t, before_milk + 1),
                        term_id{1}, milk));
  const auto ask = [&] { return send(commands_with_log, retail::change_price{"MILK", 150}); };
  const auto first = ask();
  ASSERT_TRUE(out->got[first].has_value());
  ASSERT_TRUE(out->got[first]->response.has_value());
  ASSERT_FALSE(out->got[first]->response->is_accepted()) << "the event lies beyond the bound";
  EXPECT_LE(log.events_read, 17'000u) << "one refusal read most of a long gap";
  EXPECT_GE(log.events_read, 16'000u) << "one refusal read less than its bound";
  const auto second = ask();  // reads on, still short of MILK
  ASSERT_TRUE(out->got[second].has_value() && out->got[second]->response.has_value());
  EXPECT_FALSE(out->got[second]->response->is_accepted());
  const auto third = ask();  // reaches MILK
  EXPECT_EQ(script->requests.size(), 1u) << "the command was not decided once the log's event was read";
  make_durable(0);
  ASSERT_TRUE(out->got[third].has_value() && out->got[third]->response.has_value());
  EXPECT_TRUE(out->got[third]->response->is_accepted());
}

} // namespace
} // namespace sn::actors
