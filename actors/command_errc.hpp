// Why the command actor answered a command with an error instead of a
// decision. Crosses actors as a caf::error of the category atom("command")
// (command_actor.hpp: make_error; registered by the node's actor system
// config); node/command_errors.cpp maps each to its HTTP status and code.
// Kept free of CAF so that node/'s pure edge can name it.
#pragma once

#include <cstdint>

namespace sn::actors {

enum class command_errc : std::uint8_t {
  read_only = 1,       ///< the node inspects a damaged log (--allow-damaged): nothing is decided
  storage_failed = 2,  ///< a durable append failed or was refused; refused until restart
};
constexpr std::uint8_t command_errc_max = 2;

inline const char* to_string(command_errc e) noexcept {
  switch (e) {
    case command_errc::read_only: return "read_only: the node runs read-only to inspect a damaged log";
    case command_errc::storage_failed: return "storage_failed: the event log could not be written";
  }
  return "unknown";
}

} // namespace sn::actors
