#include "broker/address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>

namespace sn::broker {

namespace {

/// Documentation-only addresses (RFC 5737, RFC 3849): a UDP connect to them
/// picks the source address of the default route without sending anything.
constexpr const char* probe_v4 = "192.0.2.1";
constexpr const char* probe_v6 = "2001:db8::1";
constexpr unsigned short probe_port = 9;

std::string text_of(const sockaddr* sa) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    if (::inet_ntop(AF_INET, &in->sin_addr, buf.data(), buf.size()) == nullptr) return {};
    return buf.data();
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (::inet_ntop(AF_INET6, &in6->sin6_addr, buf.data(), buf.size()) == nullptr) return {};
    return "[" + std::string(buf.data()) + "]";
  }
  return {};
}

/// Source address the kernel would use towards `probe` ("" if there is no route).
std::string routed_source(int family, const char* probe) {
  int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_storage to{};
  socklen_t to_len = 0;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&to);
    in->sin_family = AF_INET;
    in->sin_port = htons(probe_port);
    ::inet_pton(AF_INET, probe, &in->sin_addr);
    to_len = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&to);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(probe_port);
    ::inet_pton(AF_INET6, probe, &in6->sin6_addr);
    to_len = sizeof(sockaddr_in6);
  }
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), to_len) == 0) {
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0)
      out = text_of(reinterpret_cast<sockaddr*>(&local));
  }
  ::close(fd);
  if (out == "0.0.0.0" || out == "[::]") return {};
  return out;
}

/// First address of an interface that is up and not loopback ("" if none).
std::string first_interface_address(int family) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> guard(list, ::freeifaddrs);
  for (auto* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != family) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
    if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr)) continue;
    if (auto t = text_of(i->ifa_addr); !t.empty()) return t;
  }
  return {};
}

/// First address `host` resolves to in `family` ("" if none).
std::string resolve(const std::string& host, int family, int flags = 0) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return {};
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, ::freeaddrinfo);
  return text_of(res->ai_addr);
}

}  // namespace

bool is_wildcard_host(const std::string& host) noexcept {
  return host == "*" || host == "0.0.0.0" || host == "[::]" || host == "::";
}

sn::expected<std::string> bindable_host(const std::string& host) {
  if (is_wildcard_host(host)) return host;
  if (!host.empty() && host.front() == '[') return host;  // an IPv6 literal; ZeroMQ checks it
  if (!resolve(host, AF_INET, AI_NUMERICHOST).empty()) return host;
  if (auto v4 = resolve(host, AF_INET); !v4.empty()) return v4;
  if (auto v6 = resolve(host, AF_INET6); !v6.empty()) return v6;
  return make_error(errc::invalid_address, "host '" + host + "' does not resolve to an address this node can bind");
}

std::string primary_host(bool ipv6) {
  if (ipv6) {
    if (auto a = routed_source(AF_INET6, probe_v6); !a.empty()) return a;
    if (auto a = first_interface_address(AF_INET6); !a.empty()) return a;
  }
  if (auto a = routed_source(AF_INET, probe_v4); !a.empty()) return a;
  if (auto a = first_interface_address(AF_INET); !a.empty()) return a;
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) == 0 && name[0] != '\0') {
    std::string h = name.data();
    if (!resolve(h, AF_INET).empty()) return h;
  }
  return "127.0.0.1";
}

}  // namespace sn::broker
