// The ZeroMQ peer transport. Layout of this file: options validation, socket
// set-up, the hand-off queue (caller threads), the reactor loop (I/O thread):
// poll with a timeout equal to the next timer, handle frames and socket
// events, then timers (redials, probation), then close what was evicted.
//
// Threads: every zmq socket is created and bound on the thread calling start(),
// then used only by the I/O thread (std::thread's start is the full fence
// ZeroMQ asks for when a socket changes thread). Caller threads touch only the
// mutex-guarded queue and peer snapshot, the eventfd and the atomic counters.
#include "broker/transport.hpp"

#include <pthread.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include <zmq.hpp>

#include "broker/address.hpp"
#include "broker/curve.hpp"
#include "broker/door.hpp"
#include "broker/log.hpp"
#include "broker/peer_table.hpp"

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
/// Bounds of the peer table's shares: the sockets of every link must fit
/// ZMQ_MAX_SOCKETS and a file-descriptor budget (each socket holds an eventfd).
constexpr std::size_t links_bound = 160;
/// Sockets that are not per link: ROUTER, PUB, ZAP handler, and headroom.
constexpr std::size_t fixed_sockets = 16;
/// CURVE keys remembered for addresses not (yet) in the peer table.
constexpr std::size_t keys_max = 256;
/// Events read from a socket monitor: connection up, retries, and every way it ends.
constexpr int monitored_events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CONNECT_RETRIED |
                                 ZMQ_EVENT_CLOSED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

struct counters {
  std::atomic<std::uint64_t> frames_in_pub{0}, frames_in_direct{0}, frames_out_pub{0}, frames_out_direct{0},
      bytes_in{0}, bytes_out{0}, dropped_malformed{0}, dropped_oversized{0}, dropped_unknown_version{0},
      send_queue_full{0}, send_rejected{0}, send_dropped_hwm{0}, send_dropped_no_key{0}, send_dropped_no_peer{0},
      callback_errors{0}, dropped_own{0}, dropped_unproven{0}, auth_denied{0}, auth_allowed{0}, redials{0},
      disconnects{0}, loop_iterations{0};
};

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

