// What it proves: sync_fsm puts every batch bound for the log through the
// origin gate (docs/protocol.md 3.3): another origin's events are appended
// only up to a seq its enrolled key signed, with that signature stored; an
// enrolled device forging another origin, a revoked device past its point,
// unsigned and unknown origins are refused, counted and noticed once per
// (peer, reason); enrollments in a batch admit later events of that batch;
// responders cut runs at signatures and send them; a live batch split in
// pieces is covered by the signatures its pieces carry.
#include <gtest/gtest.h>

#include <variant>

#include "actors/sync/sync_fsm.hpp"
#include "events/codec.hpp"
#include "tests/sim/support/memory_log.hpp"
#include "tests/unit/trust/chain.hpp"

namespace {

using namespace sn::sync;
using sn::sim::memory_log;
using sn::trust::testing::device;

constexpr auto live = static_cast<std::uint8_t>(message_type::live_events);
constexpr auto request = static_cast<std::uint8_t>(message_type::sync_request);
constexpr auto reply = static_cast<std::uint8_t>(message_type::sync_reply);
constexpr std::uint64_t kWall = 1700000000000;

sync_config strict() {
  sync_config c;
  c.admit_unenrolled = false;
  return c;
}

std::vector<std::string> bytes_of(const device& d, std::uint64_t from, std::uint64_t to) {
  std::vector<std::string> out;
  for (std::uint64_t s = from; s <= to; ++s) out.push_back(sn::encode(d.chain.at(s - 1)));
  return out;
}

struct node {
  explicit node(std::string id, sync_config c = strict()) : log(id), fsm(id, c, log) {}
  std::vector<output> run(std::vector<output> outs, std::uint64_t now = 0) {
    std::vector<output> rest;
    for (std::size_t i = 0; i < outs.size(); ++i) {
      if (auto* a = std::get_if<append_events>(&outs[i])) {
        auto more = fsm.on_appended(log.append(a->events, a->signatures), now);
        outs.insert(outs.end(), more.begin(), more.end());
      } else {
        rest.push_back(outs[i]);
      }
    }
    return rest;
  }
  std::uint64_t head(const std::string& origin) const {
    auto v = log.versions();
    auto it = v.find(origin);
    return it == v.end() ? 0 : it->second;
  }
  void live_from(const std::string& peer, const std::vector<std::string>& events, const signature_list& sigs) {
    run(fsm.on_message(peer, live, encode_live_events(events, 0, events.size(), sigs), 0, kWall));
  }
  memory_log log;
  sync_fsm fsm;
};

/// A store: BO created it and enrolled POS1 and POS2; every device's node knows it.
struct store {
  device bo{"BO"}, pos1{"POS1"}, pos2{"POS2"};
  store() {
    bo.found();
    bo.enroll(pos1);
    bo.enroll(pos2);
  }
  /// A receiver that already holds BO's membership events (and their signature).
  void seed(node& n) {
    n.live_from("BO", bytes_of(bo, 1, bo.chain.size()), {bo.sign_seq(bo.chain.size())});
    ASSERT_EQ(n.head("BO"), bo.chain.size());
  }
};

TEST(origin_gate, a_signed_genesis_and_enrollments_are_appended_with_their_signature) {
  store s;
  node r("POS9");
  s.seed(r);
  EXPECT_EQ(r.fsm.keyring().store_id(), sn::trust::testing::test_store);
  ASSERT_NE(r.fsm.keyring().find("POS1"), nullptr);
  auto stored = r.log.signatures("BO", 1, 100);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0], s.bo.sign_seq(s.bo.chain.size()));
  EXPECT_EQ(r.fsm.counters().signatures_verified, 1u);
}

TEST(origin_gate, an_enrolled_device_forging_another_origin_is_refused_and_noticed_once) {
  store s;
  node r("POS9");
  s.seed(r);
  // POS2 (enrolled) writes the next events of BO's chain and signs them with its own key.
  device fake("BO");
  fake.chain = s.bo.chain;
  fake.secret = s.pos2.secret;
  fake.product("COFFEE");
  fake.product("COFFEE");
  const std::uint64_t before = r.head("BO");
  r.live_from("POS2", bytes_of(fake, before + 1, before + 2), {fake.sign_seq(before + 2)});
  r.live_from("POS2", bytes_of(fake, before + 1, before + 2), {fake.sign_seq(before + 2)});
  EXPECT_EQ(r.head("BO"), before);
  EXPECT_EQ(r.fsm.counters().refused_bad_signature, 4u);
  auto notices = r.fsm.take_refusal_notices();
  ASSERT_EQ(notices.size(), 1u);  // once per (peer, reason)
  EXPECT_EQ(notices[0].peer, "POS2");
  EXPECT_EQ(notices[0].origin, "BO");
  EXPECT_EQ(notices[0].reason, "bad_signature");
  EXPECT_EQ(notices[0].seq, before + 1);
}

