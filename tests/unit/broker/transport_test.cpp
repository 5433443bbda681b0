// The transport over real sockets on 127.0.0.1 (free ports). Each test says
// what it proves. No sleeping to wait for a condition: wait_for polls with a
// deadline. PUB/SUB joins asynchronously, so publishers repeat until heard.
#include "broker/transport.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include <zmq.hpp>

#include "tests/support/free_port.hpp"
#include "tests/unit/broker/transport_support.hpp"

using namespace sn::broker;
using namespace std::chrono_literals;

namespace {

using namespace sn::broker::test;

std::uint64_t dropped_total(const transport_stats& s) {
  return s.dropped_malformed + s.dropped_oversized + s.dropped_unknown_version;
}

} // namespace

// Proves: a published frame reaches a subscribed peer with type, body, sender and channel intact.
TEST(transport, publish_reaches_peer) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto a = start_node(a_addr, {b_addr});
  auto b = start_node(b_addr, {a_addr});
  ASSERT_TRUE(a.t && b.t);
  ASSERT_TRUE(publish_until_heard(a, b, 10, "hello"));
  auto in = *b.box->first(10);
  EXPECT_EQ(in.peer, a_addr);
  EXPECT_EQ(in.body, "hello");
  EXPECT_EQ(in.ch, channel::pub);
  EXPECT_GE(a.t->stats().frames_out_pub, 1u);
  EXPECT_GE(b.t->stats().frames_in_pub, 1u);
  EXPECT_EQ(dropped_total(b.t->stats()), 0u);
}

// Proves the learning path (docs/protocol.md 2.6): B does not know A. A's
// direct request makes A a candidate at B: B dials A but holds A's frames
// back until a frame published at A's address names A (A's "heartbeat").
// From then on B delivers A's requests and answers from inside its callback
// through its own DEALER, and A counts as B's peer.
TEST(transport, direct_request_and_reply_with_sender_learning) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto a = start_node(a_addr, {b_addr});
  node b;
  b.address = b_addr;
  transport* b_raw = nullptr;
  auto r = transport::start(options_for(b_addr), [&b_raw, box = b.box](inbound&& in) {
    if (in.type == 1) b_raw->send(in.peer, 2, "pong:" + in.body);  // answer the requester
    (*box)(std::move(in));
  });
  ASSERT_TRUE(r) << r.error().to_string();
  b.t = std::move(*r);
  b_raw = b.t.get();
  EXPECT_TRUE(b.t->peers().empty());

  // Before A publishes anything, its request is held back (B dials A meanwhile).
  ASSERT_TRUE(a.t->send(b_addr, 1, "ping"));
  ASSERT_TRUE(wait_for([&] { return b.t->stats().dropped_unproven >= 1 && b.t->stats().peers_probation == 1; }));
  EXPECT_EQ(b.box->count(1), 0u);
  EXPECT_TRUE(b.t->peers().empty());

  // A's heartbeat proves A; its next request is delivered and answered.
  ASSERT_TRUE(publish_until_heard(a, b, 3, "heartbeat"));
  EXPECT_EQ(b.t->peers(), std::vector<std::string>{a_addr});
  EXPECT_EQ(b.t->stats().peers_probation, 0u);
  ASSERT_TRUE(a.t->send(b_addr, 1, "ping"));
  ASSERT_TRUE(wait_for([&] { return a.box->count(2) > 0; }));
  auto req = *b.box->first(1);
  EXPECT_EQ(req.peer, a_addr);
  EXPECT_EQ(req.ch, channel::direct);
  auto rep = *a.box->first(2);
  EXPECT_EQ(rep.peer, b_addr);
  EXPECT_EQ(rep.body, "pong:ping");
  EXPECT_EQ(rep.ch, channel::direct);
}

