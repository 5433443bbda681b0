// What these tests prove: the uplink core publishes every event of every
// origin exactly in seq order, with a fence on every message that matches
// the stream's real sequences when it is the only writer; resumes from what
// the stream holds; stops on losing the master role; and starts over from
// the stream (a resync, never a blind retry) after a fence refusal, a
// duplicate, a mis-predicted sequence, a lost connection or a missing ack.
// How: the core is driven by hand with a fake clock and a tiny fake stream
// that applies JetStream's rules (expected last subject sequence, msg-id
// dedupe) to what the core asks to publish.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "actors/uplink/uplink_core.hpp"

using namespace sn::uplink;

namespace {

template <class T>
std::vector<T> only(const std::vector<output>& outs) {
  std::vector<T> v;
  for (auto& o : outs) {
    if (auto* p = std::get_if<T>(&o)) v.push_back(*p);
  }
  return v;
}

uplink_config small_config() {
  uplink_config c;
  c.in_flight_max = 8;
  c.batch_events_max = 4;
  c.retry_ms = 100;
  c.ack_timeout_ms = 1000;
  return c;
}

/// A stream with JetStream's publish rules, enough to check the fences.
struct fake_stream {
  struct msg {
    std::string origin;
    std::uint64_t seq;
  };
  std::vector<msg> messages;  // index + 1 = stream seq
  std::set<std::string> ids;
  std::uint64_t last_of(const std::string& origin) const {
    for (std::size_t i = messages.size(); i-- > 0;) {
      if (messages[i].origin == origin) return i + 1;
    }
    return 0;
  }
  /// JetStream: dedupe by id first, then the subject fence.
  struct result {
    bool ok;
    std::uint64_t stream_seq;
    bool duplicate;
  };
  result publish(const std::string& origin, std::uint64_t seq, std::uint64_t expect) {
    const std::string id = origin + ":" + std::to_string(seq);
    if (ids.count(id)) {
      for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].origin == origin && messages[i].seq == seq) return {true, i + 1, true};
      }
    }
    if (last_of(origin) != expect) return {false, 0, false};
    messages.push_back({origin, seq});
    ids.insert(id);
    return {true, messages.size(), false};
  }
  stream_position position() const {
    stream_position p;
    p.last_seq = messages.size();
    for (std::size_t i = 0; i < messages.size(); ++i) {
      p.origins[messages[i].origin] = stream_origin{messages[i].seq, i + 1};
    }
    return p;
  }
};

/// Carries out the core's outputs against a fake stream until nothing is
/// left (acks delivered at once, in order). Returns the publish ranges seen.
std::vector<publish_range> run(uplink_core& core, fake_stream& stream, std::vector<output> outs, std::uint64_t now) {
  std::vector<publish_range> seen;
  std::deque<output> queue(outs.begin(), outs.end());
  while (!queue.empty()) {
    auto o = queue.front();
    queue.pop_front();
    std::vector<output> next;
    if (auto* r = std::get_if<resync_request>(&o)) {
      next = core.on_resync(r->generation, stream.position(), now);
    } else if (auto* p = std::get_if<publish_range>(&o)) {
      seen.push_back(*p);
      for (std::uint64_t i = 0; i < p->count; ++i) {
        auto res = stream.publish(p->origin, p->first_seq + i, p->expected_for(i));
        auto more = res.ok ? core.on_ack(p->generation, p->origin, p->first_seq + i, res.stream_seq, res.duplicate, now)
                           : core.on_publish_failed(p->generation, p->origin, p->first_seq + i,
                                                    publish_error::wrong_last_sequence, "", now);
        next.insert(next.end(), more.begin(), more.end());
      }
    }
    queue.insert(queue.end(), next.begin(), next.end());
  }
  return seen;
}

/// Every origin's messages in the stream are 1..n once each, in order.
void expect_exactly_once(const fake_stream& s, const std::map<std::string, std::uint64_t>& heads) {
  std::map<std::string, std::uint64_t> next;
  for (auto& m : s.messages) {
    EXPECT_EQ(m.seq, next[m.origin] + 1) << m.origin;
    next[m.origin] = m.seq;
  }
  for (auto& [origin, head] : heads) EXPECT_EQ(next[origin], head) << origin;
}

} // namespace

