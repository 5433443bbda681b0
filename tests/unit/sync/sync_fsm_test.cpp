// What it proves: sync_fsm's rules, one input at a time, against an in-memory
// log with the real log's acceptance rules: gaps are buffered and requested,
// duplicates and reordering never reach the log twice, catch-up batches respect
// count and byte limits and flow control, pending changes follow the hub's
// acknowledgements, and malformed input is counted and dropped.
#include <gtest/gtest.h>

#include <algorithm>
#include <variant>

#include "actors/sync/sync_fsm.hpp"
#include "events/codec.hpp"
#include "tests/sim/support/memory_log.hpp"
#include "tests/unit/trust/chain.hpp"

namespace {

using namespace sn::sync;
using sn::sim::memory_log;
using sn::storage::append_outcome;

constexpr auto live = static_cast<std::uint8_t>(message_type::live_events);
constexpr auto request = static_cast<std::uint8_t>(message_type::sync_request);
constexpr auto reply = static_cast<std::uint8_t>(message_type::sync_reply);
/// The receiver's wall clock in these tests: the events' HLCs (chain() below) are right on it.
constexpr std::uint64_t kWall = 1700000000000;

// Writes n events of `origin` into a throwaway log and returns their bytes.
std::vector<std::string> chain(const std::string& origin, std::size_t n, std::size_t payload_pad = 0) {
  memory_log src(origin);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(src.write_own(1700000000000 + i, static_cast<std::int64_t>(i + 1 + payload_pad)));
  }
  return out;
}

// Writes events of `origin` stamped with these HLC wall times (ms).
std::vector<std::string> chain_at(const std::string& origin, const std::vector<std::uint64_t>& hlc_ms) {
  memory_log src(origin);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < hlc_ms.size(); ++i) out.push_back(src.write_own(hlc_ms[i], static_cast<std::int64_t>(i + 1)));
  return out;
}

std::string live_body(const std::vector<std::string>& all, std::initializer_list<std::size_t> seqs) {
  std::vector<std::string> pick;
  for (auto s : seqs) pick.push_back(all[s - 1]);
  return encode_live_events(pick, 0, pick.size());
}

std::vector<append_events> appends(const std::vector<output>& outs) {
  std::vector<append_events> r;
  for (const auto& o : outs) {
    if (auto* a = std::get_if<append_events>(&o)) r.push_back(*a);
  }
  return r;
}

std::vector<send_message> sends(const std::vector<output>& outs, message_type t) {
  std::vector<send_message> r;
  for (const auto& o : outs) {
    if (auto* s = std::get_if<send_message>(&o); s && s->type == t) r.push_back(*s);
  }
  return r;
}

std::vector<publish_message> publishes(const std::vector<output>& outs) {
  std::vector<publish_message> r;
  for (const auto& o : outs) {
    if (auto* p = std::get_if<publish_message>(&o)) r.push_back(*p);
  }
  return r;
}

std::vector<std::uint64_t> seqs_of(const append_events& a) {
  std::vector<std::uint64_t> r;
  for (const auto& e : a.events) r.push_back(e.seq.value());
  return r;
}

// One node "B" with its log; drives appends through the log like the shell.
struct node {
  explicit node(std::string id, sync_config c = {}) : log(id), fsm(id, c, log) {}
  // Carries out append outputs at once (in order) and returns everything else.
  std::vector<output> run(std::vector<output> outs, std::uint64_t now = 0) {
    std::vector<output> rest;
    std::size_t i = 0;
    while (i < outs.size()) {
      if (auto* a = std::get_if<append_events>(&outs[i])) {
        auto more = fsm.on_appended(log.append(a->events, a->signatures), now);
        outs.insert(outs.end(), more.begin(), more.end());
      } else {
        rest.push_back(outs[i]);
      }
      ++i;
    }
    return rest;
  }
  memory_log log;
  sync_fsm fsm;
};

// Makes `peer` known and completes the round that connecting starts, so that
// later inputs are not folded into it.
void connect(node& n, const std::string& peer, std::uint64_t now) {
  n.fsm.peer_seen(peer, now);
  auto req = sends(n.fsm.on_tick(now, kWall), message_type::sync_request);
  ASSERT_EQ(req.size(), 1u);
  ASSERT_EQ(req[0].peer, peer);
  auto r = decode_sync_request(req[0].body);
  ASSERT_TRUE(r);
  n.run(n.fsm.on_message(peer, reply, encode_sync_reply(r->request_id, {}, false, {}), now, kWall), now);
  ASSERT_FALSE(n.fsm.status().syncing_with.has_value());
}

TEST(sync_fsm, first_message_from_a_peer_starts_a_round) {
  node b("B");
  auto outs = b.fsm.on_message("A", live, encode_live_events({}, 0, 0), 0, kWall);
  auto req = sends(outs, message_type::sync_request);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0].peer, "A");
}