TEST(origin_gate, unsigned_and_unknown_origins_are_refused_in_a_strict_store) {
  store s;
  node r("POS9");
  s.seed(r);
  for (int i = 0; i < 3; ++i) s.pos1.product("MILK");
  r.live_from("POS1", bytes_of(s.pos1, 1, 3), {});
  EXPECT_EQ(r.head("POS1"), 0u);
  EXPECT_EQ(r.fsm.counters().refused_unsigned, 3u);

  device evil("EVIL");
  evil.product("COFFEE");
  r.live_from("EVIL", bytes_of(evil, 1, 1), {evil.sign_seq(1)});
  EXPECT_EQ(r.head("EVIL"), 0u);
  EXPECT_EQ(r.fsm.counters().refused_unknown_origin, 1u);

  // The same stranger is admitted (unsigned) when the store admits unenrolled origins.
  sync_config open = strict();
  open.admit_unenrolled = true;
  node o("POS8", open);
  s.seed(o);
  o.live_from("EVIL", bytes_of(evil, 1, 1), {});
  EXPECT_EQ(o.head("EVIL"), 1u);
  o.live_from("POS1", bytes_of(s.pos1, 1, 3), {});
  EXPECT_EQ(o.head("POS1"), 0u) << "an enrolled origin is checked whatever the policy";
}

TEST(origin_gate, a_revoked_device_is_accepted_up_to_its_point_only) {
  store s;
  for (int i = 0; i < 5; ++i) s.pos1.product("MILK");
  s.bo.revoke(s.pos1, 2);
  node r("POS9");
  s.seed(r);
  r.live_from("POS1", bytes_of(s.pos1, 1, 5), {s.pos1.sign_seq(2), s.pos1.sign_seq(5)});
  EXPECT_EQ(r.head("POS1"), 2u);
  EXPECT_EQ(r.fsm.counters().refused_revoked, 3u);
}

TEST(origin_gate, an_enrollment_admits_later_events_of_the_same_batch) {
  store s;
  device pos3("POS3");
  s.bo.enroll(pos3);
  pos3.product("TEA");
  pos3.product("TEA");
  node r("POS9");
  // One sync reply: POS3's events first, BO's enrollment of POS3 after them.
  std::vector<std::string> events = bytes_of(pos3, 1, 2);
  for (auto& b : bytes_of(s.bo, 1, s.bo.chain.size())) events.push_back(std::move(b));
  r.fsm.peer_seen("BO", 0);
  auto req = r.fsm.on_tick(0, kWall);
  ASSERT_FALSE(req.empty());
  auto body = decode_sync_request(std::get<send_message>(req[0]).body);
  ASSERT_TRUE(body);
  r.run(r.fsm.on_message("BO", reply,
                         encode_sync_reply(body->request_id, {{"BO", s.bo.chain.size()}, {"POS3", 2}}, false, events,
                                           {pos3.sign_seq(2), s.bo.sign_seq(s.bo.chain.size())}),
                         0, kWall));
  EXPECT_EQ(r.head("BO"), s.bo.chain.size());
  EXPECT_EQ(r.head("POS3"), 2u);
}

