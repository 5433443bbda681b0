// Device aggregate payloads (the seed's device registration and device_roles).
#pragma once

#include <cstdint>
#include <string>

#include "events/event_type.hpp"

namespace sn {

/// A device joined the store.
struct device_registered {
  static constexpr event_type type = event_type::device_registered;
  static constexpr std::uint16_t schema = 2;
  std::string device_id;
  std::string name;
  std::int32_t priority = 0;  ///< higher wins elections
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

/// A device's name or priority changed (takes effect at the next election).
struct device_updated {
  static constexpr event_type type = event_type::device_updated;
  static constexpr std::uint16_t schema = 2;
  std::string device_id;
  std::string name;
  std::int32_t priority = 0;
  bool active = true;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

} // namespace sn
