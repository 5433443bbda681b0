#include "events/event_type.hpp"

#include <array>
#include <utility>

namespace sn {
namespace {

struct catalog_entry {
  event_type type;
  std::string_view name;
  std::uint16_t schema;  // newest schema version this build writes
};

// The one table of names. Order is irrelevant; ids are in event_type.hpp.
constexpr std::array<catalog_entry, 24> catalog{{
    {event_type::product_upserted, "product.upserted", 2},
    {event_type::price_changed, "price.changed", 2},
    {event_type::product_deactivated, "product.deactivated", 2},
    {event_type::stock_received, "stock.received", 2},
    {event_type::stock_adjusted, "stock.adjusted", 2},
    {event_type::stock_counted, "stock.counted", 2},
    {event_type::sale_completed, "sale.completed", 3},
    {event_type::sale_returned, "sale.returned", 3},
    {event_type::sale_voided, "sale.voided", 2},
    {event_type::day_closed, "day.closed", 2},
    {event_type::device_registered, "device.registered", 2},
    {event_type::device_updated, "device.updated", 2},
    {event_type::store_created, "store.created", 1},
    {event_type::device_enrolled, "device.enrolled", 1},
    {event_type::device_revoked, "device.revoked", 1},
    {event_type::device_keys_rotated, "device.keys_rotated", 1},
    {event_type::master_changed, "master.changed", 1},
    {event_type::conflict_resolved, "conflict.resolved", 1},
    {event_type::staff_added, "staff.added", 1},
    {event_type::staff_updated, "staff.updated", 1},
    {event_type::staff_removed, "staff.removed", 1},
    {event_type::staff_signed_in, "staff.signed_in", 1},
    {event_type::staff_sign_in_failed, "staff.sign_in_failed", 1},
    {event_type::staff_signed_out, "staff.signed_out", 1},
}};

const catalog_entry* find(std::uint16_t type) noexcept {
  for (const auto& c : catalog) {
    if (static_cast<std::uint16_t>(c.type) == type) return &c;
  }
  return nullptr;
}

} // namespace

std::optional<std::string_view> event_type_name(std::uint16_t type) noexcept {
  if (const auto* c = find(type)) return c->name;
  return std::nullopt;
}

std::optional<event_type> event_type_from_name(std::string_view name) noexcept {
  for (const auto& c : catalog) {
    if (c.name == name) return c.type;
  }
  return std::nullopt;
}

bool is_known_event_type(std::uint16_t type) noexcept { return find(type) != nullptr; }

std::uint16_t current_schema_version(event_type t) noexcept {
  if (const auto* c = find(static_cast<std::uint16_t>(t))) return c->schema;
  return 1;
}

} // namespace sn
