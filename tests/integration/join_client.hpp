// Test support: the joining side of the join exchange (docs/protocol.md 2.5)
// done from the test process, for tests that need an enrolled device without
// running one (a device to revoke) or that present a code twice.
#pragma once

#include <sodium.h>

#include <string>

#include "broker/door.hpp"
#include "node/join_protocol.hpp"
#include "tests/integration/node_process.hpp"

namespace sn::testing {

/// 64 hex characters of random bytes: a made-up public key.
inline std::string random_key_hex() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

/// Presents `code` for `device_id` at `node`'s door with made-up keys.
inline sn::node::join_answer present_code(node_process& node, const std::string& device_id, const std::string& code,
                                          const std::string& curve_hex = random_key_hex()) {
  sn::node::join_answer out;
  auto key = sn::node::derive_join_key(code, device_id);
  if (!key) {
    out.message = "not a code";
    return out;
  }
  const auto request = sn::node::seal_join_request({device_id, random_key_hex(), curve_hex, ""}, *key);
  auto reply = sn::broker::door_request(node.bind(), sn::broker::door_kind::join_request, request, 10'000);
  if (!reply) {
    out.message = reply.error().message;
    return out;
  }
  return sn::node::open_join_reply(reply->body, *key);
}

/// Enrolls a made-up device `device_id` at `node` (a code from its admin,
/// presented at its door); true once granted.
inline bool enroll_made_up_device(node_process& node, const std::string& device_id) {
  const auto code = node.enrollment_code(device_id);
  return !code.empty() && present_code(node, device_id, code).refusal == sn::node::join_refusal::none;
}

}  // namespace sn::testing