TEST(sync_fsm, next_contiguous_is_appended) {
  node b("B");
  const auto a = chain("A", 3);
  auto outs = b.fsm.on_message("A", live, live_body(a, {1, 2, 3}), 0, kWall);
  auto ap = appends(outs);
  ASSERT_EQ(ap.size(), 1u);
  EXPECT_EQ(seqs_of(ap[0]), (std::vector<std::uint64_t>{1, 2, 3}));
  b.run(outs);
  EXPECT_EQ(b.log.versions().at("A"), 3u);
  EXPECT_EQ(b.fsm.counters().events_received, 3u);
}

TEST(sync_fsm, gap_is_buffered_and_requested_then_filled) {
  node b("B");
  connect(b, "A", 0);
  const auto a = chain("A", 4);
  b.run(b.fsm.on_message("A", live, live_body(a, {1}), 0, kWall));
  // 3 and 4 arrive, 2 was lost: 3, 4 wait and a catch-up request goes to A.
  auto outs = b.fsm.on_message("A", live, live_body(a, {3, 4}), 10, kWall);
  EXPECT_TRUE(appends(outs).empty());
  EXPECT_EQ(b.fsm.ahead_events(), 2u);
  auto req = sends(outs, message_type::sync_request);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0].peer, "A");
  auto r = decode_sync_request(req[0].body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->versions.at("A"), 1u);  // "I hold A up to 1"
  EXPECT_EQ(b.fsm.counters().gap_requests, 1u);
  // A answers with 2 (and 3, 4): 2 is appended and the held 3, 4 follow; the
  // copies of 3, 4 in the reply are duplicates and never reach the log.
  auto rep = encode_sync_reply(r->request_id, {{"A", 4}}, false, {a[1], a[2], a[3]});
  outs = b.fsm.on_message("A", reply, rep, 20, kWall);
  auto ap = appends(outs);
  ASSERT_EQ(ap.size(), 1u);
  EXPECT_EQ(seqs_of(ap[0]), (std::vector<std::uint64_t>{2, 3, 4}));
  b.run(outs, 20);
  EXPECT_EQ(b.log.versions().at("A"), 4u);
  EXPECT_EQ(b.fsm.ahead_events(), 0u);
  EXPECT_EQ(b.log.outcome_counts().count(append_outcome::duplicate), 0u);
  EXPECT_EQ(b.fsm.counters().rounds_completed, 2u);  // the connect round and the gap round
}

TEST(sync_fsm, reordering_inside_a_message_is_not_a_gap) {
  node b("B");
  connect(b, "A", 0);
  const auto a = chain("A", 3);
  auto outs = b.fsm.on_message("A", live, live_body(a, {3, 1, 2}), 0, kWall);
  auto ap = appends(outs);
  ASSERT_EQ(ap.size(), 1u);
  EXPECT_EQ(seqs_of(ap[0]), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_TRUE(sends(outs, message_type::sync_request).empty());
  EXPECT_EQ(b.fsm.counters().gap_requests, 0u);
}

TEST(sync_fsm, duplicates_never_reach_the_log) {
  node b("B");
  const auto a = chain("A", 2);
  const auto body = live_body(a, {1, 2});
  auto first = b.fsm.on_message("A", live, body, 0, kWall);
  // The same message again while the first append is still in flight...
  auto second = b.fsm.on_message("A", live, body, 1, kWall);
  EXPECT_TRUE(appends(second).empty());
  b.run(first);
  // ...and again after it was appended, and replayed out of order.
  auto third = b.fsm.on_message("A", live, live_body(a, {2, 1, 2}), 2, kWall);
  EXPECT_TRUE(appends(third).empty());
  EXPECT_EQ(b.fsm.counters().duplicates, 5u);
  EXPECT_EQ(b.log.size(), 2u);
  EXPECT_EQ(b.log.outcome_counts().count(append_outcome::duplicate), 0u);
}

TEST(sync_fsm, ahead_buffer_is_bounded) {
  sync_config c;
  c.ahead_events_max = 3;
  node b("B", c);
  connect(b, "A", 0);
  const auto a = chain("A", 10);
  auto outs = b.fsm.on_message("A", live, live_body(a, {3, 4, 5, 6, 7, 8}), 0, kWall);
  EXPECT_EQ(b.fsm.ahead_events(), 3u);
  EXPECT_EQ(b.fsm.counters().ahead_dropped, 3u);
  EXPECT_LE(b.fsm.status().ahead_events, c.ahead_events_max);
  // Catch-up brings everything, held or dropped.
  auto r = decode_sync_request(sends(outs, message_type::sync_request).at(0).body);
  ASSERT_TRUE(r);
  auto rep = encode_sync_reply(r->request_id, {{"A", 10}}, false, {a.begin(), a.end()});
  b.run(b.fsm.on_message("A", reply, rep, 5, kWall), 5);
  EXPECT_EQ(b.log.versions().at("A"), 10u);
  EXPECT_EQ(b.fsm.ahead_events(), 0u);
}

TEST(sync_fsm, catch_up_batches_respect_count_and_bytes) {
  // Responder "H" holds 2500 events of A.
  node h("H");
  const auto a = chain("A", 2500);
  std::vector<sn::event> evs;
  for (const auto& b : a) evs.push_back(*sn::decode(b));
  h.log.append(evs);
  h.fsm.peer_seen("B", 0);

  sync_request_body q;
  q.request_id = 1;
  q.count_max = 1000;
  q.bytes_max = 1 << 20;
  auto outs = h.fsm.on_message("B", request, encode_sync_request(q), 0, kWall);
  auto rep = decode_sync_reply(sends(outs, message_type::sync_reply).at(0).body);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->events.size(), 1000u);
  EXPECT_TRUE(rep->more);
  EXPECT_EQ(rep->versions.at("A"), 2500u);

  // A byte budget smaller than 3 events: as many whole events as fit.
  const std::size_t one = a[0].size();
  q.request_id = 2;
  q.versions = {{"A", 2490}};
  q.bytes_max = one * 2 + one / 2;
  rep = decode_sync_reply(sends(h.fsm.on_message("B", request, encode_sync_request(q), 1, kWall), message_type::sync_reply)
                              .at(0)
                              .body);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->events.size(), 2u);
  EXPECT_TRUE(rep->more);
  // A budget smaller than one event still makes progress: exactly one.
  q.bytes_max = 1;
  rep = decode_sync_reply(sends(h.fsm.on_message("B", request, encode_sync_request(q), 2, kWall), message_type::sync_reply)
                              .at(0)
                              .body);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->events.size(), 1u);
  // The responder's own limit caps what the requester asks for.
  sync_config small;
  small.batch_events_max = 7;
  node h2("H2", small);
  h2.log.append(evs);
  q.versions = {};
  q.bytes_max = 1 << 20;
  rep = decode_sync_reply(sends(h2.fsm.on_message("B", request, encode_sync_request(q), 0, kWall), message_type::sync_reply)
                              .at(0)
                              .body);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->events.size(), 7u);
  EXPECT_EQ(h.fsm.counters().events_sent, 1003u);
}

