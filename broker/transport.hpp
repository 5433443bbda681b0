// The peer transport: moves typed, size-bounded frames between devices over
// ZeroMQ. It knows nothing of election or sync rules.
//
// Contract:
// - One address per device, "tcp://HOST:PORT": a ROUTER at PORT receives direct
//   frames, a PUB at PORT+1 fans out heartbeats and live events. Peers are named
//   by that address. To every known peer we connect one DEALER (to its ROUTER)
//   and one SUB (to its PUB).
// - One I/O thread owns every socket. It sleeps in zmq::poll until a frame
//   arrives, work is handed to it, or the idle timeout passes (no busy polling).
// - publish/send/add_peer are thread-safe and never block: they put a command on
//   a bounded queue (command_queue_max entries, command_queue_bytes_max bytes)
//   and wake the I/O thread; when the queue is full they return false and count
//   send_queue_full. Delivery is best effort: PUB drops under flood, a DEALER
//   drops past its high-water mark, a crashed peer loses frames in flight.
//   Callers recover by requests (sync catch-up).
// - on_message runs on the I/O thread, one frame at a time, in arrival order per
//   socket. It must not block for long and must not destroy the transport; it
//   may call publish/send/add_peer. An exception from it is caught and counted.
// - A malformed, oversized or wrong-version frame is dropped and counted, never fatal.
// - Answering: every frame carries the sender's advertised address; reply with
//   send(in.peer, ...), which goes through our DEALER to the sender's ROUTER
//   (or to the configured address that sender is reached at, see peer_table).
// - Peers (broker/peer_table.hpp, docs/protocol.md 2.6): configured peers are
//   trusted; any other address is learned and must prove itself (a frame
//   published at it naming it) before it counts and its frames are delivered.
//   Every share of the table is bounded; unproven addresses are evicted.
// - Links heal: libzmq redials a dropped connection by itself, except after a
//   protocol error (an over-limit frame, a failed handshake), where it ends the
//   session for good. A socket monitor on every DEALER and SUB shows when that
//   happened; the transport then redials with backoff (reconnect_interval_ms
//   doubling up to reconnect_interval_ms_max).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "broker/errc.hpp"
#include "broker/options.hpp"
#include "broker/types.hpp"

namespace sn::broker {

/// Bounds of the hand-off queue between caller threads and the I/O thread.
inline constexpr std::size_t command_queue_max = 65'536;
inline constexpr std::size_t command_queue_bytes_max = std::size_t{256} << 20;
/// After a connection ends, how long libzmq has to show (by a retry event)
/// that it redials by itself before the transport recreates the socket.
inline constexpr int redial_grace_ms = 250;
/// ZeroMQ sockets per peer link: DEALER, SUB, and for each a monitor and its reader.
inline constexpr std::size_t sockets_per_link = 6;
/// Most frames read from one socket per reactor iteration (fairness between sockets).
inline constexpr std::size_t inbound_batch_max = 256;
/// Poll timeout when no timer is due: the reactor has no periodic work, so an
/// idle node wakes once per this interval only.
inline constexpr int idle_poll_timeout_ms = 1'000;

class transport {
public:
  using message_handler = std::function<void(inbound&&)>;

  /// Validates options, binds ROUTER (PORT) and PUB (PORT+1), connects to
  /// options.peers (and the remembered peers, on probation) and spawns the I/O
  /// thread. Fails with errc::bind_failed and a message naming the address if a
  /// port is in use (e.g. by another storenode).
  [[nodiscard]] static sn::expected<std::unique_ptr<transport>> start(transport_options options,
                                                                      message_handler on_message);

  /// Stops the I/O thread and closes every socket with linger 0 (frames not yet
  /// on the wire are discarded). Must not be called from on_message.
  ~transport();

  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// Sends a frame to every subscriber. Thread-safe, non-blocking. False if the
  /// body exceeds message_bytes_max or the queue is full.
  bool publish(message_type type, std::string body);

  /// Sends a frame to one peer (our DEALER -> its ROUTER); an unknown address is
  /// nominated as a learned candidate first (dropped and counted,
  /// send_dropped_no_peer, if there is no room). Thread-safe, non-blocking.
  /// False if the address is invalid or our own, the body exceeds
  /// message_bytes_max, or the queue is full.
  bool send(const std::string& peer, message_type type, std::string body);

  /// Nominates a learned peer (e.g. from a heartbeat's gossip): a candidate
  /// that is dialled and counts once proven; waits in the bounded pending list
  /// while the probation share is full. Idempotent; thread-safe. `public_key`
  /// (Z85) is needed only with CURVE on. False if the address is invalid or
  /// our own, the key is not Z85, or the queue is full.
  bool add_peer(const std::string& address, const std::string& public_key = {});

  /// Replaces the CURVE keys (Z85) the ZAP handler admits: the store's
  /// enrolled, unrevoked devices (docs/protocol.md 2.5). A key that is no
  /// longer listed loses every connection: our links to it close, and ROUTER
  /// and PUB are re-bound so that its inbound connections end (the other
  /// members redial). Thread-safe, non-blocking. False: a key is not Z85 or
  /// the queue is full.
  bool set_members(std::vector<std::string> keys);

  /// Key rotation: this node's CURVE key pair (Z85) from now on. ROUTER and
  /// PUB are re-bound with the new server key (every inbound connection
  /// ends; peers redial with the key they learn: membership, or identify at
  /// the door) and every link to a peer is redialled with the new client
  /// key. Thread-safe, non-blocking. False: CURVE is off, a key is not Z85,
  /// the public key is not the secret's, or the queue is full.
  bool set_own_key(const std::string& secret_key, const std::string& public_key);

  /// Addresses of the peers that count (configured and proven), sorted.
  std::vector<std::string> peers() const;

  /// This node's advertised address (the sender of every frame it sends).
  const std::string& address() const noexcept;

  transport_stats stats() const;

  class impl;

private:
  explicit transport(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sn::broker
