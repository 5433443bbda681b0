// trust across a key rotation (issue 9 "Key rotation", docs/protocol.md 1.7):
// the keyring keeps each device's key history; the gate checks a signature at
// seq s with the key valid at s, and lets a rotation through only when the old
// key signed the rotation event's own seq.
#include <gtest/gtest.h>

#include "tests/unit/trust/chain.hpp"
#include "trust/gate.hpp"

namespace {

using namespace sn::trust;
using namespace sn::trust::testing;

const gate_policy strict{false};

/// BO founds the store and enrolls POS1; POS1 writes 4 products, rotates at
/// seq 5, then writes 5 more (6..10). The keyring knows BO's chain only.
struct rotation_fixture {
  device bo{"BO"}, pos{"POS1"};
  keyring k;
  public_key enrolled{};
  rotation_fixture() {
    bo.found();
    bo.enroll(pos);
    for (const auto& e : bo.chain) k.observe(e);
    enrolled = pos.pub;
    for (int i = 0; i < 4; ++i) pos.product("SKU-" + std::to_string(i));
    pos.rotate();  // seq 5
    for (int i = 4; i < 9; ++i) pos.product("SKU-" + std::to_string(i));
  }
};

TEST(rotation, keyring_keeps_the_history_and_answers_the_key_valid_at_a_seq) {
  rotation_fixture f;
  for (const auto& e : f.pos.chain) f.k.observe(e);
  const member* m = f.k.find("POS1");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->keys.size(), 2u);
  EXPECT_EQ(*m->key_at(1), f.enrolled);
  EXPECT_EQ(*m->key_at(5), f.enrolled);  // the rotation event itself is the old key's
  EXPECT_EQ(*m->key_at(6), f.pos.pub);
  EXPECT_EQ(m->key, f.pos.pub);
  EXPECT_EQ(m->rotation_points(), std::vector<std::uint64_t>{5});
  // Observing it again changes nothing.
  EXPECT_FALSE(f.k.observe(f.pos.chain.at(4)));
  EXPECT_EQ(f.k.find("POS1")->keys.size(), 2u);
}

TEST(rotation, keyring_ignores_a_rotation_written_for_another_device_or_by_a_non_member) {
  rotation_fixture f;
  // BO writes a rotation naming POS1: only a device rotates its own keys.
  sn::device_keys_rotated r{"POS1", hex(f.bo.pub), hex(f.bo.pub), "admin"};
  f.bo.write(r);
  EXPECT_FALSE(f.k.observe(f.bo.chain.back()));
  // An origin that is not a member.
  device stranger("POS9");
  stranger.rotate();
  EXPECT_FALSE(f.k.observe(stranger.chain.back()));
  EXPECT_EQ(f.k.find("POS1")->keys.size(), 1u);
}

