// The ZeroMQ peer transport. Layout of this file: options validation, socket
// set-up, the hand-off queue (caller threads), the reactor loop (I/O thread).
//
// Threads: every zmq socket is created and bound on the thread calling start(),
// then used only by the I/O thread (std::thread's start is the full fence
// ZeroMQ asks for when a socket changes thread). Caller threads touch only the
// mutex-guarded queue and peer set, the eventfd and the atomic counters.
#include "broker/transport.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include <zmq.hpp>

#include "broker/curve.hpp"
#include "broker/log.hpp"

namespace sn::broker {

namespace {

/// Bodies at least this large are handed to ZeroMQ without a copy.
constexpr std::size_t zero_copy_bytes_min = 1024;
/// Most parts of one inbound message we keep; further parts are read and discarded.
constexpr std::size_t parts_kept_max = 3;
/// Receive HWM of a DEALER: nothing legitimate ever arrives on it.
constexpr int dealer_rcvhwm = 16;
/// The endpoint libzmq sends ZAP requests to (RFC 27).
constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
constexpr const char* zap_domain = "storenode";
/// Bounds of the options (see options.hpp).
constexpr std::size_t message_bytes_min = 1024;
constexpr std::size_t message_bytes_bound = std::size_t{256} << 20;
constexpr int hwm_bound = 1'000'000;

struct counters {
  std::atomic<std::uint64_t> frames_in_pub{0}, frames_in_direct{0}, frames_out_pub{0},
      frames_out_direct{0}, bytes_in{0}, bytes_out{0}, dropped_malformed{0}, dropped_oversized{0},
      dropped_unknown_version{0}, send_queue_full{0}, send_rejected{0}, send_dropped_hwm{0},
      send_dropped_no_key{0}, callback_errors{0}, dropped_own{0}, auth_denied{0}, auth_allowed{0},
      loop_iterations{0};
};

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

/// "[::1]": ZeroMQ needs ZMQ_IPV6 for it. Only set then, because with it on a
/// hostname may resolve to an IPv6 address first where the peer listens on IPv4.
bool ipv6_literal(const std::string& host) { return !host.empty() && host.front() == '['; }

bool wildcard_host(const std::string& host) {
  return host == "*" || host == "0.0.0.0" || host == "[::]" || host == "::";
}

sn::status check_bounds(const transport_options& o) {
  auto bad = [](std::string m) { return sn::status(make_error(errc::invalid_option, std::move(m))); };
  if (o.message_bytes_max < message_bytes_min || o.message_bytes_max > message_bytes_bound)
    return bad("message_bytes_max must be 1 KiB..256 MiB, got " + std::to_string(o.message_bytes_max));
  if (o.pub_hwm < 1 || o.pub_hwm > hwm_bound) return bad("pub_hwm must be 1..1000000");
  if (o.direct_hwm < 1 || o.direct_hwm > hwm_bound) return bad("direct_hwm must be 1..1000000");
  if (o.reconnect_interval_ms < 1 || o.reconnect_interval_ms > 60'000)
    return bad("reconnect_interval_ms must be 1..60000");
  if (o.reconnect_interval_ms_max < o.reconnect_interval_ms || o.reconnect_interval_ms_max > 600'000)
    return bad("reconnect_interval_ms_max must be reconnect_interval_ms..600000");
  if (o.zmtp_heartbeat_interval_ms < 0 || o.zmtp_heartbeat_interval_ms > 60'000)
    return bad("zmtp_heartbeat_interval_ms must be 0..60000");
  if (o.zmtp_heartbeat_timeout_ms < 0 || o.zmtp_heartbeat_timeout_ms > 600'000)
    return bad("zmtp_heartbeat_timeout_ms must be 0..600000");
  if (o.curve.enabled) {
    if (!zmq_has("curve")) return make_error(errc::curve_unavailable, "libzmq was built without CURVE");
    if (!is_z85_key(o.curve.secret_key) || !is_z85_key(o.curve.public_key))
      return make_error(errc::invalid_key, "curve.secret_key and curve.public_key must be 40 Z85 characters");
    auto derived = curve_public_key(o.curve.secret_key);
    if (!derived || *derived != o.curve.public_key)
      return make_error(errc::invalid_key, "curve.public_key does not belong to curve.secret_key");
    for (const auto& k : o.curve.allowed_public_keys)
      if (!is_z85_key(k)) return make_error(errc::invalid_key, "allowed key '" + k + "' is not 40 Z85 characters");
    for (const auto& [addr, k] : o.curve.peer_public_keys)
      if (!is_z85_key(k)) return make_error(errc::invalid_key, "key of peer " + addr + " is not 40 Z85 characters");
  }
  return sn::status::ok();
}

zmq::message_t body_message(std::string&& body) {
  if (body.size() < zero_copy_bytes_min) return zmq::message_t(body.data(), body.size());
  auto* owned = new std::string(std::move(body));
  // libzmq calls this on its own I/O thread once the bytes are on the wire.
  return zmq::message_t(
      owned->data(), owned->size(), [](void*, void* hint) { delete static_cast<std::string*>(hint); }, owned);
}

std::string z85_of(const void* key32) {
  char text[41] = {};
  zmq_z85_encode(text, static_cast<const std::uint8_t*>(key32), 32);
  return text;
}

} // namespace

// ---------------------------------------------------------------------------

class transport::impl {
public:
  impl(transport_options o, message_handler h) : opt_(std::move(o)), on_message_(std::move(h)) {}
  ~impl();

  sn::status open();
  bool enqueue_publish(message_type t, std::string&& body);
  bool enqueue_send(const std::string& peer, message_type t, std::string&& body);
  bool enqueue_add_peer(const std::string& address, const std::string& key);
  std::vector<std::string> peers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {known_.begin(), known_.end()};
  }
  transport_stats stats() const;
  const std::string& address() const noexcept { return self_; }

private:
  enum class command_kind : std::uint8_t { publish, send, add_peer };
  struct command {
    command_kind kind;
    message_type type = 0;
    std::string peer;  ///< send, add_peer
    std::string key;   ///< add_peer: Z85 public key or empty
    std::string body;  ///< publish, send
  };
  /// The sockets towards one peer. Without a key (CURVE on, key unknown) the
  /// sockets are not created yet and direct frames to it are dropped.
  struct peer_link {
    std::string key;
    std::unique_ptr<zmq::socket_t> dealer;
    std::unique_ptr<zmq::socket_t> sub;
  };
  enum class source : std::uint8_t { wake, router, zap, sub, dealer };

  // caller side
  bool push(command&& c);
  void wake() noexcept;
  /// Checks an address for add_peer/send: valid and not ourselves.
  bool acceptable_peer(const std::string& address) const;

  // I/O thread
  void run();
  void iterate();
  void drain_commands();
  void run_command(command& c);
  void rebuild_poll_set();
  void do_send(const std::string& peer, message_type t, std::string&& body);
  peer_link* link_for(const std::string& address, const std::string& key);
  void connect_link(const std::string& address, peer_link& link);
  void set_common(zmq::socket_t& s, bool receives);
  void set_client(zmq::socket_t& s, const std::string& server_key);
  /// Reads up to inbound_batch_max messages from `s`; `parts_expected` is 3 on
  /// the ROUTER ([routing id][header][body]), 2 on a SUB, 0 on a DEALER (nothing may arrive).
  void read_socket(zmq::socket_t& s, channel ch, std::size_t parts_expected);
  void handle_frame(std::array<zmq::message_t, parts_kept_max>& parts, std::size_t n, channel ch);
  void serve_zap();

  transport_options opt_;
  message_handler on_message_;
  std::string self_;  ///< advertised address
  std::string identity_;
  std::size_t zmq_maxmsgsize_ = 0;
  std::unordered_set<std::string> allowed_keys_;

  // Declared before every socket: destroyed after them.
  zmq::context_t ctx_{1};
  int wake_fd_ = -1;

  // shared with caller threads (mutex_)
  mutable std::mutex mutex_;
  std::deque<command> queue_;
  std::size_t queue_bytes_ = 0;
  std::set<std::string> known_;
  std::atomic<bool> stop_{false};
  counters c_;

  // I/O thread only (after start)
  zmq::socket_t router_;
  zmq::socket_t pub_;
  zmq::socket_t zap_;
  std::map<std::string, peer_link> links_;  ///< node-stable: poll_sources_ points into it
  std::vector<zmq::pollitem_t> poll_items_;
  std::vector<std::pair<source, peer_link*>> poll_sources_;
  bool poll_dirty_ = true;
  std::string header_buf_;  ///< encode_header(type, self_) once; byte 1 (the type) is patched per frame
  std::unordered_set<std::string> denied_logged_;  ///< refused keys already logged at warn (bounded)

  std::thread thread_;  ///< last: started when everything above exists
};

transport::impl::~impl() {
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_release);
    wake();
    thread_.join();
  }
  // join() is the fence: sockets may now be closed on this thread.
  links_.clear();
  router_.close();
  pub_.close();
  zap_.close();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

sn::status transport::impl::open() {
  auto bind_ep = parse_address(opt_.bind);
  if (!bind_ep) return bind_ep.error();
  self_ = opt_.advertised.empty() ? opt_.bind : opt_.advertised;
  auto self_ep = parse_address(self_);
  if (!self_ep) return self_ep.error();
  if (wildcard_host(self_ep->host))
    return make_error(errc::invalid_option,
                      "bind " + opt_.bind + " has a wildcard host: set `advertised` to an address peers can reach");
  header_buf_ = encode_header(0, self_);
  identity_ = opt_.identity.empty() ? self_ : opt_.identity;
  if (identity_.size() > address_bytes_max || identity_[0] == '\0')
    return make_error(errc::invalid_option, "identity must be 1..255 bytes and not start with a zero byte");
  if (auto s = check_bounds(opt_); !s) return s;
  // Twice the body bound: a slightly oversized frame still arrives and is
  // counted; a grossly oversized one makes ZeroMQ drop the sender's connection.
  zmq_maxmsgsize_ = opt_.message_bytes_max * 2;
  for (const auto& k : opt_.curve.allowed_public_keys) allowed_keys_.insert(k);
  allowed_keys_.insert(opt_.curve.public_key);

  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return make_error(errc::zmq_failure, std::string("eventfd: ") + std::strerror(errno));

  try {
    ctx_.set(zmq::ctxopt::blocky, 0);
    if (opt_.curve.enabled) {
      // The ZAP handler must exist before a CURVE server accepts a connection.
      zap_ = zmq::socket_t(ctx_, zmq::socket_type::rep);
      zap_.set(zmq::sockopt::linger, 0);
      zap_.bind(zap_endpoint);
    }
    router_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    set_common(router_, true);
    router_.set(zmq::sockopt::router_handover, 1);  // a restarted peer reuses its routing id
    router_.set(zmq::sockopt::rcvhwm, opt_.direct_hwm);
    pub_ = zmq::socket_t(ctx_, zmq::socket_type::pub);
    set_common(pub_, false);
    pub_.set(zmq::sockopt::sndhwm, opt_.pub_hwm);
    for (auto* s : {&router_, &pub_}) {
      if (ipv6_literal(bind_ep->host)) s->set(zmq::sockopt::ipv6, 1);
      if (!opt_.curve.enabled) continue;
      s->set(zmq::sockopt::curve_server, 1);
      s->set(zmq::sockopt::curve_secretkey, opt_.curve.secret_key);
      s->set(zmq::sockopt::zap_domain, zap_domain);
    }
  } catch (const zmq::error_t& e) {
    return make_error(errc::zmq_failure, std::string("socket set-up: ") + e.what());
  }
  auto bind = [&](zmq::socket_t& s, const std::string& where, const char* what) -> sn::status {
    try {
      s.bind(where);
      return sn::status::ok();
    } catch (const zmq::error_t& e) {
      return make_error(errc::bind_failed, std::string("cannot bind ") + what + " at " + where + ": " + e.what() +
                                               " (a node uses PORT for its ROUTER and PORT+1 for its PUB)");
    }
  };
  if (auto s = bind(router_, router_address(*bind_ep), "ROUTER"); !s) return s;
  if (auto s = bind(pub_, pub_address(*bind_ep), "PUB"); !s) return s;

  for (const auto& p : opt_.peers) {
    if (auto ep = parse_address(p); !ep) return ep.error();
    if (p == self_) continue;
    if (known_.size() >= peers_max) return make_error(errc::invalid_option, "more than peers_max peers");
    known_.insert(p);
    try {
      link_for(p, {});
    } catch (const zmq::error_t& e) {
      return make_error(errc::zmq_failure, "connect to " + p + ": " + e.what());
    }
  }
  log().info("broker: listening at {} (ROUTER) and {} (PUB), {} peers, curve {}", router_address(*bind_ep),
             pub_address(*bind_ep), known_.size(), opt_.curve.enabled ? "on" : "off");
  thread_ = std::thread([this] { run(); });
  return sn::status::ok();
}

void transport::impl::set_common(zmq::socket_t& s, bool receives) {
  s.set(zmq::sockopt::linger, 0);  // shutdown is prompt; unsent frames are discarded
  if (receives) s.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(zmq_maxmsgsize_));
}

void transport::impl::set_client(zmq::socket_t& s, const std::string& server_key) {
  set_common(s, true);
  s.set(zmq::sockopt::reconnect_ivl, opt_.reconnect_interval_ms);
  s.set(zmq::sockopt::reconnect_ivl_max, opt_.reconnect_interval_ms_max);
  if (opt_.zmtp_heartbeat_interval_ms > 0) {
    s.set(zmq::sockopt::heartbeat_ivl, opt_.zmtp_heartbeat_interval_ms);
    s.set(zmq::sockopt::heartbeat_timeout, opt_.zmtp_heartbeat_timeout_ms);
  }
  if (opt_.curve.enabled) {
    s.set(zmq::sockopt::curve_serverkey, server_key);
    s.set(zmq::sockopt::curve_publickey, opt_.curve.public_key);
    s.set(zmq::sockopt::curve_secretkey, opt_.curve.secret_key);
  }
}

// --- caller side -----------------------------------------------------------

void transport::impl::wake() noexcept {
  std::uint64_t one = 1;
  // EAGAIN only if the counter is saturated, which still leaves it readable.
  [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
}

bool transport::impl::push(command&& c) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= command_queue_max || queue_bytes_ + c.body.size() > command_queue_bytes_max) {
      bump(c_.send_queue_full);
      return false;
    }
    was_empty = queue_.empty();
    queue_bytes_ += c.body.size();
    queue_.push_back(std::move(c));
  }
  // The I/O thread empties the whole queue per wake-up, so only the push that
  // finds it empty needs to wake it.
  if (was_empty) wake();
  return true;
}

