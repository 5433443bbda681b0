#include "actors/sync/keyring_cache.hpp"

namespace sn::sync {
namespace {

constexpr std::string_view magic = "keyring-cache 1\n";

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_be(std::string_view& in, int bytes, std::uint64_t& v) {
  if (in.size() < static_cast<std::size_t>(bytes)) return false;
  v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  in.remove_prefix(bytes);
  return true;
}

}  // namespace

void keyring_cache::add(std::uint64_t position, std::string event_bytes) {
  if (position <= covered_) return;
  events_.push_back(std::move(event_bytes));
  covered_ = position;
  dirty_ = new_events_ = true;
}

void keyring_cache::cover(std::uint64_t position) {
  if (position <= covered_) return;
  covered_ = position;
  dirty_ = true;
}

std::string keyring_cache::encode() const {
  std::string out(magic);
  put_be(out, covered_, 8);
  put_be(out, events_.size(), 4);
  for (const auto& e : events_) {
    put_be(out, e.size(), 4);
    out += e;
  }
  return out;
}

bool keyring_cache::decode(std::string_view in) {
  covered_ = 0;
  events_.clear();
  dirty_ = new_events_ = false;
  std::uint64_t covered = 0, count = 0;
  if (in.substr(0, magic.size()) != magic) return false;
  in.remove_prefix(magic.size());
  if (!get_be(in, 8, covered) || !get_be(in, 4, count)) return false;
  std::vector<std::string> events;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t n = 0;
    if (!get_be(in, 4, n) || in.size() < n) return false;
    events.emplace_back(in.substr(0, n));
    in.remove_prefix(n);
  }
  if (!in.empty()) return false;
  covered_ = covered;
  events_ = std::move(events);
  return true;
}

}  // namespace sn::sync
