// Error codes of the retail domain core (checkpoint loading).
#pragma once

#include <string>

#include "events/expected.hpp"

namespace sn::retail {

enum class errc : int {
  invalid_checkpoint = 1,  ///< bytes are not a checkpoint of this format
  settings_mismatch = 2,   ///< checkpoint was written under other store settings
};

const char* to_string(errc e) noexcept;
sn::error make_error(errc e, std::string message);

} // namespace sn::retail
