#include "events/errc.hpp"

namespace sn::events {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::truncated: return "truncated";
    case errc::malformed: return "malformed";
    case errc::too_large: return "too_large";
    case errc::unsupported_format: return "unsupported_format";
    case errc::hash_mismatch: return "hash_mismatch";
    case errc::wrong_type: return "wrong_type";
    case errc::invalid: return "invalid";
    case errc::invalid_time_zone: return "invalid_time_zone";
  }
  return "unknown";
}

sn::error make_error(errc e, std::string message) {
  return sn::error{"events", static_cast<int>(e), std::string(to_string(e)) + ": " + message};
}

} // namespace sn::events
