// Device aggregate payloads (the seed's device registration and device_roles).
#pragma once

#include <cstdint>
#include <string>

#include "events/event_type.hpp"

namespace sn {

/// A device joined the store.
struct device_registered {
  static constexpr event_type type = event_type::device_registered;
  static constexpr std::uint16_t schema = 1;
  std::string device_id;
  std::string name;
  std::int32_t priority = 0;  ///< higher wins elections
};

/// A device's name or priority changed (takes effect at the next election).
struct device_updated {
  static constexpr event_type type = event_type::device_updated;
  static constexpr std::uint16_t schema = 1;
  std::string device_id;
  std::string name;
  std::int32_t priority = 0;
  bool active = true;
};

} // namespace sn
