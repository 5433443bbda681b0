// CURVE key helpers (Z85 text keys, 40 characters).
#pragma once

#include <string>

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

} // namespace sn::broker
