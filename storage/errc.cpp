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
  }
  return "unknown";
}

sn::error make_error(errc e, std::string message) {
  return sn::error{"storage", static_cast<int>(e), std::move(message)};
}

const char* to_string(append_outcome o) noexcept {
  switch (o) {
    case append_outcome::appended: return "appended";
    case append_outcome::duplicate: return "duplicate";
    case append_outcome::gap: return "gap";
    case append_outcome::fork: return "fork";
    case append_outcome::bad_hash: return "bad_hash";
    case append_outcome::too_large: return "too_large";
    case append_outcome::invalid: return "invalid";
  }
  return "unknown";
}

} // namespace sn::storage
