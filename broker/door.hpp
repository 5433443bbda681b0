// The door: a node's plaintext request socket at PORT+2 (docs/protocol.md 2.5),
// the one place a device that holds no enrolled key yet can talk to a node.
// It answers two requests and nothing else:
//  - identify: this node's CURVE public key (Z85) and device id, so that a peer
//    can dial its CURVE sockets. Public; the caller checks the key against the
//    store's membership before it uses it, and the CURVE handshake proves the
//    server holds the matching secret key.
//  - join: opaque bytes handed to the owner's handler (node/join_protocol.hpp
//    seals them with a key derived from the join code); its reply goes back as is.
//
// Wire: a ZeroMQ ROUTER at tcp://HOST:PORT+2, clients use REQ (one request, one
// reply). Every message is [u8 door_version][u8 door_kind][body]; a request of
// another version, kind or more than door_request_bytes_max bytes is dropped
// and counted. Nothing on this socket ever carries an event.
//
// Threads: one thread per door owns the ROUTER; the handler runs on it, one
// request at a time (a join may block it for the duration of the handler).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "broker/errc.hpp"
#include "broker/frame.hpp"

namespace sn::broker {

inline constexpr std::uint8_t door_version = 1;
/// Largest request or reply (a join reply lists every member's keys).
inline constexpr std::size_t door_request_bytes_max = 64 * 1024;

/// Kinds on the door (explicit, never reused).
enum class door_kind : std::uint8_t {
  identify_request = 1,  ///< body empty
  identify_reply = 2,    ///< body: 40 bytes Z85 CURVE public key, then the device id
  join_request = 3,      ///< body: opaque (node/join_protocol.hpp)
  join_reply = 4,        ///< body: opaque (node/join_protocol.hpp)
};

/// "tcp://HOST:PORT" -> "tcp://HOST:PORT+2". PORT must be at most 65533.
sn::expected<std::string> door_address(const std::string& node_address);

/// One door message: [version][kind][body].
std::string encode_door(door_kind kind, std::string_view body);
/// The kind and body of `bytes`; nullopt-like error when the version is unknown or it is too short.
struct door_message {
  door_kind kind = door_kind::identify_request;
  std::string body;
};
sn::expected<door_message> decode_door(std::string_view bytes);

/// What a node says it is (identify).
struct identity_reply {
  std::string public_key;  ///< Z85, 40 characters
  std::string device_id;
};

struct door_stats {
  std::uint64_t requests = 0;  ///< well-formed requests answered
  std::uint64_t dropped = 0;   ///< malformed, oversized or unknown requests
};

class door {
public:
  /// join request body -> join reply body (runs on the door thread).
  using join_handler = std::function<std::string(std::string_view request)>;

  /// Binds `node_address`'s PORT+2 (HOST as the node's bind, "*" allowed) and
  /// starts the door thread. `public_key` (Z85) and `device_id` are what identify answers.
  [[nodiscard]] static sn::expected<std::unique_ptr<door>> start(const std::string& bind_address,
                                                                 std::string public_key, std::string device_id,
                                                                 join_handler on_join);
  ~door();
  door(const door&) = delete;
  door& operator=(const door&) = delete;
  door_stats stats() const;
  /// What identify answers from now on (key rotation). Thread-safe. False: not Z85.
  bool set_public_key(std::string public_key);

  class impl;

private:
  explicit door(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// One request to the door of the node at `node_address` ("tcp://HOST:PORT"):
/// connects to PORT+2, sends, waits up to `timeout_ms` for the reply.
/// Error zmq_failure (message says "no answer") when nobody answers in time.
[[nodiscard]] sn::expected<door_message> door_request(const std::string& node_address, door_kind kind,
                                                      std::string_view body, int timeout_ms);

/// identify at `node_address`: its CURVE key and device id.
[[nodiscard]] sn::expected<identity_reply> identify(const std::string& node_address, int timeout_ms);

}  // namespace sn::broker
