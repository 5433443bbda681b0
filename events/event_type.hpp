// The event catalog: explicit, never-reused type ids and names (STYLE.md rule 5).
// docs/events.md describes every entry. Ids are grouped by aggregate in blocks
// of 100. A retired type keeps its id forever; new types take fresh ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sn {

enum class event_type : std::uint16_t {
  // catalog (product.hpp)
  product_upserted = 100,
  price_changed = 101,
  product_deactivated = 102,
  // stock (stock.hpp)
  stock_received = 200,
  stock_adjusted = 201,
  stock_counted = 202,
  // sales (sale.hpp)
  sale_completed = 300,
  sale_returned = 301,
  sale_voided = 302,
  day_closed = 303,
  // devices (device.hpp)
  device_registered = 400,
  device_updated = 401,
  store_created = 402,
  device_enrolled = 403,
  device_revoked = 404,
  device_keys_rotated = 405,
  // election (election.hpp)
  master_changed = 500,
  // sync (sync.hpp)
  conflict_resolved = 600,
  // staff (staff.hpp)
  staff_added = 700,
  staff_updated = 701,
  staff_removed = 702,
  staff_signed_in = 703,
  staff_sign_in_failed = 704,
  staff_signed_out = 705,
};

/// "product.upserted" for product_upserted, ...; nullopt for an id this build
/// does not know (such events are still stored and replicated unchanged).
std::optional<std::string_view> event_type_name(std::uint16_t type) noexcept;
/// Inverse of event_type_name.
std::optional<event_type> event_type_from_name(std::string_view name) noexcept;
/// True when this build knows the type id.
bool is_known_event_type(std::uint16_t type) noexcept;
/// The newest payload schema version of a known type this build writes.
std::uint16_t current_schema_version(event_type t) noexcept;

} // namespace sn
