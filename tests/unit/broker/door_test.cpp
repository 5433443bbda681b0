// The door (broker/door.hpp) over real sockets on 127.0.0.1: identify answers
// the node's key and id; a join request reaches the owner's handler and its
// reply comes back as is; a request of another version is dropped (no answer)
// and counted; the address rule is PORT+2.
#include <gtest/gtest.h>

#include "broker/curve.hpp"
#include "broker/door.hpp"
#include "tests/support/free_port.hpp"

namespace {

TEST(door, identify_join_and_garbage) {
  const auto kp = sn::broker::generate_curve_keypair();
  ASSERT_TRUE(kp);
  const auto port = sn::test::free_tcp_port(3);
  const std::string node = "tcp://127.0.0.1:" + std::to_string(port);
  std::string seen;
  auto d = sn::broker::door::start(node, kp->public_key, "POS1", [&seen](std::string_view body) {
    seen = std::string(body);
    return "granted:" + std::string(body);
  });
  ASSERT_TRUE(d) << d.error().message;

  auto id = sn::broker::identify(node, 2000);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->public_key, kp->public_key);
  EXPECT_EQ(id->device_id, "POS1");

  auto r = sn::broker::door_request(node, sn::broker::door_kind::join_request, "sealed", 2000);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, sn::broker::door_kind::join_reply);
  EXPECT_EQ(r->body, "granted:sealed");
  EXPECT_EQ(seen, "sealed");

  // A reply kind sent as a request: dropped, no answer within the timeout.
  auto no = sn::broker::door_request(node, sn::broker::door_kind::identify_reply, "", 300);
  EXPECT_FALSE(no);
  EXPECT_EQ((*d)->stats().requests, 2u);
  EXPECT_EQ((*d)->stats().dropped, 1u);
}

TEST(door, address_is_port_plus_two) {
  EXPECT_EQ(*sn::broker::door_address("tcp://10.0.0.1:7000"), "tcp://10.0.0.1:7002");
  EXPECT_FALSE(sn::broker::door_address("tcp://10.0.0.1:65534"));
  EXPECT_FALSE(sn::broker::decode_door(std::string("\x02\x01", 2)));  // another version
  EXPECT_FALSE(sn::broker::decode_door(std::string("\x01\x09", 2)));  // unknown kind
  auto m = sn::broker::decode_door(sn::broker::encode_door(sn::broker::door_kind::join_request, "x"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, sn::broker::door_kind::join_request);
  EXPECT_EQ(m->body, "x");
}

}  // namespace