TEST(sync_fsm, pull_asks_for_the_next_batch_only_after_the_append) {
  node b("B");
  b.fsm.peer_seen("H", 0);
  auto outs = b.fsm.on_tick(0, kWall);  // connect: a round with H
  auto req = sends(outs, message_type::sync_request);
  ASSERT_EQ(req.size(), 1u);
  const auto a = chain("A", 5);
  auto r = decode_sync_request(req[0].body);
  auto rep = encode_sync_reply(r->request_id, {{"A", 5}}, true, {a[0], a[1]});
  outs = b.fsm.on_message("H", reply, rep, 1, kWall);
  ASSERT_EQ(appends(outs).size(), 1u);
  EXPECT_TRUE(sends(outs, message_type::sync_request).empty()) << "no new request before the batch is durable";
  EXPECT_TRUE(sends(b.fsm.on_tick(50, kWall), message_type::sync_request).empty());
  auto after = b.fsm.on_appended(b.log.append(appends(outs)[0].events), 60);
  auto next = sends(after, message_type::sync_request);
  ASSERT_EQ(next.size(), 1u);
  auto r2 = decode_sync_request(next[0].body);
  EXPECT_EQ(r2->versions.at("A"), 2u);
  // Last batch: more=false completes the round.
  outs = b.fsm.on_message("H", reply, encode_sync_reply(r2->request_id, {{"A", 5}}, false, {a[2], a[3], a[4]}), 70, kWall);
  b.run(outs, 80);
  EXPECT_EQ(b.log.versions().at("A"), 5u);
  EXPECT_EQ(b.fsm.counters().rounds_completed, 1u);
  EXPECT_EQ(b.fsm.status().last_sync_ms, 80u);
  auto audit = b.fsm.audit_log();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].operation, audit_operation::pull);
  EXPECT_EQ(audit[0].count, 2u);
  EXPECT_EQ(audit[1].count, 3u);
}

TEST(sync_fsm, responder_that_is_behind_pulls_from_the_requester) {
  node h("H");
  sync_request_body q;
  q.request_id = 1;
  q.versions = {{"B", 4}};
  q.count_max = 10;
  q.bytes_max = 1 << 20;
  auto outs = h.fsm.on_message("B", request, encode_sync_request(q), 0, kWall);
  ASSERT_EQ(sends(outs, message_type::sync_reply).size(), 1u);
  auto back = sends(outs, message_type::sync_request);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].peer, "B");
}

