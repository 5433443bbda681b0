// audit_log: a clean log passes; one changed byte, a deleted event, a forked
// (origin, seq), a wrong index entry and a wrong head are each named exactly.
#include <set>

#include <gtest/gtest.h>

#include "events/codec.hpp"
#include "storage/audit.hpp"
#include "storage/errc.hpp"
#include "storage/keys.hpp"
#include "storage/testing.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage::test {
namespace {

/// A closed log of A:1..10 and B:1..5 interleaved; remembers every event.
struct fixture {
  temp_dir dir;
  std::vector<event> a, b;

  fixture() {
    chain ca("A"), cb("B");
    a = ca.take(10);
    b = cb.take(5);
    auto log = event_log::open(rw_options(dir.data()));
    EXPECT_TRUE(log) << log.error().to_string();
    for (std::size_t i = 0; i < 10; ++i) {
      std::vector<event> batch{a[i]};
      if (i < 5) batch.push_back(b[i]);
      auto r = (*log)->append(batch);
      EXPECT_TRUE(r && r->appended == batch.size());
    }
  }

  std::uint64_t position_of(const std::string& origin, std::uint64_t seq) {
    auto p = testing::position_of(dir.data(), origin, seq);
    EXPECT_TRUE(p) << p.error().to_string();
    return p ? *p : 0;
  }

  audit_report audit() {
    auto r = audit_data_dir(dir.data());
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : audit_report{};
  }
};

std::set<finding_kind> kinds(const audit_report& r) {
  std::set<finding_kind> out;
  for (const auto& f : r.findings) out.insert(f.kind);
  return out;
}

std::string describe(const audit_report& r) {
  std::string s;
  for (const auto& f : r.findings) s += std::string(to_string(f.kind)) + " " + f.message + "\n";
  return s;
}

// Proves: a log written through append() audits clean, with its counts.
TEST(log_audit, clean_log_passes) {
  fixture f;
  auto r = f.audit();
  EXPECT_TRUE(r.clean()) << describe(r);
  EXPECT_EQ(r.events, 15u);
  EXPECT_EQ(r.index_entries, 15u);
  EXPECT_EQ(r.origins, (std::map<std::string, std::uint64_t>{{"A", 10}, {"B", 5}}));
}

// Proves: one changed byte inside one event's payload is reported as tamper
// naming exactly that event, and nothing else.
TEST(log_audit, names_a_changed_payload_byte) {
  fixture f;
  const std::uint64_t pos = f.position_of("A", 4);
  auto bytes = testing::get_event_bytes(f.dir.data(), pos);
  ASSERT_TRUE(bytes);
  const auto at = bytes->find("PO-A-4");
  ASSERT_NE(at, std::string::npos);
  (*bytes)[at + 3] = 'Z';
  ASSERT_TRUE(testing::put_event_bytes(f.dir.data(), pos, *bytes));

  auto r = f.audit();
  ASSERT_EQ(r.findings.size(), 1u) << describe(r);
  const auto& finding = r.findings[0];
  EXPECT_EQ(finding.kind, finding_kind::tamper);
  EXPECT_EQ(finding.origin, "A");
  EXPECT_EQ(finding.seq.value(), 4u);
  EXPECT_EQ(finding.position.value(), pos);
  EXPECT_NE(finding.message.find("A:4"), std::string::npos) << finding.message;
}

// Proves: a changed byte in the stored hash is tamper of that event, and the
// chain break it causes at the next event is not reported a second time.
TEST(log_audit, names_a_changed_hash_byte) {
  fixture f;
  const std::uint64_t pos = f.position_of("B", 2);
  auto bytes = testing::get_event_bytes(f.dir.data(), pos);
  ASSERT_TRUE(bytes);
  bytes->back() ^= 0x01;  // the hash is the last field
  ASSERT_TRUE(testing::put_event_bytes(f.dir.data(), pos, *bytes));
  auto r = f.audit();
  ASSERT_EQ(r.findings.size(), 1u) << describe(r);
  EXPECT_EQ(r.findings[0].kind, finding_kind::tamper);
  EXPECT_EQ(r.findings[0].origin, "B");
  EXPECT_EQ(r.findings[0].seq.value(), 2u);
}

// Proves: an event altered and re-sealed is caught by the next event's
// prev_hash, and the last event of an origin by its heads entry.
TEST(log_audit, catches_a_resealed_event) {
  fixture f;
  for (std::uint64_t seq : {3u, 10u}) {
    const std::uint64_t pos = f.position_of("A", seq);
    event e = f.a[seq - 1];
    e.hlc = hlc_timestamp{e.hlc.packed() + 1};
    seal(e);
    ASSERT_TRUE(testing::put_event_bytes(f.dir.data(), pos, encode(e)));
  }
  auto r = f.audit();
  EXPECT_EQ(kinds(r), (std::set<finding_kind>{finding_kind::tamper, finding_kind::head_mismatch})) << describe(r);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].origin, "A");
  EXPECT_EQ(r.findings[0].seq.value(), 4u);  // A:4 no longer chains to A:3
}

