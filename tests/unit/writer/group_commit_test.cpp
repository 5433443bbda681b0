// The log writer's group commit (actors/writer/group_commit.hpp): sealing,
// outcome slicing, head rollback and resync, against a real event_log in a
// temp dir (the log is the judge of what was appended).
#include <gtest/gtest.h>

#include <sodium.h>

#include "actors/writer/group_commit.hpp"
#include "events/device.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::writer {
namespace {

using storage::append_outcome;
using storage::test::chain;
using storage::test::temp_dir;

/// An unsealed own draft, as the command side makes it.
event draft(const std::string& note) {
  stock_adjusted p;
  p.sku = "MILK";
  p.delta = -1;
  p.reason = "damaged";
  p.note = note;
  return make_event(device_id{"POS1"}, origin_seq{0}, hlc_timestamp::from_parts(1'700'000'000'000, 0), term_id{1}, p);
}

local_entry local(std::vector<std::string> notes, std::string key = {}) {
  local_entry l;
  for (auto& n : notes) l.drafts.push_back(draft(n));
  if (!key.empty()) l.side_writes.push_back({key, "reply-of-" + key});
  return l;
}

struct fixture : ::testing::Test {
  temp_dir dir;
  std::unique_ptr<storage::event_log> log;
  void SetUp() override {
    auto opened = storage::event_log::open(storage::test::rw_options(dir.data()));
    ASSERT_TRUE(opened) << opened.error().to_string();
    log = std::move(*opened);
  }
  /// One commit through `gc` against the real log.
  commit_outcome commit(group_commit& gc, std::vector<local_entry> locals, std::vector<remote_entry> remotes = {}) {
    auto plan = gc.plan(locals, remotes);
    auto r = log->append(plan.batch, plan.side_writes, gc.options(plan));
    EXPECT_TRUE(r) << r.error().to_string();
    return gc.settle(std::move(plan), *r);
  }
};

// Proves: own drafts are sealed in arrival order continuing the chain, each
// request gets its own sealed events and positions, and the head follows.
TEST_F(fixture, seals_in_order_and_answers_each_request_with_its_events) {
  group_commit gc(device_id{"POS1"}, {});
  auto out = commit(gc, {local({"a", "b"}, "k1"), local({"c"}, "k2")});
  ASSERT_EQ(out.locals.size(), 2u);
  EXPECT_TRUE(out.locals[0].durable);
  EXPECT_TRUE(out.locals[1].durable);
  ASSERT_EQ(out.locals[0].sealed.size(), 2u);
  EXPECT_EQ(out.locals[0].sealed[0].seq.value(), 1u);
  EXPECT_EQ(out.locals[0].sealed[1].seq.value(), 2u);
  EXPECT_EQ(out.locals[1].sealed[0].seq.value(), 3u);
  EXPECT_EQ(out.locals[1].sealed[0].prev_hash, out.locals[0].sealed[1].hash);
  EXPECT_FALSE(out.own_refused);
  EXPECT_EQ(out.local_appended, 3u);
  ASSERT_EQ(out.committed.size(), 3u);
  EXPECT_LT(out.committed[0].position, out.committed[2].position);
  EXPECT_EQ(gc.own_head().seq.value(), 3u);
  EXPECT_EQ(log->head(device_id{"POS1"})->hash, gc.own_head().hash);
  EXPECT_TRUE(log->get_idempotency("k1"));
  EXPECT_TRUE(log->get_idempotency("k2"));
}

// Proves the defect of issue 16: a replicated, correctly chained event under
// this device's own origin is refused (own_origin), never appended, and own
// commands after it are still appended and answered as durable.
TEST_F(fixture, replicated_event_under_own_origin_is_refused_and_own_commits_go_on) {
  group_commit gc(device_id{"POS1"}, {});
  auto first = commit(gc, {local({"a"})});
  ASSERT_TRUE(first.locals[0].durable);
  // A peer forges the next event of POS1's chain, correctly hashed.
  chain forged("POS1", 2, gc.own_head().hash);
  remote_entry r;
  r.events.push_back(forged.next());
  auto second = commit(gc, {}, {r});
  ASSERT_EQ(second.remotes.size(), 1u);
  EXPECT_EQ(second.remotes[0].outcomes[0], append_outcome::own_origin);
  EXPECT_EQ(second.remotes[0].appended, 0u);
  EXPECT_EQ(second.remote_by_outcome[static_cast<std::size_t>(append_outcome::own_origin)], 1u);
  EXPECT_EQ(log->head(device_id{"POS1"})->seq.value(), 1u);

  // The same forgery in the same batch as own commands: own commands win.
  remote_entry again;
  again.events.push_back(chain("POS1", 2, gc.own_head().hash).next());
  auto third = commit(gc, {local({"b"}, "k"), local({"c"})}, {again});
  EXPECT_TRUE(third.locals[0].durable);
  EXPECT_TRUE(third.locals[1].durable);
  EXPECT_FALSE(third.own_refused);
  EXPECT_EQ(third.remotes[0].outcomes[0], append_outcome::own_origin);
  EXPECT_EQ(log->head(device_id{"POS1"})->seq.value(), 3u);
  EXPECT_EQ(gc.own_head().hash, log->head(device_id{"POS1"})->hash);
  // Another origin in the same batch is still appended.
  remote_entry other;
  other.events = chain("POS2").take(2);
  auto fourth = commit(gc, {local({"d"})}, {other});
  EXPECT_EQ(fourth.remotes[0].appended, 2u);
  EXPECT_TRUE(fourth.locals[0].durable);
}

// Proves: when the log refuses an own event (an invariant broke: here the log
// holds own events the writer does not know of), the request is not durable,
// its idempotency record is not written, the head follows the log's actual
// last own event, and after reset_head the next command is durable again.
TEST_F(fixture, refused_own_event_is_never_durable_and_head_resyncs) {
  group_commit stale(device_id{"POS1"}, {});
  {
    group_commit ahead(device_id{"POS1"}, {});
    auto out = commit(ahead, {local({"x", "y"})});  // the log now holds POS1:1..2
    ASSERT_TRUE(out.locals[0].durable);
  }
  auto out = commit(stale, {local({"a"}, "k-refused")});  // stale head: seq 1 again
  ASSERT_EQ(out.locals.size(), 1u);
  EXPECT_FALSE(out.locals[0].durable);
  EXPECT_TRUE(out.own_refused);
  EXPECT_NE(out.locals[0].refusal.find("POS1:1"), std::string::npos) << out.locals[0].refusal;
  EXPECT_FALSE(log->get_idempotency("k-refused")) << "an idempotency record outlived refused events";
  EXPECT_TRUE(out.committed.empty());
  EXPECT_EQ(stale.own_head().seq.value(), 0u);  // nothing of its own was appended
  stale.reset_head(*log->head(device_id{"POS1"}));
  auto next = commit(stale, {local({"b"}, "k-ok")});
  EXPECT_TRUE(next.locals[0].durable);
  EXPECT_EQ(next.locals[0].sealed[0].seq.value(), 3u);
  EXPECT_TRUE(log->get_idempotency("k-ok"));
}

// Proves: when a request's later event is refused, the earlier requests of
// the batch stay durable and the head stops at the last appended own event.
TEST_F(fixture, head_stops_at_last_appended_own_event) {
  group_commit gc(device_id{"POS1"}, {});
  std::vector<local_entry> locals{local({"a"}), local({"b", "c"})};
  std::vector<remote_entry> none;
  auto plan = gc.plan(locals, none);
  ASSERT_EQ(plan.batch.size(), 3u);
  storage::append_result r;
  r.outcomes = {append_outcome::appended, append_outcome::too_large, append_outcome::gap};
  r.positions = {log_position{1}, log_position{0}, log_position{0}};
  r.appended = 1;
  const hash256 first_hash = plan.batch[0].hash;
  auto out = gc.settle(std::move(plan), r);
  EXPECT_TRUE(out.locals[0].durable);
  EXPECT_FALSE(out.locals[1].durable);
  EXPECT_TRUE(out.own_refused);
  EXPECT_EQ(gc.own_head().seq.value(), 1u);
  EXPECT_EQ(gc.own_head().hash, first_hash);
  EXPECT_EQ(out.committed.size(), 1u);
}

// Proves: a failed write rolls the head back, so the chain stays gapless.
TEST_F(fixture, rollback_after_failed_write_keeps_the_chain_gapless) {
  group_commit gc(device_id{"POS1"}, {});
  ASSERT_TRUE(commit(gc, {local({"a"})}).locals[0].durable);
  const auto before = gc.own_head();
  std::vector<local_entry> locals{local({"b", "c"})};
  std::vector<remote_entry> none;
  auto plan = gc.plan(locals, none);
  EXPECT_EQ(gc.own_head().seq.value(), 3u);  // tentative
  gc.rollback(plan);
  EXPECT_EQ(gc.own_head().seq.value(), before.seq.value());
  EXPECT_EQ(gc.own_head().hash, before.hash);
  auto out = commit(gc, {local({"d"})});
  EXPECT_TRUE(out.locals[0].durable);
  EXPECT_EQ(out.locals[0].sealed[0].seq.value(), 2u);
}

} // namespace
} // namespace sn::writer