// Proves (issue 13): pending_changes is the number of own events no other
// device is known to hold durably (a sync reply's vector), whatever the roles:
// any peer's reply counts, and a hub that is cut off shows its own events as
// pending until a peer holds them.
TEST(sync_fsm, pending_changes_count_own_events_no_other_device_holds) {
  node c("C");
  c.fsm.set_hub(std::string("H"));
  c.fsm.peer_seen("H", 0);
  std::vector<std::string> own;
  for (int i = 0; i < 5; ++i) own.push_back(c.log.write_own(1700000000000 + i, 1));
  auto outs = c.fsm.on_local_appended(own, 0);
  ASSERT_EQ(publishes(outs).size(), 1u);  // batched: one live message for five events
  EXPECT_EQ(c.fsm.status().pending_changes, 5u);
  EXPECT_EQ(c.fsm.status().state, sync_state::pending);

  auto req = decode_sync_request(sends(c.fsm.on_tick(1, kWall), message_type::sync_request).at(0).body);
  ASSERT_TRUE(req);
  c.fsm.on_message("H", reply, encode_sync_reply(req->request_id, {{"C", 3}}, false, {}), 2, kWall);
  EXPECT_EQ(c.fsm.status().pending_changes, 2u);
  auto req2 = decode_sync_request(sends(c.fsm.sync_now(4), message_type::sync_request).at(0).body);
  ASSERT_TRUE(req2);
  c.fsm.on_message("H", reply, encode_sync_reply(req2->request_id, {{"C", 5}}, false, {}), 5, kWall);
  auto st = c.fsm.status();
  EXPECT_EQ(st.pending_changes, 0u);
  EXPECT_EQ(st.state, sync_state::synced);
  EXPECT_EQ(st.last_sync_ms, 5u);
  // A reply from a peer that is not the hub counts too: the event is on another device.
  c.log.write_own(1700000000010, 1);
  EXPECT_EQ(c.fsm.status().pending_changes, 1u);
  c.fsm.peer_seen("X", 6);
  c.fsm.on_message("X", reply, encode_sync_reply(999, {{"C", 6}}, false, {}), 6, kWall);
  EXPECT_EQ(c.fsm.status().pending_changes, 0u);
  // A reply that holds less never raises it again.
  c.fsm.on_message("H", reply, encode_sync_reply(998, {{"C", 2}}, false, {}), 7, kWall);
  EXPECT_EQ(c.fsm.status().pending_changes, 0u);

  node h("H");
  h.fsm.set_hub(std::string("H"));
  h.log.write_own(1700000000000, 1);
  h.log.write_own(1700000000001, 1);
  EXPECT_TRUE(h.fsm.is_hub());
  EXPECT_EQ(h.fsm.status().pending_changes, 2u);  // a (self-elected) master's sales exist nowhere else yet
  h.fsm.peer_seen("C", 8);
  h.fsm.on_message("C", reply, encode_sync_reply(1, {{"H", 2}}, false, {}), 8, kWall);
  EXPECT_EQ(h.fsm.status().pending_changes, 0u);
}

TEST(sync_fsm, malformed_bodies_are_counted_and_dropped) {
  node b("B");
  connect(b, "A", 0);
  for (std::uint8_t t : {live, request, reply}) {
    EXPECT_TRUE(b.fsm.on_message("A", t, "\xc1garbage", 0, kWall).empty());
  }
  EXPECT_EQ(b.fsm.counters().malformed, 3u);
  EXPECT_TRUE(b.fsm.on_message("A", live, "\x92\x07\x90", 0, kWall).empty());
  EXPECT_EQ(b.fsm.counters().unsupported_version, 1u);
  EXPECT_TRUE(b.fsm.on_message("A", 29, "", 0, kWall).empty());
  EXPECT_EQ(b.fsm.counters().unknown_type, 1u);
  // A well-formed message with one corrupt event: the others still count.
  auto a = chain("A", 2);
  std::vector<std::string> evs = {a[0], "\x93junk", a[1]};
  auto outs = b.fsm.on_message("A", live, encode_live_events(evs, 0, 3), 1, kWall);
  EXPECT_EQ(b.fsm.counters().malformed, 4u);
  ASSERT_EQ(appends(outs).size(), 1u);
  EXPECT_EQ(appends(outs)[0].events.size(), 2u);
}

TEST(sync_fsm, refused_events_fail_the_round_without_a_tight_retry) {
  node b("B");
  b.fsm.peer_seen("H", 0);
  auto req = decode_sync_request(sends(b.fsm.on_tick(0, kWall), message_type::sync_request).at(0).body);
  ASSERT_TRUE(req);
  auto a = chain("A", 2);
  auto bad = *sn::decode(a[0]);
  bad.payload = "\x01";  // hash no longer verifies
  auto outs = b.fsm.on_message("H", reply, encode_sync_reply(req->request_id, {{"A", 2}}, true, {sn::encode(bad)}), 1, kWall);
  auto after = b.fsm.on_appended(b.log.append(appends(outs).at(0).events), 2);
  EXPECT_TRUE(sends(after, message_type::sync_request).empty());
  auto st = b.fsm.status();
  EXPECT_EQ(st.counters.refused_bad_hash, 1u);
  EXPECT_EQ(st.counters.rounds_failed, 1u);
  EXPECT_EQ(st.state, sync_state::error);
  EXPECT_NE(st.last_error.find("bad_hash"), std::string::npos);
  EXPECT_EQ(b.log.size(), 0u);
}

