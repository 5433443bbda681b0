#include "node/join_codes.hpp"

#include <sodium.h>

#include <cctype>

namespace sn::node {

namespace {
constexpr const char* alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::uint64_t minute_ms = 60'000;
/// Argon2id cost of the join key: ~10-30 ms here, on both sides, once per
/// attempt. An offline guess costs the same; 2^60 codes make that hopeless.
constexpr unsigned long long join_ops = 2;
constexpr std::size_t join_mem = 16u << 20;
}  // namespace

std::optional<std::string> normalize_join_code(const std::string& text) {
  std::string out;
  for (char raw : text) {
    if (raw == '-' || raw == ' ') continue;
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    if (std::string_view(alphabet).find(c) == std::string_view::npos) return std::nullopt;
    out.push_back(c);
    if (out.size() > join_code_symbols) return std::nullopt;
  }
  if (out.size() != join_code_symbols) return std::nullopt;
  return out;
}

std::string random_join_code() {
  std::string out;
  for (std::size_t i = 0; i < join_code_symbols; ++i) {
    if (i != 0 && i % 4 == 0) out.push_back('-');
    out.push_back(alphabet[randombytes_uniform(32)]);
  }
  return out;
}

std::optional<join_key> derive_join_key(const std::string& code, const std::string& device_id) {
  auto canonical = normalize_join_code(code);
  if (!canonical) return std::nullopt;
  if (sodium_init() < 0) return std::nullopt;
  std::array<std::uint8_t, crypto_pwhash_SALTBYTES> salt{};
  static_assert(crypto_pwhash_SALTBYTES == 16);
  const std::string context = "storenode join " + device_id;
  crypto_generichash(salt.data(), salt.size(), reinterpret_cast<const unsigned char*>(context.data()), context.size(),
                     nullptr, 0);
  join_key key{};
  if (crypto_pwhash(key.data(), key.size(), canonical->data(), canonical->size(), salt.data(), join_ops, join_mem,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    sodium_memzero(canonical->data(), canonical->size());
    return std::nullopt;
  }
  sodium_memzero(canonical->data(), canonical->size());
  return key;
}

const char* to_string(join_refusal r) noexcept {
  switch (r) {
    case join_refusal::none: return "none";
    case join_refusal::no_code: return "no_code";
    case join_refusal::expired: return "expired";
    case join_refusal::used: return "used";
    case join_refusal::wrong_code: return "wrong_code";
    case join_refusal::rate_limited: return "rate_limited";
    case join_refusal::burned: return "burned";
    case join_refusal::malformed: return "malformed";
    case join_refusal::not_enrolled: return "not_enrolled";
    case join_refusal::already_member: return "already_member";
  }
  return "unknown";
}

const char* advice(join_refusal r) noexcept {
  switch (r) {
    case join_refusal::none: return "";
    case join_refusal::no_code: return "no join code was issued for this device id at that device: run `storectl devices enroll ID` there";
    case join_refusal::expired: return "the join code has expired: ask an admin for a new one (storectl devices enroll ID)";
    case join_refusal::used: return "the join code was already used (codes are one-time): ask an admin for a new one";
    case join_refusal::wrong_code: return "wrong join code (or one issued for another device id): check it and the --device-id";
    case join_refusal::rate_limited: return "too many join attempts at that device: wait a minute and try again";
    case join_refusal::burned: return "too many wrong codes for this device id: the code is void, ask an admin for a new one";
    case join_refusal::malformed: return "the enrolling device could not read the join request (another version?)";
    case join_refusal::not_enrolled: return "the enrolling device could not record the enrollment: see its log, then try again";
    case join_refusal::already_member: return "this device id is already enrolled or was revoked: enroll a new device under a new id";
  }
  return "unknown refusal";
}

void join_codes::forget_old(std::uint64_t now_ms) {
  while (!attempts_.empty() && attempts_.front() + minute_ms <= now_ms) attempts_.pop_front();
  for (auto it = codes_.begin(); it != codes_.end();) {
    // Kept until twice the lifetime (as expired or used), so the joiner hears why.
    const bool gone = it->second.expires_at_ms + o_.ttl_ms <= now_ms;
    it = gone ? codes_.erase(it) : std::next(it);
  }
}

std::optional<issued_code> join_codes::issue(const std::string& device_id, std::int32_t priority,
                                             const std::string& approved_by, std::uint64_t now_ms) {
  forget_old(now_ms);
  issued_code out{device_id, random_join_code(), now_ms + o_.ttl_ms};
  auto key = derive_join_key(out.code, device_id);
  if (!key) return std::nullopt;
  if (codes_.size() >= o_.codes_max && codes_.count(device_id) == 0) {
    // Full: the code closest to its end makes room.
    auto oldest = codes_.begin();
    for (auto it = codes_.begin(); it != codes_.end(); ++it)
      if (it->second.expires_at_ms < oldest->second.expires_at_ms) oldest = it;
    codes_.erase(oldest);
  }
  codes_[device_id] = entry{code_terms{device_id, *key, priority, approved_by}, out.expires_at_ms, 0, false};
  return out;
}

join_refusal join_codes::check(const std::string& device_id, std::uint64_t now_ms, code_terms* out) {
  forget_old(now_ms);
  if (attempts_.size() >= o_.attempts_per_minute_max) return join_refusal::rate_limited;
  attempts_.push_back(now_ms);
  auto it = codes_.find(device_id);
  if (it == codes_.end()) return join_refusal::no_code;
  const auto& e = it->second;
  if (e.used) return join_refusal::used;
  if (e.failures >= o_.failures_per_code_max) return join_refusal::burned;
  if (now_ms >= e.expires_at_ms) return join_refusal::expired;
  if (out != nullptr) *out = e.terms;
  return join_refusal::none;
}

void join_codes::wrong_proof(const std::string& device_id) {
  if (auto it = codes_.find(device_id); it != codes_.end()) ++it->second.failures;
}

void join_codes::consume(const std::string& device_id, std::uint64_t) {
  if (auto it = codes_.find(device_id); it != codes_.end()) {
    it->second.used = true;
    sodium_memzero(it->second.terms.key.data(), it->second.terms.key.size());
  }
}

}  // namespace sn::node
