#include "trust/signature.hpp"

#include <sodium.h>

#include "events/assert.hpp"

namespace sn::trust {

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string signed_message(std::string_view store_id, std::string_view origin, std::uint64_t seq, const hash256& hash) {
  SN_ASSERT(store_id.size() <= 255 && origin.size() <= 255, "signed message fields fit their u8 length");
  std::string m;
  m.reserve(signature_domain.size() + 2 + store_id.size() + origin.size() + 8 + hash.size());
  m.append(signature_domain);
  m.push_back(static_cast<char>(store_id.size()));
  m.append(store_id);
  m.push_back(static_cast<char>(origin.size()));
  m.append(origin);
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<char>((seq >> (8 * i)) & 0xff));
  m.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  return m;
}

signature_bytes sign(const secret_key& secret, std::string_view store_id, std::string_view origin, std::uint64_t seq,
                     const hash256& hash) {
  const std::string m = signed_message(store_id, origin, seq, hash);
  signature_bytes sig{};
  [[maybe_unused]] const int rc = crypto_sign_detached(
      sig.data(), nullptr, reinterpret_cast<const unsigned char*>(m.data()), m.size(), secret.data());
  SN_ASSERT(rc == 0, "crypto_sign_detached cannot fail");
  return sig;
}

bool verify(const public_key& key, const signature_bytes& sig, std::string_view store_id, std::string_view origin,
            std::uint64_t seq, const hash256& hash) {
  const std::string m = signed_message(store_id, origin, seq, hash);
  return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                                     key.data()) == 0;
}

std::optional<public_key> parse_public_key_hex(std::string_view hex) {
  public_key k{};
  if (hex.size() != 2 * k.size()) return std::nullopt;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]);
    const int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    k[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return k;
}

std::string to_hex(const signature_bytes& sig) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(2 * sig.size());
  for (auto b : sig) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 0xf]);
  }
  return s;
}

}  // namespace sn::trust
