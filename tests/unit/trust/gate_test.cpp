// trust/gate: decide_run appends another origin's run only up to a seq
// covered by a valid signature of its enrolled, unrevoked key; refuses
// unknown, revoked, badly signed, unsigned and own-origin events; bootstraps
// from a self-signed genesis; verifies one signature per run when honest.
#include <gtest/gtest.h>

#include "tests/unit/trust/chain.hpp"
#include "trust/gate.hpp"

namespace {

using namespace sn::trust;
using namespace sn::trust::testing;

struct store_fixture {
  device bo{"BO"}, pos{"POS1"};
  keyring k;
  store_fixture() {
    bo.found();
    bo.enroll(pos);
    for (const auto& e : bo.chain) k.observe(e);
    for (int i = 0; i < 10; ++i) pos.product("SKU-" + std::to_string(i));
  }
};

const gate_policy strict{false};

TEST(gate, a_signature_covers_every_event_up_to_it_with_one_verification) {
  store_fixture f;
  auto d = decide_run(f.k, "POS2", f.pos.run(1, 10), {f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(d.accept_to, 10u);
  EXPECT_EQ(d.reason, verdict::accepted);
  EXPECT_EQ(d.verifications, 1u);
  ASSERT_TRUE(d.covering);
  EXPECT_EQ(d.covering->seq, 10u);
}

TEST(gate, the_tail_above_the_highest_signature_waits) {
  store_fixture f;
  auto d = decide_run(f.k, "POS2", f.pos.run(1, 10), {f.pos.sign_seq(4), f.pos.sign_seq(7)}, strict);
  EXPECT_EQ(d.accept_to, 7u);
  EXPECT_EQ(d.waiting, 3u);
  EXPECT_EQ(d.refused, 0u);
  EXPECT_EQ(d.verifications, 1u);  // the highest was valid: the lower one was never checked
}

TEST(gate, a_run_below_a_signature_offered_for_a_later_seq_waits) {
  store_fixture f;
  auto d = decide_run(f.k, "POS2", f.pos.run(1, 6), {f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(d.accept_to, 0u);
  EXPECT_EQ(d.refused, 0u);
  EXPECT_EQ(d.waiting, 6u);
  EXPECT_EQ(d.verifications, 0u);
}

TEST(gate, unsigned_and_badly_signed_runs_are_refused) {
  store_fixture f;
  auto none = decide_run(f.k, "POS2", f.pos.run(1, 10), {}, strict);
  EXPECT_EQ(none.accept_to, 0u);
  EXPECT_EQ(none.reason, verdict::unsigned_events);
  EXPECT_EQ(none.refused, 10u);

  auto forged = f.pos.sign_seq(10);
  forged.sig[0] ^= 0x40;
  auto bad = decide_run(f.k, "POS2", f.pos.run(1, 10), {forged}, strict);
  EXPECT_EQ(bad.accept_to, 0u);
  EXPECT_EQ(bad.reason, verdict::bad_signature);
  EXPECT_EQ(bad.refused, 10u);

  // A signature replayed from another seq does not verify at this one.
  auto replayed = f.pos.sign_seq(3);
  replayed.seq = 10;
  auto r = decide_run(f.k, "POS2", f.pos.run(1, 10), {replayed}, strict);
  EXPECT_EQ(r.reason, verdict::bad_signature);
  EXPECT_EQ(r.accept_to, 0u);

  // A bad signature above a good one: the good one still covers its part.
  auto mixed = decide_run(f.k, "POS2", f.pos.run(1, 10), {f.pos.sign_seq(5), forged}, strict);
  EXPECT_EQ(mixed.accept_to, 5u);
  EXPECT_EQ(mixed.verifications, 2u);
}

TEST(gate, a_forged_event_inside_a_signed_run_breaks_the_chain_and_is_refused) {
  store_fixture f;
  // A peer swaps event 5 for its own (correctly hashed, chained onto 4) and
  // forwards the real signature of 10: 6 no longer links to 5.
  device forged("POS1");
  forged.chain.assign(f.pos.chain.begin(), f.pos.chain.begin() + 4);
  forged.product("EVIL");
  std::vector<const sn::event*> run = f.pos.run(1, 10);
  run[4] = &forged.chain[4];
  auto d = decide_run(f.k, "POS2", run, {f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(d.accept_to, 0u);
  EXPECT_EQ(d.reason, verdict::broken_chain);
  EXPECT_EQ(d.refused, 10u);
}

TEST(gate, an_enrolled_device_forging_another_origin_is_refused) {
  store_fixture f;
  device forger("POS2");
  // POS2 is enrolled too; it writes events under BO's origin and signs them with its own key.
  f.bo.enroll(forger);
  for (const auto& e : f.bo.chain) f.k.observe(e);
  device fake_bo("BO");
  fake_bo.secret = forger.secret;
  fake_bo.pub = forger.pub;
  for (int i = 0; i < 3; ++i) fake_bo.product("EVIL");
  auto d = decide_run(f.k, "POS1", fake_bo.run(1, 3), {fake_bo.sign_seq(3)}, strict);
  EXPECT_EQ(d.accept_to, 0u);
  EXPECT_EQ(d.reason, verdict::bad_signature);
}

TEST(gate, unknown_origins_are_refused_unless_the_policy_admits_them) {
  store_fixture f;
  device stranger("EVIL");
  stranger.product("COFFEE");
  auto d = decide_run(f.k, "POS1", stranger.run(1, 1), {stranger.sign_seq(1)}, strict);
  EXPECT_EQ(d.reason, verdict::unknown_origin);
  EXPECT_EQ(d.refused, 1u);
  auto admitted = decide_run(f.k, "POS1", stranger.run(1, 1), {}, gate_policy{true});
  EXPECT_EQ(admitted.accept_to, 1u);
  EXPECT_EQ(admitted.reason, verdict::accepted);
  // An enrolled origin is checked whatever the policy.
  auto enrolled = decide_run(f.k, "POS2", f.pos.run(1, 10), {}, gate_policy{true});
  EXPECT_EQ(enrolled.reason, verdict::unsigned_events);
  EXPECT_EQ(enrolled.accept_to, 0u);
}

TEST(gate, events_under_the_receivers_own_origin_are_refused) {
  store_fixture f;
  auto d = decide_run(f.k, "POS1", f.pos.run(1, 10), {f.pos.sign_seq(10)}, gate_policy{true});
  EXPECT_EQ(d.reason, verdict::own_origin);
  EXPECT_EQ(d.refused, 10u);
  EXPECT_EQ(d.accept_to, 0u);
}

TEST(gate, a_revoked_origin_is_accepted_up_to_its_point_only) {
  store_fixture f;
  f.bo.revoke(f.pos, 6);
  for (const auto& e : f.bo.chain) f.k.observe(e);
  auto d = decide_run(f.k, "BO", f.pos.run(1, 10), {f.pos.sign_seq(6), f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(d.accept_to, 6u);
  EXPECT_EQ(d.reason, verdict::revoked);
  EXPECT_EQ(d.refused, 4u);
  auto after = decide_run(f.k, "BO", f.pos.run(7, 10), {f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(after.accept_to, 6u);
  EXPECT_EQ(after.reason, verdict::revoked);
  EXPECT_EQ(after.refused, 4u);
}

TEST(gate, a_self_signed_genesis_bootstraps_an_empty_keyring) {
  device bo("BO");
  bo.found();
  bo.product("MILK");
  keyring empty;
  auto d = decide_run(empty, "POS1", bo.run(1, 3), {bo.sign_seq(3)}, strict);
  EXPECT_EQ(d.accept_to, 3u);
  EXPECT_EQ(d.reason, verdict::accepted);

  // Not for another store than the one pinned.
  keyring pinned;
  pinned.pin_store("ffffffffffffffffffffffffffffffff");
  auto other = decide_run(pinned, "POS1", bo.run(1, 3), {bo.sign_seq(3)}, strict);
  EXPECT_EQ(other.reason, verdict::unknown_origin);

  // A self-enrollment that is no genesis (no store.created first) enrolls nothing.
  device evil("EVIL");
  evil.write(sn::device_enrolled{"EVIL", hex(evil.pub), hex(evil.pub), 1, ""});
  keyring founded;
  for (const auto& e : bo.chain) founded.observe(e);
  auto forged = decide_run(founded, "POS1", evil.run(1, 1), {evil.sign_seq(1)}, strict);
  EXPECT_EQ(forged.reason, verdict::unknown_origin);
}

}  // namespace