bool transport::impl::acceptable_peer(const std::string& address) const {
  return address != self_ && parse_address(address).has_value();
}

bool transport::impl::enqueue_publish(message_type t, std::string&& body) {
  if (body.size() > opt_.message_bytes_max) {
    bump(c_.send_rejected);
    return false;
  }
  return push(command{command_kind::publish, t, {}, {}, std::move(body)});
}

bool transport::impl::enqueue_send(const std::string& peer, message_type t, std::string&& body) {
  if (body.size() > opt_.message_bytes_max) {
    bump(c_.send_rejected);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (known_.count(peer) == 0) {
      if (known_.size() >= peers_max || !acceptable_peer(peer)) {
        bump(c_.send_rejected);
        return false;
      }
      known_.insert(peer);  // the I/O thread connects it when it handles this send
    }
  }
  return push(command{command_kind::send, t, peer, {}, std::move(body)});
}

bool transport::impl::enqueue_add_peer(const std::string& address, const std::string& key) {
  if (!key.empty() && !is_z85_key(key)) return false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (known_.count(address) != 0 && key.empty()) return true;
    if (known_.count(address) == 0) {
      if (known_.size() >= peers_max || !acceptable_peer(address)) return false;
      known_.insert(address);
    }
  }
  return push(command{command_kind::add_peer, 0, address, key, {}});
}

