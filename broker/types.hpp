// Vocabulary of the peer transport: what it delivers and what it counts.
#pragma once

#include <cstdint>
#include <string>

#include "broker/frame.hpp"

namespace sn::broker {

/// How a frame travelled: PUB/SUB fan-out or DEALER->ROUTER to one node.
enum class channel : std::uint8_t { pub = 1, direct = 2 };

/// One received frame, handed to the on_message callback on the I/O thread.
struct inbound {
  std::string peer;      ///< the sender's advertised address (from the header): answer with send(peer, ...)
  message_type type = 0; ///< carried unchanged
  std::string body;      ///< opaque bytes (msgpack by convention), <= message_bytes_max
  channel ch = channel::pub;
  std::string public_key;///< Z85 CURVE key the sender authenticated with (direct frames, CURVE on); else empty
};

/// Counters since start. Each is monotonic; read with stats().
struct transport_stats {
  std::uint64_t frames_in_pub = 0;      ///< valid frames received by our SUBs
  std::uint64_t frames_in_direct = 0;   ///< valid frames received by our ROUTER
  std::uint64_t frames_out_pub = 0;     ///< frames handed to our PUB
  std::uint64_t frames_out_direct = 0;  ///< frames handed to a DEALER
  std::uint64_t bytes_in = 0;           ///< header+body bytes of valid inbound frames
  std::uint64_t bytes_out = 0;          ///< header+body bytes of outbound frames
  std::uint64_t dropped_malformed = 0;  ///< wrong part count, bad header, or a frame on a DEALER
  std::uint64_t dropped_oversized = 0;  ///< inbound body > message_bytes_max
  std::uint64_t dropped_unknown_version = 0;  ///< header version != protocol_version
  std::uint64_t send_queue_full = 0;    ///< publish/send/add_peer refused: hand-off queue full
  std::uint64_t send_rejected = 0;      ///< publish/send refused: body too large or bad address
  std::uint64_t send_dropped_hwm = 0;   ///< direct frame dropped: the peer's DEALER queue was full
  std::uint64_t send_dropped_no_key = 0;///< direct frame dropped: CURVE on and the peer's key unknown
  std::uint64_t send_dropped_no_peer = 0;///< direct frame dropped: unknown address and no room to learn it
  std::uint64_t dropped_own = 0;        ///< our own frame, reached through an alias of our address
  std::uint64_t callback_errors = 0;    ///< on_message threw (caught, logged)
  std::uint64_t auth_denied = 0;        ///< ZAP refused a client key (CURVE)
  std::uint64_t auth_allowed = 0;       ///< ZAP admitted a client key (CURVE)
  std::uint64_t dropped_unproven = 0;   ///< valid frame from a learned sender not yet proven (docs/protocol.md 2.6)
  std::uint64_t peers = 0;              ///< peers that count: configured and proven learned ones
  std::uint64_t peers_probation = 0;    ///< learned candidates being proven
  std::uint64_t peers_proven = 0;       ///< learned candidates that proved themselves (total)
  std::uint64_t peers_refused = 0;      ///< nominations refused: source's share used or muted, probation full
  std::uint64_t peers_evicted = 0;      ///< learned addresses evicted (unproven in time, displaced, idle)
  std::uint64_t redials = 0;            ///< sockets the transport redialled after libzmq gave up on them
  std::uint64_t disconnects = 0;        ///< connections to peers that ended (any reason)
  std::uint64_t loop_iterations = 0;    ///< reactor wake-ups (an idle node wakes about once a second)
};

} // namespace sn::broker
