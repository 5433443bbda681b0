// The retail commands as types: one struct per command kind, and
// retail::command, the closed set of them (a std::variant whose alternatives
// are in command_kind order). Pure values: no JSON, no CAF.
//
// Contract
// - A command reaching command_handler::handle() is shape-checked already:
//   the edge that built it (node/command_parser.cpp) guarantees the bounds
//   stated on each field (lengths, ranges, allowed words, non-empty lists).
//   The handler asserts none of it again; it keeps only the checks that need
//   state (unknown sku, totals against prices, conflicts, ...).
// - Defaults that need no state are resolved by the edge (an absent
//   `barcode` is ""); a default that needs state stays std::optional and the
//   handler resolves it (a sale line's price, an update's unchanged fields).
// - The canonical bytes of a command (command_codec.hpp) identify it for
//   idempotency: two commands are identical iff their encodings are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sn::retail {

/// POST /v1/products: create or replace a product (every field).
struct upsert_product {
  std::string sku;                  ///< 1..sku_length_max, no space, '/', control
  std::string name;                 ///< 1..text_length_max
  std::string barcode;              ///< 0..text_length_max
  std::int64_t price_cents = 0;     ///< 0..price_cents_max
  std::int32_t tax_rate_bp = 0;     ///< 0..tax_rate_bp_max
  std::int64_t low_stock_threshold = 0;  ///< 0..qty_max
  bool active = true;
};

/// POST /v1/products/{sku}/price
struct change_price {
  std::string sku;
  std::int64_t price_cents = 0;  ///< 0..price_cents_max
};

/// POST /v1/products/{sku}/deactivate
struct deactivate_product {
  std::string sku;
};

/// POST /v1/stock/receipts
struct receive_stock {
  std::string sku;
  std::int64_t qty = 0;      ///< 1..qty_max
  std::string supplier_ref;  ///< 0..text_length_max
};

/// POST /v1/stock/adjustments
struct adjust_stock {
  std::string sku;
  std::int64_t delta = 0;  ///< -qty_max..qty_max, not 0
  std::string reason;      ///< damage | theft | count_correction | other
  std::string note;        ///< 0..text_length_max
};

/// POST /v1/stock/counts
struct count_stock {
  std::string sku;
  std::int64_t counted_qty = 0;  ///< 0..qty_max
};

struct sale_line_input {
  std::string sku;
  std::int64_t qty = 0;                           ///< 1..qty_max
  std::optional<std::int64_t> unit_price_cents;   ///< 0..price_cents_max; absent: the product's price
  std::int64_t discount_cents = 0;                ///< 0..price_cents_max * qty_max (the handler checks the line amount)
};

struct payment_input {
  std::string method;             ///< cash | card | other
  std::int64_t amount_cents = 0;  ///< 1..amount_cents_max
  /// Card only (events/sale.hpp payment; the edge checks their forms):
  /// brand, last 4 digits, authorisation code, processor reference; "" when
  /// not given. Never a card number.
  std::string brand, last4, auth_code, processor_ref;
};

/// POST /v1/sales
struct complete_sale {
  std::vector<sale_line_input> lines;  ///< 1..sale_lines_max
  /// Absent is not the same as empty: a sale of total 0 may omit payments
  /// (the handler refuses an absent list when the total is above 0); a
  /// present list has 1..payments_max items.
  std::optional<std::vector<payment_input>> payments;
};

struct return_line_input {
  std::string sku;
  std::int64_t qty = 0;  ///< 1..qty_max
};

/// POST /v1/returns
struct return_sale {
  std::string receipt;                   ///< 1..text_length_max
  std::vector<return_line_input> lines;  ///< 1..sale_lines_max, as sent (a sku may repeat)
  std::optional<std::string> method;     ///< cash | card | other; absent: the way the customer paid
};

/// POST /v1/sales/{receipt}/void
struct void_sale {
  std::string receipt;  ///< 1..text_length_max
  std::string reason;   ///< 0..text_length_max
};

/// POST /v1/days/close
struct close_day {
  /// Days since 1970-01-01 (a valid date); absent: today in the store's zone.
  std::optional<std::int32_t> day;
};

/// POST /v1/devices
struct register_device {
  std::string device_id;  ///< a valid device id (events/types.hpp)
  std::string name;       ///< 0..text_length_max; the edge defaults it to device_id
  std::int32_t priority = 0;  ///< 0..device_priority_max
};

/// PUT /v1/devices/{id}: absent fields keep their current value.
struct update_device {
  std::string device_id;  ///< 1..device_id_length_max (need not exist: 404 from the handler)
  std::optional<std::string> name;
  std::optional<std::int32_t> priority;
  std::optional<bool> active;
};

/// POST /v1/staff. The edge checks the PIN's shape and turns it into
/// `pin_hash` (an Argon2id string, actors/staff/pin.hpp): no command holds a
/// PIN. A command's fingerprint leaves pin_hash out (command_codec.hpp).
struct add_staff {
  std::string staff_id;  ///< a valid id (events/types.hpp device id rules)
  std::string name;      ///< 1..text_length_max
  std::string role;      ///< cashier | supervisor | manager | admin
  std::string pin_hash;  ///< Argon2id string of a 4..8 digit PIN
};

/// PUT /v1/staff/{id}: absent fields keep their current value.
struct update_staff {
  std::string staff_id;
  std::optional<std::string> name;
  std::optional<std::string> role;
  std::optional<bool> active;
  std::string pin_hash;  ///< "" = PIN unchanged
};

/// DELETE /v1/staff/{id}
struct remove_staff {
  std::string staff_id;
};

/// The closed set of commands, in command_kind order.
using command = std::variant<upsert_product, change_price, deactivate_product, receive_stock, adjust_stock,
                             count_stock, complete_sale, return_sale, void_sale, close_day, register_device,
                             update_device, add_staff, update_staff, remove_staff>;

/// The kinds, one per alternative of `command` (same order, explicit values:
/// a kind is part of a command's canonical bytes and of idempotency records).
enum class command_kind : std::uint8_t {
  upsert_product = 0,
  change_price = 1,
  deactivate_product = 2,
  receive_stock = 3,
  adjust_stock = 4,
  count_stock = 5,
  complete_sale = 6,
  return_sale = 7,
  void_sale = 8,
  close_day = 9,
  register_device = 10,
  update_device = 11,
  add_staff = 12,
  update_staff = 13,
  remove_staff = 14,
};
constexpr std::size_t command_kind_count = 15;
static_assert(std::variant_size_v<command> == command_kind_count);

/// "upsert_product", ...
const char* to_string(command_kind k) noexcept;
inline command_kind kind_of(const command& c) noexcept { return static_cast<command_kind>(c.index()); }

/// Bounds of device priorities (register and update).
constexpr std::int32_t device_priority_max = 1000000;

} // namespace sn::retail