// Proves: add_peer nominates a learned candidate (idempotent; refuses
// ourselves and bad addresses) that counts once its PUB is heard naming it;
// send() to an unknown address nominates it the same way.
TEST(transport, add_peer_learning) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto c_addr = sn::test::free_node_address();
  auto a = start_node(a_addr);
  auto b = start_node(b_addr);
  auto c = start_node(c_addr, {a_addr});
  EXPECT_TRUE(a.t->add_peer(b_addr));
  EXPECT_TRUE(a.t->add_peer(b_addr));
  EXPECT_FALSE(a.t->add_peer(a_addr));
  EXPECT_FALSE(a.t->add_peer("tcp://nowhere"));
  EXPECT_FALSE(a.t->send("not-an-address", 1, "x"));
  EXPECT_TRUE(wait_for([&] { return a.t->stats().peers_probation == 1; }));
  EXPECT_TRUE(a.t->peers().empty());
  EXPECT_TRUE(publish_until_heard(b, a, 5, "from b"));
  EXPECT_EQ(a.t->peers(), std::vector<std::string>{b_addr});

  ASSERT_TRUE(a.t->send(c_addr, 6, "to c"));  // C knows A (configured): delivered at once
  EXPECT_TRUE(wait_for([&] { return c.box->count(6) == 1; }));
  EXPECT_TRUE(publish_until_heard(c, a, 7, "from c"));
  EXPECT_EQ(a.t->stats().peers, 2u);
  EXPECT_EQ(a.t->peers().size(), 2u);
}

// Proves: direct frames below the high-water mark arrive complete and in order.
TEST(transport, direct_frames_arrive_in_order) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto a = start_node(a_addr, {b_addr});
  auto b = start_node(b_addr, {a_addr});
  constexpr int n = 500;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(a.t->send(b_addr, 9, std::to_string(i)));
  ASSERT_TRUE(wait_for([&] { return b.box->count(9) == n; }));
  auto got = b.box->all(9);
  for (int i = 0; i < n; ++i) ASSERT_EQ(got[i].body, std::to_string(i));
  EXPECT_EQ(a.t->stats().frames_out_direct, static_cast<std::uint64_t>(n));
  EXPECT_EQ(b.t->stats().frames_in_direct, static_cast<std::uint64_t>(n));
}

// Proves: after a peer's process restarts on the same address, both directions
// work again without anyone calling add_peer (ZeroMQ redials by itself).
TEST(transport, restarted_peer_is_reached_again) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto a = start_node(a_addr, {b_addr});
  auto b = start_node(b_addr, {a_addr});
  ASSERT_TRUE(a.t->send(b_addr, 1, "before"));
  ASSERT_TRUE(wait_for([&] { return b.box->count(1) == 1; }));
  ASSERT_TRUE(publish_until_heard(b, a, 2, "before"));

  b.t.reset();  // the peer goes away
  auto b2 = start_node(b_addr, {a_addr});
  ASSERT_TRUE(b2.t);
  EXPECT_TRUE(wait_for([&] {
    a.t->send(b_addr, 3, "after");
    return b2.box->count(3) > 0;
  }));
  EXPECT_TRUE(publish_until_heard(b2, a, 4, "after"));
  EXPECT_TRUE(publish_until_heard(a, b2, 5, "after"));
}