transport_stats transport::impl::stats() const {
  auto g = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  transport_stats s;
  s.frames_in_pub = g(c_.frames_in_pub);
  s.frames_in_direct = g(c_.frames_in_direct);
  s.frames_out_pub = g(c_.frames_out_pub);
  s.frames_out_direct = g(c_.frames_out_direct);
  s.bytes_in = g(c_.bytes_in);
  s.bytes_out = g(c_.bytes_out);
  s.dropped_malformed = g(c_.dropped_malformed);
  s.dropped_oversized = g(c_.dropped_oversized);
  s.dropped_unknown_version = g(c_.dropped_unknown_version);
  s.send_queue_full = g(c_.send_queue_full);
  s.send_rejected = g(c_.send_rejected);
  s.send_dropped_hwm = g(c_.send_dropped_hwm);
  s.send_dropped_no_key = g(c_.send_dropped_no_key);
  s.callback_errors = g(c_.callback_errors);
  s.dropped_own = g(c_.dropped_own);
  s.auth_denied = g(c_.auth_denied);
  s.auth_allowed = g(c_.auth_allowed);
  s.loop_iterations = g(c_.loop_iterations);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    s.peers = known_.size();
  }
  return s;
}

// --- I/O thread --------------------------------------------------------------

void transport::impl::run() {
  while (!stop_.load(std::memory_order_acquire)) {
    try {
      iterate();
    } catch (const std::exception& e) {
      // Never fatal: a ZeroMQ error on one socket must not stop the node's transport.
      log().warn("broker: reactor error at {}: {}", self_, e.what());
    }
  }
}

