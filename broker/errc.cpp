#include "broker/errc.hpp"

namespace sn::broker {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::invalid_address: return "invalid_address";
    case errc::bind_failed: return "bind_failed";
    case errc::invalid_option: return "invalid_option";
    case errc::curve_unavailable: return "curve_unavailable";
    case errc::invalid_key: return "invalid_key";
    case errc::zmq_failure: return "zmq_failure";
  }
  return "unknown";
}

sn::error make_error(errc e, std::string message) {
  return sn::error{"broker", static_cast<int>(e), std::move(message)};
}

} // namespace sn::broker
