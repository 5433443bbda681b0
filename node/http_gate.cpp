#include "node/http_gate.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "node/http_framing.hpp"

namespace sn::node {

namespace {

using clock = http_connection::clock;

/// Deadlines are checked this often (they are seconds long).
constexpr auto sweep_interval = std::chrono::milliseconds(100);
/// After accept() ran out of file descriptors, retry this much later.
constexpr auto accept_pause = std::chrono::milliseconds(100);
/// Connections accepted per wake-up, so that reads are not starved.
constexpr int accepts_per_wakeup_max = 64;
constexpr int epoll_events_max = 256;
constexpr std::size_t recv_chunk_bytes = 16 * 1024;
/// Consumed bytes kept before a connection's buffer is compacted.
constexpr std::size_t compact_threshold_bytes = 64 * 1024;
/// File descriptors the rest of the node needs besides HTTP (RocksDB, ZeroMQ, logs).
constexpr rlim_t node_fds_reserve = 512;

const char* reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string canned_response(const api_error& e) {
  const std::string body = error_json(e.code, e.message);
  return "HTTP/1.1 " + std::to_string(e.status) + " " + reason_phrase(e.status) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

/// Best effort: the answer is small and the socket buffer empty, so one
/// non-blocking send normally takes it all; a client that does not read gets less.
void send_best_effort(int fd, const std::string& bytes) {
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/// Makes room for `connections_max` sockets under RLIMIT_NOFILE when the hard limit allows.
void ensure_fd_limit(std::size_t connections_max) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  const rlim_t needed = static_cast<rlim_t>(connections_max) + node_fds_reserve;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < needed) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? needed : std::min(needed, rl.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < needed) {
    spdlog::warn(
        "http: open-file limit {} is below http_connections_max {} + {} for the node; connections beyond "
        "it are refused (raise LimitNOFILE / ulimit -n)",
        rl.rlim_cur, connections_max, node_fds_reserve);
  }
}

/// How read_available() ended.
enum class read_end { drained, full, eof, failed };

/// Appends what the non-blocking socket of `c` has to `c.in`, up to
/// `buffered_max` pending bytes: drained (nothing more now), full, eof (the
/// client closed its side; what came before it is in `c.in`), failed.
read_end read_available(http_connection& c, std::size_t buffered_max) {
  char scratch[recv_chunk_bytes];
  while (c.pending() < buffered_max) {
    const std::size_t room = std::min(recv_chunk_bytes, buffered_max - c.pending());
    const ssize_t n = ::recv(c.fd(), scratch, room, 0);
    if (n > 0) {
      c.in.append(scratch, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return read_end::eof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return read_end::drained;
    return read_end::failed;
  }
  return read_end::full;
}

}  // namespace

http_connection::http_connection(int fd, std::shared_ptr<std::atomic<std::size_t>> open_count)
    : fd_(fd), open_count_(std::move(open_count)) {
  open_count_->fetch_add(1, std::memory_order_relaxed);
}

http_connection::~http_connection() {
  ::close(fd_);
  open_count_->fetch_sub(1, std::memory_order_relaxed);
}

void http_connection::compact() {
  if (in_pos == in.size()) {
    in.clear();
    in_pos = 0;
  } else if (in_pos >= compact_threshold_bytes) {
    in.erase(0, in_pos);
    in_pos = 0;
  }
}

request_framing frame_request(http_connection& c, const http_gate_options& o) {
  using verdict = request_framing::verdict;
  const auto refused = [](api_error e) { return request_framing{verdict::refused, std::move(e)}; };
  if (!c.request_started) {
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    while (c.pending() > 0 && (c.in[c.in_pos] == '\r' || c.in[c.in_pos] == '\n')) ++c.in_pos;
    if (c.pending() == 0) {
      c.compact();
      return {};
    }
    c.request_started = true;
    c.deadline = clock::now() + o.request_timeout;
    c.request_deadline = c.deadline;
  }
  const std::string_view bytes(c.in.data() + c.in_pos, c.pending());
  const std::size_t head_end = find_head_end(bytes);
  if (head_end == std::string_view::npos || head_end > o.head_bytes_max) {
    if (c.pending() <= o.head_bytes_max) return {};
    return refused({431, "headers_too_large", "the request head is over " + std::to_string(o.head_bytes_max) + " bytes"});
  }
  auto head = parse_request_head(bytes.substr(0, head_end));
  if (!head) return refused(head.error());
  const std::string_view body = bytes.substr(head_end);
  const std::size_t body_start = c.in_pos + head_end;
  switch (head->framing) {
    case body_framing::none:
      c.request_end = body_start;
      break;
    case body_framing::length:
      if (head->content_length > o.body_bytes_max) {
        return refused({413, "too_large",
                        "request body of " + std::to_string(head->content_length) +
                            " bytes is over http_body_bytes_max (" + std::to_string(o.body_bytes_max) + ")"});
      }
      // Wait for the body up to what the gate buffers; a client waiting for
      // "100 Continue" is handed over at once (httplib sends it).
      if (body.size() < std::min<std::uint64_t>(head->content_length, o.body_wait_bytes_max) &&
          !head->expect_continue) {
        return {};
      }
      c.request_end = body_start + static_cast<std::size_t>(head->content_length);
      break;
    case body_framing::chunked: {
      std::size_t end = 0;
      const auto scan = scan_chunked_body(body, end);
      if (scan == chunked_scan::invalid) {
        return refused({400, "invalid_framing", "malformed chunked body (or trailer fields, which are not accepted)"});
      }
      if (scan == chunked_scan::incomplete && body.size() < o.body_wait_bytes_max && !head->expect_continue) {
        return {};
      }
      c.request_end = scan == chunked_scan::complete ? body_start + end : std::string::npos;
      break;
    }
  }
  return {verdict::complete, {}};
}

/// The gate thread and what it owns.
struct http_gate::loop {
  loop(http_gate& g, dispatch_fn d, refusal_fn r) : gate(g), dispatch(std::move(d)), refused(std::move(r)) {}

  http_gate& gate;
  const http_gate_options& o = gate.o_;
  dispatch_fn dispatch;
  refusal_fn refused;
  int epoll_fd = -1;
  int wake_fd = -1;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::shared_ptr<std::atomic<std::size_t>> open_count = std::make_shared<std::atomic<std::size_t>>(0);

  std::mutex resumed_mutex;
  std::vector<std::unique_ptr<http_connection>> resumed;  ///< guarded by resumed_mutex
  bool closed_for_resume = false;                         ///< guarded by resumed_mutex

  // Gate thread only.
  std::unordered_map<int, std::unique_ptr<http_connection>> held;
  bool accepting = true;
  clock::time_point accept_resume_at{};
  clock::time_point next_fd_warning{};

  void run() {
    std::vector<epoll_event> events(epoll_events_max);
    auto next_sweep = clock::now() + sweep_interval;
    while (!stopping.load(std::memory_order_acquire)) {
      // Rounded up: truncating would spin on epoll_wait(0) for the last
      // millisecond before every sweep (~1 % of a core on an idle node).
      const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(next_sweep - clock::now()).count();
      const int n =
          ::epoll_wait(epoll_fd, events.data(), epoll_events_max, static_cast<int>(std::max<long>(0, wait_ms)));
      if (n < 0 && errno != EINTR) {
        spdlog::error("http: epoll_wait failed: {}", std::strerror(errno));
        break;
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd) {
          take_resumed();
        } else if (fd == gate.listen_fd_) {
          accept_all();
        } else {
          on_readable(fd);
        }
      }
      const auto now = clock::now();
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + sweep_interval;
      }
    }
    held.clear();
    std::lock_guard<std::mutex> lock(resumed_mutex);
    closed_for_resume = true;
    resumed.clear();
  }

