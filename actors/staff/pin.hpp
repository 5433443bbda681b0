// PINs: 4..8 ASCII digits, stored only as Argon2id strings
// (libsodium crypto_pwhash_str: "$argon2id$v=19$m=...,t=...,p=1$<salt>$<hash>",
// a fresh 16-byte random salt per hash, so two staff with one PIN have
// different hashes and one PIN change gives a new salt).
//
// Cost (docs/operations.md "Staff and sign-in"): opslimit 6, memlimit 32 MiB
// measured 61 ms (hash p50) / 56 ms (verify p50), max 69 ms, on the
// project's 2-core build VM at load average ~2.6 (2026-11-26). The same VM
// at load average ~10 (four parallel builds) took about 5x as long: the
// cost is memory bandwidth, so 32 MiB with more passes rather than 64 MiB
// (one verify per HTTP worker may run at once: 8 x 32 MiB at worst). A PIN has at most 10^8
// values, so the hash alone cannot protect it from someone holding the log;
// what it buys is cost per guess (10^4 four-digit guesses ≈ 12 core-minutes
// each staff id, per-staff salts so no precomputation), and the online
// defence is the lockout (lockout.hpp). Verification reads the parameters
// from the stored string, so raising them later keeps old hashes working.
//
// Thread safety: all functions are reentrant (libsodium is initialised once).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sn::staff {

constexpr std::size_t pin_length_min = 4;
constexpr std::size_t pin_length_max = 8;

/// Argon2id cost. Defaults: see above; bounds are libsodium's.
struct pin_cost {
  std::uint64_t opslimit = 6;                  ///< passes (crypto_pwhash_OPSLIMIT_MIN = 1)
  std::size_t memlimit_bytes = 32u << 20;      ///< 32 MiB (crypto_pwhash_MEMLIMIT_MIN = 8 KiB)
};

/// True for 4..8 ASCII digits.
bool valid_pin(std::string_view pin) noexcept;

/// The Argon2id string of `pin` with a fresh random salt; nullopt when
/// libsodium fails (out of memory). `pin` must be valid_pin (asserted).
std::optional<std::string> hash_pin(std::string_view pin, const pin_cost& cost = {});

/// True when `pin` matches `hash` (an Argon2id string from hash_pin). False
/// for an empty or malformed hash. Constant-time in the PIN's bytes.
bool verify_pin(const std::string& hash, std::string_view pin) noexcept;

/// True when `s` looks like an Argon2id string (what a staff row may hold).
bool looks_like_pin_hash(std::string_view s) noexcept;

}  // namespace sn::staff
