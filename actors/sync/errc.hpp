// Error codes of the sync folder.
#pragma once

#include <string>

#include "events/expected.hpp"

namespace sn::sync {

enum class errc : int {
  malformed = 1,            ///< body is not msgpack or not the shape of its message type
  unsupported_version = 2,  ///< body's protocol version is not protocol_version
  too_large = 3,            ///< over message_bytes_max, message_events_max or origins_max
  invalid_config = 4,       ///< a sync_config field out of bounds
};

const char* to_string(errc e) noexcept;
sn::error make_error(errc e, std::string message);

} // namespace sn::sync
