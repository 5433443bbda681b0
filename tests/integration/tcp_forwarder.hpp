// Test support: a TCP forwarder on 127.0.0.1, standing in for NAT or a port
// forward between devices. Connections to LISTEN+k are relayed to TARGET+k
// (k < ports; a node needs 2: its ROUTER and its PUB). stop() closes the
// listeners and resets every relayed connection, so the peers' links drop.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <thread>
#include <vector>

namespace sn::testing {

class tcp_forwarder {
 public:
  tcp_forwarder(int listen_port, int target_port, int ports = 2)
      : listen_port_(listen_port), target_port_(target_port), ports_(ports) {}
  ~tcp_forwarder() { stop(); }
  tcp_forwarder(const tcp_forwarder&) = delete;
  tcp_forwarder& operator=(const tcp_forwarder&) = delete;

  /// Binds the listening ports and starts relaying; false if a port is taken.
  bool start() {
    for (int k = 0; k < ports_; ++k) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in a = loopback(listen_port_ + k);
      if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0) {
        ::close(fd);
        close_all();
        return false;
      }
      listeners_.push_back({fd, target_port_ + k});
    }
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) return false;
    stop_ = false;
    thread_ = std::thread([this] { run(); });
    return true;
  }

  /// Stops relaying: closes the listeners and resets every connection.
  void stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    char c = 1;
    [[maybe_unused]] auto r = ::write(wake_[1], &c, 1);
    thread_.join();
    close_all();
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  /// Connections accepted since start (a node dialling through here makes at least two).
  std::uint64_t accepted() const { return accepted_.load(); }

 private:
  struct listener {
    int fd;
    int target_port;
  };
  struct pipe_pair {
    int a;
    int b;
  };

  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
  }

  static void reset(int fd) {
    linger l{1, 0};  // RST, not FIN: the far end sees the connection die at once
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
  }

  void close_all() {
    for (auto& l : listeners_) ::close(l.fd);
    listeners_.clear();
    for (auto& p : pairs_) {
      reset(p.a);
      reset(p.b);
    }
    pairs_.clear();
  }

  /// Relays what is readable on `from` to `to`; false when the pair is done.
  static bool relay(int from, int to) {
    char buf[65536];
    ssize_t n = ::recv(from, buf, sizeof buf, 0);
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::send(to, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += w;
    }
    return true;
  }

  void run() {
    while (!stop_) {
      std::vector<pollfd> fds;
      fds.push_back({wake_[0], POLLIN, 0});
      for (auto& l : listeners_) fds.push_back({l.fd, POLLIN, 0});
      for (auto& p : pairs_) {
        fds.push_back({p.a, POLLIN, 0});
        fds.push_back({p.b, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
      if (stop_) return;
      const std::size_t first_pair = 1 + listeners_.size();
      std::vector<std::size_t> done;
      for (std::size_t i = 0; i < pairs_.size(); ++i) {
        const auto ra = fds[first_pair + 2 * i].revents, rb = fds[first_pair + 2 * i + 1].revents;
        bool ok = true;
        if (ra & (POLLIN | POLLHUP | POLLERR)) ok = relay(pairs_[i].a, pairs_[i].b);
        if (ok && (rb & (POLLIN | POLLHUP | POLLERR))) ok = relay(pairs_[i].b, pairs_[i].a);
        if (!ok) done.push_back(i);
      }
      for (auto it = done.rbegin(); it != done.rend(); ++it) {
        reset(pairs_[*it].a);
        reset(pairs_[*it].b);
        pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
      }
      for (std::size_t k = 0; k < listeners_.size(); ++k) {
        if ((fds[1 + k].revents & POLLIN) == 0) continue;
        int in = ::accept4(listeners_[k].fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (in < 0) continue;
        int out = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in t = loopback(listeners_[k].target_port);
        if (::connect(out, reinterpret_cast<sockaddr*>(&t), sizeof t) != 0) {
          reset(in);
          ::close(out);
          continue;
        }
        pairs_.push_back({in, out});
        accepted_.fetch_add(1);
      }
    }
  }

  int listen_port_;
  int target_port_;
  int ports_;
  int wake_[2] = {-1, -1};
  std::vector<listener> listeners_;
  std::vector<pipe_pair> pairs_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> accepted_{0};
  std::thread thread_;
};

}  // namespace sn::testing