TEST(rotation, a_run_across_the_rotation_is_accepted_with_the_old_keys_signature_at_the_rotation) {
  rotation_fixture f;
  auto d = decide_run(f.k, "BO", f.pos.run(1, 10), {f.pos.sign_old(5), f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(d.accept_to, 10u);
  EXPECT_EQ(d.reason, verdict::accepted);
  ASSERT_TRUE(d.covering);
  EXPECT_EQ(d.covering->seq, 10u);
  ASSERT_EQ(d.proofs.size(), 1u);  // stored and relayed with the events
  EXPECT_EQ(d.proofs[0].seq, 5u);
  EXPECT_EQ(d.verifications, 2u);
}

TEST(rotation, after_the_rotation_is_folded_later_runs_need_the_new_key) {
  rotation_fixture f;
  for (std::size_t i = 0; i < 5; ++i) f.k.observe(f.pos.chain[i]);  // 1..5 appended
  auto good = decide_run(f.k, "BO", f.pos.run(6, 10), {f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(good.accept_to, 10u);
  // The old key signing a seq after the rotation point: refused.
  auto old_after = decide_run(f.k, "BO", f.pos.run(6, 10), {f.pos.sign_old(10)}, strict);
  EXPECT_EQ(old_after.accept_to, 5u);
  EXPECT_EQ(old_after.reason, verdict::bad_signature);
  EXPECT_EQ(old_after.refused, 5u);
}

TEST(rotation, the_new_key_signing_a_seq_before_the_rotation_point_is_refused) {
  rotation_fixture f;
  for (std::size_t i = 0; i < 5; ++i) f.k.observe(f.pos.chain[i]);
  // Seq 3 is before the rotation: only the enrolled key signs it.
  sn::trust::origin_signature early{"POS1", 3, sign(f.pos.secret, test_store, "POS1", 3, f.pos.chain[2].hash)};
  auto d = decide_run(f.k, "BO", f.pos.run(1, 4), {early}, strict);
  EXPECT_EQ(d.accept_to, 0u);
  EXPECT_EQ(d.reason, verdict::bad_signature);
  EXPECT_EQ(d.refused, 4u);
  // The rotation event signed by the new key (not the one it replaces): refused.
  rotation_fixture g;
  sn::trust::origin_signature self_signed{"POS1", 5, sign(g.pos.secret, test_store, "POS1", 5, g.pos.chain[4].hash)};
  auto r = decide_run(g.k, "BO", g.pos.run(1, 5), {self_signed}, strict);
  EXPECT_EQ(r.accept_to, 0u);
  EXPECT_EQ(r.reason, verdict::bad_signature);
}

TEST(rotation, a_forged_rotation_not_signed_by_the_old_key_is_refused_and_never_folded) {
  rotation_fixture f;
  // A forger holding only its own new key: signs 5 and 10 with it.
  sn::trust::origin_signature forged5{"POS1", 5, sign(f.pos.secret, test_store, "POS1", 5, f.pos.chain[4].hash)};
  auto d = decide_run(f.k, "BO", f.pos.run(1, 10), {f.pos.sign_old(4), forged5, f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(d.accept_to, 4u);  // what the real key signed still counts
  EXPECT_EQ(d.reason, verdict::bad_signature);
  EXPECT_EQ(d.refused, 6u);  // 5..10: the rotation and everything its key signed
  EXPECT_TRUE(d.proofs.empty());
  // The caller folds only what was accepted: the keyring keeps one key.
  for (std::uint64_t s = 1; s <= d.accept_to; ++s) f.k.observe(f.pos.chain[s - 1]);
  EXPECT_EQ(f.k.find("POS1")->keys.size(), 1u);
  // Without the old key's signature at 4 either: nothing at all.
  auto none = decide_run(f.k, "BO", f.pos.run(1, 10), {forged5, f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(none.accept_to, 0u);
  EXPECT_EQ(none.reason, verdict::bad_signature);
  EXPECT_EQ(none.refused, 6u);
  EXPECT_EQ(none.waiting, 4u);
}

TEST(rotation, a_run_whose_rotation_proof_was_not_offered_waits) {
  rotation_fixture f;
  auto d = decide_run(f.k, "BO", f.pos.run(1, 10), {f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(d.accept_to, 0u);
  EXPECT_EQ(d.refused, 0u);
  EXPECT_EQ(d.waiting, 10u);
  // With an old-key signature below the rotation, that part is appended.
  auto part = decide_run(f.k, "BO", f.pos.run(1, 10), {f.pos.sign_old(3), f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(part.accept_to, 3u);
  EXPECT_EQ(part.refused, 0u);
  EXPECT_EQ(part.waiting, 7u);
}

TEST(rotation, a_rotation_above_the_revocation_point_is_refused) {
  rotation_fixture f;
  f.bo.revoke(f.pos, 4);
  f.k.observe(f.bo.chain.back());
  auto d = decide_run(f.k, "BO", f.pos.run(1, 10), {f.pos.sign_old(4), f.pos.sign_old(5), f.pos.sign_seq(10)}, strict);
  EXPECT_EQ(d.accept_to, 4u);
  EXPECT_EQ(d.reason, verdict::revoked);
  EXPECT_EQ(d.refused, 6u);
  for (std::uint64_t s = 1; s <= 10; ++s) f.k.observe(f.pos.chain[s - 1]);
  EXPECT_EQ(f.k.find("POS1")->keys.size(), 1u);  // not within its membership: not folded
}


TEST(rotation, a_devices_own_rotation_folded_before_its_enrollment_counts_when_the_enrollment_comes) {
  // A joined device folds its own rotation before BO's device.enrolled of it
  // reaches its log: the history is the same as in the usual order.
  rotation_fixture f;
  keyring own;
  for (const auto& e : f.pos.chain) own.observe(e);  // its own chain first (5 is the rotation)
  EXPECT_EQ(own.find("POS1"), nullptr);
  for (const auto& e : f.bo.chain) own.observe(e);
  const member* m = own.find("POS1");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->keys.size(), 2u);
  EXPECT_EQ(*m->key_at(5), f.enrolled);
  EXPECT_EQ(*m->key_at(6), f.pos.pub);
  for (const auto& e : f.pos.chain) f.k.observe(e);
  EXPECT_EQ(f.k.find("POS1")->keys.size(), 2u);
  EXPECT_EQ(f.k.find("POS1")->key, m->key);
}

}  // namespace
