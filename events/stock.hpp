// Stock aggregate payloads. On-hand is a sum of deltas, so every node folds
// the same events to the same figure whatever order origins interleave in.
#pragma once

#include <cstdint>
#include <string>

#include "events/event_type.hpp"

namespace sn {

/// Goods arrived from a supplier.
struct stock_received {
  static constexpr event_type type = event_type::stock_received;
  static constexpr std::uint16_t schema = 2;
  std::string sku;
  std::int64_t qty = 0;  ///< > 0
  std::string supplier_ref;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

/// A signed correction of on-hand. reason: "damage", "theft",
/// "count_correction" or "other".
struct stock_adjusted {
  static constexpr event_type type = event_type::stock_adjusted;
  static constexpr std::uint16_t schema = 2;
  std::string sku;
  std::int64_t delta = 0;  ///< != 0
  std::string reason;
  std::string note;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

/// A physical count. The rule that keeps it order-independent: a count is the
/// adjustment (counted_qty - expected_qty), where expected_qty is the on-hand the
/// counting device's own projection showed when the count was recorded. Sales
/// another till made during the count that this device had not yet seen are
/// therefore still subtracted when they arrive, on every node alike.
struct stock_counted {
  static constexpr event_type type = event_type::stock_counted;
  static constexpr std::uint16_t schema = 2;
  std::string sku;
  std::int64_t counted_qty = 0;
  std::int64_t expected_qty = 0;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

} // namespace sn
