// Links and peers of the transport over real sockets on 127.0.0.1 (issues 13
// and 16): a flood of fake senders does not keep a real device out; links heal
// after a protocol error; wildcard binds, advertised addresses, host names and
// configured aliases; one port, one node. Each test says what it proves; every
// wait polls with a deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include <zmq.hpp>

#include "broker/address.hpp"
#include "broker/transport.hpp"
#include "tests/support/free_port.hpp"
#include "tests/unit/broker/transport_support.hpp"

using namespace sn::broker;
using namespace sn::broker::test;
using namespace std::chrono_literals;

namespace {

/// A fake peer driven by the test: a raw ROUTER at PORT and a raw PUB at PORT+1.
struct fake_peer {
  zmq::context_t ctx;
  zmq::socket_t router{ctx, zmq::socket_type::router};
  zmq::socket_t pub{ctx, zmq::socket_type::pub};
  std::string address;

  fake_peer() {
    const auto port = sn::test::free_tcp_port(2);
    address = "tcp://127.0.0.1:" + std::to_string(port);
    router.set(zmq::sockopt::linger, 0);
    pub.set(zmq::sockopt::linger, 0);
    router.bind(address);
    pub.bind("tcp://127.0.0.1:" + std::to_string(port + 1));
  }
  void publish(message_type t, const std::string& body) {
    const auto h = encode_header(t, address);
    pub.send(zmq::buffer(h), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(body));
  }
  /// Bodies of the direct frames received so far (non-blocking).
  std::vector<std::string> receive() {
    std::vector<std::string> bodies;
    for (;;) {
      std::vector<zmq::message_t> parts;
      zmq::message_t m;
      if (!router.recv(m, zmq::recv_flags::dontwait)) return bodies;
      parts.push_back(std::move(m));
      while (parts.back().more()) {
        zmq::message_t more;
        (void)router.recv(more);
        parts.push_back(std::move(more));
      }
      if (parts.size() == 3) {
        last_routing_id = parts[0].to_string();
        bodies.push_back(parts[2].to_string());
      }
    }
  }
  std::string last_routing_id;
};

/// Sends [header naming `sender`][body] from a raw DEALER.
void send_as(zmq::socket_t& dealer, const std::string& sender, message_type t, const std::string& body) {
  const auto h = encode_header(t, sender);
  dealer.send(zmq::buffer(h), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  dealer.send(zmq::buffer(body), zmq::send_flags::dontwait);
}

/// Flood of fake senders from `connections` raw DEALERs (one thread owns them all).
class flooder {
 public:
  flooder(const std::string& target, int connections, std::uint32_t seed) : target_(target) {
    thread_ = std::thread([this, connections, seed] {
      zmq::context_t ctx;
      std::vector<zmq::socket_t> dealers;
      for (int i = 0; i < connections; ++i) {
        dealers.emplace_back(ctx, zmq::socket_type::dealer);
        dealers.back().set(zmq::sockopt::linger, 0);
        dealers.back().set(zmq::sockopt::sndhwm, 100'000);
        dealers.back().connect(target_);
      }
      std::mt19937 rng(seed);
      while (!stop_.load()) {
        for (auto& d : dealers) {
          // Made-up senders: ports nobody listens on (the node's dial is refused).
          const auto fake = "tcp://127.0.0.1:" + std::to_string(1 + rng() % 1023);
          send_as(d, fake, static_cast<message_type>(1 + rng() % 12), "\x91\x01");
          sent_.fetch_add(1);
        }
        if (sent_.load() % 2000 == 0) std::this_thread::yield();
      }
    });
  }
  ~flooder() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t sent() const { return sent_.load(); }

 private:
  std::string target_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

}  // namespace

// Proves item 1 of issue 16 at the transport: fake senders from many
// connections, thousands of them, never hold more than probation_max
// candidates and never count as peers; meanwhile (the flood goes on) a real
// device that names the node joins: its frames are delivered once its first
// heartbeat proved its address, and the node answers it.
TEST(links, a_flood_of_fake_senders_does_not_keep_a_real_device_out) {
  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  auto a_addr = sn::test::free_node_address();
  auto a = start_node(a_addr);
  ASSERT_TRUE(a.t);
  const auto limits = peer_table_limits{};

  flooder flood(a_addr, 40, seed);
  ASSERT_TRUE(wait_for([&] { return a.t->stats().dropped_unproven >= 2'000; }, 30s)) << a.t->stats().dropped_unproven;
  EXPECT_LE(a.t->stats().peers_probation, limits.probation_max);
  EXPECT_TRUE(a.t->peers().empty());
  EXPECT_EQ(a.box->got.size(), 0u);

  // The real device joins while the flood goes on.
  auto b_addr = sn::test::free_node_address();
  auto b = start_node(b_addr, {a_addr});
  ASSERT_TRUE(b.t);
  ASSERT_TRUE(wait_for(
      [&] {
        b.t->send(a_addr, 11, "join");
        b.t->publish(1, "heartbeat");
        return a.box->count(11) > 0;
      },
      30s))
      << "A probation " << a.t->stats().peers_probation << ", refused " << a.t->stats().peers_refused;
  EXPECT_EQ(a.t->peers(), std::vector<std::string>{b_addr});
  ASSERT_TRUE(a.t->send(b_addr, 12, "welcome"));
  EXPECT_TRUE(wait_for([&] { return b.box->count(12) > 0; }));
  EXPECT_GT(flood.sent(), 2'000u);
  flood.stop();
  const auto s = a.t->stats();
  EXPECT_LE(s.peers_probation, limits.probation_max);
  EXPECT_EQ(s.peers, 1u);
  for (const auto& in : a.box->got) EXPECT_EQ(in.peer, b_addr);  // no fake sender was ever delivered
}

// Proves item 2 of issue 16 on the SUB side: a frame over ZMQ_MAXMSGSIZE
// published by a peer makes libzmq end that connection for good (a protocol
// error is not retried); the transport sees it in the socket monitor and
// redials, so the peer's frames flow again.
TEST(links, a_sub_link_hit_by_an_over_limit_frame_is_redialled) {
  fake_peer peer;
  auto o = options_for(sn::test::free_node_address(), {peer.address});
  o.message_bytes_max = 64 * 1024;  // ZMQ_MAXMSGSIZE = 128 KiB
  auto a = start_node(o);
  ASSERT_TRUE(a.t);
  ASSERT_TRUE(wait_for([&] {
    peer.publish(40, "tick");
    return a.box->count(40) > 0;
  }));
  peer.publish(40, std::string(200 * 1024, 'x'));  // over the limit: libzmq drops the connection
  ASSERT_TRUE(wait_for([&] { return a.t->stats().disconnects >= 1; })) << "the over-limit frame did not cut the link";
  const auto before = a.box->count(40);
  EXPECT_TRUE(wait_for([&] {
    peer.publish(40, "tick");
    return a.box->count(40) > before;
  })) << "no frame after the over-limit one: the link was not redialled";
  EXPECT_GE(a.t->stats().redials, 1u);
}

// Proves item 2 on the DEALER side: an over-limit frame sent to our DEALER
// (nothing legitimate arrives there) ends that connection; the transport
// redials and direct frames to the peer are delivered again.
TEST(links, a_dealer_link_hit_by_an_over_limit_frame_is_redialled) {
  fake_peer peer;
  auto o = options_for(sn::test::free_node_address(), {peer.address});
  o.message_bytes_max = 64 * 1024;
  auto a = start_node(o);
  ASSERT_TRUE(a.t);
  auto received = [&](const std::string& body) {
    for (auto& b : peer.receive())
      if (b == body) return true;
    return false;
  };
  ASSERT_TRUE(wait_for([&] {
    a.t->send(peer.address, 41, "hello");
    return received("hello");
  }));
  const auto id = peer.last_routing_id;
  peer.router.send(zmq::buffer(id), zmq::send_flags::sndmore);
  peer.router.send(zmq::buffer(std::string(200 * 1024, 'y')));
  ASSERT_TRUE(wait_for([&] { return a.t->stats().disconnects >= 1; })) << "the over-limit frame did not cut the link";
  EXPECT_TRUE(wait_for([&] {
    a.t->send(peer.address, 41, "again");
    return received("again");
  })) << "no frame after the over-limit one: the link was not redialled";
  EXPECT_GE(a.t->stats().redials, 1u);
}

// Proves: a peer that restarts (a plain disconnect, which libzmq retries by
// itself) is not redialled by the transport on top of that.
TEST(links, a_plain_disconnect_is_left_to_zeromq) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto a = start_node(a_addr, {b_addr});
  auto b = start_node(b_addr, {a_addr});
  ASSERT_TRUE(publish_until_heard(b, a, 1, "up"));  // A's SUB is connected
  ASSERT_TRUE(wait_for([&] {                        // and A's DEALER
    a.t->send(b_addr, 2, "up");
    return b.box->count(2) > 0;
  }));
  b.t.reset();
  ASSERT_TRUE(wait_for([&] { return a.t->stats().disconnects >= 2; })) << a.t->stats().disconnects;  // DEALER and SUB
  auto b2 = start_node(b_addr, {a_addr});
  ASSERT_TRUE(publish_until_heard(b2, a, 3, "back"));
  EXPECT_EQ(a.t->stats().redials, 0u);
}

// Proves item 3 (issue 13): a node bound to 0.0.0.0 names itself by its
// advertised address, is reached there, and without `advertised` falls back
// to this host's primary address at the bind port; a wildcard advertised
// address is refused.
TEST(links, a_wildcard_bind_is_reached_at_its_advertised_address) {
  const auto port = sn::test::free_tcp_port(2);
  auto o = options_for("tcp://0.0.0.0:" + std::to_string(port));
  o.advertised = "tcp://127.0.0.1:" + std::to_string(port);
  auto a = start_node(o);
  ASSERT_TRUE(a.t);
  EXPECT_EQ(a.t->address(), o.advertised);
  auto b_addr = sn::test::free_node_address();
  auto b = start_node(b_addr, {o.advertised});
  a.t->add_peer(b_addr);
  ASSERT_TRUE(publish_until_heard(a, b, 1, "from a"));
  EXPECT_EQ(b.box->first(1)->peer, o.advertised);
  ASSERT_TRUE(publish_until_heard(b, a, 2, "from b"));
  ASSERT_TRUE(b.t->send(o.advertised, 3, "direct"));
  EXPECT_TRUE(wait_for([&] { return a.box->count(3) == 1; }));

  const auto port2 = sn::test::free_tcp_port(2);
  auto d = start_node(options_for("tcp://0.0.0.0:" + std::to_string(port2)));
  ASSERT_TRUE(d.t);
  EXPECT_EQ(d.t->address(), "tcp://" + primary_host(false) + ":" + std::to_string(port2));
}

// Proves: host names work for bind (resolved for ZeroMQ, which binds only
// numeric addresses), as the advertised address, and as a configured peer.
TEST(links, host_names_work_for_bind_advertised_and_peers) {
  const auto port = sn::test::free_tcp_port(2);
  const std::string named = "tcp://localhost:" + std::to_string(port);
  auto a = start_node(named);
  ASSERT_TRUE(a.t);
  EXPECT_EQ(a.t->address(), named);
  auto b_addr = sn::test::free_node_address();
  auto b = start_node(b_addr, {named});
  a.t->add_peer(b_addr);
  ASSERT_TRUE(publish_until_heard(a, b, 1, "hello"));
  EXPECT_EQ(b.box->first(1)->peer, named);
  ASSERT_TRUE(b.t->send(named, 2, "direct"));
  ASSERT_TRUE(publish_until_heard(b, a, 3, "proof"));
  EXPECT_TRUE(wait_for([&] {
    b.t->send(named, 2, "direct");
    return a.box->count(2) > 0;
  }));
}

// Proves: a configured peer is dialled exactly as configured even when it
// names itself differently (here it advertises 127.0.0.1, the operator wrote
// localhost): its frames are delivered, replies to the name it gives go
// through the configured address, and gossip of that name opens no second link.
TEST(links, a_configured_address_is_never_replaced_by_the_name_a_peer_gives) {
  const auto port = sn::test::free_tcp_port(2);
  const std::string numeric = "tcp://127.0.0.1:" + std::to_string(port);
  const std::string configured = "tcp://localhost:" + std::to_string(port);
  auto b_addr = sn::test::free_node_address();
  auto a = start_node(numeric, {b_addr});
  auto b = start_node(b_addr, {configured});
  ASSERT_TRUE(publish_until_heard(a, b, 1, "hello"));
  EXPECT_EQ(b.box->first(1)->peer, numeric);
  EXPECT_TRUE(b.t->add_peer(numeric));  // e.g. gossip naming A by its own name
  ASSERT_TRUE(b.t->send(numeric, 2, "routed through the configured address"));
  EXPECT_TRUE(wait_for([&] { return a.box->count(2) == 1; }));
  ASSERT_TRUE(a.t->send(b_addr, 3, "direct from a"));
  EXPECT_TRUE(wait_for([&] { return b.box->count(3) == 1; }));
  EXPECT_EQ(b.t->peers(), std::vector<std::string>{configured});
  EXPECT_EQ(b.t->stats().peers_probation, 0u);
}

// Proves item 4 (issue 13) at the transport: a second node on the same peer
// port fails to start with bind_failed, whichever of the wildcard or a
// concrete address came first, and says the port is in use.
TEST(links, one_port_one_node_also_across_wildcard_and_concrete_binds) {
  const auto port = sn::test::free_tcp_port(2);
  const auto p = std::to_string(port);
  {
    auto o = options_for("tcp://0.0.0.0:" + p);
    o.advertised = "tcp://127.0.0.1:" + p;
    auto first = start_node(o);
    ASSERT_TRUE(first.t);
    auto second = transport::start(options_for("tcp://127.0.0.1:" + p), [](inbound&&) {});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, static_cast<int>(errc::bind_failed));
    EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
  }
  auto first = start_node("tcp://127.0.0.1:" + p);
  ASSERT_TRUE(first.t);
  auto o = options_for("tcp://0.0.0.0:" + p);
  o.advertised = "tcp://127.0.0.1:" + p;
  auto second = transport::start(o, [](inbound&&) {});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, static_cast<int>(errc::bind_failed));
}
