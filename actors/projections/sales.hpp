// The sales projection: receipts (a sale with its lines and payments, the
// returns and the void against it), the sales list newest first filtered by
// business day and/or device with its count and by_product aggregates, and
// the per-origin receipt / return counters the command side numbers from.
// Semantics: retail::views (actors/retail/README.md), except for duplicates
// across origins (below).
//
// Fold (sale.completed, sale.returned, sale.voided; everything else ignored)
// - A sale's receipt row is written when it arrives; the list index, counts
//   and by_product follow it. A void (only the first counts; the newest is
//   shown) removes the sale from by_product, never from the list. A void or
//   return seen before its sale waits in the receipt row (not listed, the
//   receipt is not "present") and takes effect when the sale arrives.
// - Parks as views does: "empty receipt", "invalid business_day",
//   "empty return id or receipt", "duplicate receipt", "duplicate return id".
// - Duplicates: views keeps whichever arrived first, which depends on the
//   interleaving when the two come from different origins. Here the OLDEST
//   by (HLC, origin, seq) wins whatever the arrival order: a better one that
//   arrives later displaces the one applied (its effects are undone from
//   the facts in its row) and the one that loses is parked when it arrives
//   (a displaced one was applied, so it is not listed as parked). Within one
//   origin (the only case a correct writer can produce) the oldest is the
//   first in seq order: exactly views.
// - Counters: per origin, the highest own number ("<origin>-000042",
//   "<origin>-R000007") of every well-formed sale / return it wrote,
//   duplicates included (a function of the set of events; equal to views'
//   whenever views' is).
// - No register conflicts are reported (views reports none for sales).
//
// Rows (key -> value). i32/u64 are row_codec's big-endian forms; nf(h) =
// newest_first(hlc); desc(r) = receipt bytes complemented + 0xff, so keys
// sort by receipt DESCENDING (views' tie order: hlc desc, receipt desc).
// A scope is one of the four list filters:
//   'g'                     every sale
//   'd' i32 day             a business day
//   'v' device "\0"         a selling device
//   'w' i32 day device "\0" a day and device
//   's' staff "\0"          who rang it (attributed sales only)
//   't' i32 day staff "\0"  a day and who rang it
//   (layout 2 added 's' and 't': rows of layout 1 are folded again.)
//   Rows 'l' and 'n' are kept for 'v', 'w', 's' and 't' only: every
//   sale is in exactly one 'v' and one 'w' scope, so the list of every sale
//   is the merge of the 'v' lists, a day's the merge of that day's 'w'
//   lists, and their counts are sums (layout 4). 'g' and 'd' name those
//   merged lists (their cursors are the keys their entries would have).
//   Rows 'p' are kept for 'v', 'd' and 's' only (layout 5): every sale's
//   by_product is a sum of the 'v' rows; a 'w' or 't' list (one device's or
//   one person's day) sums its own receipts when asked. Rows of an older
//   layout are folded again.
// - 'r' receipt "\0" -> receipt row:
//     bool present; if present: sale stamp (u64 hlc, str origin, u64 seq),
//       i32 day, u32 n, n lines (str sku, i64 qty, i64 unit_price_cents,
//       i64 discount_cents, i32 tax_rate_bp, i64 tax_cents), i64 gross,
//       discount, tax, total, change, 3 x i64 paid (cash, card, other);
//     bool voided; bool void_set; if void_set: newest void stamp (u64 hlc,
//       str origin, u64 seq), str reason;
//     i64 refunded; u32 n, n x (str sku, i64 qty) returned, sku ascending,
//       zero sums left out; u32 n, n x str return id, ascending;
//     str staff (who rang the sale; absent in rows written before
//       attribution: read as "");
//     u32 n, n x (str brand, str last4, str auth_code, str processor_ref,
//       i64 amount): the sale's card payments in sale order (layout 2).
//   A row with nothing in it (a displaced return was all it had) is erased.
// - 'x' return_id "\0" -> the applied return: stamp (u64 hlc, str origin,
//     u64 seq), str receipt, i64 refund, u32 n, n x (str sku, i64 qty).
// - 'l' scope nf(hlc) desc(receipt) -> "" : the list index (present sales).
// - 'n' scope -> u64 present sales in scope (the list's total).
// - 'p' scope sku "\0" -> u64 lines, i64 qty, i64 net_cents: by_product over
//     the non-voided sales in scope (erased when no line is left); scopes
//     'v', 'd' and 's'.
// - 'o' origin "\0" -> u64 last receipt no, u64 last return no. Kept the
//   same in every layout: a start-up reads it from the rows of the layout
//   it is about to refold (node.cpp, restore_projections); a layout that
//   changes it must make that start-up count every own event instead.
//
// Queries cost: sale(), facts(), counters(): one row read; list():
// O(limit) row reads + the scope's by_product rows (one per sku sold); the
// list of every sale and a day's list O(devices x limit) index rows (the
// merge: up to limit + 1 from each device's list), O(limit) receipts, and
// the day's by_product rows or, for every sale, the devices' (one per
// device and sku it sold); a day and device's or a day and person's list
// also every one of its index rows and receipts (by_product: their sums).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/projections/paging.hpp"
#include "actors/projections/pay_method.hpp"
#include "actors/projections/projection.hpp"
#include "actors/retail/command_result.hpp"

