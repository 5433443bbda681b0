#include "actors/staff/sessions.hpp"

#include <sodium.h>

#include "events/assert.hpp"

namespace sn::staff {

namespace {
std::string key_of(const std::array<std::uint8_t, 32>& h) { return std::string(h.begin(), h.end()); }

void unindex(std::multimap<std::uint64_t, std::string>& by_use, std::uint64_t at, const std::string& key) {
  auto [lo, hi] = by_use.equal_range(at);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == key) {
      by_use.erase(it);
      return;
    }
  }
}
}  // namespace

session_table::hash session_table::hash_of(const token& t) {
  hash h{};
  crypto_generichash(h.data(), h.size(), t.data(), t.size(), nullptr, 0);
  return h;
}

void session_table::drop(std::unordered_map<std::string, session>::iterator it) {
  unindex(by_use_, it->second.last_used_ms, it->first);
  by_hash_.erase(it);
}

const session& session_table::open(const token& t, std::string staff_id, std::string name, staff::role r,
                                   std::uint64_t now_ms) {
  const std::string key = key_of(hash_of(t));
  if (auto it = by_hash_.find(key); it != by_hash_.end()) drop(it);
  while (by_hash_.size() >= sessions_max && !by_use_.empty()) drop(by_hash_.find(by_use_.begin()->second));
  session s{std::move(staff_id), std::move(name), r, now_ms, now_ms, now_ms + idle_ms_};
  by_use_.emplace(now_ms, key);
  return by_hash_.emplace(key, std::move(s)).first->second;
}

std::optional<session> session_table::use(const token& t, std::uint64_t now_ms) {
  auto it = by_hash_.find(key_of(hash_of(t)));
  if (it == by_hash_.end()) return std::nullopt;
  session& s = it->second;
  if (now_ms >= s.expires_ms) {
    drop(it);
    return std::nullopt;
  }
  if (now_ms > s.last_used_ms) {
    unindex(by_use_, s.last_used_ms, it->first);
    s.last_used_ms = now_ms;
    s.expires_ms = now_ms + idle_ms_;
    by_use_.emplace(now_ms, it->first);
  }
  return s;
}

bool session_table::close(const token& t) {
  auto it = by_hash_.find(key_of(hash_of(t)));
  if (it == by_hash_.end()) return false;
  drop(it);
  return true;
}

std::size_t session_table::close_staff(const std::string& staff_id) {
  std::size_t n = 0;
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    auto next = std::next(it);
    if (it->second.staff_id == staff_id) {
      drop(it);
      ++n;
    }
    it = next;
  }
  return n;
}

std::size_t session_table::expire(std::uint64_t now_ms) {
  std::size_t n = 0;
  while (!by_use_.empty() && by_use_.begin()->first + idle_ms_ <= now_ms) {
    auto it = by_hash_.find(by_use_.begin()->second);
    SN_ASSERT(it != by_hash_.end(), "session index and table agree");
    drop(it);
    ++n;
  }
  return n;
}

std::string session_table::to_text(const token& t) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(token_bytes * 2);
  for (auto b : t) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 0xf]);
  }
  return s;
}

std::optional<token> session_table::from_text(std::string_view s) {
  if (s.size() != token_bytes * 2) return std::nullopt;
  token t{};
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < token_bytes; ++i) {
    const int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    t[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return t;
}

}  // namespace sn::staff
