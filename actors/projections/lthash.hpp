// LtHash16: an incremental, order-independent multiset hash of a projection's
// rows (ARCHITECTURE.md §5, issue 12 item 4), and the 256 bucketed sub-digests
// that let two nodes find which keys differ.
//
// Contract
// - Pure: no I/O, no clock, no allocation on the add/remove path; libsodium
//   (BLAKE2b) and OpenSSL 3's ChaCha20 (the expansion; libsodium's when it fails).
//   Every function is deterministic across hosts (byte order fixed below).
// - Thread safety: none of its own; a value type (one owner at a time).
// - The byte format (element hash, lane order, digest, bucket choice) is pinned by
//   a known-answer test (tests/unit/projections/lthash_test.cpp) and specified in
//   docs/protocol.md §6 so that an outside verifier can recompute a digest. Any
//   change to it is a new personalisation string and a new format version.
//
// Construction (Lewi, Kim, Maykov, Weis, "Securing Update Propagation with
// Homomorphic Hashing", IACR ePrint 2019/227, LtHash16 with n = 1024)
// - A state is 1024 lanes of uint16; the hash of a multiset is the lane-wise sum
//   mod 2^16 of its elements' hashes. Adding and removing an element is adding and
//   subtracting its hash, so the state depends only on the multiset, not on the
//   order of updates, and an element added twice counts twice.
// - Element hash: the paper expands each element with the XOF BLAKE2xb to 2048
//   bytes. libsodium has no XOF, so we use the standard extract-then-expand
//   construction: seed = BLAKE2b-256(personal "sn.lthash16.v1", no key) of
//   (u32 key length, big-endian || key || value), then the 2048 bytes are the
//   ChaCha20 keystream (IETF variant, 96-bit zero nonce, counter from 0) under
//   that seed as the key. Lane i is bytes 2i, 2i+1 read little-endian.
//
// Security argument (why this qualifies where XOR does not)
// - The paper proves LtHash16 with n = 1024 collision resistant under the
//   Short Integer Solution problem, with >= 200 bits of security, when the
//   element hash is a random oracle into Z_{2^16}^1024.
// - Our element hash is a PRG (ChaCha20, a standard 256-bit-key stream cipher)
//   seeded by a 256-bit collision-resistant hash (BLAKE2b-256). Finding two
//   different rows with the same element hash needs a BLAKE2b-256 collision
//   (2^128 work); distinguishing the expansion from random breaks ChaCha20. So
//   the element hash is as good as BLAKE2xb for this use and the bound holds up
//   to the 128-bit collision level of the seed hash.
// - The length prefix makes (key, value) -> element injective: ("ab","c") and
//   ("a","bc") are different elements.
// - XOR of element hashes (what the earlier digest did) is NOT a multiset hash:
//   an element added twice cancels, and because XOR is linear over GF(2), a
//   forger solves a linear system (Gaussian elimination over a few hundred
//   candidate rows) to reach any target digest in polynomial time. Never use it.
// - The short printable digest is BLAKE2b-256 of the 2048 state bytes (hex): a
//   commitment to the full state, for display and comparison. Compare states or
//   digests, never a truncated prefix.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sn::projections {

/// Lanes of an LtHash16 state (the paper's n).
constexpr std::size_t lthash_lanes = 1024;
/// Bytes of an LtHash16 state and of one element hash (1024 x uint16).
constexpr std::size_t lthash_bytes = lthash_lanes * 2;
/// Bytes of the short digest (BLAKE2b-256 of the state bytes).
constexpr std::size_t lthash_digest_bytes = 32;
/// BLAKE2b personalisation of the element seed (16 bytes, zero-padded).
constexpr std::string_view lthash_element_personal = "sn.lthash16.v1";
/// BLAKE2b personalisation of the bucket choice (16 bytes, zero-padded).
constexpr std::string_view lthash_bucket_personal = "sn.lthash.bkt.v1";

/// The 2048-byte element hash of one row (key, value); see the header.
using lthash_element = std::array<std::uint16_t, lthash_lanes>;

/// The 32-byte seed an element hash is expanded from: BLAKE2b-256 (personal
/// lthash_element_personal) of (u32 BE key length || key || value). A row's
/// seed stands for its element hash (the expansion is deterministic), so a
/// digest journal (digest_journal.hpp) stores seeds, not 2 KiB elements.
using lthash_seed = std::array<std::uint8_t, 32>;
lthash_seed lthash_seed_of(std::string_view key, std::string_view value) noexcept;
/// Expands a seed to its element hash (ChaCha20 keystream, host-order lanes).
void lthash_element_of_seed(const lthash_seed& seed, lthash_element& out) noexcept;

/// Computes the element hash of the row (key, value) into `out` (host-order lanes).
void lthash_element_of(std::string_view key, std::string_view value, lthash_element& out) noexcept;

/// A multiset hash of rows: 1024 lanes of uint16, added lane-wise mod 2^16.
/// Default-constructed: the empty multiset (all zero).
class lthash16 {
public:
  lthash16() noexcept { lanes_.fill(0); }

