// encoded_hash_matches agrees with sn::compute_hash / sn::verify_hash.
#include <random>

#include <gtest/gtest.h>

#include "events/codec.hpp"
#include "storage/hash_check.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage::test {
namespace {

// Proves: over events of every header width (payloads of 0 .. 70000 bytes,
// short and long origins, small and huge integers) the check from encoded
// bytes accepts exactly what verify_hash accepts.
TEST(hash_check, agrees_with_the_codec) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::size_t payload_sizes[] = {0, 1, 31, 32, 255, 256, 65535, 65536, 70000};
  const std::string origins[] = {"A", std::string(31, 'o'), std::string(32, 'p'), std::string(64, 'q')};
  for (std::size_t size : payload_sizes) {
    for (const auto& origin : origins) {
      event e = chain(origin).next();
      e.seq = origin_seq{rng()};
      e.hlc = hlc_timestamp{rng() >> (rng() % 64)};
      e.term = term_id{rng() % 300};
      e.payload.assign(size, static_cast<char>(rng()));
      for (auto& b : e.prev_hash) b = static_cast<std::uint8_t>(rng());
      seal(e);
      const std::string bytes = encode(e);
      EXPECT_TRUE(encoded_hash_matches(bytes, e.hash)) << "payload " << size << " origin " << origin;
      event bad = e;
      bad.hash[rng() % 32] ^= 1;
      EXPECT_FALSE(verify_hash(bad));
      EXPECT_FALSE(encoded_hash_matches(encode(bad), bad.hash));
      if (size > 0) {
        std::string flipped = bytes;
        flipped[flipped.size() - 40] ^= 0x20;  // inside the canonical part
        EXPECT_FALSE(encoded_hash_matches(flipped, e.hash));
      }
    }
  }
  EXPECT_FALSE(encoded_hash_matches("", hash256{}));
  EXPECT_FALSE(encoded_hash_matches(std::string(40, '\x9a'), hash256{}));
}

} // namespace
} // namespace sn::storage::test
