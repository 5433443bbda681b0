// Error codes of the retail domain core (checkpoint and record decoding).
// Command refusals are command_errc (command_result.hpp).
#pragma once

#include <string>

#include "events/expected.hpp"

namespace sn::retail {

enum class errc : int {
  invalid_checkpoint = 1,  ///< bytes are not a checkpoint of this format
  settings_mismatch = 2,   ///< checkpoint was written under other store settings
  invalid_record = 3,      ///< bytes are not a command, result or idempotency record of this build
};

const char* to_string(errc e) noexcept;
sn::error make_error(errc e, std::string message);

} // namespace sn::retail