  /// Adds the row (key, value) to the multiset.
  void add(std::string_view key, std::string_view value) noexcept;
  /// Removes the row (key, value) (one copy). Removing a row never added gives
  /// a state that no multiset of rows has; that is the caller's bookkeeping bug.
  void remove(std::string_view key, std::string_view value) noexcept;
  /// Adds / subtracts a precomputed element hash (saves re-hashing when the same
  /// row goes into two states, e.g. a bucket and the total).
  void add(const lthash_element& e) noexcept;
  void remove(const lthash_element& e) noexcept;

  /// Multiset union / difference of the states.
  lthash16& operator+=(const lthash16& o) noexcept;
  lthash16& operator-=(const lthash16& o) noexcept;
  friend lthash16 operator+(lthash16 a, const lthash16& b) noexcept { return a += b; }
  friend lthash16 operator-(lthash16 a, const lthash16& b) noexcept { return a -= b; }
  friend bool operator==(const lthash16& a, const lthash16& b) noexcept { return a.lanes_ == b.lanes_; }
  friend bool operator!=(const lthash16& a, const lthash16& b) noexcept { return !(a == b); }

  /// True for the state of the empty multiset.
  bool empty() const noexcept;
  /// BLAKE2b-256 of serialize() (the short digest).
  std::array<std::uint8_t, lthash_digest_bytes> digest() const noexcept;
  /// digest() as 64 lower-case hex characters.
  std::string digest_hex() const;
  /// The 2048 state bytes: lane 0 first, each lane little-endian.
  std::string serialize() const;
  /// The state of serialize()'s bytes; nullopt unless exactly lthash_bytes long.
  static std::optional<lthash16> parse(std::string_view bytes) noexcept;

  /// Lane i (tests).
  std::uint16_t lane(std::size_t i) const noexcept { return lanes_[i]; }

private:
  std::array<std::uint16_t, lthash_lanes> lanes_;
};

/// Buckets of digest_buckets.
constexpr std::size_t digest_bucket_count = 256;

/// One element added to or removed from a bucket: what a digest journal
/// records per changed row (digest_journal.hpp).
struct digest_change {
  std::uint8_t bucket = 0;
  bool add = false;  ///< false: removed
  lthash_seed seed{};
  friend bool operator==(const digest_change& a, const digest_change& b) noexcept {
    return a.bucket == b.bucket && a.add == b.add && a.seed == b.seed;
  }
};

/// A projection's digest as 256 LtHash16 sub-digests, one per key bucket, plus
/// their sum (the projection's digest). A row lives in bucket
/// bucket_of(key) = first byte of BLAKE2b-256(personal lthash_bucket_personal) of
/// the key, so a key keeps its bucket whatever its value and two nodes whose
/// totals differ descend only into the buckets that differ (storectl diff).
///
/// 256 x 2 KiB = 512 KiB per projection, on the heap; copyable (a deep copy). The total is kept up to
/// date with every change (two lane-wise adds), so total() is O(1).
class digest_buckets {
public:
  digest_buckets();

  /// The bucket of a key.
  static std::uint8_t bucket_of(std::string_view key) noexcept;

  /// The row at `key` changes from `old_value` (nullopt: there was none) to
  /// `new_value` (nullopt: it is erased). Returns the bucket it touched, so the
  /// caller writes that bucket in the same batch as the row.
  /// When `made` is given, the element changes are appended to it (a
  /// removal before an addition), so that replaying them with apply() on the
  /// digest of before gives this one.
  std::uint8_t change(std::string_view key, std::optional<std::string_view> old_value,
                      std::optional<std::string_view> new_value, std::vector<digest_change>* made = nullptr);

  /// Adds or removes one recorded element (a journal's replay).
  void apply(const digest_change& c) noexcept;
  /// apply() to the bucket only, leaving total() behind until
  /// recompute_total(): threads may apply changes of different buckets at
  /// once (a bulk fold shares its element hashes out by bucket).
  void apply_to_bucket(const digest_change& c) noexcept;
  /// total() = the sum of the buckets again (256 lane-wise adds).
  void recompute_total() noexcept { total_ = sum_of_buckets(); }

  /// Sub-digest of bucket i (i < digest_bucket_count).
  const lthash16& bucket(std::size_t i) const noexcept { return buckets_[i]; }
  /// The sum of every bucket: the digest of all rows.
  const lthash16& total() const noexcept { return total_; }
  /// Sum of the buckets recomputed from scratch (checks total(); tests).
  lthash16 sum_of_buckets() const noexcept;

  /// Bucket i's 2048 bytes (lthash16::serialize), to store beside the rows.
  std::string serialize_bucket(std::size_t i) const { return bucket(i).serialize(); }
  /// Replaces bucket i with stored bytes (at start-up); false when `bytes` is not
  /// an lthash16 state (nothing changes). The total follows.
  bool load_bucket(std::size_t i, std::string_view bytes) noexcept;

  /// Every bucket empty again.
  void clear() noexcept;

private:
  std::vector<lthash16> buckets_;  ///< digest_bucket_count of them
  lthash16 total_;
};

} // namespace sn::projections