TEST(sync_fsm, timeout_fails_the_round_and_the_next_round_recovers) {
  sync_config c;
  c.request_timeout_ms = 500;
  c.sync_interval_ms = 100000;  // no periodic round inside this test
  node b("B", c);
  b.fsm.set_hub(std::string("H"));
  b.fsm.peer_seen("H", 0);
  ASSERT_EQ(sends(b.fsm.on_tick(0, kWall), message_type::sync_request).size(), 1u);
  // Each timeout re-sends the request, request_retries_max times; then the round fails.
  std::uint64_t t = 0;
  for (std::uint32_t i = 0; i < sync_fsm::request_retries_max; ++i) {
    t += 500;
    b.fsm.peer_seen("H", t - 10);
    EXPECT_EQ(sends(b.fsm.on_tick(t, kWall), message_type::sync_request).size(), 1u) << "retry " << i;
    EXPECT_NE(b.fsm.status().state, sync_state::error);
  }
  t += 500;
  b.fsm.peer_seen("H", t - 10);
  EXPECT_TRUE(sends(b.fsm.on_tick(t, kWall), message_type::sync_request).empty());
  EXPECT_EQ(b.fsm.status().state, sync_state::error);
  EXPECT_EQ(b.fsm.counters().rounds_failed, 1u);
  EXPECT_EQ(b.fsm.counters().request_retries, sync_fsm::request_retries_max);
  b.fsm.peer_seen("H", t + 900);
  auto req = sends(b.fsm.sync_now(t + 1000), message_type::sync_request);
  ASSERT_EQ(req.size(), 1u);
  auto r = decode_sync_request(req[0].body);
  b.fsm.on_message("H", reply, encode_sync_reply(r->request_id, {}, false, {}), t + 1010, kWall);
  EXPECT_EQ(b.fsm.status().state, sync_state::synced);
}

// Proves: a request to a peer that has not answered yet (no round-trip
// sample) is sent again after request_timeout_first_ms (1 s), then 2 s, then
// at the configured ceiling, not after the ceiling (3 s) from the start. Rounds
// run one at a time, so a first request lost on a new link (a CURVE
// handshake the peer refused until it learned our key) held up all catch-up,
// the hub's included, for request_timeout_ms: a device that had just joined
// missed a hand-off's 2 s bound (cluster_test.manual_override_moves_the_master).
TEST(sync_fsm, a_first_request_without_a_reply_is_sent_again_after_a_second) {
  sync_config c;  // request_timeout_ms 3000
  c.sync_interval_ms = 100000;  // no periodic round inside this test
  node b("B", c);
  b.fsm.set_hub(std::string("H"));
  b.fsm.peer_seen("H", 0);
  ASSERT_EQ(sends(b.fsm.on_tick(0, kWall), message_type::sync_request).size(), 1u);
  const auto resent_at = [&](std::uint64_t t) {
    b.fsm.peer_seen("H", t - 1);
    return sends(b.fsm.on_tick(t, kWall), message_type::sync_request).size();
  };
  EXPECT_EQ(resent_at(999), 0u);
  EXPECT_EQ(resent_at(1000), 1u);   // 1 s
  EXPECT_EQ(resent_at(2999), 0u);
  EXPECT_EQ(resent_at(3000), 1u);   // then 2 s
  EXPECT_EQ(resent_at(5999), 0u);
  EXPECT_EQ(resent_at(6000), 1u);   // then the ceiling, 3 s
  EXPECT_EQ(b.fsm.counters().request_retries, sync_fsm::request_retries_max);
  EXPECT_EQ(resent_at(9000), 0u);   // the round failed
  EXPECT_EQ(b.fsm.counters().rounds_failed, 1u);
}

TEST(sync_fsm, offline_without_reachable_peers) {
  sync_config c;
  c.peer_timeout_ms = 1000;
  node b("B", c);
  EXPECT_EQ(b.fsm.status().state, sync_state::offline);
  b.fsm.peer_seen("H", 0);
  b.fsm.on_tick(10, kWall);
  EXPECT_NE(b.fsm.status().state, sync_state::offline);
  b.fsm.on_tick(2000, kWall);
  EXPECT_EQ(b.fsm.status().state, sync_state::offline);
  b.fsm.peer_seen("H", 2100);
  b.fsm.peer_lost("H");
  EXPECT_EQ(b.fsm.status().state, sync_state::offline);
}

