// Test support: CURVE for raw ZeroMQ sockets a test points at a node's peer
// port. The peer port admits only enrolled, unrevoked keys (docs/protocol.md
// 2.5), so a test that injects frames as a peer uses a member's own key pair,
// read from that member's data dir (identity/curve.key, 32 raw bytes).
#pragma once

#include <zmq.hpp>

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

/// A fake peer's door at `port`+2: answers every identify request with
/// `public_key` (docs/protocol.md 2.5), so a node learns the key to dial the
/// fake peer's ROUTER and PUB with. Stops and joins in its destructor.
class fake_door {
 public:
  fake_door(zmq::context_t& ctx, int port, std::string public_key)
      : socket_(ctx, zmq::socket_type::router), key_(std::move(public_key)) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("tcp://127.0.0.1:" + std::to_string(port + 2));
    thread_ = std::thread([this] { run(); });
  }
  ~fake_door() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    while (!stop_) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(50)) <= 0) continue;
      zmq::message_t id, empty, request;
      (void)socket_.recv(id);
      (void)socket_.recv(empty);
      (void)socket_.recv(request);
      const std::string reply = std::string("\x01\x02", 2) + key_ + "FAKE";  // version 1, identify reply
      socket_.send(id, zmq::send_flags::sndmore);
      socket_.send(zmq::message_t(), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(reply));
    }
  }
  zmq::socket_t socket_;
  std::string key_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sn::testing
