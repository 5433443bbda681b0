// Error codes of the events folder (codec and validation).
#pragma once

#include "events/expected.hpp"

namespace sn::events {

enum class errc : int {
  truncated = 1,           ///< input ended before a complete value
  malformed = 2,           ///< not msgpack, or not the shape this field needs
  too_large = 3,           ///< over a size bound (event_bytes_max, ...)
  unsupported_format = 4,  ///< envelope format version this build cannot read
  hash_mismatch = 5,       ///< stored hash differs from the recomputed one
  wrong_type = 6,          ///< payload asked for as a type the event is not
  invalid = 7,             ///< well-formed but breaks a rule (empty sku, ...)
  invalid_time_zone = 8,   ///< TZif bytes or a POSIX TZ rule that time_zone cannot use
};

const char* to_string(errc e) noexcept;
sn::error make_error(errc e, std::string message);

} // namespace sn::events
