// LtHash16 and the bucketed digests (actors/projections/lthash.hpp).
// Each test says what property of a multiset hash it proves; the known-answer
// test pins the byte format that docs/protocol.md §6 specifies.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "actors/projections/lthash.hpp"

#include <sodium.h>

namespace {

using sn::projections::digest_bucket_count;
using sn::projections::digest_buckets;
using sn::projections::lthash16;
using sn::projections::lthash_bytes;
using sn::projections::lthash_element;
using sn::projections::lthash_element_of;
using sn::projections::lthash_element_of_seed;
using sn::projections::lthash_lanes;
using sn::projections::lthash_seed;

using row = std::pair<std::string, std::string>;

std::vector<row> sample_rows(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<row> rows;
  for (std::size_t i = 0; i < n; ++i) {
    std::string value(rng() % 120, '\0');
    for (auto& c : value) c = static_cast<char>(rng());
    rows.emplace_back("sku:" + std::to_string(i), std::move(value));
  }
  return rows;
}

lthash16 hash_of(const std::vector<row>& rows) {
  lthash16 h;
  for (const auto& [k, v] : rows) h.add(k, v);
  return h;
}

// Order independence: any permutation of the same adds gives the same state
// and digest (the fold may apply rows in any order of origins).
TEST(lthash, order_independent_over_random_permutations) {
  auto rows = sample_rows(200, 1);
  const lthash16 reference = hash_of(rows);
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(rows.begin(), rows.end(), rng);
    const lthash16 h = hash_of(rows);
    EXPECT_EQ(h, reference) << "permutation " << round;
    EXPECT_EQ(h.digest_hex(), reference.digest_hex());
  }
}

// Interleaved adds and removes in any order land on the multiset's state.
TEST(lthash, interleaved_removes_commute) {
  const auto keep = sample_rows(50, 2);
  const auto gone = sample_rows(30, 3);
  lthash16 a;
  for (const auto& [k, v] : gone) a.add(k, v + "x");
  for (const auto& [k, v] : keep) a.add(k, v);
  for (const auto& [k, v] : gone) a.remove(k, v + "x");
  lthash16 b;
  for (std::size_t i = 0; i < gone.size(); ++i) {
    b.remove(gone[i].first, gone[i].second + "x");  // a remove before its add: still commutes
    if (i < keep.size()) b.add(keep[i].first, keep[i].second);
  }
  for (std::size_t i = gone.size(); i < keep.size(); ++i) b.add(keep[i].first, keep[i].second);
  for (const auto& [k, v] : gone) b.add(k, v + "x");
  EXPECT_EQ(a, hash_of(keep));
  EXPECT_EQ(b, hash_of(keep));
}

// add then remove restores the previous state exactly (here: the empty set).
TEST(lthash, add_then_remove_restores) {
  lthash16 h;
  const lthash16 empty = h;
  EXPECT_TRUE(h.empty());
  h.add("k", "v");
  EXPECT_FALSE(h.empty());
  h.remove("k", "v");
  EXPECT_EQ(h, empty);
  EXPECT_TRUE(h.empty());

  lthash16 base = hash_of(sample_rows(10, 4));
  lthash16 g = base;
  g.add("extra", "row");
  EXPECT_NE(g, base);
  g.remove("extra", "row");
  EXPECT_EQ(g, base);
}

// A multiset, not a set: the same row twice differs from once (XOR of hashes
// would cancel to the empty set here).
TEST(lthash, multiset_counts_duplicates) {
  lthash16 once;
  once.add("k", "v");
  lthash16 twice = once;
  twice.add("k", "v");
  EXPECT_NE(twice, once);
  EXPECT_FALSE(twice.empty());
  lthash16 doubled = once;
  doubled += once;
  EXPECT_EQ(doubled, twice);
  twice.remove("k", "v");
  EXPECT_EQ(twice, once);
}

// The row is the pair: another value under one key, or the same bytes split
// differently between key and value (the length prefix), is another element.
TEST(lthash, rows_are_key_value_pairs) {
  lthash16 a, b, c, d;
  a.add("sku:1", "10");
  b.add("sku:1", "11");
  c.add("sku:11", "0");
  d.add("sku:1", "");
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a.digest_hex(), b.digest_hex());
  lthash16 e;
  e.add("", "sku:1");
  EXPECT_NE(d, e);
}

