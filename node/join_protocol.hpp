// The join exchange's messages (docs/protocol.md 2.5, "Joining"), pure: no
// sockets. They travel as the bodies of the door's join_request/join_reply
// (broker/door.hpp). Both directions are sealed with crypto_secretbox under
// the key derived from the join code (node/join_codes.hpp), so the code never
// travels and only a holder of the code can read the grant or make a request
// the enrolling node accepts.
//
// Request: msgpack array [device_id str, nonce bin(24), box bin], the box
//   opening to [device_id str, signing_key hex str, curve_key hex str, tls_request bin].
// Reply:   msgpack array [refusal u8, message str, nonce bin(24), box bin];
//   refusal 0: the box opens to [store_id str, enrolled_by str,
//   members [[device_id, signing_key, curve_key, priority i32, address str]...], tls_grant bin];
//   else nonce and box are empty and message says why (not sealed: a forged
//   refusal can only stop a join, which an attacker on the path can anyway).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/join_codes.hpp"

namespace sn::node {

/// Most members a grant lists, and the largest opaque TLS blobs.
inline constexpr std::size_t join_members_max = 1024;
inline constexpr std::size_t join_tls_bytes_max = 16 * 1024;

struct join_request {
  std::string device_id;
  std::string signing_key;  ///< Ed25519 public key, 64 hex
  std::string curve_key;    ///< X25519 public key, 64 hex
  std::string tls_request;  ///< opaque: the joiner's PEM certificate request (node/join_tls.hpp)
};

struct member_keys {
  std::string device_id;
  std::string signing_key;  ///< hex
  std::string curve_key;    ///< hex
  std::int32_t priority = 0;
  std::string address;      ///< where it is dialled, if the enrolling node knows (else empty)
};

struct join_grant {
  std::string store_id;
  std::string enrolled_by;  ///< the enrolling device
  std::vector<member_keys> members;  ///< every enrolled, unrevoked device, the joiner included
  std::string tls_grant;    ///< opaque: certificate + store CA certificate, PEM (node/join_tls.hpp)
};

/// The envelope of a request before it is opened: whose code to open it with.
struct sealed_request {
  std::string device_id;
  std::string nonce;
  std::string box;
};

std::string seal_join_request(const join_request& r, const join_key& key);
std::optional<sealed_request> read_join_request(std::string_view bytes);
/// nullopt: the box does not open with `key` (wrong or forged code), or its
/// device id is not the envelope's.
std::optional<join_request> open_join_request(const sealed_request& s, const join_key& key);

std::string seal_join_grant(const join_grant& g, const join_key& key);
std::string encode_join_refusal(join_refusal why, const std::string& message);

struct join_answer {
  join_refusal refusal = join_refusal::malformed;
  std::string message;
  std::optional<join_grant> grant;  ///< set when refusal is none
};
/// Reads a reply; a grant that does not open with `key` is reported as malformed.
join_answer open_join_reply(std::string_view bytes, const join_key& key);

}  // namespace sn::node