/// "[::1]": ZeroMQ needs ZMQ_IPV6 for it. Only set then, because with it on a
/// hostname may resolve to an IPv6 address first where the peer listens on IPv4.
bool ipv6_literal(const std::string& host) { return !host.empty() && host.front() == '['; }

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
  if (o.connect_timeout_ms < 100 || o.connect_timeout_ms > 60'000) return bad("connect_timeout_ms must be 100..60000");
  if (o.zmtp_heartbeat_interval_ms < 0 || o.zmtp_heartbeat_interval_ms > 60'000)
    return bad("zmtp_heartbeat_interval_ms must be 0..60000");
  if (o.zmtp_heartbeat_timeout_ms < 0 || o.zmtp_heartbeat_timeout_ms > 600'000)
    return bad("zmtp_heartbeat_timeout_ms must be 0..600000");
  const auto& l = o.peer_limits;
  if (l.trusted_max < 1 || l.probation_max < 1 || l.probation_per_source_max < 1 || l.probation_local_max < 1 ||
      l.trusted_max + l.proven_max + l.probation_max > links_bound)
    return bad(
        "peer_limits: trusted_max, probation_max and the per-source shares must be >= 1, and trusted_max + "
        "proven_max + probation_max <= " +
        std::to_string(links_bound));
  if (l.probation_ms < 100 || l.probation_ms > 600'000) return bad("peer_limits.probation_ms must be 100..600000");
  if (o.peers.size() > l.trusted_max)
    return bad(std::to_string(o.peers.size()) +
               " configured peers: at most peer_limits.trusted_max = " + std::to_string(l.trusted_max));
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

const char* event_name(std::uint16_t ev) {
  switch (ev) {
    case ZMQ_EVENT_CONNECTED:
      return "connected";
    case ZMQ_EVENT_CONNECT_DELAYED:
      return "connect_delayed";
    case ZMQ_EVENT_CONNECT_RETRIED:
      return "connect_retried";
    case ZMQ_EVENT_CLOSED:
      return "closed";
    case ZMQ_EVENT_DISCONNECTED:
      return "disconnected";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
      return "handshake_succeeded";
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      return "handshake_failed";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      return "handshake_failed_protocol";
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return "handshake_failed_auth";
  }
  return "other";
}

}  // namespace

// ---------------------------------------------------------------------------

class transport::impl {
 public:
  impl(transport_options o, message_handler h)
      : opt_(std::move(o)), on_message_(std::move(h)), table_(std::string(), opt_.peer_limits) {}
  ~impl();

  sn::status open();
  bool enqueue_publish(message_type t, std::string&& body);
  bool enqueue_send(const std::string& peer, message_type t, std::string&& body);
  bool enqueue_add_peer(const std::string& address, const std::string& key);
  std::vector<std::string> peers() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counted_;
  }
  transport_stats stats() const;
  const std::string& address() const noexcept { return self_; }
  bool enqueue_members(std::vector<std::string> keys);
  bool enqueue_own_key(const std::string& secret_key, const std::string& public_key);

 private:
  enum class command_kind : std::uint8_t { publish, send, add_peer, members, own_key };
  struct command {
    command_kind kind;
    message_type type = 0;
    std::string peer;  ///< send, add_peer
    std::string key;   ///< add_peer: Z85 public key or empty; own_key: the new public key
    std::string body;  ///< publish, send; own_key: the new secret key (Z85)
    std::vector<std::string> keys;  ///< members: the Z85 keys to admit
  };
  /// One client socket towards a peer, watched by a ZeroMQ socket monitor.
  /// libzmq redials a dropped connection by itself (ZMQ_RECONNECT_IVL) except
  /// after a protocol error: an over-limit frame (ZMQ_MAXMSGSIZE), a bad
  /// greeting or a refused CURVE handshake make session_base_t::engine_error
  /// end the session instead of reconnecting, and the socket stays silent
  /// for good. The monitor tells the two apart: a connection that ends
  /// without a retry event within redial_grace_ms is redialled here.
  struct watched_socket {
    std::unique_ptr<zmq::socket_t> socket;
    std::unique_ptr<zmq::socket_t> monitor;  ///< PAIR reading the socket's monitor events
    std::uint64_t redial_at_ms = 0;          ///< 0: connected, or libzmq retrying by itself
    std::uint64_t up_since_ms = 0;           ///< last completed handshake; 0 while down
    std::uint64_t backoff_ms = 0;            ///< delay of the next redial; 0 = reconnect_interval_ms
  };
  /// The sockets towards one peer. Without a key (CURVE on, key unknown) the
  /// sockets are not created yet and direct frames to it are dropped.
  struct peer_link {
    std::string address;
    std::string key;
    watched_socket dealer;
    watched_socket sub;
  };
  enum class source : std::uint8_t { wake, router, zap, sub, dealer, sub_monitor, dealer_monitor, server_monitor };
  struct poll_source {
    source what;
    peer_link* link;
  };

  // caller side
  bool push(command&& c);
  void wake() noexcept;
  /// Checks an address for add_peer/send: valid and not ourselves.
  bool acceptable_peer(const std::string& address) const;

  // I/O thread
  void run();
  void iterate();
  int poll_timeout_ms(std::uint64_t now) const;
  void drain_commands();
  void run_command(command& c);
  void rebuild_poll_set();
  void do_send(const std::string& peer, message_type t, std::string&& body);
  /// Nominates `address` on behalf of `source`; opens the sockets of what the table admits.
  void nominate(const std::string& address, const std::string& source, const std::string& key);
  void remember_key(const std::string& address, const std::string& key);
  void open_added();
  void close_removed();
  peer_link& link_for(const std::string& address);
  void connect_link(peer_link& link);
  void open_socket(peer_link& link, watched_socket& w, bool is_sub);
  void close_socket(watched_socket& w);
  void set_common(zmq::socket_t& s, bool receives);
  void set_client(zmq::socket_t& s, const std::string& server_key);
  void read_monitor(peer_link& link, watched_socket& w, bool is_sub);
  void on_socket_event(peer_link& link, watched_socket& w, bool is_sub, std::uint16_t event);
  void run_timers(std::uint64_t now);
  void publish_snapshot();
  /// Reads up to inbound_batch_max messages from `s`; `parts_expected` is 3 on
  /// the ROUTER ([routing id][header][body]), 2 on a SUB, 0 on a DEALER (nothing may arrive).
  void read_socket(zmq::socket_t& s, channel ch, std::size_t parts_expected, peer_link* link);
  void handle_frame(std::array<zmq::message_t, parts_kept_max>& parts, std::size_t n, channel ch, peer_link* link);
  void serve_zap();
  /// Replaces the admitted keys; a key that left cuts the connections (docs/protocol.md 2.5).
  void apply_members(std::vector<std::string>&& keys);
  /// Key rotation: this node's CURVE key pair becomes (secret, public): ROUTER
  /// and PUB are re-bound with it and every link is redialled with it.
  void apply_own_key(std::string& secret, const std::string& public_key);
  /// Closes and re-binds ROUTER and PUB: every inbound connection ends and
  /// must pass the ZAP handler again (members redial by themselves).
  void cut_inbound();
  void read_server_monitor(zmq::socket_t& m);
  /// Asks the resolver thread for the CURVE key of `address` (identify at its door).
  void request_key(const std::string& address);
  void run_resolver();

  transport_options opt_;
  message_handler on_message_;
  std::string self_;  ///< advertised address
  std::string identity_;
  std::size_t zmq_maxmsgsize_ = 0;
  std::unordered_set<std::string> allowed_keys_;  ///< I/O thread: the ZAP allow-list (members and ourselves)
  std::vector<std::string> router_endpoints_, pub_endpoints_;  ///< what ROUTER and PUB bound (for cut_inbound)

  // Declared before every socket: destroyed after them.
  zmq::context_t ctx_{1};
  int wake_fd_ = -1;

  // shared with caller threads (mutex_)
  mutable std::mutex mutex_;
  std::deque<command> queue_;
  std::size_t queue_bytes_ = 0;
  std::set<std::string> known_;       ///< table addresses and aliases: add_peer may skip them
  std::vector<std::string> counted_;  ///< peers(): trusted and proven
  peer_table::counts table_counts_;   ///< sizes of the shares
  peer_table::counters table_stats_;  ///< the table's counters
  std::atomic<bool> stop_{false};
  counters c_;
  // shared with the resolver thread (resolve_mutex_)
  std::mutex resolve_mutex_;
  std::condition_variable resolve_cv_;
  std::map<std::string, std::uint64_t> resolve_due_;  ///< address -> when to try (steady ms); <= keys_max
  std::unordered_set<std::string> members_snapshot_;  ///< the admitted keys, as the resolver checks them
  std::uint64_t members_generation_ = 0;  ///< bumped by every apply_members: the resolver's backoff starts over
  std::thread resolver_;

  // I/O thread only (after start)
  peer_table table_;
  std::uint64_t table_version_published_ = ~std::uint64_t{0};
  std::uint64_t refused_published_ = 0;
  std::map<std::string, std::string> keys_;  ///< CURVE keys by address, for links still to open (<= keys_max)
  zmq::socket_t router_;
  zmq::socket_t pub_;
  zmq::socket_t zap_;
  std::vector<std::unique_ptr<zmq::socket_t>> server_monitors_;  ///< handshake failures of ROUTER and PUB
  std::map<std::string, peer_link> links_;  ///< node-stable: poll_sources_ points into it; erased only in close_removed
  std::vector<zmq::pollitem_t> poll_items_;
  std::vector<poll_source> poll_sources_;
  bool poll_dirty_ = true;
  std::uint64_t monitor_seq_ = 0;
  std::string header_buf_;  ///< encode_header(type, self_) once; byte 1 (the type) is patched per frame
  std::unordered_set<std::string> denied_logged_;  ///< refused keys already logged at warn (bounded)

  std::thread thread_;  ///< last: started when everything above exists
};

transport::impl::~impl() {
  stop_.store(true, std::memory_order_release);
  if (resolver_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(resolve_mutex_);
      resolve_cv_.notify_all();
    }
    resolver_.join();
  }
  if (thread_.joinable()) {
    wake();
    thread_.join();
  }
  for (auto& m : server_monitors_) m->close();
  // join() is the fence: sockets may now be closed on this thread.
  for (auto& [address, link] : links_) {
    close_socket(link.dealer);
    close_socket(link.sub);
  }
  links_.clear();
  router_.close();
  pub_.close();
  zap_.close();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

sn::status transport::impl::open() {
  auto bind_ep = parse_address(opt_.bind);
  if (!bind_ep) return bind_ep.error();
  auto bind_host = bindable_host(bind_ep->host);
  if (!bind_host) return make_error(errc::invalid_address, "bind " + opt_.bind + ": " + bind_host.error().message);
  if (!opt_.advertised.empty()) {
    self_ = opt_.advertised;
  } else if (is_wildcard_host(bind_ep->host)) {
    self_ = "tcp://" + primary_host(ipv6_literal(bind_ep->host)) + ":" + std::to_string(bind_ep->port);
    log().info("broker: bind {} is a wildcard: advertising {} (set `advertised` to choose)", opt_.bind, self_);
  } else {
    self_ = opt_.bind;
  }
  auto self_ep = parse_address(self_);
  if (!self_ep) return self_ep.error();
  if (is_wildcard_host(self_ep->host))
    return make_error(errc::invalid_option,
                      "advertised address " + self_ + " has a wildcard host: it must name a host peers can dial");
  table_ = peer_table(self_, opt_.peer_limits);
  header_buf_ = encode_header(0, self_);
  identity_ = opt_.identity.empty() ? self_ : opt_.identity;
  if (identity_.size() > address_bytes_max || identity_[0] == '\0')
    return make_error(errc::invalid_option, "identity must be 1..255 bytes and not start with a zero byte");
  if (auto s = check_bounds(opt_); !s) return s;
  // Twice the body bound: a slightly oversized frame still arrives and is
  // counted; a grossly oversized one makes ZeroMQ drop the connection (the
  // link is redialled, see watched_socket).
  zmq_maxmsgsize_ = opt_.message_bytes_max * 2;
  for (const auto& k : opt_.curve.allowed_public_keys) allowed_keys_.insert(k);
  allowed_keys_.insert(opt_.curve.public_key);
  members_snapshot_ = allowed_keys_;

  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return make_error(errc::zmq_failure, std::string("eventfd: ") + std::strerror(errno));

  const auto& l = opt_.peer_limits;
  const auto links_max = l.trusted_max + l.proven_max + l.probation_max;
  try {
    ctx_.set(zmq::ctxopt::blocky, 0);
    ctx_.set(zmq::ctxopt::max_sockets, static_cast<int>(links_max * sockets_per_link + fixed_sockets));
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
      if (ipv6_literal(*bind_host)) s->set(zmq::sockopt::ipv6, 1);
      if (!opt_.curve.enabled) continue;
      s->set(zmq::sockopt::curve_server, 1);
      s->set(zmq::sockopt::curve_secretkey, opt_.curve.secret_key);
      s->set(zmq::sockopt::zap_domain, zap_domain);
    }
  } catch (const zmq::error_t& e) {
    return make_error(errc::zmq_failure, std::string("socket set-up: ") + e.what());
  }
  const endpoint local{*bind_host, bind_ep->port};
  auto bind = [&](zmq::socket_t& s, const std::string& where, const char* what, unsigned port) -> sn::status {
    try {
      s.bind(where);
      return sn::status::ok();
    } catch (const zmq::error_t& e) {
      std::string why = e.num() == EADDRINUSE ? "port " + std::to_string(port) + " is in use (another storenode?)"
                                              : std::string(e.what());
      return make_error(errc::bind_failed, std::string("cannot bind ") + what + " at " + where + " (bind " + opt_.bind +
                                               "): " + why +
                                               "; a node uses PORT for its ROUTER and PORT+1 for its PUB");
    }
  };
  if (auto s = bind(router_, router_address(local), "ROUTER", local.port); !s) return s;
  if (auto s = bind(pub_, pub_address(local), "PUB", local.port + 1u); !s) return s;
  router_endpoints_ = {router_.get(zmq::sockopt::last_endpoint)};
  pub_endpoints_ = {pub_.get(zmq::sockopt::last_endpoint)};
  if (opt_.curve.enabled) {
    // A plaintext peer or a broken handshake never reaches the ZAP handler:
    // the servers' monitors count those refusals.
    try {
      for (auto* s : {&router_, &pub_}) {
        const std::string ep = "inproc://sn-server-monitor-" + std::to_string(++monitor_seq_);
        if (zmq_socket_monitor(s->handle(), ep.c_str(),
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
          throw zmq::error_t();
        auto m = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::pair);
        m->set(zmq::sockopt::linger, 0);
        m->connect(ep);
        server_monitors_.push_back(std::move(m));
      }
    } catch (const zmq::error_t& e) {
      return make_error(errc::zmq_failure, std::string("server monitors: ") + e.what());
    }
  }

  const auto t0 = now_ms();
  for (const auto& p : opt_.peers) {
    if (auto ep = parse_address(p); !ep) return ep.error();
    if (table_.add_configured(p) == admission::refused_share)
      return make_error(errc::invalid_option, "more configured peers than peer_limits.trusted_max");
  }
  for (const auto& p : opt_.remembered_peers) {
    if (!parse_address(p) || p == self_) continue;  // an old entry: not worth failing the start for
    table_.nominate(p, peer_table::local_source, t0);
  }
  try {
    open_added();
  } catch (const zmq::error_t& e) {
    return make_error(errc::zmq_failure, std::string("connect to peers: ") + e.what());
  }
  publish_snapshot();
  log().info("broker: {} listening at {} (ROUTER) and {} (PUB), {} configured peers, {} remembered, curve {}", self_,
             router_address(local), pub_address(local), opt_.peers.size(), opt_.remembered_peers.size(),
             opt_.curve.enabled ? "on" : "off");
  thread_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "sn.transport");
    run();
  });
  if (opt_.curve.enabled) {
    resolver_ = std::thread([this] {
      ::pthread_setname_np(::pthread_self(), "sn.zap");
      run_resolver();
    });
  }
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
  s.set(zmq::sockopt::connect_timeout, opt_.connect_timeout_ms);
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
  if (body.size() > opt_.message_bytes_max || !acceptable_peer(peer)) {
    bump(c_.send_rejected);
    return false;
  }
  return push(command{command_kind::send, t, peer, {}, std::move(body)});
}

