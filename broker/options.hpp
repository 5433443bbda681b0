// Options of the peer transport. Every field documents its default and bounds.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "broker/peer_table.hpp"

namespace sn::broker {

/// CURVE encryption and authentication. Off by default (plain TCP).
/// Each device has one key pair, used both as server key (its ROUTER and PUB)
/// and as client key (its DEALERs and SUBs). Keys are 40-character Z85 text
/// (generate_curve_keypair() in broker/curve.hpp).
struct curve_options {
  /// Default false. When true, every socket uses CURVE and a ZAP handler admits
  /// only clients whose public key is in allowed_public_keys.
  bool enabled = false;
  /// Default empty; required when enabled. This device's Z85 secret key.
  std::string secret_key;
  /// Default empty; required when enabled. This device's Z85 public key.
  std::string public_key;
  /// Default empty (= nobody may connect). Public keys of the store's devices.
  /// Our own public key need not be listed.
  std::vector<std::string> allowed_public_keys;
  /// Default empty. Peer address -> that peer's public key, for the peers we
  /// connect to. A peer learned without a key (add_peer(address)) is not
  /// connected while CURVE is on until its key is known: either passed to
  /// add_peer(address, key) or learned from an authenticated direct message
  /// it sent us (its key is then in the ZAP User-Id).
  std::map<std::string, std::string> peer_public_keys;
};

struct transport_options {
  /// Required. The address this node binds, "tcp://HOST:PORT": its ROUTER binds
  /// at PORT and its PUB at PORT+1 (PORT 1..65534). HOST is a numeric address,
  /// a wildcard ("*", "0.0.0.0", "[::]": every interface) or a host name
  /// (resolved once at start, first IPv4 address).
  std::string bind;
  /// Default empty. The address peers reach this node at, "tcp://HOST:PORT"
  /// with a concrete HOST (a name or a numeric address): the sender of every
  /// frame, what peers dial to answer and what heartbeats gossip. Empty: `bind`
  /// as written, or for a wildcard bind this machine's primary address at the
  /// bind PORT (primary_host() in broker/address.hpp). It may differ from the
  /// bind entirely (NAT, a TCP forwarder): the node never dials it itself.
  std::string advertised;
  /// Default empty, at most peer_limits.trusted_max. Configured peers
  /// (--peer): dialled exactly as written, never evicted, always counted.
  std::vector<std::string> peers;
  /// Default empty. Addresses learned in earlier runs: dialled at start as
  /// learned candidates that must prove themselves (they are never trusted).
  std::vector<std::string> remembered_peers;
  /// Shares, probation and eviction of the peer table (broker/peer_table.hpp).
  peer_table_limits peer_limits;
  /// Default empty (= the advertised address). The ZeroMQ routing id of our
  /// DEALERs, 1..255 bytes (a device id is a good choice).
  std::string identity;
  /// Default 4 MiB, bounds 1 KiB..256 MiB. Largest body accepted; a larger
  /// inbound body is dropped and counted (dropped_oversized); a larger outbound
  /// body is refused (send/publish return false). ZMQ_MAXMSGSIZE on every
  /// receiving socket is twice this: frames up to that are received, counted
  /// and dropped; beyond it ZeroMQ closes the sender's connection.
  std::size_t message_bytes_max = std::size_t{4} << 20;
  /// Default true. A valid direct frame from an unknown sender nominates its
  /// address as a learned candidate: the node dials it and counts it (and
  /// delivers its frames) once a frame published at that address names it
  /// (docs/protocol.md 2.6). A new device thus joins by naming one existing device.
  bool learn_senders = true;
  /// Default 10'000, bounds 1..1'000'000. ZMQ_SNDHWM of the PUB socket and
  /// ZMQ_RCVHWM of each SUB (messages). Past it PUB drops: sync catches up by requests.
  int pub_hwm = 10'000;
  /// Default 1'000, bounds 1..1'000'000. ZMQ_SNDHWM of each DEALER and
  /// ZMQ_RCVHWM of the ROUTER (messages). A direct send past it is dropped and
  /// counted (send_dropped_hwm).
  int direct_hwm = 1'000;
  /// Default 100 ms, bounds 1..60'000. ZMQ_RECONNECT_IVL.
  int reconnect_interval_ms = 100;
  /// Default 1'000 ms, bounds reconnect_interval_ms..600'000. ZMQ_RECONNECT_IVL_MAX,
  /// and the longest wait before the transport redials a connection libzmq
  /// gave up on (after a protocol error: an over-limit frame, a failed handshake).
  int reconnect_interval_ms_max = 1'000;
  /// Default 2'000 ms, bounds 100..60'000. ZMQ_CONNECT_TIMEOUT: a dial that gets
  /// no TCP answer (a host that is down, a made-up address) fails after this.
  int connect_timeout_ms = 2'000;
  /// Default 1'000 ms, bounds 0 (off)..60'000. ZMTP ping interval on DEALERs and
  /// SUBs (ZMQ_HEARTBEAT_IVL): a dead connection is dropped and redialled.
  int zmtp_heartbeat_interval_ms = 1'000;
  /// Default 3'000 ms, bounds 0..600'000. ZMQ_HEARTBEAT_TIMEOUT.
  int zmtp_heartbeat_timeout_ms = 3'000;
  /// CURVE, off by default.
  curve_options curve;
};

} // namespace sn::broker
