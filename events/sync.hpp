// Sync payloads (the seed's sync_audit_log, operation conflict_resolution).
#pragma once

#include <cstdint>
#include <string>

#include "events/event_type.hpp"

namespace sn {

/// The master saw two concurrent writes to one last-writer-wins register and
/// records which won. register_name: "product" or "product.price"; key: the sku.
/// method: "lww_hlc_origin" (higher HLC wins, ties by origin id).
struct conflict_resolved {
  static constexpr event_type type = event_type::conflict_resolved;
  static constexpr std::uint16_t schema = 1;
  std::string register_name;
  std::string key;
  std::string winner;  ///< "origin:seq"
  std::string loser;   ///< "origin:seq"
  std::string method;
  std::string old_value;  ///< loser's value, JSON text
  std::string new_value;  ///< winner's value, JSON text
};

} // namespace sn
