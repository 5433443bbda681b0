#include "broker/curve.hpp"

#include <cstring>

#include <zmq.h>

namespace sn::broker {

namespace {
constexpr std::size_t z85_key_chars = 40;
constexpr const char* z85_alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
} // namespace

bool is_z85_key(const std::string& key) noexcept {
  if (key.size() != z85_key_chars) return false;
  for (char c : key)
    if (c == '\0' || std::strchr(z85_alphabet, c) == nullptr) return false;
  return true;
}

std::string z85_of_key(const std::uint8_t* key32) {
  char text[z85_key_chars + 1] = {};
  zmq_z85_encode(text, key32, 32);
  return text;
}

zap_verdict zap_decide(std::string_view mechanism, const std::string& client_key,
                       const std::unordered_set<std::string>& members) noexcept {
  if (mechanism != "CURVE") return zap_verdict::not_curve;
  return members.count(client_key) != 0 ? zap_verdict::admit : zap_verdict::unknown_key;
}

const char* to_string(zap_verdict v) noexcept {
  switch (v) {
    case zap_verdict::admit: return "admit";
    case zap_verdict::not_curve: return "not CURVE (a plaintext peer)";
    case zap_verdict::unknown_key: return "key of no enrolled, unrevoked device";
  }
  return "?";
}

sn::expected<curve_keypair> generate_curve_keypair() {
  if (!zmq_has("curve")) return make_error(errc::curve_unavailable, "libzmq was built without CURVE");
  char pub[z85_key_chars + 1] = {};
  char sec[z85_key_chars + 1] = {};
  if (zmq_curve_keypair(pub, sec) != 0)
    return make_error(errc::curve_unavailable, std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()));
  return curve_keypair{pub, sec};
}

sn::expected<std::string> curve_public_key(const std::string& secret_key) {
  if (!is_z85_key(secret_key)) return make_error(errc::invalid_key, "secret key is not 40 Z85 characters");
  if (!zmq_has("curve")) return make_error(errc::curve_unavailable, "libzmq was built without CURVE");
  char pub[z85_key_chars + 1] = {};
  if (zmq_curve_public(pub, secret_key.c_str()) != 0)
    return make_error(errc::invalid_key, std::string("zmq_curve_public: ") + zmq_strerror(zmq_errno()));
  return std::string(pub);
}

} // namespace sn::broker