void transport::impl::rebuild_poll_set() {
  poll_items_.clear();
  poll_sources_.clear();
  poll_items_.push_back({nullptr, wake_fd_, ZMQ_POLLIN, 0});
  poll_sources_.emplace_back(source::wake, nullptr);
  poll_items_.push_back({router_.handle(), 0, ZMQ_POLLIN, 0});
  poll_sources_.emplace_back(source::router, nullptr);
  if (zap_) {
    poll_items_.push_back({zap_.handle(), 0, ZMQ_POLLIN, 0});
    poll_sources_.emplace_back(source::zap, nullptr);
  }
  for (auto& [address, link] : links_) {
    if (!link.sub) continue;
    poll_items_.push_back({link.sub->handle(), 0, ZMQ_POLLIN, 0});
    poll_sources_.emplace_back(source::sub, &link);
    poll_items_.push_back({link.dealer->handle(), 0, ZMQ_POLLIN, 0});
    poll_sources_.emplace_back(source::dealer, &link);
  }
  poll_dirty_ = false;
}

void transport::impl::iterate() {
  if (poll_dirty_) rebuild_poll_set();
  bump(c_.loop_iterations);
  // No timers in the transport: sleep until a frame, a wake-up or the idle timeout.
  int rc = zmq_poll(poll_items_.data(), static_cast<int>(poll_items_.size()), idle_poll_timeout_ms);
  if (rc < 0) {
    if (zmq_errno() == EINTR) return;
    throw zmq::error_t();
  }
  if (rc == 0) return;
  // Handle every ready source. New links only mark the set dirty; it is rebuilt
  // at the next round, so these vectors do not change inside this loop.
  for (std::size_t i = 0; i < poll_items_.size(); ++i) {
    if ((poll_items_[i].revents & ZMQ_POLLIN) == 0) continue;
    auto [what, link] = poll_sources_[i];
    switch (what) {
      case source::wake: {
        std::uint64_t n = 0;
        [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
        if (stop_.load(std::memory_order_acquire)) return;
        drain_commands();
        break;
      }
      case source::router: read_socket(router_, channel::direct, 3); break;
      case source::zap: serve_zap(); break;
      case source::sub: read_socket(*link->sub, channel::pub, 2); break;
      case source::dealer: read_socket(*link->dealer, channel::direct, 0); break;
    }
  }
}

void transport::impl::drain_commands() {
  std::deque<command> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(queue_);
    queue_bytes_ = 0;
  }
  for (auto& c : batch) {
    try {
      run_command(c);
    } catch (const std::exception& e) {
      // One failing command (a ZeroMQ error on one socket) must not lose the rest of the batch.
      log().warn("broker: {} could not {} {}: {}", self_,
                 c.kind == command_kind::publish ? "publish" : c.kind == command_kind::send ? "send to" : "add peer",
                 c.peer, e.what());
    }
  }
}

