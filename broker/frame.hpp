// Peer transport framing (docs/protocol.md section 2). Pure: no sockets, no
// ZeroMQ. Every frame on the wire is a two-part ZeroMQ message
// [header][body]; this file encodes and checks the header and the addresses.
//
// Header bytes (fixed layout, no msgpack so it can be checked without a parser):
//   offset 0  u8   protocol version (protocol_version = 1)
//   offset 1  u8   message_type (owned by sync/election; the broker only carries it)
//   offset 2  u8   N = length of the sender address, 1..address_bytes_max
//   offset 3  N    sender address, ASCII "tcp://HOST:PORT" (its advertised bind address)
// The header is exactly 3 + N bytes; anything else is malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/errc.hpp"

namespace sn::broker {

/// Version of the peer frame format. A frame with another version is dropped and
/// counted (dropped_unknown_version). Bump it on any incompatible header change.
inline constexpr std::uint8_t protocol_version = 1;

/// The protocol's message_type values are owned by the sync/election code; the
/// broker only carries them.
using message_type = std::uint8_t;

/// Longest sender address a header may carry (it is stored in one byte).
inline constexpr std::size_t address_bytes_max = 255;
/// Fixed part of the header: version, message_type, address length.
inline constexpr std::size_t header_fixed_bytes = 3;

/// A decoded header. `sender` views into the bytes it was decoded from.
struct frame_header {
  std::uint8_t version = protocol_version;
  message_type type = 0;
  std::string_view sender;
};

enum class header_check {
  ok,
  malformed,        ///< wrong length, empty or non-printable address
  unknown_version,  ///< well-formed length prefix but a version this build cannot read
};

/// Encodes a header; `sender` must be 1..address_bytes_max printable ASCII bytes
/// (checked by the caller at start-up: the transport validates its own address once).
std::string encode_header(message_type type, std::string_view sender);

/// Decodes `bytes` into `out`. Checks version first so a future version with a
/// different layout is reported as unknown_version, not malformed.
header_check decode_header(std::string_view bytes, frame_header& out) noexcept;

/// Outcome of the checks a receiver makes on one [header][body] pair
/// (docs/protocol.md 2.3, steps 2 to 4), in that order.
enum class frame_check {
  ok,
  malformed,        ///< see header_check::malformed
  unknown_version,  ///< see header_check::unknown_version
  oversized,        ///< body longer than the receiver's message_bytes_max
};

/// Checks a frame's header and body size; fills `out` when ok. Pure, never throws.
frame_check check_frame(std::string_view header, std::size_t body_bytes, std::size_t body_bytes_max,
                        frame_header& out) noexcept;

/// Parts a well-formed frame has when it arrives: 2 ([header][body]), 3 on a
/// ROUTER (ZeroMQ prepends the routing id).
inline constexpr std::size_t frame_parts = 2;
inline constexpr std::size_t frame_parts_router = 3;

/// A parsed "tcp://HOST:PORT" address.
struct endpoint {
  std::string host;  ///< as written, e.g. "127.0.0.1", "[::1]", "store-pc"
  std::uint16_t port = 0;
};

/// Parses "tcp://HOST:PORT". PORT must be 1..65534 because the PUB socket binds
/// at PORT+1 (the one-address rule, docs/protocol.md section 2).
sn::expected<endpoint> parse_address(std::string_view address);

/// "tcp://HOST:PORT" -> "tcp://HOST:PORT+1", the address of the node's PUB socket.
std::string pub_address(const endpoint& e);
/// "tcp://HOST:PORT", the node's ROUTER (and its name as a peer).
std::string router_address(const endpoint& e);

} // namespace sn::broker
