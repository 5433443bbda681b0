// The event log stores origin signatures with the events (same batch, only for
// held events) and serves them by range; the audit checks them: a store whose
// every enrolled origin is signed is clean, and an unsigned tail, a signature
// that does not verify are each named by origin:seq; a log of no store is not checked; unenrolled origins are listed.
#include <gtest/gtest.h>

#include "storage/audit.hpp"
#include "tests/unit/storage/helpers.hpp"
#include "tests/unit/trust/chain.hpp"

namespace sn::storage::test {
namespace {

using sn::trust::origin_signature;
using sn::trust::testing::device;

struct signed_store {
  temp_dir dir;
  device bo{"BO"}, pos{"POS1"};
  std::unique_ptr<event_log> log;

  signed_store() {
    bo.found();
    bo.enroll(pos);
    for (int i = 0; i < 5; ++i) pos.product("MILK");
    auto opened = event_log::open(rw_options(dir.data()));
    EXPECT_TRUE(opened) << opened.error().to_string();
    log = std::move(*opened);
    append(bo.chain, {bo.sign_seq(bo.chain.size())});
  }
  void append(const std::vector<event>& events, const std::vector<origin_signature>& sigs) {
    append_options o;
    o.signatures = &sigs;
    auto r = log->append(events, {}, o);
    ASSERT_TRUE(r) << r.error().to_string();
  }
  audit_report audit() {
    auto r = audit_log(*log);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : audit_report{};
  }
};

std::string describe(const audit_report& r) {
  std::string s;
  for (const auto& f : r.findings) s += std::string(to_string(f.kind)) + " " + f.message + "\n";
  return s;
}

TEST(signature_audit, signatures_are_stored_with_held_events_only_and_read_by_range) {
  signed_store s;
  const std::vector<event> first3(s.pos.chain.begin(), s.pos.chain.begin() + 3);
  // A signature of seq 5 is not stored while the log holds only 1..3.
  s.append(first3, {s.pos.sign_seq(3), s.pos.sign_seq(5)});
  auto sigs = s.log->signatures(device_id{"POS1"}, origin_seq{1}, origin_seq{100}, 100);
  ASSERT_EQ(sigs.size(), 1u);
  EXPECT_EQ(sigs[0], s.pos.sign_seq(3));
  EXPECT_FALSE(s.log->signature_at_or_after(device_id{"POS1"}, origin_seq{4}));
  auto at = s.log->signature_at_or_after(device_id{"BO"}, origin_seq{1});
  ASSERT_TRUE(at);
  EXPECT_EQ(at->seq, s.bo.chain.size());
}

TEST(signature_audit, a_fully_signed_store_is_clean) {
  signed_store s;
  s.append(s.pos.chain, {s.pos.sign_seq(2), s.pos.sign_seq(5)});
  const auto r = s.audit();
  EXPECT_TRUE(r.clean()) << describe(r);
  EXPECT_EQ(r.store_id, sn::trust::testing::test_store);
  EXPECT_EQ(r.signatures_checked, 3u);
  EXPECT_EQ(r.signatures_valid, 3u);
  EXPECT_TRUE(r.unenrolled.empty());
}

TEST(signature_audit, an_unsigned_tail_and_a_bad_signature_are_named) {
  signed_store s;
  auto forged = s.pos.sign_seq(4);
  forged.sig[1] ^= 1;
  s.append(s.pos.chain, {s.pos.sign_seq(2), forged});
  const auto r = s.audit();
  ASSERT_FALSE(r.clean());
  bool bad = false, tail = false;
  for (const auto& f : r.findings) {
    if (f.kind == finding_kind::bad_signature && f.origin == "POS1" && f.seq.value() == 4) bad = true;
    if (f.kind == finding_kind::unsigned_events && f.origin == "POS1" && f.seq.value() == 3) {
      tail = true;
      EXPECT_NE(f.message.find("POS1:3..5"), std::string::npos) << f.message;
    }
  }
  EXPECT_TRUE(bad) << describe(r);
  EXPECT_TRUE(tail) << describe(r);
}

TEST(signature_audit, unenrolled_origins_are_listed_and_a_log_of_no_store_is_not_checked) {
  signed_store s;
  s.append(s.pos.chain, {s.pos.sign_seq(5)});
  device stranger("EVIL");
  stranger.product("COFFEE");
  s.append(stranger.chain, {});
  auto r = s.audit();
  EXPECT_TRUE(r.clean()) << describe(r);
  ASSERT_EQ(r.unenrolled.count("EVIL"), 1u);
  EXPECT_EQ(r.unenrolled.at("EVIL"), 1u);

  // A log of no store: nothing to check signatures against, and no finding for it.
  temp_dir other;
  auto log = event_log::open(rw_options(other.data()));
  ASSERT_TRUE(log);
  auto plain = (*log)->append(stranger.chain);
  ASSERT_TRUE(plain);
  auto none = audit_log(**log);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->clean());
  EXPECT_EQ(none->store_id, "");
  EXPECT_EQ(none->signatures_checked, 0u);
}


// Key rotation (docs/protocol.md 1.7): POS1 rotates at seq 6 and writes 7..9.
// Signed as the writer signs (6 with the old key, 9 with the new): clean. A
// rotation whose own seq carries no old-key signature (a forger signing only
// with "its" new key) is named and nothing from it on counts as covered.
TEST(signature_audit, a_store_is_clean_across_a_key_rotation_and_a_forged_rotation_is_named) {
  {
    signed_store s;
    s.pos.rotate();  // seq 6
    for (int i = 0; i < 3; ++i) s.pos.product("BREAD");
    s.append(s.pos.chain, {s.pos.sign_old(5), s.pos.sign_old(6), s.pos.sign_seq(9)});
    const auto r = s.audit();
    EXPECT_TRUE(r.clean()) << describe(r);
    EXPECT_EQ(r.signatures_valid, 4u);
  }
  {
    signed_store s;
    s.pos.rotate();
    for (int i = 0; i < 3; ++i) s.pos.product("BREAD");
    // The new key signs 9: it verifies with the key history the log claims,
    // but nothing proves the old key made that history.
    s.append(s.pos.chain, {s.pos.sign_old(5), s.pos.sign_seq(9)});
    const auto r = s.audit();
    ASSERT_FALSE(r.clean());
    bool rotation = false, tail = false;
    for (const auto& f : r.findings) {
      if (f.kind == finding_kind::bad_signature && f.origin == "POS1" && f.seq.value() == 6) rotation = true;
      if (f.kind == finding_kind::unsigned_events && f.origin == "POS1" && f.seq.value() == 6) tail = true;
    }
    EXPECT_TRUE(rotation) << describe(r);
    EXPECT_TRUE(tail) << describe(r);
  }
}

}  // namespace
}  // namespace sn::storage::test
