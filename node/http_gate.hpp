// The HTTP API's front door: owns the listening socket and every connection
// that is not being served, and hands a connection to a worker only once a
// whole request head (and its body, up to body_wait_bytes_max) has arrived.
//
// Why: cpp-httplib 0.11 gives each accepted socket a worker thread for the
// socket's whole life, waiting in blocking reads. Eight idle keep-alive
// sockets stalled every request for ~5 s and 200 kept /healthz from
// answering at all; a client sending its head one byte a second (slowloris)
// held a worker for hours. Here an idle or slow connection costs a file
// descriptor and a buffer, never a thread.
//
// Contract
// - One gate thread runs an epoll loop: accept, read, check framing
//   (node/http_framing.hpp), deadlines, canned refusals. It never blocks on a
//   client and never runs a handler.
// - A connection is owned by exactly one party at a time: the gate while it
//   waits for a request, the worker `dispatch` gave it to while a request is
//   served. The worker gives it back with resume() (keep-alive) or drops it
//   (the destructor closes the socket).
// - Refusals the gate answers itself, then closes the connection after
//   draining what the client still sends (so that the client reads the answer
//   rather than a reset): 400 invalid_framing, 501 unknown_method, 413
//   too_large, 431 headers_too_large, 408 request_timeout, 503
//   too_many_connections. A connection idle between requests is closed
//   silently after idle_timeout.
// - A worker that answered a request on a keep-alive connection may wait a
//   moment (next_request(), ~2 ms) for the client's next request and serve
//   it itself, saving the two thread hand-offs through the gate; only a whole
//   request by the gate's rules (frame_request) is served that way, and
//   anything else (nothing came, a partial head, a refusal) goes back to the
//   gate. So an idle or slow connection holds a worker at most that moment
//   after each answer.
// - Binds with SO_REUSEADDR only (never SO_REUSEPORT): a second process on
//   the same port fails to bind instead of sharing the port.
// - Thread safety: resume() and the destructor of a connection may be called
//   from any thread; bind/start/stop from the owner's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "events/expected.hpp"
#include "node/api_error.hpp"

namespace sn::node {

struct http_gate_options {
  std::size_t connections_max = 1024;                ///< open connections (waiting + served); [16, 65536]
  std::chrono::milliseconds idle_timeout{5000};      ///< a connection without a byte of a next request is closed
  std::chrono::milliseconds request_timeout{10000};  ///< first byte of a request to its last (head and body)
  std::size_t head_bytes_max = 16 * 1024;            ///< request line and header fields; more gets 431
  std::size_t body_wait_bytes_max = 64 * 1024;       ///< body bytes the gate waits for before handing over
  std::uint64_t body_bytes_max = 1 << 20;            ///< Content-Length over this gets 413
  std::chrono::milliseconds linger_timeout{5000};    ///< after a refusal, input is drained at most this long
};

/// One client connection. Closes its socket when destroyed.
class http_connection {
 public:
  using clock = std::chrono::steady_clock;
  http_connection(int fd, std::shared_ptr<std::atomic<std::size_t>> open_count);
  ~http_connection();
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;

  int fd() const noexcept { return fd_; }

  /// Bytes received and not yet consumed by a request (the worker's stream
  /// reads these first, then the socket).
  std::string in;
  std::size_t in_pos = 0;
  std::size_t pending() const noexcept { return in.size() - in_pos; }
  /// Drops consumed bytes once they are many.
  void compact();

  /// Requests served on this connection so far.
  std::uint32_t requests = 0;
  /// The current request must be read completely before this.
  clock::time_point request_deadline{};
  /// Where the current request ends in `in` (offset equal to in_pos once it
  /// was read exactly), or npos when the gate could not know (a body longer
  /// than it waited for, or Expect: 100-continue): such a connection is
  /// closed after its answer, because the bytes after it cannot be trusted.
  std::size_t request_end = 0;

  // Gate bookkeeping (gate thread only).
  enum class phase { waiting, lingering };
  phase state = phase::waiting;
  bool request_started = false;  ///< a byte of the current request arrived
  clock::time_point deadline{};

 private:
  int fd_;
  std::shared_ptr<std::atomic<std::size_t>> open_count_;
};

/// What the bytes at the front of a waiting connection make, by the gate's rules.
struct request_framing {
  enum class verdict { incomplete, complete, refused };
  verdict what = verdict::incomplete;
  api_error refusal{};  ///< when refused: the answer the gate sends before closing
};

/// Frames the request at the front of `c.in` (RFC 9112, node/http_framing.hpp)
/// under `o`'s limits: skips empty lines before it, starts the request's
/// deadline at its first byte, and on `complete` sets `c.request_end`.
/// Incomplete: wait for more bytes (the body up to body_wait_bytes_max).
request_framing frame_request(http_connection& c, const http_gate_options& o);

class http_gate {
 public:
  /// Takes a connection whose next request is in `in`; runs on the gate thread, must not block.
  using dispatch_fn = std::function<void(std::unique_ptr<http_connection>)>;
  /// Told of every refusal the gate answers itself (status code), for metrics.
  using refusal_fn = std::function<void(int status)>;

  /// Binds and listens on HOST:PORT (SO_REUSEADDR only). Error: the address
  /// is in use or not allowed, with the reason.
  static sn::expected<std::unique_ptr<http_gate>> bind(const std::string& host_port, http_gate_options o);
  ~http_gate();

  /// Starts the gate thread.
  void start(dispatch_fn dispatch, refusal_fn refused);
  /// A served connection waits for its next request again (thread-safe). After stop() it is closed.
  void resume(std::unique_ptr<http_connection> c);

  /// What a worker's short wait for the next request on its connection found.
  enum class next { ready, resume, closed };
  /// On the worker that just answered a request on `c` (keep-alive): reads
  /// from `c` for at most `wait` until a whole next request is buffered.
  /// ready: serve it; resume: give `c` back with resume() (nothing came in
  /// time, or a partial, oversized or refused request: the gate answers it);
  /// closed: the client closed its side with no whole request left, or the
  /// socket failed (drop `c`). A whole request sent before the client's close
  /// is ready, as the gate serves it too.
  next next_request(http_connection& c, std::chrono::microseconds wait) const;
  /// Stops accepting, closes every connection the gate holds and joins its
  /// thread. Connections being served stay with their workers.
  void stop();

  const http_gate_options& options() const noexcept { return o_; }
  /// Listening socket (valid until destruction).
  int listen_fd() const noexcept { return listen_fd_; }

 private:
  struct loop;
  http_gate(int listen_fd, http_gate_options o);
  int listen_fd_;
  http_gate_options o_;
  std::unique_ptr<loop> loop_;
};

}  // namespace sn::node