namespace sn::projections {

class sales_projection final : public projection {
 public:
  const char* name() const noexcept override { return "sales"; }
  std::uint32_t layout() const noexcept override { return 5; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) override;
  /// A sale's receipt and by_product rows; a void's receipt; a return's row and receipt.
  void rows_to_read(const folded_event& e, std::vector<std::string>& keys) const override;
};

namespace sales {

struct line {
  std::string sku;
  std::int64_t qty = 0;
  std::int64_t unit_price_cents = 0;
  std::int64_t discount_cents = 0;
  std::int32_t tax_rate_bp = 0;
  std::int64_t tax_cents = 0;
  std::int64_t returned_qty = 0;  ///< of this line's sku, every return so far (all devices)
};

/// A card payment of a sale, as the terminal printed it (never the number):
/// the command side's type, so one JSON rendering serves both.
using card = retail::sale_row_card;

struct void_info {
  std::string reason;
  std::string device;
  std::uint64_t hlc = 0;
};

/// GET /v1/sales/{receipt}.
struct sale_detail {
  std::string receipt;
  std::string device;  ///< the selling origin
  std::uint64_t hlc = 0;
  std::int32_t day = 0;
  std::vector<line> lines;
  std::int64_t gross_cents = 0, discount_cents = 0, tax_cents = 0, total_cents = 0, change_cents = 0;
  method_amounts paid{};  ///< payments folded per method
  bool voided = false;
  std::int64_t refunded_cents = 0;
  std::vector<std::string> return_ids;  ///< ascending
  std::optional<void_info> void_;       ///< the newest void, when voided
  std::string staff_id;                 ///< who rang it ("": an event from before attribution)
  std::vector<card> cards;              ///< every card payment, in the sale's order
};

/// nullopt: no sale with that receipt (a void or return alone is not one).
std::optional<sale_detail> sale(const row_reader& rows, const std::string& receipt);

/// An item of the sales list.
struct sale_summary {
  std::string receipt;
  std::string device;
  std::uint64_t hlc = 0;
  std::int32_t day = 0;
  std::int64_t items = 0;  ///< sum of the lines' qty
  std::int64_t total_cents = 0;
  bool voided = false;
  std::int64_t refunded_cents = 0;
  std::string staff_id;  ///< who rang it ("": before attribution)
};

struct product_total {
  std::string sku;
  std::int64_t qty = 0;
  std::int64_t net_cents = 0;
};

struct filter {
  std::optional<std::string> day;     ///< "YYYY-MM-DD"; not a date: an empty list
  std::optional<std::string> device;  ///< the selling device
  /// Who rang the sale (its staff_id). With `day`: that person's sales of
  /// the day; not combined with `device` (no such index: the caller refuses).
  std::optional<std::string> staff;
};

/// GET /v1/sales: newest first (hlc, then receipt, descending); `sales.total`
/// = every matching sale (voided too); by_product over the matching
/// non-voided sales, sku ascending, the same on every page.
struct sales_list {
  page<sale_summary> sales;
  std::vector<product_total> by_product;
};
sales_list list(const row_reader& rows, const filter& f, const page_request& req);

// ---- command side (read at start-up and per command; no HTTP route) ----

struct sold_line {
  std::string sku;
  std::int64_t qty = 0;
  std::int64_t unit_price_cents = 0;
  std::int64_t discount_cents = 0;
  std::int32_t tax_rate_bp = 0;
  std::int64_t tax_cents = 0;
};

/// What return_sale and void_sale decide from: the sale's lines (in sale
/// order), the quantity already returned per sku (every device, sku
/// ascending, returns seen before the sale included), the return ids, the
/// payments per method (the default refund method), voided, present.
/// A receipt never seen gives present = false and nothing else.
struct receipt_facts {
  bool present = false;  ///< the sale itself has been folded
  bool voided = false;
  std::string device;
  std::vector<sold_line> lines;
  std::vector<std::pair<std::string, std::int64_t>> returned;
  std::vector<std::string> return_ids;
  method_amounts paid{};
};
receipt_facts facts(const row_reader& rows, const std::string& receipt);

/// The highest own receipt / return number an origin wrote (0: none):
/// complete_sale numbers from last_receipt_no + 1, return_sale from
/// last_return_no + 1 (views' last_receipt_no_ / last_return_no_).
struct receipt_counters {
  std::uint64_t last_receipt_no = 0;
  std::uint64_t last_return_no = 0;
};
receipt_counters counters(const row_reader& rows, const std::string& device);
/// Every origin with a counter, device ascending (one row per device).
std::vector<std::pair<std::string, receipt_counters>> all_counters(const row_reader& rows);

/// "<origin>-000042" -> 42, "<origin>-R000007" -> 7 (is_return); 0 when the
/// id is not of that origin's form.
std::uint64_t own_number(const std::string& origin, const std::string& id, bool is_return);

/// What one event adds to its origin's counters, by the fold's rule: a
/// sale.completed whose receipt is set and whose business day is a date, or
/// a sale.returned whose return id and receipt are set and whose business
/// day is a date, numbered in the origin's own form (own_number); duplicates
/// count too. `p` is the event's decoded payload (decode_payload). Counting
/// every event of an origin into one receipt_counters (each field the
/// highest) gives what counters() reads once the projection has folded
/// them: a start-up whose sales projection folds in the background numbers
/// from the log with it (actors/log_counters.hpp).
void count_number(const event& e, const payload& p, receipt_counters& c);

}  // namespace sales
}  // namespace sn::projections