bool transport::impl::enqueue_add_peer(const std::string& address, const std::string& key) {
  if (!key.empty() && !is_z85_key(key)) return false;
  if (!acceptable_peer(address)) return false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (key.empty() && known_.count(address) != 0) return true;
  }
  return push(command{command_kind::add_peer, 0, address, key, {}});
}

bool transport::impl::enqueue_members(std::vector<std::string> keys) {
  for (const auto& k : keys)
    if (!is_z85_key(k)) return false;
  command c{command_kind::members, 0, {}, {}, {}};
  c.keys = std::move(keys);
  return push(std::move(c));
}

bool transport::impl::enqueue_own_key(const std::string& secret_key, const std::string& public_key) {
  if (!opt_.curve.enabled || !is_z85_key(secret_key) || !is_z85_key(public_key)) return false;
  auto derived = curve_public_key(secret_key);
  if (!derived || *derived != public_key) return false;
  command c{command_kind::own_key, 0, {}, public_key, secret_key};
  return push(std::move(c));
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
  s.send_dropped_no_peer = g(c_.send_dropped_no_peer);
  s.callback_errors = g(c_.callback_errors);
  s.dropped_own = g(c_.dropped_own);
  s.dropped_unproven = g(c_.dropped_unproven);
  s.auth_denied = g(c_.auth_denied);
  s.auth_allowed = g(c_.auth_allowed);
  s.redials = g(c_.redials);
  s.disconnects = g(c_.disconnects);
  s.loop_iterations = g(c_.loop_iterations);
  std::lock_guard<std::mutex> lock(mutex_);
  s.peers = table_counts_.trusted + table_counts_.proven;
  s.peers_probation = table_counts_.probation;
  s.peers_proven = table_stats_.proven;
  s.peers_refused = table_stats_.refused;
  s.peers_evicted = table_stats_.evicted_expired + table_stats_.evicted_displaced + table_stats_.evicted_idle;
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
  auto add = [this](void* socket, int fd, source what, peer_link* link) {
    poll_items_.push_back({socket, fd, ZMQ_POLLIN, 0});
    poll_sources_.push_back({what, link});
  };
  add(nullptr, wake_fd_, source::wake, nullptr);
  add(router_.handle(), 0, source::router, nullptr);
  if (zap_) add(zap_.handle(), 0, source::zap, nullptr);
  for (auto& m : server_monitors_) add(m->handle(), 0, source::server_monitor, nullptr);
  for (auto& [address, link] : links_) {
    if (link.sub.socket) add(link.sub.socket->handle(), 0, source::sub, &link);
    if (link.dealer.socket) add(link.dealer.socket->handle(), 0, source::dealer, &link);
    if (link.sub.monitor) add(link.sub.monitor->handle(), 0, source::sub_monitor, &link);
    if (link.dealer.monitor) add(link.dealer.monitor->handle(), 0, source::dealer_monitor, &link);
  }
  poll_dirty_ = false;
}