  void watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }

  void accept_all() {
    for (int k = 0; k < accepts_per_wakeup_max; ++k) {
      const int fd = ::accept4(gate.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause_accepting();
        return;
      }
      if (open_count->load(std::memory_order_relaxed) >= o.connections_max) {
        send_best_effort(fd, canned_response({503, "too_many_connections",
                                              "the node has " + std::to_string(o.connections_max) +
                                                  " HTTP connections open (http_connections_max)"}));
        ::close(fd);
        if (refused) refused(503);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<http_connection>(fd, open_count);
      c->deadline = clock::now() + o.idle_timeout;
      watch(fd);
      held.emplace(fd, std::move(c));
    }
  }

  /// Out of file descriptors: stop watching the listener for a moment (else
  /// level-triggered epoll reports it again at once, forever).
  void pause_accepting() {
    if (!accepting) return;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, gate.listen_fd_, nullptr);
    accepting = false;
    const auto now = clock::now();
    accept_resume_at = now + accept_pause;
    if (now >= next_fd_warning) {
      spdlog::warn("http: cannot accept connections: {} ({} open)", std::strerror(errno), open_count->load());
      next_fd_warning = now + std::chrono::seconds(10);
    }
  }

  void close_held(int fd) { held.erase(fd); }

  void on_readable(int fd) {
    auto it = held.find(fd);
    if (it == held.end()) return;
    http_connection& c = *it->second;
    char scratch[recv_chunk_bytes];
    if (c.state == http_connection::phase::lingering) {
      for (;;) {
        const ssize_t n = ::recv(fd, scratch, sizeof scratch, 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        return close_held(fd);  // EOF or error: the client has the answer, or never will
      }
    }
    const read_end end = read_available(c, o.head_bytes_max + o.body_wait_bytes_max);
    if (end == read_end::failed) return close_held(fd);
    const bool eof = end == read_end::eof;
    if (!evaluate(it->second) && eof) close_held(fd);
  }

  /// Decides on the request at the front of `c`'s buffer: dispatch it, refuse
  /// it, or wait for more bytes. Returns true when `c` left the waiting state
  /// (dispatched or refused).
  bool evaluate(std::unique_ptr<http_connection>& slot) {
    http_connection& c = *slot;
    if (c.state != http_connection::phase::waiting) return true;
    auto f = frame_request(c, o);
    switch (f.what) {
      case request_framing::verdict::incomplete:
        return false;
      case request_framing::verdict::refused:
        refuse(c, f.refusal);
        return true;
      case request_framing::verdict::complete:
        break;
    }
    hand_over(slot);
    return true;
  }

  void hand_over(std::unique_ptr<http_connection>& slot) {
    const int fd = slot->fd();
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    auto c = std::move(slot);
    held.erase(fd);
    c->request_started = false;
    dispatch(std::move(c));
  }

  /// Answers `e` and closes after draining (lingering) so the client reads it.
  void refuse(http_connection& c, const api_error& e) {
    send_best_effort(c.fd(), canned_response(e));
    ::shutdown(c.fd(), SHUT_WR);
    c.state = http_connection::phase::lingering;
    c.deadline = clock::now() + o.linger_timeout;
    c.in.clear();
    c.in_pos = 0;
    if (refused) refused(e.status);
  }

  void sweep(clock::time_point now) {
    if (!accepting && now >= accept_resume_at) {
      accepting = true;
      watch(gate.listen_fd_);
    }
    for (auto it = held.begin(); it != held.end();) {
      http_connection& c = *it->second;
      if (now < c.deadline) {
        ++it;
      } else if (c.state == http_connection::phase::waiting && c.request_started) {
        refuse(c, {408, "request_timeout",
                   "the request was not complete within " + std::to_string(o.request_timeout.count()) + " ms"});
        ++it;
      } else {
        it = held.erase(it);  // idle past idle_timeout, or lingering long enough
      }
    }
  }

  void take_resumed() {
    std::uint64_t count = 0;
    (void)::read(wake_fd, &count, sizeof count);
    std::vector<std::unique_ptr<http_connection>> batch;
    {
      std::lock_guard<std::mutex> lock(resumed_mutex);
      batch.swap(resumed);
    }
    const auto now = clock::now();
    for (auto& c : batch) {
      const int fd = c->fd();
      c->compact();
      c->state = http_connection::phase::waiting;
      c->request_started = false;
      c->deadline = now + o.idle_timeout;
      watch(fd);
      auto [it, inserted] = held.emplace(fd, std::move(c));
      (void)inserted;
      evaluate(it->second);  // a pipelined request may be buffered already
    }
  }
};

sn::expected<std::unique_ptr<http_gate>> http_gate::bind(const std::string& host_port, http_gate_options o) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) return sn::error{"node", 1, "http '" + host_port + "' must look like HOST:PORT"};
  std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return sn::error{"node", 1, "cannot listen for HTTP on " + host_port + ": " + ::gai_strerror(rc)};
  }
  int fd = -1;
  int last_errno = 0;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    // SO_REUSEADDR only: restarts need not wait for TIME_WAIT, but unlike
    // httplib's default SO_REUSEPORT a second process cannot bind the port
    // too (the kernel would split the store's requests between two devices).
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      last_errno = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    std::string why = std::strerror(last_errno);
    if (last_errno == EADDRINUSE) why += " (another storenode or another program serves that port)";
    return sn::error{"node", 1, "cannot listen for HTTP on " + host_port + ": " + why};
  }
  ensure_fd_limit(o.connections_max);
  return std::unique_ptr<http_gate>(new http_gate(fd, o));
}

