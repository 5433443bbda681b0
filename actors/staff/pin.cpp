#include "actors/staff/pin.hpp"

#include <sodium.h>

#include "events/assert.hpp"

namespace sn::staff {

namespace {
bool ready() noexcept {
  static const bool ok = sodium_init() >= 0;
  return ok;
}
}  // namespace

bool valid_pin(std::string_view pin) noexcept {
  if (pin.size() < pin_length_min || pin.size() > pin_length_max) return false;
  for (char c : pin) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<std::string> hash_pin(std::string_view pin, const pin_cost& cost) {
  SN_ASSERT(valid_pin(pin), "hash_pin takes a shape-checked PIN");
  if (!ready()) return std::nullopt;
  char out[crypto_pwhash_STRBYTES] = {};
  if (crypto_pwhash_str_alg(out, pin.data(), pin.size(), cost.opslimit, cost.memlimit_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  std::string s(out);
  sodium_memzero(out, sizeof out);
  return s;
}

bool verify_pin(const std::string& hash, std::string_view pin) noexcept {
  if (!ready() || !looks_like_pin_hash(hash) || !valid_pin(pin)) return false;
  return crypto_pwhash_str_verify(hash.c_str(), pin.data(), pin.size()) == 0;
}

bool looks_like_pin_hash(std::string_view s) noexcept {
  constexpr std::string_view prefix = "$argon2id$";
  return s.size() > prefix.size() && s.size() < crypto_pwhash_STRBYTES && s.substr(0, prefix.size()) == prefix;
}

}  // namespace sn::staff