// Proves: garbage from a raw ZeroMQ client (random bytes, wrong part counts, a
// bad version, a bad header, an oversized body, a body so large ZeroMQ itself
// cuts the connection) is dropped and counted, on the ROUTER and on a SUB, and
// the transport keeps working.
TEST(transport, garbage_frames_are_dropped_and_counted) {
  auto seed = static_cast<unsigned>(std::random_device{}());
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto random_bytes = [&](std::size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  };

  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  // The raw client's frames name a configured (if unreachable) sender, so
  // that valid ones are delivered.
  const std::string raw_sender = "tcp://127.0.0.1:1";
  auto o = options_for(b_addr, {a_addr, raw_sender});
  o.message_bytes_max = 64 * 1024;
  auto b = start_node(o);
  auto a = start_node(a_addr, {b_addr});
  ASSERT_TRUE(a.t && b.t);

  zmq::context_t ctx;
  zmq::socket_t raw(ctx, zmq::socket_type::dealer);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(b_addr);
  auto send_parts = [&](std::vector<std::string> parts) {
    for (std::size_t i = 0; i < parts.size(); ++i)
      raw.send(zmq::buffer(parts[i]), i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  };
  const std::string good_header = encode_header(50, raw_sender);

  // Random single parts and random headers: malformed or unknown version.
  constexpr int random_frames = 50;
  for (int i = 0; i < random_frames; ++i) send_parts({random_bytes(1 + rng() % 64)});
  auto random_header = [&] {  // random bytes that are not, by chance, a valid header
    for (;;) {
      auto h = random_bytes(1 + rng() % 8);
      frame_header ignored;
      if (decode_header(h, ignored) != header_check::ok) return h;
    }
  };
  for (int i = 0; i < random_frames; ++i) send_parts({random_header(), random_bytes(rng() % 64)});
  send_parts({good_header, "body", "extra part"});       // wrong part count
  send_parts({std::string("\x02\x32\x01x", 4), "v2"});   // unknown version
  send_parts({std::string("\x01\x32\x09x", 4), "len"});  // header length mismatch
  send_parts({good_header, std::string(64 * 1024 + 1, 'x')});  // oversized, under ZMQ_MAXMSGSIZE
  send_parts({good_header, "marker"});                   // valid: arrives after all the above
  ASSERT_TRUE(wait_for([&] { return b.box->count(50) == 1; }));
  auto s = b.t->stats();
  EXPECT_EQ(dropped_total(s), 2u * random_frames + 4);
  EXPECT_GE(s.dropped_malformed, 2u);
  EXPECT_GE(s.dropped_unknown_version, 1u);
  EXPECT_EQ(s.dropped_oversized, 1u);
  EXPECT_EQ(b.box->count(50), 1u);

  // Over ZMQ_MAXMSGSIZE (2 x message_bytes_max): ZeroMQ drops the connection.
  send_parts({good_header, std::string(256 * 1024, 'y')});

  // The SUB side: a raw PUB posing as a peer's PUB sends garbage, then a marker.
  auto fake_port = sn::test::free_tcp_port(2);
  const std::string fake_addr = "tcp://127.0.0.1:" + std::to_string(fake_port);
  zmq::socket_t raw_pub(ctx, zmq::socket_type::pub);
  raw_pub.set(zmq::sockopt::linger, 0);
  raw_pub.bind("tcp://127.0.0.1:" + std::to_string(fake_port + 1));
  ASSERT_TRUE(b.t->add_peer(fake_addr));
  const std::string pub_header = encode_header(50, fake_addr);  // names its own address: proves it
  ASSERT_TRUE(wait_for([&] {  // until B's SUB has joined
    raw_pub.send(zmq::buffer(pub_header), zmq::send_flags::sndmore);
    raw_pub.send(zmq::str_buffer("join"));
    return b.box->count(50) >= 2;
  }));
  auto before = dropped_total(b.t->stats());
  for (int i = 0; i < random_frames; ++i) raw_pub.send(zmq::buffer(random_bytes(1 + rng() % 64)));
  raw_pub.send(zmq::buffer(std::string("\x07\x01\x01x", 4)), zmq::send_flags::sndmore);
  raw_pub.send(zmq::str_buffer("v7"));
  const std::string end_header = encode_header(51, fake_addr);
  raw_pub.send(zmq::buffer(end_header), zmq::send_flags::sndmore);
  raw_pub.send(zmq::str_buffer("end"));
  ASSERT_TRUE(wait_for([&] { return b.box->count(51) == 1; }));
  EXPECT_EQ(dropped_total(b.t->stats()) - before, random_frames + 1u);

  // Still working for real peers, both ways.
  ASSERT_TRUE(a.t->send(b_addr, 60, "still alive"));
  EXPECT_TRUE(wait_for([&] { return b.box->count(60) == 1; }));
  EXPECT_TRUE(publish_until_heard(b, a, 61, "me too"));
}

// Proves: a port in use gives a clear bind_failed error naming the address and socket.
TEST(transport, bind_conflict_is_a_clear_error) {
  auto addr = sn::test::free_node_address();
  auto a = start_node(addr);
  ASSERT_TRUE(a.t);
  auto r = transport::start(options_for(addr), [](inbound&&) {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::bind_failed));
  EXPECT_NE(r.error().message.find(addr), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("ROUTER"), std::string::npos) << r.error().message;

  // PORT free but PORT+1 taken: the PUB bind fails and says so.
  auto port = sn::test::free_tcp_port(2);
  zmq::context_t ctx;
  zmq::socket_t squatter(ctx, zmq::socket_type::pull);
  squatter.set(zmq::sockopt::linger, 0);
  squatter.bind("tcp://127.0.0.1:" + std::to_string(port + 1));
  auto r2 = transport::start(options_for("tcp://127.0.0.1:" + std::to_string(port)), [](inbound&&) {});
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, static_cast<int>(errc::bind_failed));
  EXPECT_NE(r2.error().message.find("PUB"), std::string::npos) << r2.error().message;
}

