#include "node/membership.hpp"

#include "broker/curve.hpp"

namespace sn::node {

std::optional<std::vector<std::uint8_t>> key_from_hex(const std::string& hex) {
  if (hex.size() != 64) return std::nullopt;
  std::vector<std::uint8_t> out(32);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

bool membership::enrolled(const member_keys& m) {
  if (!key_from_hex(m.curve_key) || !key_from_hex(m.signing_key)) return false;
  auto& slot = enrolled_[m.device_id];
  const std::string address = m.address.empty() ? slot.address : m.address;
  slot = m;
  slot.address = address;
  return true;
}

void membership::revoked(const std::string& device_id) { revoked_.insert(device_id); }

bool membership::rotated(const std::string& device_id, const std::string& signing_key, const std::string& curve_key) {
  if (!is_member(device_id) || !key_from_hex(signing_key) || !key_from_hex(curve_key)) return false;
  auto& slot = enrolled_.at(device_id);
  slot.signing_key = signing_key;
  slot.curve_key = curve_key;
  return true;
}

void membership::note_address(const std::string& device_id, const std::string& address) {
  auto it = enrolled_.find(device_id);
  if (it != enrolled_.end() && !address.empty()) it->second.address = address;
}

bool membership::is_member(const std::string& device_id) const {
  return enrolled_.count(device_id) != 0 && revoked_.count(device_id) == 0;
}

std::vector<member_keys> membership::members() const {
  std::vector<member_keys> out;
  for (const auto& [id, m] : enrolled_)
    if (revoked_.count(id) == 0) out.push_back(m);
  return out;
}

std::vector<std::string> membership::admitted_z85() const {
  std::vector<std::string> out;
  for (const auto& [id, m] : enrolled_) {
    if (revoked_.count(id) != 0) continue;
    if (auto bytes = key_from_hex(m.curve_key)) out.push_back(broker::z85_of_key(bytes->data()));
  }
  return out;
}

std::optional<std::string> membership::curve_z85_of(const std::string& device_id) const {
  if (!is_member(device_id)) return std::nullopt;
  auto bytes = key_from_hex(enrolled_.at(device_id).curve_key);
  if (!bytes) return std::nullopt;
  return broker::z85_of_key(bytes->data());
}

}  // namespace sn::node
