// Catalog aggregate payloads. Money is integer cents; tax rates are basis
// points (2000 = 20.00 %). Field order is the wire order (docs/events.md).
#pragma once

#include <cstdint>
#include <string>

#include "events/event_type.hpp"

namespace sn {

/// A product was created or all its fields replaced (last-writer-wins per sku).
struct product_upserted {
  static constexpr event_type type = event_type::product_upserted;
  static constexpr std::uint16_t schema = 2;
  std::string sku;
  std::string name;
  std::string barcode;
  std::int64_t price_cents = 0;
  std::int32_t tax_rate_bp = 0;
  std::int64_t low_stock_threshold = 0;
  bool active = true;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

/// The price of one product changed (last-writer-wins register per sku).
struct price_changed {
  static constexpr event_type type = event_type::price_changed;
  static constexpr std::uint16_t schema = 2;
  std::string sku;
  std::int64_t price_cents = 0;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

/// A product may no longer be sold (last-writer-wins with product_upserted.active).
struct product_deactivated {
  static constexpr event_type type = event_type::product_deactivated;
  static constexpr std::uint16_t schema = 2;
  std::string sku;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

} // namespace sn