int transport::impl::poll_timeout_ms(std::uint64_t now) const {
  std::uint64_t next = now + idle_poll_timeout_ms;
  if (auto d = table_.next_deadline()) next = std::min(next, *d);
  for (const auto& [address, link] : links_) {
    for (const auto* w : {&link.dealer, &link.sub})
      if (w->redial_at_ms != 0) next = std::min(next, w->redial_at_ms);
  }
  return next <= now ? 0 : static_cast<int>(next - now);
}

void transport::impl::iterate() {
  if (poll_dirty_) rebuild_poll_set();
  bump(c_.loop_iterations);
  // Sleep until a frame, a socket event, a wake-up or the next timer.
  int rc = zmq_poll(poll_items_.data(), static_cast<int>(poll_items_.size()), poll_timeout_ms(now_ms()));
  if (rc < 0) {
    if (zmq_errno() == EINTR) return;
    throw zmq::error_t();
  }
  // Handle every ready source. New links only mark the set dirty and evicted
  // ones are closed after this loop, so these vectors stay valid inside it.
  for (std::size_t i = 0; rc > 0 && i < poll_items_.size(); ++i) {
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
      case source::router:
        read_socket(router_, channel::direct, frame_parts_router, nullptr);
        break;
      case source::zap:
        serve_zap();
        break;
      case source::server_monitor:
        for (auto& m : server_monitors_)
          if (m->handle() == poll_items_[i].socket) read_server_monitor(*m);
        break;
      case source::sub:
        if (link->sub.socket) read_socket(*link->sub.socket, channel::pub, frame_parts, link);
        break;
      case source::dealer:
        if (link->dealer.socket) read_socket(*link->dealer.socket, channel::direct, 0, link);
        break;
      case source::sub_monitor:
        read_monitor(*link, link->sub, true);
        break;
      case source::dealer_monitor:
        read_monitor(*link, link->dealer, false);
        break;
    }
  }
  // Then timers, then what they and the frames above evicted.
  run_timers(now_ms());
  close_removed();
  publish_snapshot();
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
                 c.kind == command_kind::publish ? "publish"
                 : c.kind == command_kind::send  ? "send to"
                 : c.kind == command_kind::own_key ? "switch to its new key for"
                                                 : "add peer",
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
    case command_kind::send:
      do_send(c.peer, c.type, std::move(c.body));
      break;
    case command_kind::add_peer:
      nominate(c.peer, peer_table::local_source, c.key);
      break;
    case command_kind::members:
      apply_members(std::move(c.keys));
      break;
    case command_kind::own_key:
      apply_own_key(c.body, c.key);
      break;
  }
}