TEST(origin_gate, a_responder_cuts_runs_at_signatures_and_sends_them) {
  store s;
  for (int i = 0; i < 10; ++i) s.pos1.product("MILK");
  node relay("POS9");
  s.seed(relay);
  relay.live_from("POS1", bytes_of(s.pos1, 1, 4), {s.pos1.sign_seq(4)});
  relay.live_from("POS1", bytes_of(s.pos1, 5, 10), {s.pos1.sign_seq(10)});
  ASSERT_EQ(relay.head("POS1"), 10u);
  // A requester with nothing of POS1 asks for at most 6 events: it gets 1..4 and the signature at 4.
  sync_request_body q;
  q.request_id = 7;
  q.versions = {{"BO", s.bo.chain.size()}};
  q.count_max = 6;
  q.bytes_max = 1 << 20;
  auto outs = relay.fsm.on_message("POS2", request, encode_sync_request(q), 0, kWall);
  const send_message* rep = nullptr;
  for (const auto& o : outs) {
    if (auto* m = std::get_if<send_message>(&o); m && m->type == message_type::sync_reply) rep = m;
  }
  ASSERT_NE(rep, nullptr);
  auto body = decode_sync_reply(rep->body);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->events.size(), 4u);
  ASSERT_EQ(body->signatures.size(), 1u);
  EXPECT_EQ(body->signatures[0], s.pos1.sign_seq(4));
  EXPECT_TRUE(body->more);
  // With a budget below the first signature, the first run stretches to it.
  q.count_max = 2;
  outs = relay.fsm.on_message("POS2", request, encode_sync_request(q), 0, kWall);
  for (const auto& o : outs) {
    if (auto* m = std::get_if<send_message>(&o); m && m->type == message_type::sync_reply) rep = m;
  }
  body = decode_sync_reply(rep->body);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->events.size(), 4u);
  ASSERT_EQ(body->signatures.size(), 1u);
  EXPECT_EQ(body->signatures[0].seq, 4u);
}

TEST(origin_gate, a_live_batch_split_in_pieces_is_covered_by_the_signatures_they_carry) {
  store s;
  for (int i = 0; i < 10; ++i) s.pos1.product("MILK");
  node r("POS9");
  s.seed(r);
  const signature_list sigs{s.pos1.sign_seq(10)};
  // Piece one: 1..6 (no signature inside it); it waits, nothing refused.
  r.live_from("POS1", bytes_of(s.pos1, 1, 6), sigs);
  EXPECT_EQ(r.head("POS1"), 0u);
  EXPECT_EQ(r.fsm.counters().refused_unsigned, 0u);
  EXPECT_GT(r.fsm.counters().awaiting_signature, 0u);
  // Piece two: 7..10 and the same signatures: all ten are covered.
  r.live_from("POS1", bytes_of(s.pos1, 7, 10), sigs);
  EXPECT_EQ(r.head("POS1"), 10u);
}

}  // namespace

// A device joining a store with history knows no member yet: a reply full of
// an origin that sorts before the creator (whose log enrolls it) is refused.
// The requester leaves that origin out of its next requests until its keyring
// changes, so the creator's events come, then the origin's: it catches up
// instead of being sent the same refused batch forever.
TEST(origin_gate, a_joiner_skips_unknown_origins_until_their_enrollment_arrives) {
  device zed("ZED"), aa("AA");
  zed.found();
  zed.enroll(aa);
  for (int i = 0; i < 40; ++i) aa.product("MILK");
  sync_config c = strict();
  c.batch_events_max = 10;
  node holder("HUB", c);
  holder.live_from("ZED", bytes_of(zed, 1, zed.chain.size()), {zed.sign_seq(zed.chain.size())});
  for (std::uint64_t s = 1; s <= aa.chain.size(); s += 10) {
    holder.live_from("AA", bytes_of(aa, s, s + 9), {aa.sign_seq(s + 9)});
  }
  ASSERT_EQ(holder.head("AA"), aa.chain.size());
  node joiner("NEW", c);
  joiner.fsm.pin_store(sn::trust::testing::test_store);
  std::uint64_t now = 0;
  joiner.fsm.peer_seen("HUB", now);
  holder.fsm.peer_seen("NEW", now);
  for (int round = 0; round < 200 && (joiner.head("AA") < aa.chain.size() || joiner.head("ZED") < zed.chain.size());
       ++round) {
    now += 1000;
    joiner.fsm.peer_seen("HUB", now);
    holder.fsm.peer_seen("NEW", now);
    for (const auto& o : joiner.run(joiner.fsm.on_tick(now, kWall + now), now)) {
      const auto* m = std::get_if<send_message>(&o);
      if (m == nullptr || m->type != message_type::sync_request) continue;
      for (const auto& r : holder.fsm.on_message("NEW", request, m->body, now, kWall + now)) {
        const auto* rm = std::get_if<send_message>(&r);
        if (rm == nullptr || rm->type != message_type::sync_reply) continue;
        joiner.run(joiner.fsm.on_message("HUB", reply, rm->body, now, kWall + now), now);
      }
    }
  }
  EXPECT_EQ(joiner.head("ZED"), zed.chain.size());
  EXPECT_EQ(joiner.head("AA"), aa.chain.size());
  EXPECT_GT(joiner.fsm.counters().refused_unknown_origin, 0u);  // the first reply was AA's: refused
  EXPECT_LE(joiner.fsm.counters().refused_unknown_origin, 10u);  // once, not every round
}