http_gate::http_gate(int listen_fd, http_gate_options o) : listen_fd_(listen_fd), o_(o) {}

http_gate::~http_gate() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  // resume() never writes to wake_fd once the loop closed for resumes (in stop()).
  if (loop_ && loop_->wake_fd >= 0) ::close(loop_->wake_fd);
}

void http_gate::start(dispatch_fn dispatch, refusal_fn refused) {
  loop_ = std::make_unique<loop>(*this, std::move(dispatch), std::move(refused));
  loop_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  loop_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  loop_->watch(loop_->wake_fd);
  loop_->watch(listen_fd_);
  loop_->thread = std::thread([l = loop_.get()] {
    ::pthread_setname_np(::pthread_self(), "sn.http_gate");
    l->run();
  });
}

void http_gate::resume(std::unique_ptr<http_connection> c) {
  if (!loop_) return;
  {
    std::lock_guard<std::mutex> lock(loop_->resumed_mutex);
    if (loop_->closed_for_resume) return;  // stopped: `c` closes here
    loop_->resumed.push_back(std::move(c));
  }
  const std::uint64_t one = 1;
  (void)::write(loop_->wake_fd, &one, sizeof one);
}

http_gate::next http_gate::next_request(http_connection& c, std::chrono::microseconds wait) const {
  c.compact();
  c.state = http_connection::phase::waiting;
  c.request_started = false;
  const auto until = clock::now() + wait;
  const std::size_t buffered_max = o_.head_bytes_max + o_.body_wait_bytes_max;
  bool eof = false;
  for (;;) {
    const auto f = frame_request(c, o_);
    if (f.what == request_framing::verdict::complete) {
      c.request_started = false;  // as hand_over leaves it
      return next::ready;
    }
    // A request cut short by the client's close is never served (as in the gate).
    if (eof) return next::closed;
    if (f.what == request_framing::verdict::refused || c.pending() >= buffered_max) return next::resume;
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(until - clock::now());
    if (left.count() <= 0) return next::resume;
    pollfd p{c.fd(), POLLIN, 0};
    const timespec ts{static_cast<time_t>(left.count() / 1'000'000'000), static_cast<long>(left.count() % 1'000'000'000)};
    const int r = ::ppoll(&p, 1, &ts, nullptr);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return next::resume;
    const read_end end = read_available(c, buffered_max);  // the socket is non-blocking (accept4)
    if (end == read_end::failed) return next::closed;
    // A client that sent its last request and closed its side still gets the answer.
    eof = end == read_end::eof;
  }
}

void http_gate::stop() {
  if (!loop_ || !loop_->thread.joinable()) return;
  loop_->stopping.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  (void)::write(loop_->wake_fd, &one, sizeof one);
  loop_->thread.join();
  ::close(loop_->epoll_fd);
  loop_->epoll_fd = -1;
  // Clients connecting from now on are refused by the kernel, not queued.
  ::close(listen_fd_);
  listen_fd_ = -1;
}

}  // namespace sn::node
