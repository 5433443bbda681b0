// Internal to the events folder: the one list of every payload's fields in
// wire order, with the names the JSON view uses. The encoder, the decoder and
// the JSON view all walk these lists, so they cannot disagree.
// A visitor F provides operator()(const char* name, T& field) for the field
// types used here (std::string, std::int64_t, std::int32_t, std::uint64_t,
// bool, std::vector<std::string> and std::vector<S> of a struct S below).
// Adding a field: append it at the end (older readers ignore it, older
// writers leave it at its default) and document it in docs/events.md.
#pragma once

#include "events/device.hpp"
#include "events/election.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/staff.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"

#include <string_view>

namespace sn::detail {

template <class F> void fields(F& f, product_upserted& p) {
  f("sku", p.sku); f("name", p.name); f("barcode", p.barcode); f("price_cents", p.price_cents);
  f("tax_rate_bp", p.tax_rate_bp); f("low_stock_threshold", p.low_stock_threshold); f("active", p.active); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}
template <class F> void fields(F& f, price_changed& p) { f("sku", p.sku); f("price_cents", p.price_cents); f("staff_id", p.staff_id); f("approver_id", p.approver_id); }
template <class F> void fields(F& f, product_deactivated& p) { f("sku", p.sku); f("staff_id", p.staff_id); f("approver_id", p.approver_id); }

template <class F> void fields(F& f, stock_received& p) {
  f("sku", p.sku); f("qty", p.qty); f("supplier_ref", p.supplier_ref); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}
template <class F> void fields(F& f, stock_adjusted& p) {
  f("sku", p.sku); f("delta", p.delta); f("reason", p.reason); f("note", p.note); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}
template <class F> void fields(F& f, stock_counted& p) {
  f("sku", p.sku); f("counted_qty", p.counted_qty); f("expected_qty", p.expected_qty); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}

template <class F> void fields(F& f, sale_line& p) {
  f("sku", p.sku); f("qty", p.qty); f("unit_price_cents", p.unit_price_cents); f("discount_cents", p.discount_cents);
  f("tax_rate_bp", p.tax_rate_bp); f("tax_cents", p.tax_cents);
}
template <class F> void fields(F& f, payment& p) {
  f("method", p.method); f("amount_cents", p.amount_cents); f("brand", p.brand); f("last4", p.last4);
  f("auth_code", p.auth_code); f("processor_ref", p.processor_ref);
}
template <class F> void fields(F& f, sale_completed& p) {
  f("receipt", p.receipt); f("lines", p.lines); f("gross_cents", p.gross_cents);
  f("discount_cents", p.discount_cents); f("tax_cents", p.tax_cents); f("total_cents", p.total_cents);
  f("payments", p.payments); f("change_cents", p.change_cents); f("business_day", p.business_day); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}
template <class F> void fields(F& f, return_line& p) {
  f("sku", p.sku); f("qty", p.qty); f("refund_cents", p.refund_cents); f("tax_cents", p.tax_cents);
}
template <class F> void fields(F& f, sale_returned& p) {
  f("return_id", p.return_id); f("receipt", p.receipt); f("lines", p.lines); f("refund_cents", p.refund_cents);
  f("method", p.method); f("business_day", p.business_day); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}
template <class F> void fields(F& f, sale_voided& p) { f("receipt", p.receipt); f("reason", p.reason); f("staff_id", p.staff_id); f("approver_id", p.approver_id); }
template <class F> void fields(F& f, method_total& p) { f("method", p.method); f("amount_cents", p.amount_cents); }
template <class F> void fields(F& f, day_closed& p) {
  f("day", p.day); f("gross_cents", p.gross_cents); f("discounts_cents", p.discounts_cents);
  f("tax_cents", p.tax_cents); f("returns_cents", p.returns_cents); f("net_cents", p.net_cents);
  f("by_method", p.by_method); f("transactions", p.transactions); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}

template <class F> void fields(F& f, device_registered& p) {
  f("device_id", p.device_id); f("name", p.name); f("priority", p.priority); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}
template <class F> void fields(F& f, device_updated& p) {
  f("device_id", p.device_id); f("name", p.name); f("priority", p.priority); f("active", p.active); f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}

template <class F> void fields(F& f, store_created& p) { f("store_id", p.store_id); f("name", p.name); }
template <class F> void fields(F& f, device_enrolled& p) {
  f("device_id", p.device_id); f("signing_key", p.signing_key); f("curve_key", p.curve_key);
  f("priority", p.priority); f("approved_by", p.approved_by);
}
template <class F> void fields(F& f, device_keys_rotated& p) {
  f("device_id", p.device_id); f("signing_key", p.signing_key); f("curve_key", p.curve_key); f("approved_by", p.approved_by);
}
template <class F> void fields(F& f, device_revoked& p) {
  f("device_id", p.device_id); f("reason", p.reason); f("approved_by", p.approved_by);
  f("revoked_after_seq", p.revoked_after_seq);
}

template <class F> void fields(F& f, master_changed& p) {
  f("previous_master", p.previous_master); f("new_master", p.new_master); f("term", p.term);
  f("reason", p.reason); f("participants", p.participants);
}

template <class F> void fields(F& f, conflict_resolved& p) {
  f("register_name", p.register_name); f("key", p.key); f("winner", p.winner); f("loser", p.loser);
  f("method", p.method); f("old_value", p.old_value); f("new_value", p.new_value);
}

/// Calls fn(P{}) typed for the payload struct of a known type id; returns
/// false for an id this build does not know.
template <class Fn> bool with_payload_type(std::uint16_t type, Fn&& fn) {
  switch (static_cast<event_type>(type)) {
    case event_type::product_upserted: fn(product_upserted{}); return true;
    case event_type::price_changed: fn(price_changed{}); return true;
    case event_type::product_deactivated: fn(product_deactivated{}); return true;
    case event_type::stock_received: fn(stock_received{}); return true;
    case event_type::stock_adjusted: fn(stock_adjusted{}); return true;
    case event_type::stock_counted: fn(stock_counted{}); return true;
    case event_type::sale_completed: fn(sale_completed{}); return true;
    case event_type::sale_returned: fn(sale_returned{}); return true;
    case event_type::sale_voided: fn(sale_voided{}); return true;
    case event_type::day_closed: fn(day_closed{}); return true;
    case event_type::device_registered: fn(device_registered{}); return true;
    case event_type::device_updated: fn(device_updated{}); return true;
    case event_type::store_created: fn(store_created{}); return true;
    case event_type::device_enrolled: fn(device_enrolled{}); return true;
    case event_type::device_revoked: fn(device_revoked{}); return true;
    case event_type::device_keys_rotated: fn(device_keys_rotated{}); return true;
    case event_type::master_changed: fn(master_changed{}); return true;
    case event_type::conflict_resolved: fn(conflict_resolved{}); return true;
    case event_type::staff_added: fn(staff_added{}); return true;
    case event_type::staff_updated: fn(staff_updated{}); return true;
    case event_type::staff_removed: fn(staff_removed{}); return true;
    case event_type::staff_signed_in: fn(staff_signed_in{}); return true;
    case event_type::staff_sign_in_failed: fn(staff_sign_in_failed{}); return true;
    case event_type::staff_signed_out: fn(staff_signed_out{}); return true;
  }
  return false;
}

template <class F> void fields(F& f, staff_added& p) {
  f("id", p.id); f("name", p.name); f("role", p.role); f("pin_hash", p.pin_hash); f("active", p.active);
  f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}
template <class F> void fields(F& f, staff_updated& p) {
  f("id", p.id); f("name", p.name); f("role", p.role); f("pin_hash", p.pin_hash); f("active", p.active);
  f("staff_id", p.staff_id); f("approver_id", p.approver_id);
}
template <class F> void fields(F& f, staff_removed& p) { f("id", p.id); f("staff_id", p.staff_id); f("approver_id", p.approver_id); }
template <class F> void fields(F& f, staff_signed_in& p) { f("staff_id", p.staff_id); f("role", p.role); }
template <class F> void fields(F& f, staff_sign_in_failed& p) { f("staff_id", p.staff_id); f("reason", p.reason); }
template <class F> void fields(F& f, staff_signed_out& p) { f("staff_id", p.staff_id); }

/// The one field of any payload that is never rendered, logged or exported.
inline bool is_secret_field(const char* name) noexcept { return std::string_view(name) == "pin_hash"; }

} // namespace sn::detail
