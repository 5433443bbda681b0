// Options of the peer transport. Every field documents its default and bounds.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

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
  /// at PORT and its PUB at PORT+1 (PORT 1..65534). HOST may be "*" or
  /// "0.0.0.0" only together with `advertised`.
  std::string bind;
  /// Default empty (= bind). The address peers reach this node at, sent as the
  /// sender of every frame and used by peers to answer. Must be a concrete host.
  std::string advertised;
  /// Default empty. Peers' advertised addresses to connect to at start.
  std::vector<std::string> peers;
  /// Default empty (= the advertised address). The ZeroMQ routing id of our
  /// DEALERs, 1..255 bytes (a device id is a good choice).
  std::string identity;
  /// Default 4 MiB, bounds 1 KiB..256 MiB. Largest body accepted; a larger
  /// inbound body is dropped and counted (dropped_oversized); a larger outbound
  /// body is refused (send/publish return false). ZMQ_MAXMSGSIZE on every
  /// receiving socket is twice this: frames up to that are received, counted
  /// and dropped; beyond it ZeroMQ closes the sender's connection.
  std::size_t message_bytes_max = std::size_t{4} << 20;
  /// Default true. A valid direct frame from an unknown sender adds its address
  /// as a peer (so a new device joins by naming any one existing device).
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
  /// Default 1'000 ms, bounds reconnect_interval_ms..600'000. ZMQ_RECONNECT_IVL_MAX.
  int reconnect_interval_ms_max = 1'000;
  /// Default 1'000 ms, bounds 0 (off)..60'000. ZMTP ping interval on DEALERs and
  /// SUBs (ZMQ_HEARTBEAT_IVL): a dead connection is dropped and redialled.
  int zmtp_heartbeat_interval_ms = 1'000;
  /// Default 3'000 ms, bounds 0..600'000. ZMQ_HEARTBEAT_TIMEOUT.
  int zmtp_heartbeat_timeout_ms = 3'000;
  /// CURVE, off by default.
  curve_options curve;
};

} // namespace sn::broker
