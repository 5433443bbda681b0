// Error codes of the broker folder (ZeroMQ transport).
#pragma once

#include <string>

#include "events/expected.hpp"

namespace sn::broker {

enum class errc : int {
  invalid_address = 1,  ///< not "tcp://HOST:PORT" with 1 <= PORT <= 65534
  bind_failed = 2,      ///< the ROUTER (PORT) or PUB (PORT+1) could not bind, e.g. port in use
  invalid_option = 3,   ///< an option is out of bounds or inconsistent
  curve_unavailable = 4,///< libzmq was built without CURVE support
  invalid_key = 5,      ///< not a 40-character Z85 CURVE key
  zmq_failure = 6,      ///< any other ZeroMQ error at start-up
};

const char* to_string(errc e) noexcept;
sn::error make_error(errc e, std::string message);

} // namespace sn::broker