void transport::impl::nominate(const std::string& address, const std::string& source, const std::string& key) {
  if (!key.empty()) remember_key(address, key);
  if (const auto* via = table_.route(address)) {
    // Known: a key learned now may let a CURVE link that waited for it connect.
    auto it = links_.find(*via);
    if (it != links_.end() && !it->second.dealer.socket && *via == address && !key.empty()) {
      it->second.key = key;
      connect_link(it->second);
    }
    return;
  }
  table_.nominate(address, source, now_ms());
  open_added();
}

void transport::impl::remember_key(const std::string& address, const std::string& key) {
  if (keys_.size() >= keys_max && keys_.count(address) == 0) keys_.erase(keys_.begin());
  keys_[address] = key;
}

void transport::impl::open_added() {
  for (const auto& address : table_.take_added()) link_for(address);
}

void transport::impl::close_removed() {
  for (const auto& address : table_.take_removed()) {
    if (table_.dials(address)) continue;  // re-admitted in the same round: keep its sockets
    auto it = links_.find(address);
    if (it == links_.end()) continue;
    close_socket(it->second.dealer);
    close_socket(it->second.sub);
    links_.erase(it);
    keys_.erase(address);
    poll_dirty_ = true;
    log().debug("broker: {} no longer dials {}", self_, address);
  }
}

transport::impl::peer_link& transport::impl::link_for(const std::string& address) {
  auto [it, inserted] = links_.try_emplace(address);
  auto& link = it->second;
  if (inserted) {
    link.address = address;
    if (auto k = keys_.find(address); k != keys_.end())
      link.key = k->second;
    else if (auto p = opt_.curve.peer_public_keys.find(address); p != opt_.curve.peer_public_keys.end())
      link.key = p->second;
  }
  if (!link.dealer.socket && (!opt_.curve.enabled || !link.key.empty())) connect_link(link);
  if (opt_.curve.enabled && link.key.empty()) request_key(address);
  return link;
}

void transport::impl::connect_link(peer_link& link) {
  open_socket(link, link.dealer, false);
  open_socket(link, link.sub, true);
  // Learned candidates come and go under a flood of fake senders: only
  // configured peers are worth an info line.
  const auto state = table_.state_of(link.address).value_or(peer_state::probation);
  log().log(state == peer_state::trusted ? spdlog::level::info : spdlog::level::debug, "broker: {} dialling {} peer {}",
            self_, to_string(state), link.address);
}

void transport::impl::open_socket(peer_link& link, watched_socket& w, bool is_sub) {
  auto ep = parse_address(link.address);
  if (!ep) return;  // checked before it entered the table
  auto s = std::make_unique<zmq::socket_t>(ctx_, is_sub ? zmq::socket_type::sub : zmq::socket_type::dealer);
  set_client(*s, link.key);
  if (is_sub) {
    s->set(zmq::sockopt::rcvhwm, opt_.pub_hwm);
    s->set(zmq::sockopt::subscribe, "");
  } else {
    s->set(zmq::sockopt::routing_id, identity_);
    s->set(zmq::sockopt::sndhwm, opt_.direct_hwm);
    s->set(zmq::sockopt::rcvhwm, dealer_rcvhwm);
  }
  if (ipv6_literal(ep->host)) s->set(zmq::sockopt::ipv6, 1);
  // The monitor is attached before connect so that no event of this socket is missed.
  const std::string monitor_endpoint = "inproc://sn-monitor-" + std::to_string(++monitor_seq_);
  if (zmq_socket_monitor(s->handle(), monitor_endpoint.c_str(), monitored_events) != 0) throw zmq::error_t();
  auto m = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::pair);
  m->set(zmq::sockopt::linger, 0);
  m->connect(monitor_endpoint);
  s->connect(is_sub ? pub_address(*ep) : router_address(*ep));
  close_socket(w);
  w.socket = std::move(s);
  w.monitor = std::move(m);
  w.redial_at_ms = 0;
  w.up_since_ms = 0;
  poll_dirty_ = true;
}

void transport::impl::close_socket(watched_socket& w) {
  if (w.socket) {
    zmq_socket_monitor(w.socket->handle(), nullptr, 0);
    w.socket->close();
  }
  if (w.monitor) w.monitor->close();
  w.socket.reset();
  w.monitor.reset();
  w.redial_at_ms = 0;
  w.up_since_ms = 0;
  poll_dirty_ = true;
}

