// The node-local session table (issue 10, "Sessions").
//
// Contract
// - A token is 16 random bytes chosen by the caller (the node reads them from
//   libsodium's randombytes), shown once as 32 hex digits, and kept only as
//   BLAKE2b-256(token): a copy of the table (memory, core dump) gives no
//   usable token.
// - Sessions are bound to this device: the table lives in one node's memory
//   and is never written to the log or replicated, so a token works only at
//   the node that issued it. Why memory and not RocksDB: a session must not
//   outlive its process' notion of idle time, a restart of a till is rare
//   and signing in again after one is what a shop expects, and a data dir
//   copied off a device then holds no live session. The cost: a node restart
//   signs everyone on it out.
// - A session ends `idle_timeout_ms` after its last use (each successful
//   lookup renews it), on remove(), or when the table is full and it is the
//   least recently used (sessions_max).
// - Pure: time comes in as milliseconds; no clock, no randomness. Not
//   thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/staff/role.hpp"

namespace sn::staff {

constexpr std::size_t token_bytes = 16;  ///< 128 bits
using token = std::array<std::uint8_t, token_bytes>;

/// Sessions a node holds at most (a till has a handful; the bound stops a
/// flood of sign-ins from growing memory).
constexpr std::size_t sessions_max = 10000;

struct session {
  std::string staff_id;
  std::string name;
  staff::role role = staff::role::cashier;
  std::uint64_t created_ms = 0;
  std::uint64_t last_used_ms = 0;
  std::uint64_t expires_ms = 0;  ///< last_used_ms + idle timeout
};

class session_table {
 public:
  explicit session_table(std::uint64_t idle_timeout_ms) : idle_ms_(idle_timeout_ms) {}

  /// Records a new session for `t` (evicting the least recently used one when
  /// full) and returns it.
  const session& open(const token& t, std::string staff_id, std::string name, staff::role r, std::uint64_t now_ms);
  /// The live session of `t`, renewed to now; nullopt when unknown or idle
  /// past the timeout (then it is dropped).
  std::optional<session> use(const token& t, std::uint64_t now_ms);
  /// Ends the session of `t`; false when there was none.
  bool close(const token& t);
  /// Ends every session of `staff_id` (removed, deactivated or role changed).
  std::size_t close_staff(const std::string& staff_id);
  /// Drops sessions idle past the timeout; returns how many.
  std::size_t expire(std::uint64_t now_ms);
  std::size_t size() const noexcept { return by_hash_.size(); }
  std::uint64_t idle_timeout_ms() const noexcept { return idle_ms_; }

  /// "0f3a…" (32 lowercase hex digits) and back; nullopt for anything else.
  static std::string to_text(const token& t);
  static std::optional<token> from_text(std::string_view s);

 private:
  using hash = std::array<std::uint8_t, 32>;
  static hash hash_of(const token& t);
  void drop(std::unordered_map<std::string, session>::iterator it);

  std::uint64_t idle_ms_;
  std::unordered_map<std::string, session> by_hash_;  ///< key: the 32 hash bytes
  std::multimap<std::uint64_t, std::string> by_use_;  ///< last use -> hash key (LRU eviction)
};

}  // namespace sn::staff
