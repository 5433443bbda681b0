// Sales aggregate payloads. A sale carries its computed figures so that every
// projection folds the same numbers (prices are looked up once, at the till).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/event_type.hpp"

namespace sn {

struct sale_line {
  std::string sku;
  std::int64_t qty = 0;               ///< > 0
  std::int64_t unit_price_cents = 0;  ///< catalog price unless overridden
  std::int64_t discount_cents = 0;    ///< line discount, >= 0
  std::int32_t tax_rate_bp = 0;       ///< tax rate applied (basis points)
  std::int64_t tax_cents = 0;         ///< tax included in the line total
};

/// method: "cash", "card" or "other". A card payment may carry what the
/// terminal printed (issue 10 item 9, PCI DSS 3.4): never the card number.
/// The four card fields came with sale.completed schema 4 ("" before, and
/// for cash and other).
struct payment {
  std::string method;
  std::int64_t amount_cents = 0;
  std::string brand;          ///< "visa", "mastercard", ... or short text
  std::string last4;          ///< exactly 4 digits, or ""
  std::string auth_code;      ///< the issuer's authorisation code
  std::string processor_ref;  ///< the processor's transaction reference
};

/// A completed sale. Totals: gross = sum(qty * unit_price), net line total =
/// gross - discounts; prices are tax-inclusive and tax_cents is the tax part.
/// Schema 2 added business_day (events/upcast.hpp fills it for schema 1);
/// schema 3 the attribution; schema 4 the card fields of `payment`.
struct sale_completed {
  static constexpr event_type type = event_type::sale_completed;
  static constexpr std::uint16_t schema = 4;
  std::string receipt;  ///< unique per device: "POS1-000042"
  std::vector<sale_line> lines;
  std::int64_t gross_cents = 0;
  std::int64_t discount_cents = 0;
  std::int64_t tax_cents = 0;
  std::int64_t total_cents = 0;  ///< gross - discount
  std::vector<payment> payments;
  std::int64_t change_cents = 0;  ///< cash given back: sum(payments) - total
  /// "YYYY-MM-DD": the store's business day of the sale, stamped by the till
  /// from its HLC and store.time_zone, so every device folds the same day.
  std::string business_day;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

struct return_line {
  std::string sku;
  std::int64_t qty = 0;  ///< > 0
  std::int64_t refund_cents = 0;
  std::int64_t tax_cents = 0;
};

/// Goods of an earlier sale came back (possibly at another device).
/// Schema 2 added business_day (events/upcast.hpp fills it for schema 1).
struct sale_returned {
  static constexpr event_type type = event_type::sale_returned;
  static constexpr std::uint16_t schema = 3;
  std::string return_id;  ///< unique per device: "POS1-R000007"
  std::string receipt;    ///< the original sale
  std::vector<return_line> lines;
  std::int64_t refund_cents = 0;
  std::string method;  ///< how the refund was paid
  /// "YYYY-MM-DD": the store's business day of the return (as for a sale).
  std::string business_day;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

/// A sale was cancelled as a whole (stock restored, figures removed). It
/// carries no day of its own: it counts on the day of the sale it cancels.
struct sale_voided {
  static constexpr event_type type = event_type::sale_voided;
  static constexpr std::uint16_t schema = 2;
  std::string receipt;
  std::string reason;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

struct method_total {
  std::string method;
  std::int64_t amount_cents = 0;
};

/// A device closed its business day: the Z report figures at that moment.
struct day_closed {
  static constexpr event_type type = event_type::day_closed;
  static constexpr std::uint16_t schema = 2;
  std::string day;  ///< "YYYY-MM-DD" in the store's time zone
  std::int64_t gross_cents = 0;
  std::int64_t discounts_cents = 0;
  std::int64_t tax_cents = 0;
  std::int64_t returns_cents = 0;
  std::int64_t net_cents = 0;
  std::vector<method_total> by_method;
  std::int64_t transactions = 0;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

} // namespace sn