// Proves: bad options are refused up front with the folder's error codes.
TEST(transport, invalid_options_are_refused) {
  auto cb = [](inbound&&) {};
  auto r = transport::start(options_for("tcp://127.0.0.1"), cb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::invalid_address));
  auto addr = sn::test::free_node_address();
  auto wildcard_advertised = options_for(addr);
  wildcard_advertised.advertised = "tcp://0.0.0.0:" + addr.substr(addr.rfind(':') + 1);
  r = transport::start(wildcard_advertised, cb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::invalid_option));
  r = transport::start(options_for("tcp://no-such-host.invalid:7000"), cb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::invalid_address));
  auto small = options_for(addr);
  small.message_bytes_max = 10;
  r = transport::start(small, cb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::invalid_option));
  auto bad_peer = options_for(addr, {"tcp://x"});
  r = transport::start(bad_peer, cb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::invalid_address));
}

// Proves: an oversized outbound body is refused at the call, not sent.
TEST(transport, oversized_outbound_is_refused) {
  auto addr = sn::test::free_node_address();
  auto o = options_for(addr);
  o.message_bytes_max = 1024;
  auto a = start_node(o);
  EXPECT_FALSE(a.t->publish(1, std::string(1025, 'x')));
  EXPECT_FALSE(a.t->send(sn::test::free_node_address(), 1, std::string(1025, 'x')));
  EXPECT_TRUE(a.t->publish(1, std::string(1024, 'x')));
  EXPECT_EQ(a.t->stats().send_rejected, 2u);
}

// Proves: the hand-off queue is bounded: with the I/O thread held inside a
// callback, publish() fails (and counts) once command_queue_max is reached,
// instead of blocking or growing without bound; after release all is well.
TEST(transport, full_queue_reports_failure) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  std::mutex m;
  std::condition_variable cv;
  bool in_callback = false, released = false;
  auto r = transport::start(options_for(b_addr, {a_addr}), [&](inbound&&) {
    std::unique_lock<std::mutex> l(m);
    in_callback = true;
    cv.notify_all();
    cv.wait(l, [&] { return released; });
  });
  ASSERT_TRUE(r);
  auto b = std::move(*r);
  auto a = start_node(a_addr, {b_addr});
  ASSERT_TRUE(a.t->send(b_addr, 1, "hold"));
  {
    std::unique_lock<std::mutex> l(m);
    ASSERT_TRUE(cv.wait_for(l, deadline, [&] { return in_callback; }));
  }
  std::size_t accepted = 0;
  for (std::size_t i = 0; i <= command_queue_max; ++i) accepted += b->publish(2, "") ? 1 : 0;
  EXPECT_EQ(accepted, command_queue_max);
  EXPECT_EQ(b->stats().send_queue_full, 1u);
  {
    std::lock_guard<std::mutex> l(m);
    released = true;
  }
  cv.notify_all();
  EXPECT_TRUE(wait_for([&] { return b->stats().frames_out_pub == command_queue_max; }));
  EXPECT_TRUE(b->publish(2, ""));
}

