#include "broker/door.hpp"

#include <pthread.h>
#include <mutex>

#include <array>
#include <thread>

#include <zmq.hpp>

#include "broker/address.hpp"
#include "broker/curve.hpp"
#include "broker/log.hpp"

namespace sn::broker {

namespace {
/// The door thread's poll timeout: how soon it sees a stop request.
constexpr int door_poll_ms = 200;
/// Parts of a REQ request as a ROUTER reads it: [routing id][empty][body].
constexpr std::size_t door_parts = 3;
constexpr std::size_t z85_key_chars = 40;
}  // namespace

sn::expected<std::string> door_address(const std::string& node_address) {
  auto ep = parse_address(node_address);
  if (!ep) return ep.error();
  if (ep->port > 65533)
    return make_error(errc::invalid_address,
                      node_address + ": PORT must be at most 65533 (the door listens at PORT+2)");
  return "tcp://" + ep->host + ":" + std::to_string(ep->port + 2u);
}

std::string encode_door(door_kind kind, std::string_view body) {
  std::string out;
  out.reserve(2 + body.size());
  out.push_back(static_cast<char>(door_version));
  out.push_back(static_cast<char>(kind));
  out.append(body.data(), body.size());
  return out;
}

sn::expected<door_message> decode_door(std::string_view bytes) {
  if (bytes.size() < 2) return make_error(errc::invalid_option, "door message shorter than 2 bytes");
  if (static_cast<std::uint8_t>(bytes[0]) != door_version)
    return make_error(errc::invalid_option, "door message of version " + std::to_string(std::uint8_t(bytes[0])));
  const auto k = static_cast<std::uint8_t>(bytes[1]);
  if (k < 1 || k > 4) return make_error(errc::invalid_option, "door message of unknown kind " + std::to_string(k));
  return door_message{static_cast<door_kind>(k), std::string(bytes.substr(2))};
}

class door::impl {
public:
  impl(std::string key, std::string id, join_handler h)
      : key_(std::move(key)), id_(std::move(id)), on_join_(std::move(h)) {}
  ~impl() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void set_key(std::string key) {
    std::lock_guard<std::mutex> lock(key_mutex_);
    key_ = std::move(key);
  }
  std::string key() const {
    std::lock_guard<std::mutex> lock(key_mutex_);
    return key_;
  }

  sn::status open(const std::string& bind_address) {
    auto ep = parse_address(bind_address);
    if (!ep) return ep.error();
    auto where = door_address(bind_address);
    if (!where) return where.error();
    auto host = bindable_host(ep->host);
    if (!host) return host.error();
    const std::string endpoint = "tcp://" + *host + ":" + std::to_string(ep->port + 2u);
    try {
      router_ = zmq::socket_t(ctx_, zmq::socket_type::router);
      router_.set(zmq::sockopt::linger, 0);
      router_.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(door_request_bytes_max));
      if (!host->empty() && host->front() == '[') router_.set(zmq::sockopt::ipv6, 1);
      router_.bind(endpoint);
    } catch (const zmq::error_t& e) {
      return make_error(errc::bind_failed, "cannot bind the door at " + endpoint + " (bind " + bind_address +
                                               "): " + e.what() + "; a node uses PORT+2 for its door (joins, identify)");
    }
    log().info("broker: door of {} listening at {}", id_, endpoint);
    thread_ = std::thread([this] {
      ::pthread_setname_np(::pthread_self(), "sn.door");
      run();
    });
    return sn::status::ok();
  }

  door_stats stats() const { return door_stats{requests_.load(), dropped_.load()}; }

private:
  void run() {
    while (!stop_) {
      zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
      try {
        if (zmq::poll(&item, 1, std::chrono::milliseconds(door_poll_ms)) <= 0) continue;
        serve_one();
      } catch (const std::exception& e) {
        log().warn("broker: door of {}: {}", id_, e.what());
      }
    }
    router_.close();
  }

