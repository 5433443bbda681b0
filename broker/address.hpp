// Host names and addresses of the peer transport's own endpoint: what to bind
// and what to advertise (docs/operations.md "Addresses"). Uses the resolver
// and the interface list of the OS; no ZeroMQ.
#pragma once

#include <string>

#include "broker/errc.hpp"

namespace sn::broker {

/// "*", "0.0.0.0", "[::]" or "::": bind on every interface.
bool is_wildcard_host(const std::string& host) noexcept;

/// The host to hand to ZeroMQ's bind, which takes only interface names,
/// numeric addresses and wildcards: a wildcard or a numeric address as given
/// ("[::1]" stays bracketed), a hostname resolved to its first address (IPv4
/// first). Fails with errc::invalid_address naming the host if it does not resolve.
[[nodiscard]] sn::expected<std::string> bindable_host(const std::string& host);

/// What a node bound to a wildcard advertises when `advertised` is not set:
/// the address of the interface that carries the default route (found with a
/// connected UDP socket; nothing is sent), else the first non-loopback address
/// of an interface that is up, else the host name if it resolves, else
/// "127.0.0.1". IPv6 ("[...]") only when `ipv6` and the machine has an IPv6 route.
std::string primary_host(bool ipv6);

}  // namespace sn::broker
