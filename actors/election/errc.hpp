// Error codes of the election folder.
#pragma once

#include <string>

#include "events/expected.hpp"

namespace sn::election {

enum class errc : int {
  invalid_config = 1,  ///< an election_config field is out of bounds or inconsistent
  malformed = 2,       ///< a message body did not decode (wrong shape, bad id, too large)
  unsupported_version = 3,  ///< a message body with another protocol_version
  unknown_device = 4,  ///< request_master: the device was never heard of
  not_live = 5,        ///< request_master: the device is not live (silent past failure_timeout_ms)
  no_master = 6,       ///< request_master on a client that knows no live master to ask
  busy = 7,            ///< request_master: a hand-off is already in progress
  stopped = 8,         ///< the node has shut down its election role
};

const char* to_string(errc e) noexcept;
sn::error make_error(errc e, std::string message);

} // namespace sn::election
