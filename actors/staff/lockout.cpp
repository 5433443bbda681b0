#include "actors/staff/lockout.hpp"

#include <algorithm>

namespace sn::staff {

std::optional<std::uint64_t> lockout::locked_for(const std::string& key, std::uint64_t now_ms) const {
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.locked_until_ms <= now_ms) return std::nullopt;
  return it->second.locked_until_ms - now_ms;
}

std::optional<std::uint64_t> lockout::fail(const std::string& key, std::uint64_t now_ms) {
  if (keys_.size() >= lockout_keys_max && keys_.find(key) == keys_.end()) {
    // Forget the key idle longest (bounded memory under a flood of ids).
    auto oldest = std::min_element(keys_.begin(), keys_.end(), [](const auto& a, const auto& b) {
      return a.second.touched_ms < b.second.touched_ms;
    });
    keys_.erase(oldest);
  }
  entry& e = keys_[key];
  e.touched_ms = now_ms;
  while (!e.failures.empty() && e.failures.front() + c_.window_ms <= now_ms) e.failures.pop_front();
  e.failures.push_back(now_ms);
  if (e.failures.size() < c_.failures_max) return std::nullopt;
  const std::uint64_t length = e.next_lockout_ms == 0 ? c_.lockout_ms : e.next_lockout_ms;
  e.locked_until_ms = now_ms + length;
  e.next_lockout_ms = std::min(length * 2, std::max(c_.lockout_ms_max, c_.lockout_ms));
  e.failures.clear();
  return length;
}

void lockout::succeed(const std::string& key) { keys_.erase(key); }

}  // namespace sn::staff
