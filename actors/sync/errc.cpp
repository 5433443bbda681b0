#include "actors/sync/errc.hpp"

namespace sn::sync {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::malformed: return "malformed";
    case errc::unsupported_version: return "unsupported_version";
    case errc::too_large: return "too_large";
    case errc::invalid_config: return "invalid_config";
  }
  return "unknown";
}

sn::error make_error(errc e, std::string message) {
  return sn::error{"sync", static_cast<int>(e), std::string(to_string(e)) + ": " + std::move(message)};
}

} // namespace sn::sync