// Proves: bytes that no longer decode are reported with the (origin, seq)
// the index says they held.
TEST(log_audit, names_undecodable_bytes) {
  fixture f;
  const std::uint64_t pos = f.position_of("A", 6);
  ASSERT_TRUE(testing::put_event_bytes(f.dir.data(), pos, std::string("\xdd\xff\x00\x00\x00", 5)));
  auto r = f.audit();
  ASSERT_FALSE(r.findings.empty());
  const auto& finding = r.findings[0];
  EXPECT_EQ(finding.kind, finding_kind::undecodable) << describe(r);
  EXPECT_EQ(finding.origin, "A");
  EXPECT_EQ(finding.seq.value(), 6u);
  EXPECT_EQ(finding.position.value(), pos);
}

// Proves: a deleted event (log entry and its index entry) is a gap naming the
// first missing seq; the heads entry then disagrees too.
TEST(log_audit, names_a_gap) {
  fixture f;
  ASSERT_TRUE(testing::delete_event(f.dir.data(), "A", 7));
  EXPECT_FALSE(testing::position_of(f.dir.data(), "A", 7));
  EXPECT_TRUE(testing::position_of(f.dir.data(), "A", 8));  // the index run was split, not dropped
  auto r = f.audit();
  EXPECT_EQ(kinds(r), (std::set<finding_kind>{finding_kind::gap, finding_kind::head_mismatch})) << describe(r);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].kind, finding_kind::gap);
  EXPECT_EQ(r.findings[0].origin, "A");
  EXPECT_EQ(r.findings[0].seq.value(), 7u);
  EXPECT_EQ(r.origins["A"], 6u);
}

// Proves: two log entries with one (origin, seq) are a fork naming the
// second copy's position.
TEST(log_audit, names_a_fork) {
  fixture f;
  event other = f.b[2];  // a different B:3, correctly chained to B:2
  other.term = term_id{2};
  seal(other);
  ASSERT_TRUE(testing::put_event_bytes(f.dir.data(), 16, encode(other)));
  auto r = f.audit();
  ASSERT_EQ(r.findings.size(), 1u) << describe(r);
  EXPECT_EQ(r.findings[0].kind, finding_kind::fork);
  EXPECT_EQ(r.findings[0].origin, "B");
  EXPECT_EQ(r.findings[0].seq.value(), 3u);
  EXPECT_EQ(r.findings[0].position.value(), 16u);
}

// Proves: an index entry pointing at the wrong position, or at nothing, is
// an index mismatch.
TEST(log_audit, names_index_mismatches) {
  fixture f;
  ASSERT_TRUE(testing::repoint_index(f.dir.data(), "A", 8, f.position_of("A", 5)));  // inside a run
  ASSERT_TRUE(testing::repoint_index(f.dir.data(), "A", 2, f.position_of("A", 5)));
  ASSERT_TRUE(testing::repoint_index(f.dir.data(), "Z", 1, 999));
  auto r = f.audit();
  EXPECT_EQ(kinds(r), (std::set<finding_kind>{finding_kind::index_mismatch})) << describe(r);
  std::set<std::string> named;
  for (const auto& finding : r.findings) named.insert(finding.origin + ":" + std::to_string(finding.seq.value()));
  // A:2 and A:8 point at A:5's position (A:2 and A:8 themselves are then
  // unindexed), and Z:1 points at nothing.
  EXPECT_EQ(named, (std::set<std::string>{"A:2", "A:8", "Z:1"})) << describe(r);
}

// Proves: a heads entry that is not the highest contiguous seq is reported.
TEST(log_audit, names_a_head_mismatch) {
  fixture f;
  std::string v;
  keys::head_value(v, 4, f.b[3].hash);
  ASSERT_TRUE(testing::raw_put(f.dir.data(), "heads", "B", v));
  ASSERT_TRUE(testing::raw_put(f.dir.data(), "heads", "GHOST", v));
  auto r = f.audit();
  ASSERT_EQ(r.findings.size(), 2u) << describe(r);
  EXPECT_EQ(kinds(r), (std::set<finding_kind>{finding_kind::head_mismatch}));
  EXPECT_EQ(r.findings[0].origin, "B");
  EXPECT_EQ(r.findings[1].origin, "GHOST");
}

// Proves: the audit of a dir that holds no log is an error, not a clean report.
TEST(log_audit, missing_dir_is_an_error) {
  temp_dir t;
  auto r = audit_data_dir(t.data());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::not_found));
}

} // namespace
} // namespace sn::storage::test