void transport::impl::run_command(command& c) {
  switch (c.kind) {
    case command_kind::publish: {
      header_buf_[1] = static_cast<char>(c.type);
      auto bytes = header_buf_.size() + c.body.size();
      // PUB never blocks: past its HWM ZeroMQ drops the frame for that subscriber.
      pub_.send(zmq::buffer(header_buf_), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      pub_.send(body_message(std::move(c.body)), zmq::send_flags::dontwait);
      bump(c_.frames_out_pub);
      bump(c_.bytes_out, bytes);
      break;
    }
    case command_kind::send: do_send(c.peer, c.type, std::move(c.body)); break;
    case command_kind::add_peer: link_for(c.peer, c.key); break;
  }
}

transport::impl::peer_link* transport::impl::link_for(const std::string& address, const std::string& key) {
  auto [it, inserted] = links_.try_emplace(address);
  auto& link = it->second;
  if (link.key.empty() && !key.empty()) link.key = key;
  if (inserted && link.key.empty()) {
    if (auto k = opt_.curve.peer_public_keys.find(address); k != opt_.curve.peer_public_keys.end())
      link.key = k->second;
  }
  if (!link.sub && (!opt_.curve.enabled || !link.key.empty())) connect_link(address, link);
  return &link;
}

void transport::impl::connect_link(const std::string& address, peer_link& link) {
  auto ep = parse_address(address);
  if (!ep) return;  // checked before it was queued
  auto dealer = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
  set_client(*dealer, link.key);
  dealer->set(zmq::sockopt::routing_id, identity_);
  dealer->set(zmq::sockopt::sndhwm, opt_.direct_hwm);
  dealer->set(zmq::sockopt::rcvhwm, dealer_rcvhwm);
  auto sub = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::sub);
  set_client(*sub, link.key);
  sub->set(zmq::sockopt::rcvhwm, opt_.pub_hwm);
  sub->set(zmq::sockopt::subscribe, "");
  if (ipv6_literal(ep->host)) {
    dealer->set(zmq::sockopt::ipv6, 1);
    sub->set(zmq::sockopt::ipv6, 1);
  }
  dealer->connect(router_address(*ep));
  sub->connect(pub_address(*ep));
  link.dealer = std::move(dealer);
  link.sub = std::move(sub);
  poll_dirty_ = true;
  log().info("broker: {} dialling peer {}", self_, address);
}

