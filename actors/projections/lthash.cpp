#include "actors/projections/lthash.hpp"

#include <cstring>
#include <limits>

#include <openssl/evp.h>
#include <sodium.h>

#include "events/assert.hpp"

namespace sn::projections {

namespace {

static_assert(sizeof(lthash_element) == lthash_bytes, "an element hash is exactly the state's bytes");
static_assert(lthash_element_personal.size() <= crypto_generichash_blake2b_PERSONALBYTES);
static_assert(lthash_bucket_personal.size() <= crypto_generichash_blake2b_PERSONALBYTES);

constexpr bool host_little_endian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

/// libsodium picks its fastest ChaCha20 and BLAKE2b code (AVX2, SSSE3) in
/// sodium_init(); without it the portable reference code runs. Idempotent and
/// thread-safe; done once per process, on first use.
void ensure_sodium() noexcept {
  static const bool ready = sodium_init() >= 0;
  SN_ASSERT(ready, "libsodium initialises");
}

/// A 16-byte BLAKE2b personalisation from a short ASCII tag (zero-padded).
struct personal16 {
  unsigned char bytes[crypto_generichash_blake2b_PERSONALBYTES] = {};
  explicit personal16(std::string_view tag) noexcept { std::memcpy(bytes, tag.data(), tag.size()); }
};

const personal16& element_personal() noexcept {
  static const personal16 p{lthash_element_personal};
  return p;
}
const personal16& bucket_personal() noexcept {
  static const personal16 p{lthash_bucket_personal};
  return p;
}

/// Lanes are stored little-endian; on a big-endian host swap each one.
void lanes_from_le(std::uint16_t* lanes) noexcept {
  if constexpr (!host_little_endian) {
    for (std::size_t i = 0; i < lthash_lanes; ++i) lanes[i] = static_cast<std::uint16_t>((lanes[i] >> 8) | (lanes[i] << 8));
  }
}

// The lane loops: plain uint16 loops over fixed-size arrays, which GCC and
// Clang turn into 16- or 32-lane vector adds at -O2 (paddw / vpaddw; see
// docs/benchmarks.md "LtHash"). Wrapping is the mod 2^16 of the construction.
void add_lanes(std::uint16_t* __restrict a, const std::uint16_t* __restrict b) noexcept {
  for (std::size_t i = 0; i < lthash_lanes; ++i) a[i] = static_cast<std::uint16_t>(a[i] + b[i]);
}
void sub_lanes(std::uint16_t* __restrict a, const std::uint16_t* __restrict b) noexcept {
  for (std::size_t i = 0; i < lthash_lanes; ++i) a[i] = static_cast<std::uint16_t>(a[i] - b[i]);
}

} // namespace

lthash_seed lthash_seed_of(std::string_view key, std::string_view value) noexcept {
  ensure_sodium();
  SN_ASSERT(key.size() <= std::numeric_limits<std::uint32_t>::max(), "a row key's length fits the u32 prefix");
  const auto n = static_cast<std::uint32_t>(key.size());
  const unsigned char len_be[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                                   static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  static const unsigned char salt[crypto_generichash_blake2b_SALTBYTES] = {};
  static_assert(sizeof(lthash_seed) == crypto_stream_chacha20_ietf_KEYBYTES, "the ChaCha20 key is the BLAKE2b-256 seed");
  crypto_generichash_blake2b_state st;
  lthash_seed seed{};
  crypto_generichash_blake2b_init_salt_personal(&st, nullptr, 0, seed.size(), salt, element_personal().bytes);
  crypto_generichash_blake2b_update(&st, len_be, sizeof(len_be));
  crypto_generichash_blake2b_update(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_generichash_blake2b_update(&st, reinterpret_cast<const unsigned char*>(value.data()), value.size());
  crypto_generichash_blake2b_final(&st, seed.data(), seed.size());
  return seed;
}

namespace {

/// ChaCha20 through OpenSSL 3, the same keystream as libsodium's IETF
/// variant (RFC 8439: 32-bit block counter from 0, 96-bit nonce; OpenSSL's
/// 16-byte IV is the counter, little-endian, then the nonce, all zero here)
/// but with OpenSSL's AVX-512 code where the CPU has it: 2 KiB in ~0.5 µs
/// against libsodium's ~0.9 µs on the 2-core VM (docs/benchmarks.md
/// "LtHash"), and the expansion is most of a fold's digest cost. One
/// context per thread (folds hash on two); libsodium when OpenSSL fails.
class openssl_chacha20 {
 public:
  openssl_chacha20() noexcept {
    cipher_ = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
    ctx_ = EVP_CIPHER_CTX_new();
    ok_ = cipher_ && ctx_ && EVP_EncryptInit_ex(ctx_, cipher_, nullptr, nullptr, nullptr) == 1;
  }
  ~openssl_chacha20() {
    EVP_CIPHER_CTX_free(ctx_);
    EVP_CIPHER_free(cipher_);
  }
  openssl_chacha20(const openssl_chacha20&) = delete;
  openssl_chacha20& operator=(const openssl_chacha20&) = delete;

  /// The keystream's first lthash_bytes bytes under `key`; false when OpenSSL failed.
  bool keystream(const lthash_seed& key, unsigned char* out) noexcept {
    static const unsigned char zeros[lthash_bytes] = {};
    static const unsigned char iv[16] = {};
    int n = 0;
    if (!ok_ || EVP_EncryptInit_ex(ctx_, nullptr, nullptr, key.data(), iv) != 1 ||
        EVP_EncryptUpdate(ctx_, out, &n, zeros, static_cast<int>(lthash_bytes)) != 1 || n != static_cast<int>(lthash_bytes)) {
      return false;
    }
    return true;
  }

 private:
  EVP_CIPHER* cipher_ = nullptr;
  EVP_CIPHER_CTX* ctx_ = nullptr;
  bool ok_ = false;
};

} // namespace

void lthash_element_of_seed(const lthash_seed& seed, lthash_element& out) noexcept {
  thread_local openssl_chacha20 chacha;
  if (!chacha.keystream(seed, reinterpret_cast<unsigned char*>(out.data()))) {
    ensure_sodium();
    static const unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
    crypto_stream_chacha20_ietf(reinterpret_cast<unsigned char*>(out.data()), lthash_bytes, nonce, seed.data());
  }
  lanes_from_le(out.data());
}

void lthash_element_of(std::string_view key, std::string_view value, lthash_element& out) noexcept {
  lthash_element_of_seed(lthash_seed_of(key, value), out);
}

void lthash16::add(std::string_view key, std::string_view value) noexcept {
  lthash_element e;
  lthash_element_of(key, value, e);
  add(e);
}

void lthash16::remove(std::string_view key, std::string_view value) noexcept {
  lthash_element e;
  lthash_element_of(key, value, e);
  remove(e);
}

void lthash16::add(const lthash_element& e) noexcept { add_lanes(lanes_.data(), e.data()); }
void lthash16::remove(const lthash_element& e) noexcept { sub_lanes(lanes_.data(), e.data()); }

lthash16& lthash16::operator+=(const lthash16& o) noexcept {
  if (&o == this) {
    const lthash16 copy = o;
    add_lanes(lanes_.data(), copy.lanes_.data());
  } else {
    add_lanes(lanes_.data(), o.lanes_.data());
  }
  return *this;
}

lthash16& lthash16::operator-=(const lthash16& o) noexcept {
  if (&o == this) {
    lanes_.fill(0);
  } else {
    sub_lanes(lanes_.data(), o.lanes_.data());
  }
  return *this;
}

bool lthash16::empty() const noexcept {
  std::uint16_t any = 0;
  for (auto l : lanes_) any |= l;
  return any == 0;
}

std::string lthash16::serialize() const {
  std::string out(lthash_bytes, '\0');
  if constexpr (host_little_endian) {
    std::memcpy(out.data(), lanes_.data(), lthash_bytes);
  } else {
    for (std::size_t i = 0; i < lthash_lanes; ++i) {
      out[2 * i] = static_cast<char>(lanes_[i] & 0xff);
      out[2 * i + 1] = static_cast<char>(lanes_[i] >> 8);
    }
  }
  return out;
}

std::optional<lthash16> lthash16::parse(std::string_view bytes) noexcept {
  if (bytes.size() != lthash_bytes) return std::nullopt;
  lthash16 h;
  std::memcpy(h.lanes_.data(), bytes.data(), lthash_bytes);
  lanes_from_le(h.lanes_.data());
  return h;
}

std::array<std::uint8_t, lthash_digest_bytes> lthash16::digest() const noexcept {
  ensure_sodium();
  std::array<std::uint8_t, lthash_digest_bytes> d{};
  if constexpr (host_little_endian) {
    crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(lanes_.data()), lthash_bytes,
                       nullptr, 0);
  } else {
    const std::string bytes = serialize();
    crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                       nullptr, 0);
  }
  return d;
}

std::string lthash16::digest_hex() const {
  const auto d = digest();
  std::string hex(d.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), d.data(), d.size());
  hex.pop_back();  // the terminating NUL sodium_bin2hex writes
  return hex;
}

