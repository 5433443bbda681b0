#include "actors/retail/decision_state.hpp"

#include <algorithm>

#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"

namespace sn::retail {

product_row product_registers::row() const {
  product_row r;
  r.sku = sku;
  r.name = name;
  r.barcode = barcode;
  r.price_cents = price_cents;
  r.tax_rate_bp = tax_rate_bp;
  r.low_stock_threshold = low_stock_threshold;
  r.active = active;
  r.updated_at = hlc_timestamp{std::max({info.hlc, price.hlc, act.hlc})};
  return r;
}

std::uint64_t own_number(const std::string& device, const std::string& id, bool is_return) {
  const std::size_t prefix = device.size() + 1 + (is_return ? 1 : 0);
  if (id.size() <= prefix || id.size() > prefix + 18) return 0;
  if (id.compare(0, device.size(), device) != 0 || id[device.size()] != '-') return 0;
  if (is_return && id[device.size() + 1] != 'R') return 0;
  std::uint64_t n = 0;
  for (std::size_t i = prefix; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(id[i] - '0');
  }
  return n;
}

product_registers& decision_state::slot(const std::string& sku) {
  auto [it, inserted] = products_.try_emplace(sku);
  if (inserted) it->second.sku = sku;
  return it->second;
}

void decision_state::note_number(const std::string& id, bool is_return) {
  const std::uint64_t n = own_number(self_.value(), id, is_return);
  std::uint64_t& slot = is_return ? last_return_no_ : last_receipt_no_;
  slot = std::max(slot, n);
}

void decision_state::apply(const event& e) {
  // The registers of the catalog projection (catalog.hpp); a payload that
  // does not decode or names no sku changes nothing (the projections park it).
  switch (static_cast<event_type>(e.type)) {
    case event_type::product_upserted: {
      auto p = payload_of<product_upserted>(e);
      if (!p || p->sku.empty()) return;
      product_registers& ps = slot(p->sku);
      const register_stamp s = register_stamp::of(e);
      if (s.newer_than(ps.info)) {
        ps.info = s;
        ps.name = p->name;
        ps.barcode = p->barcode;
        ps.tax_rate_bp = p->tax_rate_bp;
        ps.low_stock_threshold = p->low_stock_threshold;
      }
      if (s.newer_than(ps.price)) {
        ps.price = s;
        ps.price_cents = p->price_cents;
      }
      if (s.newer_than(ps.act)) {
        ps.act = s;
        ps.active = p->active;
      }
      return;
    }
    case event_type::price_changed: {
      auto p = payload_of<price_changed>(e);
      if (!p || p->sku.empty()) return;
      product_registers& ps = slot(p->sku);
      const register_stamp s = register_stamp::of(e);
      if (s.newer_than(ps.price)) {
        ps.price = s;
        ps.price_cents = p->price_cents;
      }
      return;
    }
    case event_type::product_deactivated: {
      auto p = payload_of<product_deactivated>(e);
      if (!p || p->sku.empty()) return;
      product_registers& ps = slot(p->sku);
      const register_stamp s = register_stamp::of(e);
      if (s.newer_than(ps.act)) {
        ps.act = s;
        ps.active = false;
      }
      return;
    }
    case event_type::sale_completed: {
      if (e.origin != self_) return;
      if (auto p = payload_of<sale_completed>(e)) note_number(p->receipt, false);
      return;
    }
    case event_type::sale_returned: {
      if (e.origin != self_) return;
      if (auto p = payload_of<sale_returned>(e)) note_number(p->return_id, true);
      return;
    }
    default:
      return;
  }
}

void decision_state::load_product(product_registers p) {
  std::string sku = p.sku;
  products_[std::move(sku)] = std::move(p);
}

void decision_state::load_counters(std::uint64_t last_receipt_no, std::uint64_t last_return_no) {
  last_receipt_no_ = std::max(last_receipt_no_, last_receipt_no);
  last_return_no_ = std::max(last_return_no_, last_return_no);
}

const product_registers* decision_state::product(const std::string& sku) const {
  auto it = products_.find(sku);
  return it == products_.end() || !it->second.known() ? nullptr : &it->second;
}

}  // namespace sn::retail