  void serve_one() {
    std::array<zmq::message_t, door_parts> parts;
    std::size_t n = 0;
    zmq::message_t part;
    if (!router_.recv(part, zmq::recv_flags::dontwait)) return;
    for (;;) {
      const bool more = part.more();
      if (n < door_parts) parts[n] = std::move(part);
      ++n;
      if (!more || !router_.recv(part, zmq::recv_flags::dontwait)) break;
    }
    if (n != door_parts || parts[1].size() != 0) {
      ++dropped_;
      return;
    }
    auto msg = decode_door(parts[2].to_string_view());
    std::string reply;
    if (!msg) {
      ++dropped_;
      return;
    }
    switch (msg->kind) {
      case door_kind::identify_request:
        reply = encode_door(door_kind::identify_reply, key() + id_);
        break;
      case door_kind::join_request:
        if (!on_join_) {
          ++dropped_;
          return;
        }
        reply = encode_door(door_kind::join_reply, on_join_(msg->body));
        break;
      default:
        ++dropped_;
        return;
    }
    ++requests_;
    router_.send(parts[0], zmq::send_flags::sndmore);
    router_.send(zmq::message_t(), zmq::send_flags::sndmore);
    router_.send(zmq::buffer(reply), zmq::send_flags::none);
  }

  std::string key_;
  std::string id_;
  mutable std::mutex key_mutex_;  ///< key_ changes on key rotation (caller thread) while the door thread answers
  join_handler on_join_;
  zmq::context_t ctx_{1};
  zmq::socket_t router_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> requests_{0}, dropped_{0};
  std::thread thread_;
};

sn::expected<std::unique_ptr<door>> door::start(const std::string& bind_address, std::string public_key,
                                                std::string device_id, join_handler on_join) {
  if (!is_z85_key(public_key)) return make_error(errc::invalid_key, "door: the public key is not 40 Z85 characters");
  auto p = std::make_unique<impl>(std::move(public_key), std::move(device_id), std::move(on_join));
  if (auto s = p->open(bind_address); !s) return s.error();
  return std::unique_ptr<door>(new door(std::move(p)));
}

door::door(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
door::~door() = default;
door_stats door::stats() const { return impl_->stats(); }
bool door::set_public_key(std::string public_key) {
  if (!is_z85_key(public_key)) return false;
  impl_->set_key(std::move(public_key));
  return true;
}

sn::expected<door_message> door_request(const std::string& node_address, door_kind kind, std::string_view body,
                                        int timeout_ms) {
  auto where = door_address(node_address);
  if (!where) return where.error();
  try {
    zmq::context_t ctx(1);
    zmq::socket_t req(ctx, zmq::socket_type::req);
    req.set(zmq::sockopt::linger, 0);
    req.set(zmq::sockopt::rcvtimeo, timeout_ms);
    req.set(zmq::sockopt::sndtimeo, timeout_ms);
    req.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(door_request_bytes_max));
    if (where->find("tcp://[") == 0) req.set(zmq::sockopt::ipv6, 1);
    req.connect(*where);
    const std::string request = encode_door(kind, body);
    if (!req.send(zmq::buffer(request), zmq::send_flags::none))
      return make_error(errc::zmq_failure, "no answer from " + *where + " within " + std::to_string(timeout_ms) + " ms");
    zmq::message_t reply;
    if (!req.recv(reply))
      return make_error(errc::zmq_failure, "no answer from " + *where + " within " + std::to_string(timeout_ms) + " ms");
    return decode_door(reply.to_string_view());
  } catch (const zmq::error_t& e) {
    return make_error(errc::zmq_failure, "door " + *where + ": " + e.what());
  }
}

sn::expected<identity_reply> identify(const std::string& node_address, int timeout_ms) {
  auto r = door_request(node_address, door_kind::identify_request, {}, timeout_ms);
  if (!r) return r.error();
  if (r->kind != door_kind::identify_reply || r->body.size() <= z85_key_chars)
    return make_error(errc::invalid_key, "identify: " + node_address + " answered something else");
  identity_reply out{r->body.substr(0, z85_key_chars), r->body.substr(z85_key_chars)};
  if (!is_z85_key(out.public_key)) return make_error(errc::invalid_key, "identify: " + node_address + " sent a malformed key");
  return out;
}

}  // namespace sn::broker
