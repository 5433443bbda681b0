#include "storage/hash_check.hpp"

#include <sodium.h>

namespace sn::storage {

namespace {
constexpr unsigned char array10_header = 0x9a;  // msgpack fixarray of 10
constexpr unsigned char array9_header = 0x99;   // msgpack fixarray of 9
constexpr unsigned char bin8_marker = 0xc4;
constexpr std::size_t hash_field_bytes = 2 + 32;  // c4 20 + digest
} // namespace

bool encoded_hash_matches(std::string_view encoded, const hash256& hash) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(encoded.data());
  const std::size_t n = encoded.size();
  if (n < 1 + hash_field_bytes || b[0] != array10_header || b[n - hash_field_bytes] != bin8_marker ||
      b[n - hash_field_bytes + 1] != 32) {
    return false;
  }
  crypto_generichash_state st;
  hash256 got{};
  if (crypto_generichash_init(&st, nullptr, 0, got.size()) != 0) return false;
  crypto_generichash_update(&st, &array9_header, 1);
  crypto_generichash_update(&st, b + 1, n - 1 - hash_field_bytes);
  crypto_generichash_final(&st, got.data(), got.size());
  return got == hash;
}

} // namespace sn::storage
