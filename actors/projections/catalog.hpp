// The catalog projection (ARCHITECTURE.md §5): every product's descriptive
// fields, price and active flag as three last-writer-wins registers, and its
// queries (GET /v1/products, GET /v1/products/{sku}). The semantics are
// retail::views' catalog, unchanged.
//
// Registers (actors/retail/README.md), ordered by (HLC, origin, seq):
// - "product": name, barcode, tax_rate_bp, low_stock_threshold (upserts);
// - "product.price": price_cents (upserts and price changes);
// - "product.active": active (upserts and deactivations; true until written).
// A product is listed once an upsert of its sku has been folded; a price
// change or deactivation seen before any upsert is kept (pending) and takes
// part in the registers when the upsert arrives.
//
// Conflicts: a write that loses a register on arrival against another
// origin's write is reported into ctx.conflicts (when non-null), exactly as
// views reports it: an upsert reports at most one register (product, else
// product.price, else product.active); old_value = the loser's value,
// new_value = the register's value; refs "origin:seq".
//
// Parks: product events with an empty sku ("empty sku"). Every other event
// type (monostate included) is ignored.
//
// Rows (keys: row_codec.hpp; every register = lww_stamp.hpp encoding):
// | key                | value                                                  |
// |--------------------|--------------------------------------------------------|
// | 'p' sku "\0"       | product_state: stamp info, str name, str barcode,      |
// |                    | i32 tax_rate_bp, i64 low_stock_threshold, stamp price, |
// |                    | i64 price_cents, stamp active, bool active             |
// | 'q' sku "\0"       | product_state of a sku with no upsert yet (info unset):|
// |                    | its price/active registers wait here, not listed       |
// | 'n'                | u64 number of 'p' rows (the list's total)              |
// 'p' rows sort by sku: the products list is one prefix scan, a page costs
// O(page); a product by sku is one row read.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "actors/projections/lww_stamp.hpp"
#include "actors/projections/paging.hpp"
#include "actors/projections/projection.hpp"
#include "actors/projections/rows.hpp"
#include "events/hlc.hpp"

namespace sn::projections {

class catalog_projection final : public projection {
 public:
  const char* name() const noexcept override { return "catalog"; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) override;
};

namespace catalog {

/// A listed product (docs/api.md: GET /v1/products/{sku}).
struct product {
  std::string sku;
  std::string name;
  std::string barcode;
  std::int64_t price_cents = 0;
  std::int32_t tax_rate_bp = 0;
  std::int64_t low_stock_threshold = 0;
  bool active = true;
  hlc_timestamp updated_at;  ///< newest write of any of its three registers
};

/// The product with `sku`; nullopt when no upsert of it was folded. One row read.
std::optional<product> find_product(const row_reader& rows, std::string_view sku);

/// Products sorted by sku (inactive included), one page; total = every listed
/// product. O(page) rows read.
page<product> list_products(const row_reader& rows, const page_request& req);

// ---- command side (read once at start-up; no HTTP route) ----

/// One sku's three registers with their stamps: a listed product ('p', info
/// set) or one whose price / active registers wait for an upsert ('q').
struct registers {
  std::string sku;
  lww_stamp info;
  std::string name, barcode;
  std::int32_t tax_rate_bp = 0;
  std::int64_t low_stock_threshold = 0;
  lww_stamp price;
  std::int64_t price_cents = 0;
  lww_stamp act;
  bool active = true;
};

/// Every sku's registers ('p' rows, then 'q' rows; sku order within each):
/// what the command handler's decision state starts from. O(catalog).
void for_each_registers(const row_reader& rows, const std::function<void(registers&&)>& fn);

}  // namespace catalog
}  // namespace sn::projections