// Proves: an exception thrown by on_message is caught and counted; later frames still arrive.
TEST(transport, throwing_callback_is_contained) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto box = std::make_shared<inbox>();
  auto r = transport::start(options_for(b_addr, {a_addr}), [box](inbound&& in) {
    if (in.type == 1) throw std::runtime_error("handler bug");
    (*box)(std::move(in));
  });
  ASSERT_TRUE(r);
  auto b = std::move(*r);
  auto a = start_node(a_addr, {b_addr});
  ASSERT_TRUE(a.t->send(b_addr, 1, "boom"));
  ASSERT_TRUE(a.t->send(b_addr, 2, "fine"));
  EXPECT_TRUE(wait_for([&] { return box->count(2) == 1; }));
  EXPECT_EQ(b->stats().callback_errors, 1u);
}

// Proves the I/O thread blocks when idle (no busy polling): over an idle
// second with a connected peer, the reactor wakes only a handful of times
// (the idle timeout is idle_poll_timeout_ms). Not a timing assertion: it
// counts loop iterations, which a busy loop would push into the millions.
TEST(transport, idle_reactor_blocks) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto a = start_node(a_addr, {b_addr});
  auto b = start_node(b_addr, {a_addr});
  ASSERT_TRUE(publish_until_heard(a, b, 1, "warm up"));
  ASSERT_TRUE(publish_until_heard(b, a, 1, "warm up"));
  // Let the frames published while joining drain before measuring.
  std::this_thread::sleep_for(200ms);
  auto before = a.t->stats().loop_iterations;
  std::this_thread::sleep_for(1s);  // the idle interval being measured, not a wait for a condition
  auto woke = a.t->stats().loop_iterations - before;
  EXPECT_LE(woke, 10u) << "the reactor woke " << woke << " times in an idle second";
}

// Proves: a node that reaches itself through an alias of its address (localhost
// for 127.0.0.1) drops its own frames instead of delivering them to itself.
TEST(transport, own_frames_through_an_alias_are_dropped) {
  auto addr = sn::test::free_node_address();
  auto a = start_node(addr);
  auto alias = "tcp://localhost:" + addr.substr(addr.rfind(':') + 1);
  ASSERT_TRUE(a.t->add_peer(alias));
  EXPECT_TRUE(wait_for([&] {
    a.t->publish(1, "echo?");
    return a.t->stats().dropped_own > 0;
  }));
  ASSERT_TRUE(a.t->send(alias, 2, "to myself"));
  EXPECT_TRUE(wait_for([&] { return a.t->stats().dropped_own > 1; }));
  EXPECT_EQ(a.box->count(1) + a.box->count(2), 0u);
  // The alias never proves itself (its frames name us): a candidate, never a peer.
  EXPECT_TRUE(a.t->peers().empty());
  EXPECT_EQ(a.t->stats().peers_probation, 1u);
}

// Proves: bracketed IPv6 literals work for bind and connect (skipped where the
// machine has no IPv6 loopback).
TEST(transport, ipv6_loopback) {
  auto port = sn::test::free_tcp_port(2);
  auto port2 = sn::test::free_tcp_port(2);
  auto a_addr = "tcp://[::1]:" + std::to_string(port);
  auto b_addr = "tcp://[::1]:" + std::to_string(port2);
  auto box = std::make_shared<inbox>();
  auto b = transport::start(options_for(b_addr, {a_addr}), [box](inbound&& in) { (*box)(std::move(in)); });
  if (!b && b.error().code == static_cast<int>(errc::bind_failed)) GTEST_SKIP() << b.error().message;
  ASSERT_TRUE(b) << b.error().to_string();
  auto a = start_node(a_addr, {b_addr});
  ASSERT_TRUE(a.t);
  ASSERT_TRUE(a.t->send(b_addr, 1, "v6"));
  EXPECT_TRUE(wait_for([&] { return box->count(1) == 1; }));
  EXPECT_EQ(box->first(1)->peer, a_addr);
}
