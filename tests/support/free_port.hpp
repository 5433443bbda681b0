// Free TCP ports on 127.0.0.1 for tests that open real sockets.
//
// free_tcp_port(n) returns a port P such that P, P+1, ..., P+n-1 could all be
// bound on 127.0.0.1 a moment ago (the kernel picks P by binding port 0). A
// broker node needs n = 2 (ROUTER at P, PUB at P+1). Another process may still
// take a port between this check and the real bind; the window is tiny and the
// real bind reports a clear error if it happens.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace sn::test {

namespace detail {

/// Binds 127.0.0.1:port (0 = any); returns the bound port, or 0 on failure.
/// The socket is closed before returning.
inline std::uint16_t try_bind(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::uint16_t result = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) result = ntohs(addr.sin_port);
  }
  ::close(fd);
  return result;
}

} // namespace detail

/// Most attempts before giving up (each asks the kernel for a fresh port).
inline constexpr int free_port_attempts_max = 200;

/// A port P with P..P+count-1 free on 127.0.0.1. Throws if none is found.
inline std::uint16_t free_tcp_port(unsigned count = 1) {
  for (int attempt = 0; attempt < free_port_attempts_max; ++attempt) {
    std::uint16_t p = detail::try_bind(0);
    if (p == 0 || static_cast<unsigned>(p) + count - 1 > 65535) continue;
    bool all = true;
    for (unsigned i = 1; i < count && all; ++i) all = detail::try_bind(static_cast<std::uint16_t>(p + i)) != 0;
    if (all) return p;
  }
  throw std::runtime_error("free_tcp_port: no free range of " + std::to_string(count) + " ports");
}

/// "tcp://127.0.0.1:P" with P and P+1 free: one broker node's address.
inline std::string free_node_address() { return "tcp://127.0.0.1:" + std::to_string(free_tcp_port(2)); }

} // namespace sn::test