// ---- digest_buckets ----------------------------------------------------------

digest_buckets::digest_buckets() : buckets_(digest_bucket_count) {}

std::uint8_t digest_buckets::bucket_of(std::string_view key) noexcept {
  ensure_sodium();
  static const unsigned char salt[crypto_generichash_blake2b_SALTBYTES] = {};
  unsigned char h[32];
  crypto_generichash_blake2b_salt_personal(h, sizeof(h), reinterpret_cast<const unsigned char*>(key.data()),
                                           key.size(), nullptr, 0, salt, bucket_personal().bytes);
  return h[0];
}

std::uint8_t digest_buckets::change(std::string_view key, std::optional<std::string_view> old_value,
                                    std::optional<std::string_view> new_value, std::vector<digest_change>* made) {
  const std::uint8_t b = bucket_of(key);
  if (old_value == new_value) return b;  // same row (or none) before and after
  if (old_value) {
    digest_change c{b, false, lthash_seed_of(key, *old_value)};
    apply(c);
    if (made) made->push_back(c);
  }
  if (new_value) {
    digest_change c{b, true, lthash_seed_of(key, *new_value)};
    apply(c);
    if (made) made->push_back(c);
  }
  return b;
}

void digest_buckets::apply(const digest_change& c) noexcept {
  lthash_element e;
  lthash_element_of_seed(c.seed, e);
  if (c.add) {
    buckets_[c.bucket].add(e);
    total_.add(e);
  } else {
    buckets_[c.bucket].remove(e);
    total_.remove(e);
  }
}

void digest_buckets::apply_to_bucket(const digest_change& c) noexcept {
  lthash_element e;
  lthash_element_of_seed(c.seed, e);
  if (c.add) {
    buckets_[c.bucket].add(e);
  } else {
    buckets_[c.bucket].remove(e);
  }
}

lthash16 digest_buckets::sum_of_buckets() const noexcept {
  lthash16 sum;
  for (const auto& b : buckets_) sum += b;
  return sum;
}

bool digest_buckets::load_bucket(std::size_t i, std::string_view bytes) noexcept {
  SN_ASSERT(i < digest_bucket_count, "a bucket index is below digest_bucket_count");
  auto h = lthash16::parse(bytes);
  if (!h) return false;
  total_ -= buckets_[i];
  total_ += *h;
  buckets_[i] = *h;
  return true;
}

void digest_buckets::clear() noexcept {
  for (auto& b : buckets_) b = lthash16{};
  total_ = lthash16{};
}

} // namespace sn::projections
