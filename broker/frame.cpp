#include "broker/frame.hpp"

#include <charconv>

namespace sn::broker {

namespace {

bool printable_ascii(std::string_view s) noexcept {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

} // namespace

std::string encode_header(message_type type, std::string_view sender) {
  std::string out;
  out.reserve(header_fixed_bytes + sender.size());
  out.push_back(static_cast<char>(protocol_version));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(static_cast<std::uint8_t>(sender.size())));
  out.append(sender.data(), sender.size());
  return out;
}

header_check decode_header(std::string_view bytes, frame_header& out) noexcept {
  if (bytes.empty()) return header_check::malformed;
  auto version = static_cast<std::uint8_t>(bytes[0]);
  if (version != protocol_version) return header_check::unknown_version;
  if (bytes.size() < header_fixed_bytes) return header_check::malformed;
  auto n = static_cast<std::size_t>(static_cast<std::uint8_t>(bytes[2]));
  if (n == 0 || bytes.size() != header_fixed_bytes + n) return header_check::malformed;
  auto sender = bytes.substr(header_fixed_bytes, n);
  if (!printable_ascii(sender)) return header_check::malformed;
  out.version = version;
  out.type = static_cast<message_type>(bytes[1]);
  out.sender = sender;
  return header_check::ok;
}

frame_check check_frame(std::string_view header, std::size_t body_bytes, std::size_t body_bytes_max,
                        frame_header& out) noexcept {
  switch (decode_header(header, out)) {
    case header_check::ok: break;
    case header_check::malformed: return frame_check::malformed;
    case header_check::unknown_version: return frame_check::unknown_version;
  }
  if (body_bytes > body_bytes_max) return frame_check::oversized;
  return frame_check::ok;
}

sn::expected<endpoint> parse_address(std::string_view address) {
  constexpr std::string_view scheme = "tcp://";
  auto bad = [&](const char* why) {
    return make_error(errc::invalid_address,
                      "invalid peer address '" + std::string(address) + "': " + why +
                          " (expected tcp://HOST:PORT with PORT 1..65534)");
  };
  if (address.size() > address_bytes_max) return bad("longer than 255 bytes");
  if (address.substr(0, scheme.size()) != scheme) return bad("must start with tcp://");
  if (!printable_ascii(address)) return bad("contains spaces or non-ASCII bytes");
  auto rest = address.substr(scheme.size());
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad("missing HOST:PORT");
  auto host = rest.substr(0, colon);
  auto port_text = rest.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() || port_text.empty())
    return bad("port is not a number");
  if (port < 1 || port > 65534) return bad("port out of range");
  return endpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

std::string pub_address(const endpoint& e) {
  return "tcp://" + e.host + ":" + std::to_string(static_cast<unsigned>(e.port) + 1);
}

std::string router_address(const endpoint& e) {
  return "tcp://" + e.host + ":" + std::to_string(e.port);
}

} // namespace sn::broker
