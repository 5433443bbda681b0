#include "storage/errc.hpp"

#include "storage/event_log.hpp"

namespace sn::storage {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::io: return "io";
    case errc::locked: return "locked";
    case errc::corrupt: return "corrupt";
    case errc::not_found: return "not_found";
    case errc::invalid_argument: return "invalid_argument";
    case errc::read_only: return "read_only";
    case errc::exists: return "exists";
  }
  return "unknown";
}

sn::error make_error(errc e, std::string message) {
  return sn::error{"storage", static_cast<int>(e), std::move(message)};
}

} // namespace sn::storage