// += and -= are the multiset union and difference.
TEST(lthash, state_arithmetic) {
  const auto r1 = sample_rows(40, 5);
  const auto r2 = sample_rows(25, 6);
  std::vector<row> both = r1;
  for (const auto& [k, v] : r2) both.emplace_back(k + "'", v);
  std::vector<row> r2p;
  for (const auto& [k, v] : r2) r2p.emplace_back(k + "'", v);
  const lthash16 h1 = hash_of(r1), h2 = hash_of(r2p), all = hash_of(both);
  EXPECT_EQ(h1 + h2, all);
  EXPECT_EQ(all - h2, h1);
  EXPECT_EQ(all - all, lthash16{});
  lthash16 self = h1;
  self += self;  // aliasing is safe
  EXPECT_EQ(self, h1 + h1);
  self -= self;
  EXPECT_TRUE(self.empty());
}

TEST(lthash, serialise_and_parse_round_trip) {
  const lthash16 h = hash_of(sample_rows(20, 8));
  const std::string bytes = h.serialize();
  ASSERT_EQ(bytes.size(), lthash_bytes);
  auto back = lthash16::parse(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, h);
  EXPECT_EQ(back->digest_hex(), h.digest_hex());
  EXPECT_FALSE(lthash16::parse(bytes.substr(1)).has_value());
  EXPECT_FALSE(lthash16::parse(bytes + "x").has_value());
  // Lane i is bytes 2i, 2i+1 little-endian.
  EXPECT_EQ(h.lane(3), static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[6]) |
                                                  (static_cast<unsigned char>(bytes[7]) << 8)));
}

// Known answers: pin the element hash, the lane order, the digest and the
// bucket choice (docs/protocol.md §6 gives the same vectors for an outside
// verifier). The values come from lthash_reference.py beside this file, an
// independent implementation of the spec (Python hashlib + cryptography). A change here is a format change: new personalisation, new version.
// The expansion runs on OpenSSL's ChaCha20 (faster) and falls back to
// libsodium's: both must give the IETF ChaCha20 keystream, byte for byte.
TEST(lthash, element_expansion_is_libsodiums_ietf_chacha20_keystream) {
  ASSERT_GE(sodium_init(), 0);
  std::mt19937_64 rng(20261127);
  for (int i = 0; i < 1000; ++i) {
    lthash_seed seed{};
    for (auto& b : seed) b = static_cast<std::uint8_t>(rng());
    lthash_element got{};
    lthash_element_of_seed(seed, got);
    unsigned char want[lthash_bytes];
    static const unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
    crypto_stream_chacha20_ietf(want, sizeof(want), nonce, seed.data());
    for (std::size_t lane = 0; lane < lthash_lanes; ++lane) {
      const auto expect = static_cast<std::uint16_t>(want[2 * lane] | (want[2 * lane + 1] << 8));
      ASSERT_EQ(got[lane], expect) << "seed " << i << " lane " << lane;
    }
  }
}

TEST(lthash, known_answer_vectors) {
  lthash_element e;
  lthash_element_of("sku:COFFEE", "450", e);
  lthash16 one;
  one.add(e);
  const std::string bytes = one.serialize();
  std::string head;
  static const char* hexd = "0123456789abcdef";
  for (std::size_t i = 0; i < 16; ++i) {
    head += hexd[static_cast<unsigned char>(bytes[i]) >> 4];
    head += hexd[static_cast<unsigned char>(bytes[i]) & 15];
  }
  EXPECT_EQ(head, "36e9c9393f4c7e06607334d858027a66");
  EXPECT_EQ(one.digest_hex(), "fa62d0edbb884410cae7d9599a1a9b2dc3978ccc55c2d85743a0777be7d7f711");

  lthash16 two = one;
  two.add("sku:TEA", "300");
  EXPECT_EQ(two.digest_hex(), "df710f6c9a598e9dfbbc4b43a20919bc92d0c01debea028768ee4c4f5133266d");
  EXPECT_EQ(lthash16{}.digest_hex(), "200823e5158b3774c11b5c61850ada762f8264144a9bebec3ebac5a2adde67b8");
  EXPECT_EQ(digest_buckets::bucket_of("sku:COFFEE"), 236);
  EXPECT_EQ(digest_buckets::bucket_of("sku:TEA"), 26);
}