void transport::impl::do_send(const std::string& peer, message_type t, std::string&& body) {
  auto* link = link_for(peer, {});
  if (!link->dealer) {
    bump(c_.send_dropped_no_key);
    return;
  }
  header_buf_[1] = static_cast<char>(t);
  auto bytes = header_buf_.size() + body.size();
  // HWM is checked on the first part only; the second part of an accepted frame always goes.
  if (!link->dealer->send(zmq::buffer(header_buf_), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
    bump(c_.send_dropped_hwm);
    return;
  }
  link->dealer->send(body_message(std::move(body)), zmq::send_flags::dontwait);
  bump(c_.frames_out_direct);
  bump(c_.bytes_out, bytes);
}

void transport::impl::read_socket(zmq::socket_t& s, channel ch, std::size_t parts_expected) {
  std::array<zmq::message_t, parts_kept_max> parts;
  for (std::size_t m = 0; m < inbound_batch_max; ++m) {
    std::size_t n = 0;
    zmq::message_t part;
    if (!s.recv(part, zmq::recv_flags::dontwait)) return;
    for (;;) {
      bool more = part.more();
      if (n < parts_kept_max) parts[n] = std::move(part);
      ++n;
      // The parts of one message arrive together: the rest is already here.
      if (!more || !s.recv(part, zmq::recv_flags::dontwait)) break;
    }
    if (n != parts_expected) {
      bump(c_.dropped_malformed);
      log().debug("broker: {} dropped a {}-part message (expected {})", self_, n, parts_expected);
      continue;
    }
    handle_frame(parts, n, ch);
  }
}

void transport::impl::handle_frame(std::array<zmq::message_t, parts_kept_max>& parts, std::size_t n,
                                   channel ch) {
  auto& header = parts[n - 2];
  auto& body = parts[n - 1];
  frame_header h;
  switch (decode_header(header.to_string_view(), h)) {
    case header_check::ok: break;
    case header_check::malformed:
      bump(c_.dropped_malformed);
      log().debug("broker: {} dropped a frame with a malformed header", self_);
      return;
    case header_check::unknown_version:
      bump(c_.dropped_unknown_version);
      log().debug("broker: {} dropped a frame of unknown version", self_);
      return;
  }
  if (h.sender == self_) {
    // We reached ourselves through an alias of our address (e.g. localhost vs
    // 127.0.0.1 in a peer list): never deliver our own frames back to us.
    bump(c_.dropped_own);
    return;
  }
  if (body.size() > opt_.message_bytes_max) {
    bump(c_.dropped_oversized);
    log().debug("broker: {} dropped a {}-byte body from {}", self_, body.size(), h.sender);
    return;
  }
  inbound in;
  in.peer.assign(h.sender.data(), h.sender.size());
  in.type = h.type;
  in.body.assign(static_cast<const char*>(body.data()), body.size());
  in.ch = ch;
  if (ch == channel::direct && opt_.curve.enabled) {
    try {
      in.public_key = body.gets("User-Id");  // set by our ZAP handler: the authenticated client key
    } catch (const zmq::error_t&) {
    }
  }
  bump(ch == channel::pub ? c_.frames_in_pub : c_.frames_in_direct);
  bump(c_.bytes_in, header.size() + body.size());
  if (ch == channel::direct) {
    bool learn = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      bool known = known_.count(in.peer) != 0;
      if (!known && opt_.learn_senders && known_.size() < peers_max && acceptable_peer(in.peer)) {
        known_.insert(in.peer);
        learn = true;
      }
      if (known) learn = true;  // may still be waiting for its CURVE key
    }
    if (learn) {
      auto it = links_.find(in.peer);
      bool needs = it == links_.end() || !it->second.sub;
      if (needs) link_for(in.peer, in.public_key);
    }
  }
  try {
    on_message_(std::move(in));
  } catch (const std::exception& e) {
    bump(c_.callback_errors);
    log().warn("broker: {} on_message threw: {}", self_, e.what());
  } catch (...) {
    bump(c_.callback_errors);
    log().warn("broker: {} on_message threw a non-standard exception", self_);
  }
}