void transport::impl::read_monitor(peer_link& link, watched_socket& w, bool is_sub) {
  for (std::size_t m = 0; m < inbound_batch_max && w.monitor; ++m) {
    // zmq_socket_monitor (v1): [u16 event, u32 value][endpoint]
    zmq::message_t head;
    if (!w.monitor->recv(head, zmq::recv_flags::dontwait)) return;
    for (bool more = head.more(); more;) {
      zmq::message_t rest;
      if (!w.monitor->recv(rest, zmq::recv_flags::dontwait)) break;
      more = rest.more();
    }
    if (head.size() < sizeof(std::uint16_t) + sizeof(std::uint32_t)) continue;
    std::uint16_t event = 0;
    std::memcpy(&event, head.data(), sizeof event);
    on_socket_event(link, w, is_sub, event);
  }
}

void transport::impl::on_socket_event(peer_link& link, watched_socket& w, bool is_sub, std::uint16_t event) {
  const auto now = now_ms();
  const char* which = is_sub ? "SUB" : "DEALER";
  switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
      w.up_since_ms = now;
      w.redial_at_ms = 0;
      table_.on_handshake(link.address);
      log().debug("broker: {} {} to {} is up", self_, which, link.address);
      return;
    case ZMQ_EVENT_CONNECT_RETRIED:
      // libzmq redials by itself. Before any handshake this means the dial failed.
      w.redial_at_ms = 0;
      table_.on_dial_failed(link.address);
      return;
    case ZMQ_EVENT_CONNECTED:
    case ZMQ_EVENT_CONNECT_DELAYED:
      w.redial_at_ms = 0;
      return;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      table_.on_dial_failed(link.address);
      break;
    case ZMQ_EVENT_DISCONNECTED:
      bump(c_.disconnects);
      break;
    case ZMQ_EVENT_CLOSED:
      break;
    default:
      return;
  }
  // The connection ended. Unless libzmq shows a retry within the grace
  // period, it gave up (protocol error): redial then, with backoff. A link
  // that stayed up a while starts its backoff over.
  if (w.up_since_ms != 0 && now - w.up_since_ms >= static_cast<std::uint64_t>(opt_.reconnect_interval_ms_max))
    w.backoff_ms = 0;
  w.up_since_ms = 0;
  const auto ivl = static_cast<std::uint64_t>(opt_.reconnect_interval_ms);
  const auto ivl_max = static_cast<std::uint64_t>(opt_.reconnect_interval_ms_max);
  w.backoff_ms = w.backoff_ms == 0 ? ivl : std::min(w.backoff_ms * 2, ivl_max);
  w.redial_at_ms = now + std::max<std::uint64_t>(redial_grace_ms, w.backoff_ms);
  log().debug("broker: {} {} to {}: {}", self_, which, link.address, event_name(event));
}

void transport::impl::run_timers(std::uint64_t now) {
  for (auto& [address, link] : links_) {
    for (auto* w : {&link.dealer, &link.sub}) {
      if (w->redial_at_ms == 0 || now < w->redial_at_ms || !w->socket) continue;
      const bool is_sub = w == &link.sub;
      const bool first = w->backoff_ms <= static_cast<std::uint64_t>(opt_.reconnect_interval_ms);
      log().log(first ? spdlog::level::info : spdlog::level::debug,
                "broker: {} redials {} of peer {}: the connection ended and ZeroMQ does not retry it (protocol "
                "error: an over-limit frame or a failed handshake); next wait {} ms",
                self_, is_sub ? "SUB" : "DEALER", address, w->backoff_ms);
      const auto backoff = w->backoff_ms;
      open_socket(link, *w, is_sub);
      w->backoff_ms = backoff;
      bump(c_.redials);
    }
  }
  if (auto d = table_.next_deadline(); d && *d <= now) table_.expire(now);  // not on every frame batch
  open_added();
}

void transport::impl::publish_snapshot() {
  // Only when something changed: the mutex is the callers' too.
  const auto version = table_.version();
  const auto& stats = table_.stats();
  const bool changed = version != table_version_published_;
  if (!changed && stats.refused == refused_published_) return;
  std::vector<std::string> counted, known;
  if (changed) {
    counted = table_.counted();
    known = table_.known();
  }
  const auto counts = table_.size();
  std::lock_guard<std::mutex> lock(mutex_);
  table_counts_ = counts;
  table_stats_ = stats;
  refused_published_ = stats.refused;
  if (!changed) return;
  counted_ = std::move(counted);
  known_ = std::set<std::string>(known.begin(), known.end());
  table_version_published_ = version;
}

void transport::impl::do_send(const std::string& peer, message_type t, std::string&& body) {
  const std::string* via = table_.route(peer);
  if (via == nullptr) {
    nominate(peer, peer_table::local_source, {});
    via = table_.route(peer);
  }
  if (via == nullptr) {
    bump(c_.send_dropped_no_peer);
    return;
  }
  auto it = links_.find(*via);
  if (it == links_.end() || !it->second.dealer.socket) {
    bump(c_.send_dropped_no_key);
    return;
  }
  auto& dealer = *it->second.dealer.socket;
  header_buf_[1] = static_cast<char>(t);
  auto bytes = header_buf_.size() + body.size();
  // HWM is checked on the first part only; the second part of an accepted frame always goes.
  if (!dealer.send(zmq::buffer(header_buf_), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
    bump(c_.send_dropped_hwm);
    return;
  }
  dealer.send(body_message(std::move(body)), zmq::send_flags::dontwait);
  bump(c_.frames_out_direct);
  bump(c_.bytes_out, bytes);
}

void transport::impl::read_socket(zmq::socket_t& s, channel ch, std::size_t parts_expected, peer_link* link) {
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
    handle_frame(parts, n, ch, link);
  }
}

