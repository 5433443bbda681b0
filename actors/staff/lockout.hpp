// Failed-PIN lockouts (issue 10, "Errors"): after `failures_max` failed PINs
// for one key within `window_ms`, the key is locked for `lockout_ms`; each
// further lockout of the key (before a successful sign-in clears it) lasts
// twice the one before, up to `lockout_ms_max`. The node keeps two kinds of
// key: "staff:<id>" (one person, whatever the device) and "device" (this
// device, whatever the id typed): node/auth.cpp.
//
// Pure: time comes in as milliseconds. Not thread-safe. Bounded: keys_max
// keys (the oldest idle ones are forgotten first).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace sn::staff {

struct lockout_config {
  std::uint32_t failures_max = 5;         ///< failed PINs within the window that lock (1..100)
  std::uint64_t window_ms = 60000;        ///< sliding window (1 s .. 1 h)
  std::uint64_t lockout_ms = 60000;       ///< first lockout (1 s .. 1 h)
  std::uint64_t lockout_ms_max = 3600000; ///< doubling stops here (≥ lockout_ms)
};

constexpr std::size_t lockout_keys_max = 100000;

class lockout {
 public:
  explicit lockout(lockout_config c) : c_(c) {}

  /// Milliseconds until `key` may try again; nullopt when it may now.
  std::optional<std::uint64_t> locked_for(const std::string& key, std::uint64_t now_ms) const;
  /// A failed PIN for `key`; returns the lockout it started, if any.
  std::optional<std::uint64_t> fail(const std::string& key, std::uint64_t now_ms);
  /// A successful sign-in: the key's failures and doubling are forgotten.
  void succeed(const std::string& key);
  const lockout_config& config() const noexcept { return c_; }

 private:
  struct entry {
    std::deque<std::uint64_t> failures;  ///< times within the window, oldest first
    std::uint64_t locked_until_ms = 0;
    std::uint64_t next_lockout_ms = 0;   ///< 0: the first lockout's length
    std::uint64_t touched_ms = 0;
  };
  lockout_config c_;
  std::map<std::string, entry> keys_;
};

}  // namespace sn::staff
