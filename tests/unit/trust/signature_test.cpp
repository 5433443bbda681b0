// trust/signature: the signed bytes are exactly those of docs/protocol.md 1.7
// (a known answer PyNaCl reproduces: check_signature.py), a signature verifies
// only for its own store, origin, seq and hash, and when a writer signs.
#include <gtest/gtest.h>

#include <sodium.h>

#include "trust/signature.hpp"

namespace {

using namespace sn::trust;

struct known_key {
  public_key pub{};
  secret_key secret{};
};

known_key seeded_key() {
  unsigned char seed[32];
  for (int i = 0; i < 32; ++i) seed[i] = static_cast<unsigned char>(i);
  known_key k;
  EXPECT_EQ(sodium_init() >= 0, true);
  crypto_sign_seed_keypair(k.pub.data(), k.secret.data(), seed);
  return k;
}

sn::hash256 filled(std::uint8_t b) {
  sn::hash256 h;
  h.fill(b);
  return h;
}

const std::string store = "0123456789abcdef0123456789abcdef";

TEST(signature, signed_bytes_follow_the_documented_layout) {
  const std::string m = signed_message(store, "POS1", 257, filled(0xab));
  ASSERT_EQ(m.size(), 29u + 1 + 32 + 1 + 4 + 8 + 32);
  EXPECT_EQ(m.substr(0, 29), "storenode/origin-signature/v1");
  EXPECT_EQ(static_cast<unsigned char>(m[29]), 32u);
  EXPECT_EQ(m.substr(30, 32), store);
  EXPECT_EQ(static_cast<unsigned char>(m[62]), 4u);
  EXPECT_EQ(m.substr(63, 4), "POS1");
  EXPECT_EQ(m.substr(67, 8), std::string("\0\0\0\0\0\0\x01\x01", 8));  // 257 big-endian
  EXPECT_EQ(m.substr(75), std::string(32, '\xab'));
}

TEST(signature, known_answer_matches_pynacl) {
  const known_key k = seeded_key();
  EXPECT_EQ(sn::to_hex(sn::hash256(k.pub)), "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  const auto sig = sign(k.secret, store, "POS1", 257, filled(0xab));
  EXPECT_EQ(to_hex(sig),
            "713187fad7c8aac19783fe997d44425fd5bb9f352072aec7c9425533a44f7f82"
            "868e28e06833d6c16e78d21e5d5510c3e929bfb1fd2b906ec95b721e704cbd0e");
  EXPECT_TRUE(verify(k.pub, sig, store, "POS1", 257, filled(0xab)));
}

TEST(signature, verifies_only_its_own_store_origin_seq_and_hash) {
  const known_key k = seeded_key();
  const auto sig = sign(k.secret, store, "POS1", 9, filled(1));
  EXPECT_TRUE(verify(k.pub, sig, store, "POS1", 9, filled(1)));
  EXPECT_FALSE(verify(k.pub, sig, "another-store", "POS1", 9, filled(1)));
  EXPECT_FALSE(verify(k.pub, sig, store, "POS2", 9, filled(1)));
  EXPECT_FALSE(verify(k.pub, sig, store, "POS1", 10, filled(1)));  // replayed at another seq
  EXPECT_FALSE(verify(k.pub, sig, store, "POS1", 9, filled(2)));
  auto flipped = sig;
  flipped[5] ^= 1;
  EXPECT_FALSE(verify(k.pub, flipped, store, "POS1", 9, filled(1)));
  public_key other{};
  secret_key other_secret{};
  crypto_sign_keypair(other.data(), other_secret.data());
  EXPECT_FALSE(verify(other, sig, store, "POS1", 9, filled(1)));
}

TEST(signature, a_writer_signs_the_last_event_of_a_batch_and_every_interval) {
  EXPECT_TRUE(signs_seq(3, true));
  EXPECT_FALSE(signs_seq(3, false));
  EXPECT_TRUE(signs_seq(signature_interval_events, false));
  EXPECT_TRUE(signs_seq(2 * signature_interval_events, false));
  EXPECT_FALSE(signs_seq(signature_interval_events + 1, false));
}

TEST(signature, public_key_hex_parses_and_rejects_garbage) {
  const known_key k = seeded_key();
  auto parsed = parse_public_key_hex("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, k.pub);
  EXPECT_FALSE(parse_public_key_hex("03a1"));
  EXPECT_FALSE(parse_public_key_hex(std::string(64, 'g')));
}

}  // namespace
