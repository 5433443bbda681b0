// Origin signatures (ARCHITECTURE.md §9 "Origins", docs/protocol.md §1.7).
//
// Contract
// - A device signs its own chain: an Ed25519 signature (libsodium
//   crypto_sign_detached) over signed_message(store id, origin, seq, hash) of
//   one of its events. Because each event's hash covers the previous hash, a
//   valid signature at seq s vouches for every event of that origin up to s.
// - The signed bytes are fixed here and in docs/protocol.md §1.7 so that an
//   outside verifier (libsodium, PyNaCl) checks them from that page alone.
// - Pure functions; thread-safe. Secret keys are only read, never copied or logged.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/types.hpp"

namespace sn::trust {

/// First bytes of every signed message (ASCII, no terminator). Bump the "v1"
/// on any change of the layout below; never reuse a tag.
inline constexpr std::string_view signature_domain = "storenode/origin-signature/v1";

using public_key = std::array<std::uint8_t, 32>;  ///< Ed25519 public key
using secret_key = std::array<std::uint8_t, 64>;  ///< libsodium Ed25519 secret key (seed + public)
using signature_bytes = std::array<std::uint8_t, 64>;

/// An origin's signature over its event at `seq` (stored in the log, carried by sync).
struct origin_signature {
  std::string origin;
  std::uint64_t seq = 0;
  signature_bytes sig{};
  bool operator==(const origin_signature& o) const { return origin == o.origin && seq == o.seq && sig == o.sig; }
};

/// Besides the last own event of every commit batch, a writer signs every seq
/// that is a multiple of this, so that any run of this many consecutive events
/// holds a signature (catch-up batches cut anywhere still make progress).
inline constexpr std::uint64_t signature_interval_events = 256;

/// True when a writer signs its own event `seq` (`last_of_batch`: the last own
/// event of its commit batch).
constexpr bool signs_seq(std::uint64_t seq, bool last_of_batch) noexcept {
  return last_of_batch || seq % signature_interval_events == 0;
}

/// The signed bytes:
///   signature_domain (29 bytes) || u8 len(store_id) || store_id
///   || u8 len(origin) || origin || u64 big-endian seq || hash (32 bytes)
/// store_id and origin are at most 255 bytes (asserted: a device id is at most 64).
std::string signed_message(std::string_view store_id, std::string_view origin, std::uint64_t seq, const hash256& hash);

/// Ed25519 detached signature of signed_message(...).
signature_bytes sign(const secret_key& secret, std::string_view store_id, std::string_view origin, std::uint64_t seq,
                     const hash256& hash);

/// True when `sig` is `key`'s valid signature of signed_message(...).
[[nodiscard]] bool verify(const public_key& key, const signature_bytes& sig, std::string_view store_id,
                          std::string_view origin, std::uint64_t seq, const hash256& hash);

/// A 64-character hex public key (as device.enrolled carries it); nullopt when malformed.
std::optional<public_key> parse_public_key_hex(std::string_view hex);

/// Lower-case hex of a signature (tools, tests).
std::string to_hex(const signature_bytes& sig);

}  // namespace sn::trust
