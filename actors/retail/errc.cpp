#include "actors/retail/errc.hpp"

namespace sn::retail {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::invalid_checkpoint: return "invalid_checkpoint";
    case errc::settings_mismatch: return "settings_mismatch";
    case errc::invalid_record: return "invalid_record";
  }
  return "unknown";
}

sn::error make_error(errc e, std::string message) {
  return sn::error{"retail", static_cast<int>(e), std::string(to_string(e)) + ": " + message};
}

} // namespace sn::retail
