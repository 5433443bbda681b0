// What the command handler decides from (ARCHITECTURE.md §5: "the command
// side decides from a narrow decision state, not from a copy of every
// view"). Pure: no I/O, no clock, no CAF.
//
// Three parts, each bounded by the shop's size, never by its age:
// - decision_state (here): what the hot path reads on every command, kept
//   in memory: the products (sku -> the "product", "product.price" and
//   "product.active" registers, as the catalog projection folds them) and
//   this device's receipt / return counters.
// - decision_overlay (decision_overlay.hpp): the events the handler has seen
//   that the projections may not have folded yet (its own drafts, committed
//   events of other origins), pruned as the projections fold them.
// - decision_source (decision_source.hpp): everything else (receipts, stock
//   on hand, the day's figures and closures, devices) read from the
//   projections' rows, with the overlay folded on top.
//
// Contract of decision_state
// - apply(e) folds any event once (own drafts as the handler decides them,
//   events of other origins as they are committed); registers are
//   last-writer-wins by (HLC, origin, seq) exactly as the catalog projection
//   (lww_stamp.hpp), so the state is a function of the set of events applied
//   plus what was loaded, whatever the order.
// - load_*() at start-up, from the projections' rows (the node reads them,
//   actors/decision_rows.hpp): the state of every event the log held then.
// - Counters: the highest own number ("<device>-000042", "<device>-R000007")
//   of this device's sales / returns, as the sales projection counts them.
// - Not thread-safe: owned by the command handler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "actors/retail/command_result.hpp"
#include "events/event.hpp"

namespace sn::retail {

/// The version of a last-writer-wins register (projections::lww_stamp's
/// order: HLC, then origin name, then seq within one origin).
struct register_stamp {
  bool set = false;
  std::uint64_t hlc = 0;
  std::string origin;
  std::uint64_t seq = 0;

  static register_stamp of(const event& e) {
    return register_stamp{true, e.hlc.packed(), e.origin.value(), e.seq.value()};
  }
  /// This write wins over `b` (an unset stamp loses to any set one).
  bool newer_than(const register_stamp& b) const {
    if (!b.set) return set;
    if (!set) return false;
    if (hlc != b.hlc) return hlc > b.hlc;
    if (origin == b.origin) return seq > b.seq;
    return origin > b.origin;
  }
};

/// One sku's three registers. `info` unset: no upsert seen yet (a price
/// change or deactivation waits for it; the product is not known).
struct product_registers {
  std::string sku;
  register_stamp info;  ///< "product": name, barcode, tax rate, low-stock threshold
  std::string name, barcode;
  std::int32_t tax_rate_bp = 0;
  std::int64_t low_stock_threshold = 0;
  register_stamp price;  ///< "product.price"
  std::int64_t price_cents = 0;
  register_stamp act;  ///< "product.active"
  bool active = true;

  bool known() const noexcept { return info.set; }
  /// As GET /v1/products/{sku} shows it (updated_at: the newest register write).
  product_row row() const;
};

class decision_state {
 public:
  explicit decision_state(device_id self) : self_(std::move(self)) {}

  /// Folds one event (any type; only products and own counters change).
  void apply(const event& e);

  /// Start-up: one sku's registers (known or waiting for its upsert).
  void load_product(product_registers p);
  /// Start-up: this device's counters as the sales projection holds them.
  void load_counters(std::uint64_t last_receipt_no, std::uint64_t last_return_no);

  /// The product with `sku`; nullptr when no upsert of it was applied.
  const product_registers* product(const std::string& sku) const;
  std::size_t products() const noexcept { return products_.size(); }
  std::uint64_t last_receipt_no() const noexcept { return last_receipt_no_; }
  std::uint64_t last_return_no() const noexcept { return last_return_no_; }
  const device_id& self() const noexcept { return self_; }

 private:
  product_registers& slot(const std::string& sku);
  void note_number(const std::string& id, bool is_return);

  device_id self_;
  std::unordered_map<std::string, product_registers> products_;
  std::uint64_t last_receipt_no_ = 0;
  std::uint64_t last_return_no_ = 0;
};

/// "<device>-000042" -> 42, "<device>-R000007" -> 7 (is_return); 0 when
/// the id is not of that device's form (projections::sales::own_number).
std::uint64_t own_number(const std::string& device, const std::string& id, bool is_return);

}  // namespace sn::retail
