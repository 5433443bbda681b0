// trust/keyring: membership folds only from members (or the creator's
// genesis), the first store stays, revocation is sticky with its point.
#include <gtest/gtest.h>

#include "tests/unit/trust/chain.hpp"
#include "trust/keyring.hpp"

namespace {

using namespace sn::trust;
using namespace sn::trust::testing;

keyring fold(const std::vector<const device*>& ds) {
  keyring k;
  for (const device* d : ds) {
    for (const auto& e : d->chain) k.observe(e);
  }
  return k;
}

TEST(keyring, the_genesis_enrolls_its_creator_and_the_creator_enrolls_others) {
  device bo("BO"), pos("POS1");
  bo.found();
  bo.enroll(pos);
  const keyring k = fold({&bo});
  EXPECT_EQ(k.store_id(), test_store);
  EXPECT_EQ(k.creator(), "BO");
  ASSERT_NE(k.find("BO"), nullptr);
  EXPECT_EQ(k.find("BO")->key, bo.pub);
  ASSERT_NE(k.find("POS1"), nullptr);
  EXPECT_EQ(k.find("POS1")->key, pos.pub);
  EXPECT_TRUE(k.find("POS1")->may_write(1'000'000));
}

TEST(keyring, an_unenrolled_origin_enrolls_nobody) {
  device bo("BO"), evil("EVIL"), pos("POS9");
  bo.found();
  evil.enroll(pos);                                                              // EVIL is no member
  evil.write(sn::device_enrolled{"EVIL", hex(evil.pub), hex(evil.pub), 1, ""});  // self-enrollment, not a genesis
  const keyring k = fold({&bo, &evil});
  EXPECT_EQ(k.find("POS9"), nullptr);
  EXPECT_EQ(k.find("EVIL"), nullptr);
}

TEST(keyring, a_second_store_does_not_replace_the_first_or_a_pinned_one) {
  device bo("BO"), other("OTHER");
  bo.found();
  other.found("ffffffffffffffffffffffffffffffff");
  keyring k = fold({&bo, &other});
  EXPECT_EQ(k.store_id(), test_store);
  EXPECT_EQ(k.find("OTHER"), nullptr);

  keyring pinned;
  pinned.pin_store("ffffffffffffffffffffffffffffffff");
  for (const auto& e : bo.chain) pinned.observe(e);
  EXPECT_EQ(pinned.store_id(), "ffffffffffffffffffffffffffffffff");
  EXPECT_EQ(pinned.find("BO"), nullptr) << "a genesis of another store founded the pinned one";
}

TEST(keyring, revocation_is_sticky_and_keeps_the_lowest_point) {
  device bo("BO"), pos("POS1");
  bo.found();
  bo.enroll(pos);
  bo.revoke(pos, 7);
  bo.revoke(pos, 9);
  bo.enroll(pos);  // re-enrolling a revoked id admits nothing
  const keyring k = fold({&bo});
  const member* m = k.find("POS1");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->revoked);
  EXPECT_EQ(m->revoked_after_seq, 7u);
  EXPECT_TRUE(m->may_write(7));
  EXPECT_FALSE(m->may_write(8));
}

TEST(keyring, a_revoked_device_cannot_enroll_or_revoke_after_its_point) {
  device bo("BO"), pos("POS1"), friend_("POS2");
  bo.found();
  bo.enroll(pos);
  bo.revoke(pos, 0);
  pos.enroll(friend_);  // POS1:1, above its point 0
  pos.revoke(bo, 0);
  const keyring k = fold({&bo, &pos});
  EXPECT_EQ(k.find("POS2"), nullptr);
  EXPECT_FALSE(k.find("BO")->revoked);
}

}  // namespace
