#include "actors/election/errc.hpp"

namespace sn::election {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::invalid_config: return "invalid_config";
    case errc::malformed: return "malformed";
    case errc::unsupported_version: return "unsupported_version";
    case errc::unknown_device: return "unknown_device";
    case errc::not_live: return "not_live";
    case errc::no_master: return "no_master";
    case errc::busy: return "busy";
    case errc::stopped: return "stopped";
  }
  return "unknown";
}

sn::error make_error(errc e, std::string message) {
  return sn::error{"election", static_cast<int>(e), std::string(to_string(e)) + ": " + message};
}

} // namespace sn::election
