// One-time join codes (issue 9, docs/operations.md "Enrolling a device"):
// what an admin's `POST /v1/devices/{id}/enrollment` issues and what the door
// checks when a new device presents its join request.
//
// Contract
// - A code is 12 symbols of Crockford's base32 (60 random bits), shown as
//   XXXX-XXXX-XXXX; typing is forgiving (case, dashes, spaces, O/0, I/L/1).
// - Only the key derived from it is kept (join_key: Argon2id over the
//   normalised code, salted by the device id), never the code. The derived key
//   also seals the join exchange (node/join_protocol.hpp), so the code never
//   travels: an eavesdropper must guess it offline through Argon2id.
// - One pending code per device id (a new one replaces it), at most
//   codes_max pending; a code expires after ttl_ms and is consumed by its
//   first successful use. A spent or expired code stays known (as spent or
//   expired) until twice its lifetime has passed, so the joiner hears which.
// - Rate limiting: every attempt counts against attempts_per_minute_max (all
//   codes); wrong_code failures against one code burn it after
//   failures_per_code_max. 60 bits with these limits leave online guessing
//   hopeless.
// - Local state of the issuing node: in memory only, not replicated (a code
//   is presented to the node that issued it; a restart forgets pending codes,
//   which the admin then issues again).
// - Not thread-safe: the owner serialises calls (the node guards it with a mutex).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace sn::node {

using join_key = std::array<std::uint8_t, 32>;

/// Symbols of a code (Crockford base32, no I L O U).
inline constexpr std::size_t join_code_symbols = 12;

/// The code's canonical form (12 upper-case symbols), or nullopt when `text`
/// is not a code (wrong length or a symbol outside the alphabet).
std::optional<std::string> normalize_join_code(const std::string& text);

/// A fresh code, displayed XXXX-XXXX-XXXX (randombytes_uniform).
std::string random_join_code();

/// Argon2id(normalised code, salt = BLAKE2b-128("storenode join" || device id)).
/// nullopt: not a code, or out of memory.
std::optional<join_key> derive_join_key(const std::string& code, const std::string& device_id);

struct join_code_options {
  std::uint64_t ttl_ms = 15 * 60 * 1000;        ///< default 15 min (enrollment.code_ttl_s)
  std::uint32_t failures_per_code_max = 5;      ///< wrong proofs that burn a code
  std::uint32_t attempts_per_minute_max = 30;   ///< join attempts on this node, any code
  std::size_t codes_max = 256;                  ///< pending codes kept
};

/// Why a join attempt was refused (explicit values: they travel in the join reply).
enum class join_refusal : std::uint8_t {
  none = 0,
  no_code = 1,       ///< no code was issued for this device id here
  expired = 2,       ///< the code's lifetime ended
  used = 3,          ///< the code was already used (one-time)
  wrong_code = 4,    ///< the proof does not open with this device's code (wrong or forged)
  rate_limited = 5,  ///< too many attempts: wait a minute
  burned = 6,        ///< too many wrong proofs for this code: ask for a new one
  malformed = 7,     ///< not a join request
  not_enrolled = 8,  ///< the enrolling node could not record the enrollment
  already_member = 9,///< the device id is enrolled or was revoked
};
const char* to_string(join_refusal r) noexcept;
/// What the joining side prints for `r`.
const char* advice(join_refusal r) noexcept;

struct issued_code {
  std::string device_id;
  std::string code;            ///< shown once to the admin, not kept
  std::uint64_t expires_at_ms = 0;
};

/// A pending code's terms, as the enrolling node records them.
struct code_terms {
  std::string device_id;
  join_key key{};
  std::int32_t priority = 0;
  std::string approved_by;  ///< the admin's staff id
};

class join_codes {
public:
  explicit join_codes(join_code_options o = {}) : o_(o) {}

  /// Issues a code for `device_id`; replaces its pending one. nullopt: the
  /// key could not be derived (out of memory).
  std::optional<issued_code> issue(const std::string& device_id, std::int32_t priority, const std::string& approved_by,
                                   std::uint64_t now_ms);

  /// Step 1 of an attempt: counts it and finds the pending code of
  /// `device_id`. Refusal when rate-limited, none, expired, used or burned.
  join_refusal check(const std::string& device_id, std::uint64_t now_ms, code_terms* out);
  /// Step 2: the proof did not open with the code's key (counts against the code).
  void wrong_proof(const std::string& device_id);
  /// Step 3: the enrollment is recorded: the code is spent.
  void consume(const std::string& device_id, std::uint64_t now_ms);

  std::size_t pending() const noexcept { return codes_.size(); }

private:
  struct entry {
    code_terms terms;
    std::uint64_t expires_at_ms = 0;
    std::uint32_t failures = 0;
    bool used = false;
  };
  void forget_old(std::uint64_t now_ms);

  join_code_options o_;
  std::map<std::string, entry> codes_;
  std::deque<std::uint64_t> attempts_;  ///< times of the attempts in the last minute (<= attempts_per_minute_max)
};

}  // namespace sn::node
