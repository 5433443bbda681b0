// The inventory projection (ARCHITECTURE.md §5): stock per sku as sums of
// deltas, the last count, low stock and oversold, and its queries (GET
// /v1/inventory[?low=1], GET /v1/inventory/{sku}) plus on_hand() for the
// command side. The semantics are retail::views' inventory, unchanged:
//
// - on_hand = received + adjusted + count deltas (counted - expected) - sold
//   + returned; may go negative (oversold = on_hand < 0, never clamped);
//   low_stock = on_hand <= low_stock_threshold.
// - A sku is listed once a product upsert or any stock movement (receipt,
//   adjustment, count, sale line, return line) of it was folded.
// - name and low_stock_threshold: this projection's own copy of the catalog's
//   "product" register (ordered by (HLC, origin, seq)), so it can be rebuilt
//   alone. last_count: a register of counts (display only).
// - A void gives back the lines of its sale; only the first void of a
//   receipt counts; a void seen before its sale is remembered and the sale
//   then moves no stock (its skus are still listed). Returns move stock at
//   once, whether or not their sale was seen, and are never undone.
//
// Parks (as views): an upsert with an empty sku; a sale with an empty
// receipt, a business_day that is not a date, or a receipt already sold; a
// return with an empty id or receipt, a bad business_day, or an id already
// returned. Every other event type (monostate included) is ignored; no
// conflicts are reported here (the catalog reports the "product" register).
//
// Rows (keys: row_codec.hpp):
// | key               | value                                                    |
// |-------------------|----------------------------------------------------------|
// | 'i' sku "\0"      | item: str name, i64 low_stock_threshold, stamp info,     |
// |                   | i64 on_hand, received, sold, returned, adjusted,         |
// |                   | count_adjusted, stamp count, i64 counted, i64 expected   |
// | 'l' sku "\0"      | "" — index of the items with low_stock (sorted by sku)   |
// | 'r' receipt "\0"  | u8 flags (1 sold, 2 voided), u32 n, n x (str sku, i64    |
// |                   | qty): a sale's lines while it can still be voided (n = 0 |
// |                   | once voided; a void before its sale: flags 2 only)       |
// | 'x' return_id "\0"| "" — return ids folded (duplicates park)                 |
// | 'n'               | u64 items, oversold, low, low and oversold (list totals) |
// Stamps: lww_stamp.hpp. Lists walk 'i' (all) or 'l' (low only) in sku order
// with point reads of 'i': a page costs O(page), totals are one row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/projections/paging.hpp"
#include "actors/projections/projection.hpp"
#include "actors/projections/rows.hpp"
#include "events/hlc.hpp"

namespace sn::projections {

class inventory_projection final : public projection {
 public:
  const char* name() const noexcept override { return "inventory"; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) override;
  /// A sale's or void's receipt row; a return's row; the item rows of sales,
  /// returns, stock movements and product upserts.
  void rows_to_read(const folded_event& e, std::vector<std::string>& keys) const override;
};

namespace inventory {

struct last_count {
  std::int64_t counted_qty = 0;
  std::int64_t expected_qty = 0;
  std::string device;  ///< origin of the newest count
  hlc_timestamp time;
};

/// A sku's stock (docs/api.md: GET /v1/inventory/{sku}).
struct item {
  std::string sku;
  std::string name;  ///< "" while no product upsert was folded
  std::int64_t on_hand = 0;
  std::int64_t low_stock_threshold = 0;
  std::int64_t received_qty = 0;
  std::int64_t sold_qty = 0;
  std::int64_t returned_qty = 0;
  std::int64_t adjusted_qty = 0;
  std::int64_t count_adjusted_qty = 0;
  std::optional<inventory::last_count> last_count;

  bool oversold() const noexcept { return on_hand < 0; }
  bool low_stock() const noexcept { return on_hand <= low_stock_threshold; }
};

/// A page of the inventory list; total and oversold_count cover the whole
/// list (all items, or the low-stock ones), not just this page.
struct item_page : page<item> {
  std::size_t oversold_count = 0;
};

/// The stock of `sku`; nullopt when it has neither product nor movement. One row read.
std::optional<item> find_item(const row_reader& rows, std::string_view sku);

/// Current on-hand of `sku` (0 when never seen): what the command side
/// checks a count against. One row read.
std::int64_t on_hand(const row_reader& rows, std::string_view sku);

/// Items sorted by sku, all or only those with low_stock, one page.
/// O(page) rows read.
item_page list_items(const row_reader& rows, bool low_only, const page_request& req);

}  // namespace inventory
}  // namespace sn::projections