void transport::impl::serve_zap() {
  // RFC 27 request: version, request id, domain, address, identity, mechanism, credentials...
  constexpr std::size_t zap_parts_max = 8;
  for (std::size_t m = 0; m < inbound_batch_max; ++m) {
    std::array<zmq::message_t, zap_parts_max> parts;
    std::size_t n = 0;
    zmq::message_t part;
    if (!zap_.recv(part, zmq::recv_flags::dontwait)) return;
    for (;;) {
      bool more = part.more();
      if (n < zap_parts_max) parts[n] = std::move(part);
      ++n;
      if (!more || !zap_.recv(part, zmq::recv_flags::dontwait)) break;
    }
    bool ok = false;
    std::string key;
    if (n >= 7 && parts[5].to_string_view() == "CURVE" && parts[6].size() == 32) {
      key = z85_of(parts[6].data());
      ok = allowed_keys_.count(key) != 0;
    }
    bump(ok ? c_.auth_allowed : c_.auth_denied);
    if (!ok) {
      // A refused client redials every reconnect interval: warn once per key, then debug.
      constexpr std::size_t denied_logged_max = 64;
      bool first = denied_logged_.size() < denied_logged_max && denied_logged_.insert(key).second;
      log().log(first ? spdlog::level::warn : spdlog::level::debug, "broker: {} refused a CURVE client (key {})",
                self_, key.empty() ? "none" : key);
    }
    std::string request_id = n >= 2 ? parts[1].to_string() : std::string();
    zap_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    zap_.send(ok ? zmq::str_buffer("200") : zmq::str_buffer("400"), zmq::send_flags::sndmore);
    zap_.send(ok ? zmq::str_buffer("OK") : zmq::str_buffer("key not allowed"), zmq::send_flags::sndmore);
    zap_.send(zmq::buffer(key), zmq::send_flags::sndmore);  // User-Id: frames carry it as metadata
    zap_.send(zmq::str_buffer(""), zmq::send_flags::none);
  }
}

// --- public surface ----------------------------------------------------------

sn::expected<std::unique_ptr<transport>> transport::start(transport_options options, message_handler on_message) {
  if (!on_message) return make_error(errc::invalid_option, "on_message must be set");
  auto p = std::make_unique<impl>(std::move(options), std::move(on_message));
  if (auto s = p->open(); !s) return s.error();
  return std::unique_ptr<transport>(new transport(std::move(p)));
}

transport::transport(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
transport::~transport() = default;

bool transport::publish(message_type type, std::string body) { return impl_->enqueue_publish(type, std::move(body)); }

bool transport::send(const std::string& peer, message_type type, std::string body) {
  return impl_->enqueue_send(peer, type, std::move(body));
}

bool transport::add_peer(const std::string& address, const std::string& public_key) {
  return impl_->enqueue_add_peer(address, public_key);
}

std::vector<std::string> transport::peers() const { return impl_->peers(); }
const std::string& transport::address() const noexcept { return impl_->address(); }
transport_stats transport::stats() const { return impl_->stats(); }

} // namespace sn::broker
