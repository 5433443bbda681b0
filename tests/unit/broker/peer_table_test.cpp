// The peer table's rules (broker/peer_table.hpp, docs/protocol.md 2.6) without
// sockets: time is a number the test moves. Each test says what it proves.
#include "broker/peer_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

using namespace sn::broker;

namespace {

const std::string self = "tcp://10.0.0.1:7000";
const std::string local = peer_table::local_source;

std::string addr(int i) { return "tcp://10.0.1." + std::to_string(i % 250) + ":" + std::to_string(7000 + i / 250); }
std::string source(int i) { return "id:conn-" + std::to_string(i); }

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

// Proves: configured peers are trusted from the start, counted, delivered,
// never evicted by time, and bounded by trusted_max; our own address is ignored.
TEST(peer_table, configured_peers_are_trusted_and_bounded) {
  peer_table_limits l;
  l.trusted_max = 2;
  peer_table t(self, l);
  EXPECT_EQ(t.add_configured(addr(1)), admission::admitted);
  EXPECT_EQ(t.add_configured(addr(1)), admission::known);
  EXPECT_EQ(t.add_configured(self), admission::known);
  EXPECT_EQ(t.add_configured(addr(2)), admission::admitted);
  EXPECT_EQ(t.add_configured(addr(3)), admission::refused_share);
  EXPECT_EQ(t.take_added(), (std::vector<std::string>{addr(1), addr(2)}));
  EXPECT_EQ(t.counted(), (std::vector<std::string>{addr(1), addr(2)}));
  EXPECT_EQ(t.on_direct(addr(1), source(1), true, 0), verdict::deliver);
  t.expire(1'000'000'000);
  EXPECT_EQ(t.counted().size(), 2u);
  EXPECT_TRUE(t.take_removed().empty());
}

// Proves the learning rule: an unknown direct sender becomes a candidate that
// is dialled but not delivered; a frame published at its address naming
// another sender does not prove it; one naming itself does, and from then on
// its direct frames are delivered and it counts.
TEST(peer_table, a_learned_sender_counts_only_once_it_proves_itself) {
  peer_table t(self);
  EXPECT_EQ(t.on_direct(addr(5), source(1), true, 100), verdict::drop_unproven);
  EXPECT_EQ(t.take_added(), std::vector<std::string>{addr(5)});
  EXPECT_EQ(t.state_of(addr(5)), peer_state::probation);
  EXPECT_TRUE(t.counted().empty());
  EXPECT_EQ(t.on_direct(addr(5), source(1), true, 110), verdict::drop_unproven);
  EXPECT_EQ(t.on_published(addr(5), addr(6), 120), verdict::drop_unproven);
  EXPECT_EQ(t.state_of(addr(5)), peer_state::probation);
  EXPECT_EQ(t.on_published(addr(5), addr(5), 130), verdict::deliver);
  EXPECT_EQ(t.state_of(addr(5)), peer_state::proven);
  EXPECT_EQ(t.on_direct(addr(5), source(1), true, 140), verdict::deliver);
  EXPECT_EQ(t.counted(), std::vector<std::string>{addr(5)});
  EXPECT_EQ(t.stats().proven, 1u);
  // A proven peer's PUB naming someone else is not delivered either.
  EXPECT_EQ(t.on_published(addr(5), addr(7), 150), verdict::drop_unproven);
}

// Proves: with learning off, an unknown sender is neither delivered nor dialled.
TEST(peer_table, learning_off_dials_nobody) {
  peer_table t(self);
  EXPECT_EQ(t.on_direct(addr(5), source(1), false, 0), verdict::drop_unproven);
  EXPECT_TRUE(t.take_added().empty());
  EXPECT_EQ(t.size().probation, 0u);
}

// Proves eviction in bounded time: a candidate unproven after probation_ms is
// removed (its sockets are to be closed) and its source is muted for as long;
// after that the source may nominate again.
TEST(peer_table, an_unproven_candidate_is_evicted_and_its_source_muted) {
  peer_table_limits l;
  l.probation_ms = 1'000;
  peer_table t(self, l);
  t.nominate(addr(1), source(1), 0);
  EXPECT_EQ(t.next_deadline(), std::optional<std::uint64_t>(1'000));
  t.expire(999);
  EXPECT_EQ(t.size().probation, 1u);
  t.expire(1'000);
  EXPECT_EQ(t.size().probation, 0u);
  EXPECT_EQ(t.take_removed(), std::vector<std::string>{addr(1)});
  EXPECT_EQ(t.stats().evicted_expired, 1u);
  EXPECT_EQ(t.nominate(addr(2), source(1), 1'500), admission::refused_source);
  t.expire(2'000);
  EXPECT_EQ(t.nominate(addr(2), source(1), 2'000), admission::admitted);
}

// Proves: one remote source (one connection) holds at most
// probation_per_source_max candidates: a device only ever names itself.
TEST(peer_table, one_connection_holds_one_candidate) {
  peer_table t(self);
  EXPECT_EQ(t.nominate(addr(1), source(1), 0), admission::admitted);
  EXPECT_EQ(t.nominate(addr(2), source(1), 0), admission::refused_source);
  EXPECT_EQ(t.nominate(addr(2), source(2), 0), admission::admitted);
  EXPECT_EQ(t.size().probation, 2u);
}

// Proves displacement when probation is full: a newcomer displaces a candidate
// whose dial failed at once, else the oldest one past the grace period; a
// candidate that completed its handshake, or is still within its grace, is
// never displaced (then the newcomer is refused).
TEST(peer_table, displacement_spares_handshaken_and_young_candidates) {
  peer_table_limits l;
  l.probation_max = 3;
  l.probation_grace_ms = 500;
  peer_table t(self, l);
  t.nominate(addr(1), source(1), 0);
  t.nominate(addr(2), source(2), 10);
  t.nominate(addr(3), source(3), 20);
  t.take_added();
  EXPECT_EQ(t.nominate(addr(4), source(4), 100), admission::refused_full);  // all within grace
  t.on_dial_failed(addr(3));
  EXPECT_EQ(t.nominate(addr(4), source(4), 110), admission::admitted);  // the failed dial goes first
  EXPECT_EQ(t.take_removed(), std::vector<std::string>{addr(3)});
  t.on_handshake(addr(1));
  EXPECT_EQ(t.nominate(addr(5), source(5), 600), admission::admitted);  // addr(2): oldest past grace, not handshaken
  EXPECT_EQ(t.take_removed(), std::vector<std::string>{addr(2)});
  EXPECT_EQ(t.nominate(addr(6), source(6), 605), admission::refused_full);  // 1 handshaken, 4 and 5 young
  EXPECT_TRUE(t.state_of(addr(1)).has_value());
  EXPECT_EQ(t.stats().evicted_displaced, 2u);
}

// Proves the flood bound: ten thousand fake senders over a thousand
// connections never hold more than probation_max candidates; a real device
// that arrives in the middle of the flood keeps its place once its handshake
// completes, proves itself with its first heartbeat and counts, while no fake
// address ever counts. Seeded; the seed is printed on failure.
TEST(peer_table, a_flood_of_fake_senders_cannot_keep_a_real_device_out) {
  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  peer_table t(self);
  const std::string real = "tcp://10.0.9.9:7000";
  const std::string real_source = "id:POS9";
  std::uint64_t now = 0;
  bool real_in = false;
  for (int i = 0; i < 10'000; ++i) {
    now += rng() % 3;
    t.on_direct(addr(i), source(static_cast<int>(rng() % 1000)), true, now);
    if (rng() % 4 == 0) t.on_dial_failed(addr(static_cast<int>(rng() % (i + 1))));  // made-up addresses are refused
    t.expire(now);
    ASSERT_LE(t.size().probation, t.limits().probation_max);
    if (i >= 5'000 && !real_in) {
      // The real device retries its request every few ms until it holds a slot.
      t.on_direct(real, real_source, true, now);
      real_in = t.state_of(real).has_value();
      if (real_in) t.on_handshake(real);  // a listening device completes its handshake in a few ms
    }
  }
  ASSERT_TRUE(real_in);
  EXPECT_EQ(t.state_of(real), peer_state::probation);
  EXPECT_EQ(t.on_published(real, real, now), verdict::deliver);
  EXPECT_EQ(t.on_direct(real, real_source, true, now), verdict::deliver);
  EXPECT_EQ(t.counted(), std::vector<std::string>{real});
  EXPECT_GT(t.stats().refused, 0u);
}

// Proves: a configured peer that names another sender (it advertises a host
// name, or another address) gets that sender as an alias: frames from the
// alias are delivered, sends to it are routed through the configured address,
// and a learned entry for the alias is dropped: gossip and headers never
// replace the address the operator configured.
TEST(peer_table, a_configured_peer_is_reached_at_its_configured_address_under_any_name) {
  const std::string configured = "tcp://localhost:7000";
  const std::string advertised = "tcp://127.0.0.1:7000";
  peer_table t(self);
  t.add_configured(configured);
  t.nominate(advertised, local, 0);  // e.g. from a heartbeat's gossip
  EXPECT_EQ(t.state_of(advertised), peer_state::probation);
  EXPECT_EQ(t.on_published(configured, advertised, 10), verdict::deliver);
  EXPECT_FALSE(t.state_of(advertised).has_value());
  EXPECT_EQ(t.take_removed(), std::vector<std::string>{advertised});
  ASSERT_NE(t.route(advertised), nullptr);
  EXPECT_EQ(*t.route(advertised), configured);
  EXPECT_EQ(t.on_direct(advertised, source(1), true, 20), verdict::deliver);
  EXPECT_EQ(t.nominate(advertised, local, 30), admission::known);
  EXPECT_EQ(t.counted(), std::vector<std::string>{configured});
  EXPECT_TRUE(contains(t.known(), advertised));
}

// Proves: local nominations (gossip, remembered peers) are capped at
// probation_local_max; the others wait in the pending list and are admitted
// as slots free; an unproven local address is retried after a pause.
TEST(peer_table, local_nominations_wait_for_a_slot_and_are_retried) {
  peer_table_limits l;
  l.probation_local_max = 2;
  l.probation_ms = 1'000;
  peer_table t(self, l);
  EXPECT_EQ(t.nominate(addr(1), local, 0), admission::admitted);
  EXPECT_EQ(t.nominate(addr(2), local, 0), admission::admitted);
  EXPECT_EQ(t.nominate(addr(3), local, 0), admission::queued);
  EXPECT_EQ(t.size().pending, 1u);
  t.on_published(addr(1), addr(1), 100);  // proven: frees a slot
  t.expire(100);
  EXPECT_EQ(t.state_of(addr(3)), peer_state::probation);
  t.expire(1'000);  // addr(2) unproven: evicted, re-queued with a pause
  EXPECT_FALSE(t.state_of(addr(2)).has_value());
  EXPECT_EQ(t.size().pending, 1u);
  t.expire(1'500);
  EXPECT_FALSE(t.state_of(addr(2)).has_value());
  t.expire(2'000);
  EXPECT_EQ(t.state_of(addr(2)), peer_state::probation);
}

// Proves: the proven share is bounded; a candidate that proves itself while
// it is full takes the place of a proven peer silent for proven_idle_ms, and
// otherwise stays a candidate (not delivered).
TEST(peer_table, the_proven_share_is_bounded) {
  peer_table_limits l;
  l.proven_max = 2;
  l.proven_idle_ms = 10'000;
  peer_table t(self, l);
  for (int i = 1; i <= 3; ++i) t.nominate(addr(i), source(i), 0);
  EXPECT_EQ(t.on_published(addr(1), addr(1), 10), verdict::deliver);
  EXPECT_EQ(t.on_published(addr(2), addr(2), 10), verdict::deliver);
  EXPECT_EQ(t.on_published(addr(3), addr(3), 20), verdict::drop_unproven);
  EXPECT_EQ(t.state_of(addr(3)), peer_state::probation);
  t.on_published(addr(2), addr(2), 9'000);  // addr(2) keeps talking, addr(1) is silent
  EXPECT_EQ(t.on_published(addr(3), addr(3), 10'010), verdict::deliver);
  EXPECT_FALSE(t.state_of(addr(1)).has_value());
  EXPECT_EQ(t.counted(), (std::vector<std::string>{addr(2), addr(3)}));
  EXPECT_EQ(t.stats().evicted_idle, 1u);
}

// Proves: muted sources are bounded (oldest forgotten first).
TEST(peer_table, muted_sources_are_bounded) {
  peer_table_limits l;
  l.muted_sources_max = 10;
  l.probation_ms = 100;
  peer_table t(self, l);
  for (int i = 0; i < 50; ++i) {
    t.nominate(addr(i), source(i), static_cast<std::uint64_t>(i));
    t.on_dial_failed(addr(i));
  }
  t.expire(1'000'000);  // every candidate expired; each mutes its source
  EXPECT_LE(t.size().muted, 10u);
}