// A store of one device (the till of a small shop, or the first device before
// any other joins) has nobody to sync with: standalone, not offline. Once the
// store enrolls another device, or a peer was heard, an unreachable store is
// offline again; a device still joining (no enrollment of itself) is offline.
TEST(sync_fsm, standalone_while_it_is_the_stores_only_device) {
  sn::trust::testing::device bo("BO"), pos("POS1");
  bo.found();
  sync_config c;
  c.peer_timeout_ms = 1000;
  {
    node b("BO", c);
    b.fsm.pin_store(sn::trust::testing::test_store);
    EXPECT_EQ(b.fsm.status().state, sync_state::offline);  // its genesis not seen yet
    for (const auto& e : bo.chain) b.fsm.observe(e);
    EXPECT_EQ(b.fsm.status().state, sync_state::standalone);
    EXPECT_STREQ(to_string(b.fsm.status().state), "standalone");
    bo.enroll(pos);
    b.fsm.observe(bo.chain.back());
    EXPECT_EQ(b.fsm.status().state, sync_state::offline);  // POS1 may come: its sales are not here
  }
  {
    // The founder that heard a peer and lost it stays offline, whatever its keyring.
    sn::trust::testing::device alone("BO");
    alone.found();
    node b("BO", c);
    b.fsm.pin_store(sn::trust::testing::test_store);
    for (const auto& e : alone.chain) b.fsm.observe(e);
    ASSERT_EQ(b.fsm.status().state, sync_state::standalone);
    b.fsm.peer_seen("H", 0);
    EXPECT_NE(b.fsm.status().state, sync_state::standalone);  // reachable: synced or pending
    b.fsm.peer_lost("H");
    EXPECT_EQ(b.fsm.status().state, sync_state::offline);
  }
  {
    // A device joining holds the founder's genesis before its own enrollment.
    node p("POS1", c);
    p.fsm.pin_store(sn::trust::testing::test_store);
    for (std::size_t i = 0; i < 2; ++i) p.fsm.observe(bo.chain[i]);
    EXPECT_EQ(p.fsm.status().state, sync_state::offline);
  }
  {
    // A revoked other device does not count: the store is one device again.
    sn::trust::testing::device founder("BO"), gone("POS2");
    founder.found();
    founder.enroll(gone);
    founder.revoke(gone, 0);
    node b("BO", c);
    b.fsm.pin_store(sn::trust::testing::test_store);
    for (const auto& e : founder.chain) b.fsm.observe(e);
    EXPECT_EQ(b.fsm.status().state, sync_state::standalone);
  }
}

TEST(sync_fsm, hub_relays_live_events_once_appended) {
  node h("H");
  h.fsm.set_hub(std::string("H"));
  auto a = chain("A", 2);
  auto outs = h.fsm.on_message("A", live, live_body(a, {1, 2}), 0, kWall);
  EXPECT_TRUE(publishes(outs).empty());
  auto after = h.fsm.on_appended(h.log.append(appends(outs).at(0).events), 1);
  auto pub = publishes(after);
  ASSERT_EQ(pub.size(), 1u);
  auto d = decode_live_events(pub[0].body);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->events.size(), 2u);
  EXPECT_EQ(d->events[0], a[0]);
  EXPECT_EQ(h.fsm.counters().events_relayed, 2u);
  // A client does not relay.
  node c("C");
  c.fsm.set_hub(std::string("H"));
  auto o2 = c.fsm.on_message("A", live, live_body(a, {1, 2}), 0, kWall);
  EXPECT_TRUE(publishes(c.fsm.on_appended(c.log.append(appends(o2).at(0).events), 1)).empty());
}

TEST(sync_fsm, live_publish_is_split_by_count_and_bytes) {
  sync_config c;
  c.live_batch_events_max = 2;
  node b("B", c);
  std::vector<std::string> own;
  for (int i = 0; i < 5; ++i) own.push_back(b.log.write_own(1700000000000 + i, 1));
  EXPECT_EQ(publishes(b.fsm.on_local_appended(own, 0)).size(), 3u);
  c = sync_config{};
  c.live_batch_bytes_max = 1024;
  node d("D", c);
  std::vector<std::string> big(10, std::string(300, 'x'));
  EXPECT_EQ(publishes(d.fsm.on_local_appended(big, 0)).size(), 4u);  // 3 x 300 B fit in 1024 B
}

TEST(sync_fsm, append_failure_loses_nothing_for_good) {
  node b("B");
  connect(b, "A", 0);
  auto a = chain("A", 3);
  auto outs = b.fsm.on_message("A", live, live_body(a, {1, 2}), 0, kWall);
  ASSERT_EQ(appends(outs).size(), 1u);
  b.fsm.on_append_failed("disk full", 1);
  EXPECT_EQ(b.fsm.status().state, sync_state::error);
  // The next live event is ahead of the lost ones: held, and a catch-up asked.
  outs = b.fsm.on_message("A", live, live_body(a, {3}), 2000, kWall);
  EXPECT_EQ(b.fsm.ahead_events(), 1u);
  auto req = sends(outs, message_type::sync_request);
  ASSERT_EQ(req.size(), 1u);
  auto r = decode_sync_request(req[0].body);
  EXPECT_EQ(r->versions.count("A"), 0u);  // asks for A from the start
}

// --- clock skew (docs/protocol.md 3.6) -------------------------------------------

constexpr std::uint64_t kDay = 86400000;