namespace sn::writer {
namespace {

// Proves: with a signer, a commit signs the last own event of the batch and
// every signature_interval_events-th seq, stores the signatures with the
// events (readable from the log, verifiable with the public key), hands them
// out for the live publish, and stores the remotes' covering signatures too;
// without a signer nothing is signed.
TEST_F(fixture, signs_the_last_own_event_and_every_interval_seq_and_stores_them) {
  trust::public_key pub{};
  trust::secret_key secret{};
  ASSERT_GE(sodium_init(), 0);
  crypto_sign_keypair(pub.data(), secret.data());
  const std::string store = "5757575757575757575757575757575757";
  group_commit gc(device_id{"POS1"}, {});
  gc.set_signer(store, secret);
  std::vector<std::string> notes;
  for (int i = 0; i < 300; ++i) notes.push_back("n" + std::to_string(i));
  auto out = commit(gc, {local(notes)});
  ASSERT_TRUE(out.locals[0].durable);
  ASSERT_EQ(out.own_signatures.size(), 2u);
  EXPECT_EQ(out.own_signatures[0].seq, trust::signature_interval_events);
  EXPECT_EQ(out.own_signatures[1].seq, 300u);
  auto stored = log->signatures(device_id{"POS1"}, origin_seq{1}, origin_seq{1000}, 100);
  ASSERT_EQ(stored.size(), 2u);
  for (const auto& s : stored) {
    auto e = log->get(device_id{"POS1"}, origin_seq{s.seq});
    ASSERT_TRUE(e);
    EXPECT_TRUE(trust::verify(pub, s.sig, store, "POS1", s.seq, e->ev.hash));
  }
  // One more command: its one event is the batch's last, signed.
  out = commit(gc, {local({"x"})});
  ASSERT_EQ(out.own_signatures.size(), 1u);
  EXPECT_EQ(out.own_signatures[0].seq, 301u);

  // A remote request's covering signature is stored with its events.
  chain other("POS2");
  remote_entry r;
  r.events = other.take(3);
  r.signatures.push_back({"POS2", 3, trust::sign(secret, store, "POS2", 3, r.events.back().hash)});
  out = commit(gc, {}, {r});
  EXPECT_EQ(log->signatures(device_id{"POS2"}, origin_seq{1}, origin_seq{3}, 10).size(), 1u);
  EXPECT_TRUE(out.own_signatures.empty());

  group_commit unsigned_gc(device_id{"POS3"}, {});
  out = commit(unsigned_gc, {local({"y"})});
  EXPECT_TRUE(out.own_signatures.empty());
  EXPECT_TRUE(log->signatures(device_id{"POS3"}, origin_seq{1}, origin_seq{10}, 10).empty());
}


// Proves (key rotation, docs/protocol.md 1.7): with a next key staged, the
// device.keys_rotated naming it is signed with the CURRENT key even in the
// middle of a batch, every later own event of that batch and of later ones
// with the new key; a failed write keeps the current key; a rotation naming
// another key is an ordinary event.
TEST_F(fixture, a_staged_rotation_is_signed_with_the_old_key_and_what_follows_with_the_new) {
  ASSERT_GE(sodium_init(), 0);
  trust::public_key old_pub{}, new_pub{}, other_pub{};
  trust::secret_key old_secret{}, new_secret{}, other_secret{};
  crypto_sign_keypair(old_pub.data(), old_secret.data());
  crypto_sign_keypair(new_pub.data(), new_secret.data());
  crypto_sign_keypair(other_pub.data(), other_secret.data());
  const std::string store = "5757575757575757575757575757575757";
  const auto hex = [](const trust::public_key& k) { return sn::to_hex(sn::hash256(k)); };
  const auto rotation = [&](const trust::public_key& k) {
    local_entry l;
    l.drafts.push_back(make_event(device_id{"POS1"}, origin_seq{0}, hlc_timestamp::from_parts(1'700'000'000'000, 0),
                                  term_id{1}, device_keys_rotated{"POS1", hex(k), hex(k), "admin"}));
    return l;
  };
  const auto verifies = [&](const trust::origin_signature& s, const trust::public_key& k) {
    auto e = log->get(device_id{"POS1"}, origin_seq{s.seq});
    return e && trust::verify(k, s.sig, store, "POS1", s.seq, e->ev.hash);
  };
  group_commit gc(device_id{"POS1"}, {});
  gc.set_signer(store, old_secret);
  commit(gc, {local({"a", "b"})});  // seqs 1, 2

  // A rotation naming a key that is not the staged one: an ordinary event.
  gc.stage_rotation(new_pub, new_secret);
  auto out = commit(gc, {rotation(other_pub)});  // seq 3
  EXPECT_EQ(out.rotated_at_seq, 0u);
  EXPECT_TRUE(gc.rotation_staged());

  // A failed write (nothing stored): the current key stays.
  {
    std::vector<local_entry> locals{rotation(new_pub)};
    std::vector<remote_entry> remotes;
    auto plan = gc.plan(locals, remotes);
    EXPECT_EQ(plan.rotation_seq, 4u);
    gc.rollback(plan);
    EXPECT_TRUE(gc.rotation_staged());
  }

  // In the middle of a batch: c (4), the rotation (5), d (6), e (7).
  out = commit(gc, {local({"c"}), rotation(new_pub), local({"d", "e"})});
  ASSERT_TRUE(out.locals[1].durable);
  EXPECT_EQ(out.rotated_at_seq, 5u);
  EXPECT_FALSE(gc.rotation_staged());
  ASSERT_EQ(out.own_signatures.size(), 2u);
  EXPECT_EQ(out.own_signatures[0].seq, 5u);  // signed although not the batch's last
  EXPECT_TRUE(verifies(out.own_signatures[0], old_pub));
  EXPECT_FALSE(verifies(out.own_signatures[0], new_pub));
  EXPECT_EQ(out.own_signatures[1].seq, 7u);
  EXPECT_TRUE(verifies(out.own_signatures[1], new_pub));
  EXPECT_FALSE(verifies(out.own_signatures[1], old_pub));

  out = commit(gc, {local({"f"})});  // later batches: the new key
  ASSERT_EQ(out.own_signatures.size(), 1u);
  EXPECT_TRUE(verifies(out.own_signatures[0], new_pub));
}

}  // namespace
}  // namespace sn::writer