TEST(uplink_subjects, names_and_parse) {
  EXPECT_EQ(subject_of("s1", "POS1"), "storenode.s1.events.POS1");
  EXPECT_EQ(store_subjects("s1"), "storenode.s1.events.*");
  EXPECT_EQ(message_id("s1", "POS1", 42), "s1:POS1:42");
  EXPECT_EQ(default_stream("s1"), "storenode_s1");
  auto p = parse_subject("storenode.berlin-3.events.POS.1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->store, "berlin-3");
  EXPECT_EQ(p->origin, "POS.1");
  EXPECT_FALSE(parse_subject("storenode.a.b.events.POS1"));  // a '.' in the store id
  EXPECT_FALSE(parse_subject("other.s1.events.POS1"));
  EXPECT_FALSE(parse_subject("storenode.s1.events."));
  EXPECT_FALSE(parse_subject("storenode.s1.events.a*b"));
  EXPECT_TRUE(valid_store_id("store_1-x"));
  EXPECT_FALSE(valid_store_id("a.b"));
  EXPECT_FALSE(valid_store_id(""));
  EXPECT_FALSE(valid_store_id(std::string(65, 'a')));
}

TEST(uplink_config_bounds, validate) {
  EXPECT_TRUE(uplink_config{}.validate());
  auto c = uplink_config{};
  c.batch_events_max = c.in_flight_max + 1;
  EXPECT_FALSE(c.validate());
  c = uplink_config{};
  c.in_flight_max = 0;
  EXPECT_FALSE(c.validate());
  c = uplink_config{};
  c.retry_ms = 1;
  EXPECT_FALSE(c.validate());
}

TEST(uplink_core, standby_publishes_nothing) {
  uplink_core core(small_config());
  EXPECT_TRUE(core.on_heads({{"POS1", 10}}, 0).empty());
  EXPECT_EQ(core.state(), uplink_state::standby);
  EXPECT_EQ(core.lag_events(), 0u);
  EXPECT_TRUE(core.on_tick(5000).empty());
}

TEST(uplink_core, master_resyncs_then_publishes_every_event_in_order_with_fences) {
  uplink_core core(small_config());
  fake_stream stream;
  (void)core.on_heads({{"POS1", 10}, {"POS2", 3}}, 0);
  auto outs = core.set_master(true, 0);
  ASSERT_EQ(only<resync_request>(outs).size(), 1u);
  EXPECT_EQ(core.state(), uplink_state::resyncing);
  auto ranges = run(core, stream, outs, 0);
  expect_exactly_once(stream, {{"POS1", 10}, {"POS2", 3}});
  EXPECT_EQ(core.lag_events(), 0u);
  EXPECT_EQ(core.state(), uplink_state::streaming);
  for (auto& r : ranges) EXPECT_LE(r.count, 4u);  // batch_events_max
  auto s = core.status();
  EXPECT_EQ(s.counters.acked, 13u);
  EXPECT_EQ(s.counters.fenced, 0u);
  EXPECT_EQ(s.acked.at("POS1"), 10u);
  // Later events go out as the log grows.
  run(core, stream, core.on_heads({{"POS2", 5}}, 10), 10);
  expect_exactly_once(stream, {{"POS1", 10}, {"POS2", 5}});
}

TEST(uplink_core, in_flight_is_bounded_and_origins_take_turns) {
  uplink_core core(small_config());
  (void)core.on_heads({{"A", 100}, {"B", 100}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  auto outs = core.on_resync(r.at(0).generation, stream_position{}, 0);
  auto ranges = only<publish_range>(outs);
  std::uint64_t total = 0;
  std::set<std::string> origins;
  for (auto& p : ranges) {
    total += p.count;
    origins.insert(p.origin);
  }
  EXPECT_EQ(total, 8u);  // in_flight_max
  EXPECT_EQ(origins.size(), 2u);
  // Predicted stream sequences run on without holes across ranges.
  std::uint64_t next = 1;
  for (auto& p : ranges) {
    EXPECT_EQ(p.first_stream_seq, next);
    next += p.count;
  }
  EXPECT_EQ(core.status().in_flight, 8u);
}

TEST(uplink_core, resumes_from_what_the_stream_holds) {
  uplink_core core(small_config());
  (void)core.on_heads({{"POS1", 9}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  stream_position pos;
  pos.last_seq = 40;
  pos.origins["POS1"] = stream_origin{6, 33};
  auto ranges = only<publish_range>(core.on_resync(r.at(0).generation, pos, 0));
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].first_seq, 7u);
  EXPECT_EQ(ranges[0].count, 3u);
  EXPECT_EQ(ranges[0].expected_for(0), 33u);  // the subject's last message
  EXPECT_EQ(ranges[0].first_stream_seq, 41u);
  EXPECT_EQ(ranges[0].expected_for(1), 41u);
  EXPECT_EQ(ranges[0].expected_for(2), 42u);
}

TEST(uplink_core, a_stream_ahead_of_the_log_waits_for_the_log) {
  // A new master that has not yet synced what the old master published.
  uplink_core core(small_config());
  (void)core.on_heads({{"POS1", 3}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  stream_position pos;
  pos.last_seq = 5;
  pos.origins["POS1"] = stream_origin{5, 5};
  EXPECT_TRUE(only<publish_range>(core.on_resync(r.at(0).generation, pos, 0)).empty());
  EXPECT_EQ(core.lag_events(), 0u);
  auto ranges = only<publish_range>(core.on_heads({{"POS1", 7}}, 1));
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].first_seq, 6u);
  EXPECT_EQ(ranges[0].expected_for(0), 5u);
}

TEST(uplink_core, two_masters_never_store_an_event_twice) {
  // The old master keeps publishing after the new one took over (it has not
  // heard of its deposition yet). Both drive the same stream; the fences and
  // resyncs keep every origin's messages 1..n exactly once.
  fake_stream stream;
  uplink_core a(small_config()), b(small_config());
  (void)a.on_heads({{"POS1", 6}, {"POS2", 2}}, 0);
  run(a, stream, a.set_master(true, 0), 0);
  (void)b.on_heads({{"POS1", 6}, {"POS2", 2}}, 0);
  // Both learn of new events; the old master's publishes interleave with the new one's.
  auto out_a = a.on_heads({{"POS1", 20}, {"POS2", 9}}, 1);
  auto out_b = b.set_master(true, 1);
  auto more_b = b.on_heads({{"POS1", 20}, {"POS2", 9}}, 1);  // before its resync answer: nothing yet
  EXPECT_TRUE(only<publish_range>(more_b).empty());
  run(b, stream, out_b, 1);
  run(a, stream, out_a, 2);  // late: every publish of a's now fails its fence or is a duplicate
  run(b, stream, b.on_heads({{"POS1", 25}, {"POS2", 9}}, 3), 3);
  expect_exactly_once(stream, {{"POS1", 25}, {"POS2", 9}});
  EXPECT_GT(a.status().counters.fenced + a.status().counters.duplicates, 0u);
}

TEST(uplink_core, a_fence_refusal_starts_a_resync_and_old_reports_are_ignored) {
  uplink_core core(small_config());
  (void)core.on_heads({{"POS1", 4}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  auto ranges = only<publish_range>(core.on_resync(r.at(0).generation, stream_position{}, 0));
  ASSERT_EQ(ranges.size(), 1u);
  const auto gen = ranges[0].generation;
  auto outs = core.on_publish_failed(gen, "POS1", 1, publish_error::wrong_last_sequence, "wrong last sequence", 5);
  auto again = only<resync_request>(outs);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_GT(again[0].generation, gen);
  EXPECT_EQ(core.status().counters.fenced, 1u);
  // The rest of the old range reports later: ignored.
  EXPECT_TRUE(core.on_ack(gen, "POS1", 2, 2, false, 6).empty());
  EXPECT_EQ(core.status().counters.stale_reports, 1u);
  EXPECT_EQ(core.status().acked.at("POS1"), 0u);
}

TEST(uplink_core, a_duplicate_or_a_mispredicted_sequence_starts_a_resync) {
  for (bool duplicate : {true, false}) {
    uplink_core core(small_config());
    (void)core.on_heads({{"POS1", 4}}, 0);
    auto r = only<resync_request>(core.set_master(true, 0));
    auto ranges = only<publish_range>(core.on_resync(r.at(0).generation, stream_position{}, 0));
    const auto gen = ranges.at(0).generation;
    auto outs = core.on_ack(gen, "POS1", 1, duplicate ? 1 : 7, duplicate, 1);
    EXPECT_EQ(only<resync_request>(outs).size(), 1u) << duplicate;
    EXPECT_EQ(core.status().acked.at("POS1"), 1u);  // the stream holds it either way
  }
}

TEST(uplink_core, an_ack_out_of_order_is_not_trusted) {
  uplink_core core(small_config());
  (void)core.on_heads({{"POS1", 4}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  auto ranges = only<publish_range>(core.on_resync(r.at(0).generation, stream_position{}, 0));
  (void)core.on_ack(ranges.at(0).generation, "POS1", 2, 2, false, 1);
  EXPECT_EQ(core.status().acked.at("POS1"), 0u);
  EXPECT_EQ(core.state(), uplink_state::backoff);
}

TEST(uplink_core, losing_the_master_role_stops_publishing) {
  uplink_core core(small_config());
  (void)core.on_heads({{"POS1", 4}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  auto ranges = only<publish_range>(core.on_resync(r.at(0).generation, stream_position{}, 0));
  EXPECT_TRUE(core.set_master(false, 1).empty());
  EXPECT_EQ(core.state(), uplink_state::standby);
  EXPECT_TRUE(core.on_ack(ranges.at(0).generation, "POS1", 1, 1, false, 2).empty());
  EXPECT_TRUE(core.on_heads({{"POS1", 50}}, 3).empty());
  EXPECT_TRUE(core.on_tick(100000).empty());
  EXPECT_EQ(core.lag_events(), 0u);
}

TEST(uplink_core, a_lost_connection_waits_for_the_link_then_resyncs) {
  uplink_core core(small_config());
  (void)core.on_heads({{"POS1", 4}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  (void)core.on_resync(r.at(0).generation, stream_position{}, 0);
  (void)core.on_link(false, 10);
  EXPECT_EQ(core.state(), uplink_state::backoff);
  EXPECT_EQ(core.status().in_flight, 0u);
  EXPECT_TRUE(only<resync_request>(core.on_tick(100000)).empty());  // no link: no resync
  EXPECT_EQ(core.lag_events(), 4u);                                 // the log is the backlog
  EXPECT_EQ(only<resync_request>(core.on_link(true, 100001)).size(), 1u);
}

TEST(uplink_core, other_errors_back_off_then_resync) {
  uplink_core core(small_config());
  (void)core.on_heads({{"POS1", 4}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  auto ranges = only<publish_range>(core.on_resync(r.at(0).generation, stream_position{}, 0));
  auto outs = core.on_publish_failed(ranges.at(0).generation, "POS1", 1, publish_error::timeout, "", 10);
  EXPECT_TRUE(only<resync_request>(outs).empty());
  auto timers = only<set_timer>(outs);
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].deadline_ms, 110u);  // retry_ms later
  EXPECT_TRUE(only<resync_request>(core.on_tick(50)).empty());
  EXPECT_EQ(only<resync_request>(core.on_tick(110)).size(), 1u);
  // A resync that fails backs off too.
  auto gen = core.generation();
  EXPECT_TRUE(only<resync_request>(core.on_resync_failed(gen, "stream not reachable", 120)).empty());
  EXPECT_EQ(core.state(), uplink_state::backoff);
  EXPECT_EQ(core.status().counters.resync_failures, 1u);
}

TEST(uplink_core, a_missing_ack_times_out) {
  uplink_core core(small_config());
  (void)core.on_heads({{"POS1", 4}}, 0);
  auto r = only<resync_request>(core.set_master(true, 0));
  (void)core.on_resync(r.at(0).generation, stream_position{}, 0);
  EXPECT_EQ(core.status().in_flight, 4u);
  (void)core.on_tick(999);
  EXPECT_EQ(core.state(), uplink_state::streaming);
  (void)core.on_tick(1000);
  EXPECT_EQ(core.state(), uplink_state::backoff);
  EXPECT_EQ(core.status().counters.publish_errors, 1u);
}

TEST(uplink_core, a_forged_message_in_the_stream_is_fenced_out_and_streaming_goes_on) {
  // Someone else publishes on POS1's subject: the next fenced publish fails,
  // the resync names the forged message as the subject's last (stream seq)
  // with the origin's last genuine seq, and streaming resumes behind it.
  uplink_core core(small_config());
  fake_stream stream;
  (void)core.on_heads({{"POS1", 3}}, 0);
  run(core, stream, core.set_master(true, 0), 0);
  stream.messages.push_back({"POS1", 99});  // forged
  auto outs = core.on_heads({{"POS1", 5}}, 1);
  auto ranges = only<publish_range>(outs);
  ASSERT_EQ(ranges.size(), 1u);
  auto res = stream.publish("POS1", 4, ranges[0].expected_for(0));
  EXPECT_FALSE(res.ok);
  auto again = only<resync_request>(core.on_publish_failed(ranges[0].generation, "POS1", 4,
                                                           publish_error::wrong_last_sequence, "", 2));
  ASSERT_EQ(again.size(), 1u);
  stream_position pos;
  pos.last_seq = stream.messages.size();
  pos.origins["POS1"] = stream_origin{3, stream.messages.size()};  // what the shell's walk-back finds
  auto resumed = only<publish_range>(core.on_resync(again[0].generation, pos, 3));
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].first_seq, 4u);
  EXPECT_EQ(resumed[0].expected_for(0), 4u);
  EXPECT_TRUE(stream.publish("POS1", 4, resumed[0].expected_for(0)).ok);
  EXPECT_TRUE(stream.publish("POS1", 5, resumed[0].expected_for(1)).ok);
}
