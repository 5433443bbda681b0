// What deciding a command gives: accepted{events, result} or
// rejected{errc, message} (Akka's accepted / rejected reply). Pure values: no
// JSON, no HTTP. node/ turns a result into the reply JSON and an errc into
// its HTTP status and code (node/command_errors.cpp, docs/api.md).
//
// Results hold what the reply shows, read from the handler's state right
// after the command's own events were applied to it. Times are HLC stamps
// (the edge renders RFC 3339); days are "YYYY-MM-DD".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "events/event.hpp"
#include "events/hlc.hpp"

namespace sn::retail {

/// Domain refusals: the checks that need state. Explicit, never-reused values
/// (they are stable across builds; the shell's own refusals are
/// actors/command_errc.hpp).
enum class command_errc : std::uint8_t {
  unknown_sku = 1,             ///< no product with that sku
  product_inactive = 2,        ///< a sale line names a deactivated product
  invalid_discount = 3,        ///< a line's discount exceeds its amount (qty x price)
  payments_required = 4,       ///< a sale of total above 0 without a payments list
  payments_insufficient = 5,   ///< payments do not cover the total
  overpayment_not_cash = 6,    ///< change would exceed the cash paid
  duplicate_receipt = 7,       ///< the receipt number to issue exists (state damaged)
  unknown_receipt = 8,         ///< no sale with that receipt
  sale_voided = 9,             ///< returning goods of a voided sale
  sku_not_in_sale = 10,        ///< a return names a sku not on the receipt
  return_exceeds_sold = 11,    ///< returning more than sold (all devices' returns counted)
  already_voided = 12,         ///< voiding a voided sale
  sale_has_returns = 13,       ///< voiding a sale with returns
  day_already_closed = 14,     ///< this device closed that day already
  device_exists = 15,          ///< registering a registered device
  unknown_device = 16,         ///< updating a device never registered or heard of
  idempotency_key_reused = 17, ///< the key was used for another command
  invalid_idempotency_key = 18,///< a key longer than idempotency_key_length_max
  projection_behind = 19,      ///< the rows it needs are rebuilding (decision_source.hpp); retry later
  staff_exists = 20,           ///< adding a staff id that is listed (not removed)
  unknown_staff = 21,          ///< updating or removing a staff id never added, or removed
  approval_needed = 22,        ///< over a limit of command_context (refund, discount, price override)
};
constexpr std::uint8_t command_errc_max = 22;
/// "unknown_sku", ...
const char* to_string(command_errc e) noexcept;

// ---- rows the results carry ----

/// A product as GET /v1/products/{sku} shows it.
struct product_row {
  std::string sku, name, barcode;
  std::int64_t price_cents = 0;
  std::int32_t tax_rate_bp = 0;
  std::int64_t low_stock_threshold = 0;
  bool active = true;
  hlc_timestamp updated_at;  ///< newest write to any of its registers
};

struct sale_row_line {
  std::string sku;
  std::int64_t qty = 0, unit_price_cents = 0, discount_cents = 0;
  std::int32_t tax_rate_bp = 0;
  std::int64_t tax_cents = 0, total_cents = 0, returned_qty = 0;
};

struct sale_row_payment {
  std::string method;  ///< folded per method (cash, card, other), only methods paid
  std::int64_t amount_cents = 0;
};

/// A card payment as the terminal printed it (never the number).
struct sale_row_card {
  std::string brand, last4, auth_code, processor_ref;
  std::int64_t amount_cents = 0;
};

struct sale_row_void {
  std::string reason, device;
  hlc_timestamp time;
};

/// A sale as GET /v1/sales/{receipt} shows it.
struct sale_row {
  std::string receipt, device;
  hlc_timestamp time;
  std::string day;
  std::vector<sale_row_line> lines;
  std::int64_t gross_cents = 0, discount_cents = 0, tax_cents = 0, total_cents = 0;
  std::vector<sale_row_payment> payments;
  std::int64_t change_cents = 0;
  bool voided = false;
  std::int64_t refunded_cents = 0;
  std::vector<std::string> returns;  ///< return ids, sorted
  std::optional<sale_row_void> void_info;  ///< set when voided and the void was seen
  std::vector<sale_row_card> cards;  ///< every card payment, in the sale's order
};

/// A device as GET /v1/devices/{id} shows it.
struct device_row {
  std::string device_id, name;
  std::int32_t priority = 0;
  bool active = true, registered = false;
  bool master = false;  ///< the newest master.changed names it
  std::optional<hlc_timestamp> last_event_time;
};

/// A staff member as GET /v1/staff/{id} shows them (never a PIN or its hash).
struct staff_row {
  std::string staff_id, name, role;
  bool active = true;
};

// ---- one result per command kind (same order as retail::command) ----

struct upsert_product_result {
  product_row product;
  bool created = false;  ///< the sku had no product before (201, else 200)
};
struct change_price_result {
  std::string sku;
  std::int64_t price_cents = 0, previous_price_cents = 0;
};
struct deactivate_product_result {
  product_row product;
};
struct receive_stock_result {
  std::string sku;
  std::int64_t qty = 0;
  std::string supplier_ref;
  std::int64_t on_hand = 0;
};
struct adjust_stock_result {
  std::string sku;
  std::int64_t delta = 0;
  std::string reason, note;
  std::int64_t on_hand = 0;
};
struct count_stock_result {
  std::string sku;
  std::int64_t counted_qty = 0, expected_qty = 0, adjustment = 0, on_hand = 0;
};
struct complete_sale_result {
  sale_row sale;
  std::int64_t paid_cents = 0;
};
struct return_line_result {
  std::string sku;
  std::int64_t qty = 0, refund_cents = 0, tax_cents = 0;
};
struct return_sale_result {
  std::string return_id, receipt;
  std::vector<return_line_result> lines;
  std::int64_t refund_cents = 0;
  std::string method, day;
};
struct void_sale_result {
  std::string receipt, reason;
};
struct method_amount {
  std::string method;
  std::int64_t amount_cents = 0;
};
/// The Z figures recorded by close_day.
struct close_day_result {
  std::string day, device;
  std::int64_t gross_cents = 0, discounts_cents = 0, tax_cents = 0, returns_cents = 0, net_cents = 0;
  std::vector<method_amount> by_method;  ///< cash, card, other
  std::int64_t transactions = 0;
};
struct register_device_result {
  device_row device;
};
struct update_device_result {
  device_row device;
};

struct add_staff_result {
  staff_row staff;
};
struct update_staff_result {
  staff_row staff;
  bool pin_changed = false;
};
struct remove_staff_result {
  std::string staff_id;
};

/// The result of an accepted command; alternative i answers command kind i.
using command_result =
    std::variant<upsert_product_result, change_price_result, deactivate_product_result, receive_stock_result,
                 adjust_stock_result, count_stock_result, complete_sale_result, return_sale_result, void_sale_result,
                 close_day_result, register_device_result, update_device_result, add_staff_result,
                 update_staff_result, remove_staff_result>;

/// The command is decided: `events` to append (drafts: seq, prev_hash and hash
/// are the log writer's) and the reply's `result`. An idempotent retry is
/// accepted with no events and the first result.
struct accepted {
  std::vector<event> events;
  command_result result;
  /// Who the command's events name (command_context's staff_id and
  /// approver_id); a replay gives the first run's, from its record ("" in a
  /// record of format 1, written before records kept them).
  std::string staff_id;
  std::string approver_id;
};

/// The command is refused; nothing was decided or applied.
struct rejected {
  command_errc errc = command_errc::unknown_sku;
  std::string message;  ///< for people; may quote client bytes
};

} // namespace sn::retail