void transport::impl::handle_frame(std::array<zmq::message_t, parts_kept_max>& parts, std::size_t n, channel ch,
                                   peer_link* link) {
  auto& header = parts[n - 2];
  auto& body = parts[n - 1];
  frame_header h;
  switch (check_frame(header.to_string_view(), body.size(), opt_.message_bytes_max, h)) {
    case frame_check::ok:
      break;
    case frame_check::malformed:
      bump(c_.dropped_malformed);
      log().debug("broker: {} dropped a frame with a malformed header", self_);
      return;
    case frame_check::unknown_version:
      bump(c_.dropped_unknown_version);
      log().debug("broker: {} dropped a frame of unknown version", self_);
      return;
    case frame_check::oversized:
      bump(c_.dropped_oversized);
      log().debug("broker: {} dropped a {}-byte body from {}", self_, body.size(), h.sender);
      return;
  }
  if (h.sender == self_) {
    // We reached ourselves through an alias of our address (e.g. localhost vs
    // 127.0.0.1 in a peer list): never deliver our own frames back to us.
    bump(c_.dropped_own);
    return;
  }
  std::string public_key;
  if (ch == channel::direct && opt_.curve.enabled) {
    try {
      public_key = body.gets("User-Id");  // set by our ZAP handler: the authenticated client key
    } catch (const zmq::error_t&) {
    }
    if (allowed_keys_.count(public_key) == 0) {
      // Admitted before a revocation, on a connection not yet cut: nothing
      // from a key that is no longer a member is delivered.
      bump(c_.auth_denied);
      log().debug("broker: {} refused a frame from {}: its key is no longer admitted", self_, h.sender);
      return;
    }
  }
  const auto now = now_ms();
  verdict v = verdict::drop_unproven;
  if (ch == channel::pub) {
    v = table_.on_published(link->address, h.sender, now);
  } else if (auto known = table_.check_direct(h.sender, now); known && public_key.empty()) {
    v = *known;  // the common case: a peer we know, no allocation
  } else {
    // The connection is the source: a device names only itself, so one
    // connection (or one CURVE key) holds one candidate at a time.
    const std::string sender(h.sender);
    const std::string source = !public_key.empty() ? "key:" + public_key : "id:" + parts[0].to_string();
    if (!public_key.empty()) remember_key(sender, public_key);  // the key to dial it with, if it is learned
    v = known ? *known : table_.on_direct(sender, source, opt_.learn_senders, now);
    if (!public_key.empty()) {
      // A known peer whose CURVE key we lacked: its link can connect now.
      auto it = links_.find(sender);
      if (it != links_.end() && !it->second.dealer.socket) {
        it->second.key = public_key;
        connect_link(it->second);
      }
    }
    open_added();
  }
  if (v != verdict::deliver) {
    bump(c_.dropped_unproven);
    log().debug("broker: {} held back a frame from {}: not a proven peer yet", self_, h.sender);
    return;
  }
  inbound in;
  in.peer.assign(h.sender.data(), h.sender.size());
  in.type = h.type;
  in.body.assign(static_cast<const char*>(body.data()), body.size());
  in.ch = ch;
  in.public_key = std::move(public_key);
  bump(ch == channel::pub ? c_.frames_in_pub : c_.frames_in_direct);
  bump(c_.bytes_in, header.size() + body.size());
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
    std::string key;
    const std::string_view mechanism = n >= 6 ? parts[5].to_string_view() : std::string_view();
    if (n >= 7 && mechanism == "CURVE" && parts[6].size() == 32) key = z85_of(parts[6].data());
    const bool ok = n >= 7 && parts[6].size() == 32 && zap_decide(mechanism, key, allowed_keys_) == zap_verdict::admit;
    bump(ok ? c_.auth_allowed : c_.auth_denied);
    if (!ok) {
      // A refused client redials every reconnect interval: warn once per key, then debug.
      constexpr std::size_t denied_logged_max = 64;
      bool first = denied_logged_.size() < denied_logged_max && denied_logged_.insert(key).second;
      log().log(first ? spdlog::level::warn : spdlog::level::debug, "broker: {} refused a CURVE client (key {})", self_,
                key.empty() ? "none" : key);
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

}  // namespace sn::broker

namespace sn::broker {

void transport::impl::apply_members(std::vector<std::string>&& keys) {
  std::unordered_set<std::string> next(keys.begin(), keys.end());
  next.insert(opt_.curve.public_key);
  bool removed = false;
  for (const auto& k : allowed_keys_) removed = removed || next.count(k) == 0;
  std::size_t added = 0;
  for (const auto& k : next) added += allowed_keys_.count(k) == 0 ? 1 : 0;
  allowed_keys_ = next;
  {
    // A key that was not a member's a moment ago may be now: every address
    // still waiting for its key is asked again at once, without backoff.
    std::lock_guard<std::mutex> lock(resolve_mutex_);
    members_snapshot_ = next;
    ++members_generation_;
    for (auto& [address, at] : resolve_due_) at = 0;
    resolve_cv_.notify_all();
  }
  if (!removed) {
    if (added != 0) log().info("broker: {} admits {} keys ({} new)", self_, allowed_keys_.size(), added);
    return;
  }
  // Our own links to a device that left: closed, and not redialled.
  for (auto& [address, link] : links_) {
    if (link.key.empty() || allowed_keys_.count(link.key) != 0) continue;
    log().warn("broker: {} drops its links to {}: key {} is no longer a member", self_, address, link.key);
    close_socket(link.dealer);
    close_socket(link.sub);
    link.key.clear();
    // The device may have rotated its keys (device.keys_rotated): identify
    // at its door again; only a member's key is ever dialled.
    if (table_.dials(address)) request_key(address);
  }
  for (auto it = keys_.begin(); it != keys_.end();) {
    it = allowed_keys_.count(it->second) == 0 ? keys_.erase(it) : std::next(it);
  }
  cut_inbound();
  log().warn("broker: {} admits {} keys; a key was revoked: every inbound connection was cut and must pass the "
             "ZAP handler again",
             self_, allowed_keys_.size());
}

void transport::impl::apply_own_key(std::string& secret, const std::string& public_key) {
  const std::string old = opt_.curve.public_key;
  opt_.curve.secret_key = secret;
  opt_.curve.public_key = public_key;
  std::fill(secret.begin(), secret.end(), '\0');
  allowed_keys_.erase(old);
  allowed_keys_.insert(public_key);
  {
    std::lock_guard<std::mutex> lock(resolve_mutex_);
    members_snapshot_.erase(old);
    members_snapshot_.insert(public_key);
  }
  // A listener copies its options when it binds: set the new server key,
  // then re-bind (every inbound connection ends; peers redial with the key
  // they learn from membership or at the door).
  for (auto* s : {&router_, &pub_}) s->set(zmq::sockopt::curve_secretkey, opt_.curve.secret_key);
  cut_inbound();
  // Our links present the new client key from now on.
  std::size_t redialled = 0;
  for (auto& [address, link] : links_) {
    if (!link.dealer.socket && !link.sub.socket) continue;
    close_socket(link.dealer);
    close_socket(link.sub);
    connect_link(link);
    ++redialled;
  }
  log().warn("broker: {} uses a new CURVE key {} (key rotation): ROUTER and PUB re-bound, {} links redialled", self_,
             public_key, redialled);
}

void transport::impl::cut_inbound() {
  // zmq_unbind ends the listener and every session it accepted; members
  // redial within reconnect_interval_ms and pass the ZAP handler again.
  constexpr int rebind_attempts_max = 100;
  constexpr auto rebind_pause = std::chrono::milliseconds(10);
  for (auto [s, eps] : {std::pair{&router_, &router_endpoints_}, std::pair{&pub_, &pub_endpoints_}}) {
    for (const auto& ep : *eps) {
      try {
        s->unbind(ep);
      } catch (const zmq::error_t& e) {
        log().warn("broker: {} could not unbind {}: {}", self_, ep, e.what());
        continue;
      }
      bool bound = false;
      for (int attempt = 0; attempt < rebind_attempts_max && !bound; ++attempt) {
        try {
          s->bind(ep);
          bound = true;
        } catch (const zmq::error_t&) {
          std::this_thread::sleep_for(rebind_pause);  // the old listener closes on a libzmq I/O thread
        }
      }
      if (!bound) log().error("broker: {} could not bind {} again after cutting its connections", self_, ep);
    }
  }
}

void transport::impl::read_server_monitor(zmq::socket_t& m) {
  for (std::size_t k = 0; k < inbound_batch_max; ++k) {
    zmq::message_t head;
    if (!m.recv(head, zmq::recv_flags::dontwait)) return;
    for (bool more = head.more(); more;) {
      zmq::message_t rest;
      if (!m.recv(rest, zmq::recv_flags::dontwait)) break;
      more = rest.more();
    }
    bump(c_.auth_denied);
    constexpr std::size_t denied_logged_max = 64;
    const bool first = denied_logged_.size() < denied_logged_max && denied_logged_.insert("handshake").second;
    log().log(first ? spdlog::level::warn : spdlog::level::debug,
              "broker: {} refused a peer connection: failed handshake (a plaintext peer or not CURVE)", self_);
  }
}

void transport::impl::request_key(const std::string& address) {
  std::lock_guard<std::mutex> lock(resolve_mutex_);
  if (resolve_due_.count(address) != 0) return;
  if (resolve_due_.size() >= keys_max) resolve_due_.erase(resolve_due_.begin());
  resolve_due_[address] = 0;
  resolve_cv_.notify_all();
}

void transport::impl::run_resolver() {
  constexpr int identify_timeout_ms = 1'000;
  constexpr std::uint64_t retry_ms_max = 5'000;
  std::map<std::string, std::uint64_t> backoff;
  std::uint64_t generation = 0;
  std::unique_lock<std::mutex> lock(resolve_mutex_);
  while (!stop_.load(std::memory_order_acquire)) {
    if (generation != members_generation_) {
      generation = members_generation_;
      backoff.clear();
    }
    const auto now = now_ms();
    std::string due;
    std::uint64_t next = now + idle_poll_timeout_ms;
    for (const auto& [address, at] : resolve_due_) {
      if (at <= now) {
        due = address;
        break;
      }
      next = std::min(next, at);
    }
    if (due.empty()) {
      resolve_cv_.wait_for(lock, std::chrono::milliseconds(next - now));
      continue;
    }
    lock.unlock();
    auto id = identify(due, identify_timeout_ms);
    lock.lock();
    if (id && members_snapshot_.count(id->public_key) != 0) {
      resolve_due_.erase(due);
      backoff.erase(due);
      lock.unlock();
      log().debug("broker: {} learned the key of {} ({}) at its door", self_, due, id->device_id);
      enqueue_add_peer(due, id->public_key);
      lock.lock();
      continue;
    }
    if (id) {
      log().debug("broker: {} identify at {}: key {} of {} is not a member", self_, due, id->public_key, id->device_id);
    }
    auto& b = backoff[due];
    b = b == 0 ? 250 : std::min(b * 2, retry_ms_max);
    if (resolve_due_.count(due) != 0) resolve_due_[due] = now_ms() + b;
    if (backoff.size() > keys_max) backoff.erase(backoff.begin());
  }
}

bool transport::set_members(std::vector<std::string> keys) { return impl_->enqueue_members(std::move(keys)); }

bool transport::set_own_key(const std::string& secret_key, const std::string& public_key) {
  return impl_->enqueue_own_key(secret_key, public_key);
}

}  // namespace sn::broker
