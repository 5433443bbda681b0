// CURVE key helpers (Z85 text keys, 40 characters).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "broker/errc.hpp"

namespace sn::broker {

struct curve_keypair {
  std::string public_key;  ///< Z85, 40 chars: give it to peers (allow-lists, peer_public_keys)
  std::string secret_key;  ///< Z85, 40 chars: keep it on the device only
};

/// A fresh key pair (zmq_curve_keypair). Fails if libzmq lacks CURVE.
[[nodiscard]] sn::expected<curve_keypair> generate_curve_keypair();

/// The public key of a Z85 secret key (zmq_curve_public).
[[nodiscard]] sn::expected<std::string> curve_public_key(const std::string& secret_key);

/// True if `key` is 40 characters of the Z85 alphabet.
bool is_z85_key(const std::string& key) noexcept;

/// Z85 text (40 characters) of a 32-byte key.
std::string z85_of_key(const std::uint8_t* key32);

/// The ZAP handler's decision (pure, docs/protocol.md 2.5): a client is
/// admitted only over CURVE and only with a key of an enrolled, unrevoked
/// member; NULL/PLAIN (a plaintext peer) and unknown keys are refused.
enum class zap_verdict : std::uint8_t { admit = 0, not_curve = 1, unknown_key = 2 };
zap_verdict zap_decide(std::string_view mechanism, const std::string& client_key,
                       const std::unordered_set<std::string>& members) noexcept;
const char* to_string(zap_verdict v) noexcept;

} // namespace sn::broker
