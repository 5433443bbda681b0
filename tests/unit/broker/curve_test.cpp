// CURVE: an allow-listed device talks (both ways, its key reported and learned
// from the handshake); a device with a foreign key is refused by the ZAP handler.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "broker/curve.hpp"
#include "broker/transport.hpp"
#include "tests/support/free_port.hpp"

using namespace sn::broker;
using namespace std::chrono_literals;

namespace {

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit = 10s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

struct box {
  std::mutex m;
  std::vector<inbound> got;
  std::size_t size() {
    std::lock_guard<std::mutex> l(m);
    return got.size();
  }
  inbound at(std::size_t i) {
    std::lock_guard<std::mutex> l(m);
    return got.at(i);
  }
};

std::unique_ptr<transport> start(transport_options o, box& b) {
  auto r = transport::start(std::move(o), [&b](inbound&& in) {
    std::lock_guard<std::mutex> l(b.m);
    b.got.push_back(std::move(in));
  });
  if (!r) {
    ADD_FAILURE() << r.error().to_string();
    return nullptr;
  }
  return std::move(*r);
}

transport_options curve_node(const std::string& addr, const curve_keypair& k, std::vector<std::string> allowed) {
  transport_options o;
  o.bind = addr;
  o.curve.enabled = true;
  o.curve.secret_key = k.secret_key;
  o.curve.public_key = k.public_key;
  o.curve.allowed_public_keys = std::move(allowed);
  return o;
}

} // namespace

TEST(curve, keys_are_z85_and_derivable) {
  auto k = generate_curve_keypair();
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_TRUE(is_z85_key(k->public_key));
  EXPECT_TRUE(is_z85_key(k->secret_key));
  auto pub = curve_public_key(k->secret_key);
  ASSERT_TRUE(pub);
  EXPECT_EQ(*pub, k->public_key);
  EXPECT_FALSE(is_z85_key("short"));
  EXPECT_FALSE(is_z85_key(std::string(40, '"')));
  EXPECT_FALSE(curve_public_key("nope"));
}

TEST(curve, allow_listed_peer_talks_and_foreign_key_is_refused) {
  auto ka = *generate_curve_keypair();
  auto kb = *generate_curve_keypair();
  auto kx = *generate_curve_keypair();
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  auto x_addr = sn::test::free_node_address();

  box a_box, b_box, x_box;
  auto a = start(curve_node(a_addr, ka, {kb.public_key}), a_box);
  auto ob = curve_node(b_addr, kb, {ka.public_key});
  ob.peers = {a_addr};
  ob.curve.peer_public_keys[a_addr] = ka.public_key;  // B joins knowing only A
  auto b = start(ob, b_box);
  auto ox = curve_node(x_addr, kx, {ka.public_key});
  ox.curve.peer_public_keys[a_addr] = ka.public_key;  // knows A's key, but A does not allow X's
  auto x = start(ox, x_box);
  ASSERT_TRUE(a && b && x);

  // B -> A direct: admitted by ZAP; A sees B's key, learns B (address and
  // key) and dials it; once B's published frames prove its address, A
  // delivers B's direct frames.
  auto first_of_type = [](box& bx, message_type t) -> std::optional<inbound> {
    for (std::size_t i = 0; i < bx.size(); ++i)
      if (bx.at(i).type == t) return bx.at(i);
    return std::nullopt;
  };
  ASSERT_TRUE(wait_for([&] {
    b->send(a_addr, 1, "hello from b");
    b->publish(9, "heartbeat");
    return first_of_type(a_box, 1).has_value();
  }));
  auto in = *first_of_type(a_box, 1);
  EXPECT_EQ(in.peer, b_addr);
  EXPECT_EQ(in.public_key, kb.public_key);
  EXPECT_EQ(a->peers(), std::vector<std::string>{b_addr});

  // A -> B reply over CURVE with the learned key.
  ASSERT_TRUE(a->send(b_addr, 2, "hello from a"));
  ASSERT_TRUE(wait_for([&] { return first_of_type(b_box, 2).has_value(); }));
  EXPECT_EQ(first_of_type(b_box, 2)->body, "hello from a");

  // PUB/SUB is encrypted and authenticated too.
  EXPECT_TRUE(wait_for([&] {
    a->publish(3, "live");
    return first_of_type(b_box, 3).has_value();
  }));

  // X's key is not on A's allow-list: its DEALER and SUB are refused, nothing is delivered.
  ASSERT_TRUE(x->send(a_addr, 4, "let me in"));
  ASSERT_TRUE(wait_for([&] { return a->stats().auth_denied >= 2; }));
  EXPECT_TRUE(wait_for([&] {
    a->publish(5, "not for x");
    // A's own traffic flows meanwhile; X hears nothing.
    return a->stats().frames_out_pub > 20;
  }));
  for (std::size_t i = 0; i < a_box.size(); ++i) EXPECT_NE(a_box.at(i).type, 4);
  EXPECT_EQ(x_box.size(), 0u);
  EXPECT_GE(a->stats().auth_allowed, 2u);
}

TEST(curve, bad_keys_are_refused_at_start) {
  auto k = *generate_curve_keypair();
  auto other = *generate_curve_keypair();
  box b;
  auto o = curve_node(sn::test::free_node_address(), k, {});
  o.curve.public_key = other.public_key;  // not the pair of secret_key
  auto r = transport::start(o, [](inbound&&) {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::invalid_key));
  o.curve.public_key = k.public_key;
  o.curve.allowed_public_keys = {"garbage"};
  r = transport::start(o, [](inbound&&) {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::invalid_key));
}

// The ZAP handler's decision (docs/protocol.md 2.5): only CURVE clients whose
// key is a member's; a plaintext (NULL) client and an unknown key are refused.
TEST(zap_decide, admits_only_member_keys_over_curve) {
  const auto a = sn::broker::generate_curve_keypair();
  const auto b = sn::broker::generate_curve_keypair();
  ASSERT_TRUE(a && b);
  const std::unordered_set<std::string> members{a->public_key};
  EXPECT_EQ(sn::broker::zap_decide("CURVE", a->public_key, members), sn::broker::zap_verdict::admit);
  EXPECT_EQ(sn::broker::zap_decide("CURVE", b->public_key, members), sn::broker::zap_verdict::unknown_key);
  EXPECT_EQ(sn::broker::zap_decide("NULL", a->public_key, members), sn::broker::zap_verdict::not_curve);
  EXPECT_EQ(sn::broker::zap_decide("PLAIN", "", members), sn::broker::zap_verdict::not_curve);
  EXPECT_EQ(sn::broker::zap_decide("CURVE", "", members), sn::broker::zap_verdict::unknown_key);
}