// The bucketed total equals the unbucketed hash of the same rows, whatever the
// order and whatever updates and erases happened on the way.
TEST(digest_buckets, total_equals_unbucketed_sum) {
  digest_buckets d;
  std::map<std::string, std::string> live;
  std::mt19937 rng(11);
  for (int step = 0; step < 3000; ++step) {
    const std::string key = "k" + std::to_string(rng() % 400);
    auto it = live.find(key);
    const bool erase = it != live.end() && rng() % 4 == 0;
    std::optional<std::string> old_value;
    if (it != live.end()) old_value = it->second;
    if (erase) {
      d.change(key, old_value, std::nullopt);
      live.erase(key);
    } else {
      const std::string v = "v" + std::to_string(rng());
      d.change(key, old_value ? std::optional<std::string_view>(*old_value) : std::nullopt, v);
      live[key] = v;
    }
  }
  lthash16 flat;
  lthash16 per_bucket[digest_bucket_count];
  for (const auto& [k, v] : live) {
    flat.add(k, v);
    per_bucket[digest_buckets::bucket_of(k)].add(k, v);
  }
  EXPECT_EQ(d.total(), flat);
  EXPECT_EQ(d.sum_of_buckets(), flat);
  for (std::size_t i = 0; i < digest_bucket_count; ++i) EXPECT_EQ(d.bucket(i), per_bucket[i]) << "bucket " << i;
}

// change() touches only the key's bucket, and a no-op change touches nothing.
TEST(digest_buckets, change_touches_one_bucket) {
  digest_buckets d;
  d.change("a", std::nullopt, "1");
  const digest_buckets before = d;
  const auto b = d.change("sku:COFFEE", std::nullopt, "450");
  EXPECT_EQ(b, digest_buckets::bucket_of("sku:COFFEE"));
  for (std::size_t i = 0; i < digest_bucket_count; ++i) {
    if (i == b) {
      EXPECT_NE(d.bucket(i), before.bucket(i));
    } else {
      EXPECT_EQ(d.bucket(i), before.bucket(i));
    }
  }
  const lthash16 t = d.total();
  d.change("sku:COFFEE", std::string_view("450"), std::string_view("450"));
  EXPECT_EQ(d.total(), t);
  d.change("sku:COFFEE", std::string_view("450"), std::nullopt);
  EXPECT_EQ(d.total(), before.total());
}

// Buckets stored and loaded back give the same total (start-up path).
TEST(digest_buckets, load_buckets_restores_total) {
  digest_buckets d;
  for (const auto& [k, v] : sample_rows(500, 12)) d.change(k, std::nullopt, v);
  digest_buckets restored;
  for (std::size_t i = 0; i < digest_bucket_count; ++i) ASSERT_TRUE(restored.load_bucket(i, d.serialize_bucket(i)));
  EXPECT_EQ(restored.total(), d.total());
  EXPECT_FALSE(restored.load_bucket(0, "short"));
  EXPECT_EQ(restored.total(), d.total());
  restored.clear();
  EXPECT_TRUE(restored.total().empty());
}

// Keys spread over the buckets (a sanity check of the bucket function, not a
// statistical test): 20,000 keys fill every bucket, none above 3x the mean.
TEST(digest_buckets, keys_spread_over_buckets) {
  std::vector<int> count(digest_bucket_count, 0);
  constexpr int keys = 20000;
  for (int i = 0; i < keys; ++i) ++count[digest_buckets::bucket_of("sale:POS1:" + std::to_string(i))];
  const int mean = keys / static_cast<int>(digest_bucket_count);
  for (std::size_t i = 0; i < digest_bucket_count; ++i) {
    EXPECT_GT(count[i], 0) << "bucket " << i;
    EXPECT_LT(count[i], 3 * mean) << "bucket " << i;
  }
}

} // namespace
