// Test support: CURVE for raw ZeroMQ sockets a test points at a node's peer
// port. The peer port admits only enrolled, unrevoked keys (docs/protocol.md
// 2.5), so a test that injects frames as a peer uses a member's own key pair,
// read from that member's data dir (identity/curve.key, 32 raw bytes).
#pragma once

#include <zmq.hpp>

#include "broker/door.hpp"
#include "broker/frame.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>
#include <stdexcept>
#include <string>

namespace sn::testing {

struct curve_pair {
  std::string public_key;  ///< Z85
  std::string secret_key;  ///< Z85
};

/// The CURVE key pair of the device whose data dir is `data_dir`.
inline curve_pair curve_keys_of(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "identity" / "curve.key", std::ios::binary);
  std::array<char, 32> raw{};
  if (!in.read(raw.data(), raw.size())) throw std::runtime_error("no curve.key in " + data_dir.string());
  char secret[41] = {}, pub[41] = {};
  zmq_z85_encode(secret, reinterpret_cast<const std::uint8_t*>(raw.data()), 32);
  if (zmq_curve_public(pub, secret) != 0) throw std::runtime_error("zmq_curve_public failed");
  return {pub, secret};
}

/// Makes `s` a CURVE client of the node at `server_dir`, authenticating as the
/// member at `client_dir` (the same dir: the node's own key, which it admits).
inline void curve_client(zmq::socket_t& s, const std::filesystem::path& server_dir,
                         const std::filesystem::path& client_dir) {
  const auto server = curve_keys_of(server_dir);
  const auto client = curve_keys_of(client_dir);
  s.set(zmq::sockopt::curve_serverkey, server.public_key);
  s.set(zmq::sockopt::curve_publickey, client.public_key);
  s.set(zmq::sockopt::curve_secretkey, client.secret_key);
}

/// Makes `s` a CURVE server with `keys` (before it binds). A test's fake peer
/// serves with a member's key: a node dials only members.
inline void curve_server(zmq::socket_t& s, const curve_pair& keys) {
  s.set(zmq::sockopt::curve_server, 1);
  s.set(zmq::sockopt::curve_secretkey, keys.secret_key);
}

/// A fake peer's door at `port`+2: the node's own door (broker/door.hpp)
/// answering identify with `public_key` (docs/protocol.md 2.5), so a node
/// learns the key to dial the fake peer's ROUTER and PUB with; it refuses
/// joins. Stops in its destructor.
class fake_door {
 public:
  fake_door(zmq::context_t&, int port, std::string public_key) {
    auto d = sn::broker::door::start("tcp://127.0.0.1:" + std::to_string(port), std::move(public_key), "FAKE",
                                     [](std::string_view) { return std::string(); });
    if (!d) throw std::runtime_error("fake_door: " + d.error().message);
    door_ = std::move(*d);
  }

 private:
  std::unique_ptr<sn::broker::door> door_;
};

/// Sends one peer frame (docs/protocol.md 2.2) from a socket a test drives:
/// the header as the transport encodes it, then the body.
inline bool send_frame(zmq::socket_t& s, std::uint8_t type, const std::string& sender, const std::string& body) {
  return s.send(zmq::buffer(sn::broker::encode_header(type, sender)), zmq::send_flags::sndmore).has_value() &&
         s.send(zmq::buffer(body), zmq::send_flags::none).has_value();
}

}  // namespace sn::testing