TEST(sync_fsm, event_too_far_ahead_is_refused_and_its_successors_wait_without_a_gap_round) {
  node b("B");
  connect(b, "A", 0);
  // A's third event is 3 days ahead of B's clock (and so is every later one).
  const auto a = chain_at("A", {kWall - 10, kWall, kWall + 3 * kDay, kWall + 3 * kDay, kWall + 3 * kDay + 1});
  auto outs = b.fsm.on_message("A", live, live_body(a, {1, 2, 3, 4, 5}), 10, kWall);
  auto ap = appends(outs);
  ASSERT_EQ(ap.size(), 1u);
  EXPECT_EQ(seqs_of(ap[0]), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(sends(outs, message_type::sync_request).empty()) << "a refusal is no gap: nothing to ask for now";
  b.run(outs, 10);
  EXPECT_EQ(b.log.versions().at("A"), 2u);
  EXPECT_EQ(b.fsm.counters().refused_clock_skew, 1u);
  EXPECT_EQ(b.fsm.counters().skew_waiting, 2u);
  EXPECT_EQ(b.fsm.ahead_events(), 0u);
  auto st = b.fsm.status();
  ASSERT_TRUE(st.skew_warning.has_value());
  EXPECT_EQ(st.skew_warning->origin, "A");
  EXPECT_EQ(st.skew_warning->peer, "A");
  EXPECT_EQ(st.skew_warning->seq, 3u);
  EXPECT_EQ(st.skew_warning->ahead_ms, 3 * kDay);
  EXPECT_EQ(st.skew_warning->since_wall_ms, kWall);
  EXPECT_EQ(st.max_skew_ms, 60000u);
  // Live events of the held origin keep arriving: dropped, no gap rounds.
  for (std::uint64_t t = 20; t < 200; t += 20) {
    auto o = b.fsm.on_message("A", live, live_body(a, {4, 5}), t, kWall);
    EXPECT_TRUE(o.empty());
  }
  EXPECT_EQ(b.fsm.counters().gap_requests, 0u);
}

TEST(sync_fsm, an_event_just_within_the_bound_is_appended) {
  sync_config c;
  c.max_skew_ms = 1000;
  node b("B", c);
  const auto a = chain_at("A", {kWall + 1000, kWall + 1001});
  auto outs = b.fsm.on_message("A", live, live_body(a, {1, 2}), 0, kWall);
  ASSERT_EQ(appends(outs).size(), 1u);
  EXPECT_EQ(seqs_of(appends(outs)[0]), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(b.fsm.counters().refused_clock_skew, 1u);
}

TEST(sync_fsm, held_origin_is_skipped_in_requests_and_asked_again_once_in_range) {
  sync_config c;
  c.sync_interval_ms = 100;
  node b("B", c);
  connect(b, "H", 0);
  const std::uint64_t ahead = kWall + 10 * 60000;  // 10 minutes ahead
  const auto a = chain_at("A", {kWall, ahead, ahead + 1});
  const auto x = chain("X", 2);
  // A catch-up reply from H: A:1 fits, A:2 is too far ahead, X comes along.
  auto req = sends(b.fsm.sync_now(10), message_type::sync_request);
  ASSERT_EQ(req.size(), 1u);
  auto r = decode_sync_request(req[0].body);
  EXPECT_TRUE(r->skip.empty());
  auto outs = b.fsm.on_message("H", reply, encode_sync_reply(r->request_id, {{"A", 3}, {"X", 2}}, true, {a[0], a[1], a[2], x[0]}), 20, kWall);
  outs = b.run(outs, 20);
  EXPECT_EQ(b.log.versions().at("A"), 1u);
  EXPECT_EQ(b.log.versions().at("X"), 1u);
  // The next batch is asked for at once, without A: the round goes on for X.
  auto next = sends(outs, message_type::sync_request);
  ASSERT_EQ(next.size(), 1u);
  auto r2 = decode_sync_request(next[0].body);
  EXPECT_EQ(r2->skip, (std::vector<std::string>{"A"}));
  outs = b.run(b.fsm.on_message("H", reply, encode_sync_reply(r2->request_id, {{"A", 3}, {"X", 2}}, false, {x[1]}), 30, kWall), 30);
  EXPECT_EQ(b.log.versions().at("X"), 2u);
  EXPECT_EQ(b.fsm.counters().rounds_completed, 2u);
  EXPECT_EQ(b.fsm.status().state, sync_state::pending) << "A:2.. is still missing";

  // Periodic rounds skip A while the wall clock says it is out of range (and the back-off holds).
  std::uint64_t t = 30;
  std::size_t asked_for_a = 0;
  auto answer = [&](const std::vector<output>& o, std::uint64_t now, std::uint64_t wall) {
    for (auto& m : sends(o, message_type::sync_request)) {
      auto q = decode_sync_request(m.body);
      const bool skips_a = std::find(q->skip.begin(), q->skip.end(), "A") != q->skip.end();
      std::vector<std::string> evs;
      if (!skips_a) {
        ++asked_for_a;
        evs = {a[1], a[2]};
      }
      b.run(b.fsm.on_message("H", reply, encode_sync_reply(q->request_id, {{"A", 3}, {"X", 2}}, false, evs), now, wall), now);
    }
  };
  for (; t < 60000; t += 100) {
    b.fsm.peer_seen("H", t);
    answer(b.fsm.on_tick(t, kWall + t), t, kWall + t);
  }
  // Back-off from 1 s doubling to 30 s: a handful of retries in a minute, not one per round.
  EXPECT_GE(asked_for_a, 3u);
  EXPECT_LE(asked_for_a, 8u);
  EXPECT_EQ(b.log.versions().at("A"), 1u);
  EXPECT_EQ(b.fsm.counters().refused_clock_skew, 1u + asked_for_a);
  // The wall clock reaches the point where A:2 is within the bound: asked for at once, appended.
  // (A:3 is 1 ms later: at that instant it is still 1 ms too far and waits again.)
  std::uint64_t in_range = ahead - 60000 - kWall;
  asked_for_a = 0;
  b.fsm.peer_seen("H", in_range);
  answer(b.fsm.on_tick(in_range, kWall + in_range), in_range, kWall + in_range);
  EXPECT_EQ(asked_for_a, 1u);
  EXPECT_EQ(b.log.versions().at("A"), 2u);
  ASSERT_EQ(b.fsm.skew_holds().size(), 1u);
  EXPECT_EQ(b.fsm.skew_holds()[0].seq, 3u);
  in_range += 1;
  b.fsm.peer_seen("H", in_range);
  answer(b.fsm.on_tick(in_range, kWall + in_range), in_range, kWall + in_range);
  EXPECT_EQ(b.log.versions().at("A"), 3u);
  EXPECT_FALSE(b.fsm.status().skew_warning.has_value());
  EXPECT_TRUE(b.fsm.skew_holds().empty());
}

TEST(sync_fsm, responder_leaves_skipped_origins_out) {
  node h("H");
  std::vector<sn::event> evs;
  for (const auto& e : chain("A", 3)) evs.push_back(*sn::decode(e));
  for (const auto& e : chain("X", 2)) evs.push_back(*sn::decode(e));
  h.log.append(evs);
  sync_request_body q;
  q.request_id = 1;
  q.count_max = 100;
  q.bytes_max = 1 << 20;
  q.skip = {"A"};
  const std::string body = sends(h.fsm.on_message("B", request, encode_sync_request(q), 0, kWall), message_type::sync_reply).at(0).body;
  auto rep = decode_sync_reply(body);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->events.size(), 2u);
  EXPECT_FALSE(rep->more);
  for (auto e : rep->events) EXPECT_EQ(sn::decode(e)->origin.value(), "X");
}

TEST(sync_fsm, a_responder_that_ignores_the_skip_list_ends_the_round) {
  sync_config c;
  c.sync_interval_ms = 100000;
  node b("B", c);
  b.fsm.set_hub(std::string("H"));
  connect(b, "H", 0);
  const auto a = chain_at("A", {kWall + kDay, kWall + kDay});
  // First refusal through live (relayed by the hub): A is held.
  b.run(b.fsm.on_message("H", live, live_body(a, {1}), 1, kWall), 1);
  ASSERT_EQ(b.fsm.skew_holds().size(), 1u);
  auto req = sends(b.fsm.sync_now(2), message_type::sync_request);
  ASSERT_EQ(req.size(), 1u);
  auto r = decode_sync_request(req[0].body);
  EXPECT_EQ(r->skip, (std::vector<std::string>{"A"}));
  // An older responder sends A anyway, with more=true: no next request now.
  auto outs = b.fsm.on_message("H", reply, encode_sync_reply(r->request_id, {{"A", 2}}, true, {a[0], a[1]}), 3, kWall);
  EXPECT_TRUE(sends(outs, message_type::sync_request).empty());
  EXPECT_EQ(b.fsm.counters().rounds_failed, 1u);
  EXPECT_EQ(b.log.size(), 0u);
}

TEST(sync_fsm, a_hold_ends_when_the_refused_seq_is_appended) {
  node b("B");
  // A forged copy of A:1 far ahead arrives first; the real A:1 (in range) then arrives live and is appended.
  const auto forged = chain_at("A", {kWall + kDay});
  const auto real = chain_at("A", {kWall, kWall + 1});
  b.run(b.fsm.on_message("F", live, live_body(forged, {1}), 0, kWall));
  ASSERT_EQ(b.fsm.skew_holds().size(), 1u);
  EXPECT_EQ(b.fsm.skew_holds()[0].peer, "F");
  b.run(b.fsm.on_message("A", live, live_body(real, {1, 2}), 1, kWall), 1);
  EXPECT_EQ(b.log.versions().at("A"), 2u) << "a hold never blocks an in-range event at the held seq";
  EXPECT_TRUE(b.fsm.skew_holds().empty());
}

} // namespace
