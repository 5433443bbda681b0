#include "tests/support/reference_views/views.hpp"

#include <algorithm>
#include <tuple>

#include "actors/retail/business_day.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"
#include "events/upcast.hpp"

namespace sn::retail {

using nlohmann::json;

const char* to_string(pay_method m) noexcept {
  switch (m) {
    case pay_method::cash: return "cash";
    case pay_method::card: return "card";
    case pay_method::other: return "other";
  }
  return "other";
}

std::optional<pay_method> pay_method_from_string(std::string_view s) noexcept {
  if (s == "cash") return pay_method::cash;
  if (s == "card") return pay_method::card;
  if (s == "other") return pay_method::other;
  return std::nullopt;
}

namespace {

pay_method method_or_other(const std::string& s) { return pay_method_from_string(s).value_or(pay_method::other); }

// "<origin>-000042" -> 42 (or "<origin>-R000007" -> 7 when is_return); 0 when
// the id is not of that origin's form.
std::uint64_t own_number(const std::string& origin, const std::string& id, bool is_return) {
  const std::size_t prefix = origin.size() + 1 + (is_return ? 1 : 0);
  if (id.size() <= prefix || id.size() > prefix + 18) return 0;
  if (id.compare(0, origin.size(), origin) != 0 || id[origin.size()] != '-') return 0;
  if (is_return && id[origin.size() + 1] != 'R') return 0;
  std::uint64_t n = 0;
  for (std::size_t i = prefix; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return 0;
    n = n * 10 + static_cast<std::uint64_t>(id[i] - '0');
  }
  return n;
}

std::string time_of(std::uint64_t hlc) { return hlc_timestamp{hlc}.to_rfc3339(); }

} // namespace

views::views(store_settings s) : settings_(s) { staff_ids_.intern(""); }

// ---------------------------------------------------------------- interning

std::uint32_t views::origin_id(const std::string& name) {
  if (last_origin_valid_ && name == last_origin_name_) return last_origin_id_;
  const auto [id, added] = origins_.intern(name);
  if (added) {
    last_seen_.push_back(0);
    last_receipt_no_.push_back(0);
    last_return_no_.push_back(0);
  }
  last_origin_name_ = name;
  last_origin_id_ = id;
  last_origin_valid_ = true;
  return id;
}

std::uint32_t views::sku_id(const std::string& sku) {
  const auto [id, added] = skus_.intern(sku);
  if (added) {
    products_.emplace_back();
    products_.back().sku = sku;
  }
  return id;
}

std::optional<std::uint32_t> views::find_sku(const std::string& sku) const { return skus_.find(sku); }

views::sale_rec& views::sale_at(const std::string& receipt) {
  const auto [id, added] = receipts_.intern(receipt);
  if (added) sales_.emplace_back();
  return sales_[id];
}

const views::sale_rec* views::find_sale(const std::string& receipt) const {
  const auto id = receipts_.find(receipt);
  return id ? &sales_[*id] : nullptr;
}

bool views::newer(const stamp& a, const stamp& b) const {
  if (!b.set) return a.set;
  if (!a.set) return false;
  if (a.hlc != b.hlc) return a.hlc > b.hlc;
  if (a.origin == b.origin) return a.seq > b.seq;
  return origin_name(a.origin) > origin_name(b.origin);
}

views::stamp views::stamp_of(const event& e, std::uint32_t origin) const {
  return stamp{e.hlc.packed(), origin, e.seq.value(), true};
}

std::string views::ref(const stamp& s) const {
  return origin_name(s.origin) + ":" + std::to_string(s.seq);
}

void views::park(const event& e, std::string reason) {
  ++parked_;
  if (parked_list_.size() < parked_events_max) {
    parked_list_.push_back(parked_event{e.origin.value(), e.seq.value(), e.type, e.hlc.packed(), std::move(reason)});
  }
}

void views::report(register_conflict c) {
  if (!detect_conflicts_) return;
  if (conflicts_.size() >= conflicts_max) {
    conflicts_.erase(conflicts_.begin());
    ++conflicts_dropped_;
  }
  conflicts_.push_back(std::move(c));
}

std::vector<register_conflict> views::take_conflicts() {
  std::vector<register_conflict> out;
  out.swap(conflicts_);
  return out;
}

void views::note_receipt(std::uint32_t origin, const std::string& id, bool is_return) {
  const std::uint64_t n = own_number(origin_name(origin), id, is_return);
  auto& slot = is_return ? last_return_no_[origin] : last_receipt_no_[origin];
  if (n > slot) slot = n;
}

// ---------------------------------------------------------------- apply

// Payloads are folded at the schema this build writes: older ones are
// upcast (events/upcast.hpp) with the store's settings.
template <class Payload>
void views::fold(const event& e, std::uint32_t o) {
  auto p = decode_current<Payload>(e, upcast_context{&settings_.zone});
  if (!p) {
    park(e, "payload: " + p.error().message);
    return;
  }
  if (const char* reason = on(e, o, *p)) {
    park(e, reason);
    return;
  }
  ++applied_;
}

void views::apply(const event& e) {
  const std::uint32_t o = origin_id(e.origin.value());
  if (e.hlc.packed() > last_seen_[o]) last_seen_[o] = e.hlc.packed();
  switch (static_cast<event_type>(e.type)) {
    case event_type::product_upserted: return fold<product_upserted>(e, o);
    case event_type::price_changed: return fold<price_changed>(e, o);
    case event_type::product_deactivated: return fold<product_deactivated>(e, o);
    case event_type::stock_received: return fold<stock_received>(e, o);
    case event_type::stock_adjusted: return fold<stock_adjusted>(e, o);
    case event_type::stock_counted: return fold<stock_counted>(e, o);
    case event_type::sale_completed: return fold<sale_completed>(e, o);
    case event_type::sale_returned: return fold<sale_returned>(e, o);
    case event_type::sale_voided: return fold<sale_voided>(e, o);
    case event_type::day_closed: return fold<day_closed>(e, o);
    case event_type::device_registered: return fold<device_registered>(e, o);
    case event_type::device_updated: return fold<device_updated>(e, o);
    case event_type::master_changed: return fold<master_changed>(e, o);
    case event_type::conflict_resolved: return fold<conflict_resolved>(e, o);
    case event_type::staff_added:
    case event_type::staff_updated:
    case event_type::staff_removed:
    case event_type::staff_signed_in:
    case event_type::staff_sign_in_failed:
    case event_type::staff_signed_out:
      ++applied_;  // known; the staff projection folds them (views has no staff view)
      return;
    // Membership (issue 9): known, but no retail view folds it.
    case event_type::store_created:
    case event_type::device_enrolled:
    case event_type::device_revoked:
    case event_type::device_keys_rotated: return;
  }
  ++skipped_unknown_;
}

const char* views::on(const event& e, std::uint32_t o, const product_upserted& p) {
  if (p.sku.empty()) return "empty sku";
  product_state& ps = products_[sku_id(p.sku)];
  const stamp s = stamp_of(e, o);
  const auto product_value = [](const std::string& name, const std::string& barcode, std::int64_t price,
                                std::int32_t tax, std::int64_t low, bool active) {
    return json{{"name", name}, {"barcode", barcode}, {"price_cents", price}, {"tax_rate_bp", tax},
                {"low_stock_threshold", low}, {"active", active}};
  };
  bool reported = false;
  if (newer(s, ps.info)) {
    ps.info = s;
    ps.name = p.name;
    ps.barcode = p.barcode;
    ps.tax_rate_bp = p.tax_rate_bp;
    ps.low_stock_threshold = p.low_stock_threshold;
  } else if (ps.info.origin != o) {
    reported = true;
    report({"product", p.sku, ref(ps.info), ref(s), "lww_hlc_origin",
            product_value(p.name, p.barcode, p.price_cents, p.tax_rate_bp, p.low_stock_threshold, p.active),
            product_value(ps.name, ps.barcode, ps.price_cents, ps.tax_rate_bp, ps.low_stock_threshold, ps.active),
            hlc_timestamp{ps.info.hlc}, e.hlc});
  }
  if (newer(s, ps.price)) {
    ps.price = s;
    ps.price_cents = p.price_cents;
    ps.price_type = e.type;
  } else if (!reported && ps.price.origin != o) {
    reported = true;
    report({"product.price", p.sku, ref(ps.price), ref(s), "lww_hlc_origin", json{{"price_cents", p.price_cents}},
            json{{"price_cents", ps.price_cents}}, hlc_timestamp{ps.price.hlc}, e.hlc});
  }
  if (newer(s, ps.act)) {
    ps.act = s;
    ps.active = p.active;
    ps.act_type = e.type;
  } else if (!reported && ps.act.origin != o) {
    report({"product.active", p.sku, ref(ps.act), ref(s), "lww_hlc_origin", json{{"active", p.active}},
            json{{"active", ps.active}}, hlc_timestamp{ps.act.hlc}, e.hlc});
  }
  return nullptr;
}

const char* views::on(const event& e, std::uint32_t o, const price_changed& p) {
  if (p.sku.empty()) return "empty sku";
  product_state& ps = products_[sku_id(p.sku)];
  const stamp s = stamp_of(e, o);
  if (newer(s, ps.price)) {
    ps.price = s;
    ps.price_cents = p.price_cents;
    ps.price_type = e.type;
  } else if (ps.price.origin != o) {
    report({"product.price", p.sku, ref(ps.price), ref(s), "lww_hlc_origin", json{{"price_cents", p.price_cents}},
            json{{"price_cents", ps.price_cents}}, hlc_timestamp{ps.price.hlc}, e.hlc});
  }
  return nullptr;
}

const char* views::on(const event& e, std::uint32_t o, const product_deactivated& p) {
  if (p.sku.empty()) return "empty sku";
  product_state& ps = products_[sku_id(p.sku)];
  const stamp s = stamp_of(e, o);
  if (newer(s, ps.act)) {
    ps.act = s;
    ps.active = false;
    ps.act_type = e.type;
  } else if (ps.act.origin != o) {
    report({"product.active", p.sku, ref(ps.act), ref(s), "lww_hlc_origin", json{{"active", false}},
            json{{"active", ps.active}}, hlc_timestamp{ps.act.hlc}, e.hlc});
  }
  return nullptr;
}

const char* views::on(const event&, std::uint32_t, const stock_received& p) {
  product_state& ps = products_[sku_id(p.sku)];
  ps.touched = true;
  ps.on_hand += p.qty;
  ps.received += p.qty;
  return nullptr;
}

const char* views::on(const event&, std::uint32_t, const stock_adjusted& p) {
  product_state& ps = products_[sku_id(p.sku)];
  ps.touched = true;
  ps.on_hand += p.delta;
  ps.adjusted += p.delta;
  return nullptr;
}

// The count rule (events/stock.hpp): a count is the delta counted - expected
// where expected is what the counting device's projection showed. It is a
// sum like any other movement, so concurrent sales elsewhere still subtract.
const char* views::on(const event& e, std::uint32_t o, const stock_counted& p) {
  product_state& ps = products_[sku_id(p.sku)];
  const std::int64_t delta = p.counted_qty - p.expected_qty;
  ps.touched = true;
  ps.on_hand += delta;
  ps.count_adjusted += delta;
  const stamp s = stamp_of(e, o);
  if (newer(s, ps.count)) {
    ps.count = s;
    ps.count_counted = p.counted_qty;
    ps.count_expected = p.expected_qty;
  }
  return nullptr;
}

// The seller's figures of a sale's day and device (issue 10): what the
// device's figures get, for the person the sale names.
void views::staff_effects(const sale_rec& s, const std::function<void(figures&)>& fn) {
  const std::string& who = staff_ids_.name(s.staff);
  if (!who.empty()) fn(staff_daily_[{s.day, who, origin_name(s.origin)}]);
}

void views::sale_effects(const sale_rec& s, int sign) {
  const auto money = [&](figures& f) {
    f.gross += sign * s.gross;
    f.discounts += sign * s.discount;
    f.tax += sign * s.tax;
    f.transactions += sign;
    for (std::size_t m = 0; m < pay_method_count; ++m) f.by_method[m] += sign * s.paid[m];
    f.by_method[static_cast<std::size_t>(pay_method::cash)] -= sign * s.change;
  };
  money(daily_[daily_key(s.day, s.origin)]);
  staff_effects(s, money);
  for (const line_rec& l : lines_of(s)) {
    product_state& ps = products_[l.sku];
    ps.on_hand -= sign * l.qty;
    ps.sold += sign * l.qty;
  }
}

// The day is the one the till stamped (or, for schema 1, the upcaster
// derived from the HLC): never this node's own zone, so every device folds a
// sale on the same day.
const char* views::on(const event& e, std::uint32_t o, sale_completed& p) {
  if (p.receipt.empty()) return "empty receipt";
  const auto day = day_from_string(p.business_day);
  if (!day) return "invalid business_day";
  sale_rec& s = sale_at(p.receipt);
  if (s.present) return "duplicate receipt";
  s.present = true;
  s.origin = o;
  s.hlc = e.hlc.packed();
  s.day = *day;
  s.line_begin = static_cast<std::uint32_t>(lines_.size());
  s.line_count = static_cast<std::uint32_t>(p.lines.size());
  for (const sale_line& l : p.lines) {
    const std::uint32_t id = sku_id(l.sku);
    products_[id].touched = true;
    lines_.push_back(line_rec{id, l.qty, l.unit_price_cents, l.discount_cents, l.tax_cents, l.tax_rate_bp});
  }
  s.gross = p.gross_cents;
  s.discount = p.discount_cents;
  s.tax = p.tax_cents;
  s.total = p.total_cents;
  s.change = p.change_cents;
  s.staff = staff_ids_.intern(p.staff_id).first;
  for (const payment& m : p.payments) s.paid[static_cast<std::size_t>(method_or_other(m.method))] += m.amount_cents;
  for (const payment& m : p.payments) {
    if (m.method == "card") cards_[p.receipt].push_back(m);
  }
  if (s.voided) {
    daily_[daily_key(s.day, s.origin)].voids += 1;
    staff_effects(s, [](figures& f) { f.voids += 1; });
  } else {
    sale_effects(s, +1);
  }
  note_receipt(o, p.receipt, false);
  return nullptr;
}

const char* views::on(const event& e, std::uint32_t o, sale_returned& p) {
  if (p.return_id.empty() || p.receipt.empty()) return "empty return id or receipt";
  const auto day = day_from_string(p.business_day);
  if (!day) return "invalid business_day";
  const auto [rid, added] = return_ids_.intern(p.return_id);
  if (!added) return "duplicate return id";
  returns_.emplace_back();
  return_rec& r = returns_[rid];
  r.origin = o;
  r.hlc = e.hlc.packed();
  r.day = *day;
  r.receipt = p.receipt;
  r.refund = p.refund_cents;
  r.method = method_or_other(p.method);
  sale_extra& s = extra_of(sale_at(p.receipt));
  std::int64_t tax = 0;
  r.lines.reserve(p.lines.size());
  for (const return_line& l : p.lines) {
    const std::uint32_t id = sku_id(l.sku);
    product_state& ps = products_[id];
    ps.touched = true;
    ps.on_hand += l.qty;
    ps.returned += l.qty;
    tax += l.tax_cents;
    r.lines.push_back(line_rec{id, l.qty, l.refund_cents, 0, l.tax_cents, 0});
    auto rit = std::find_if(s.returned.begin(), s.returned.end(), [&](const auto& x) { return x.first == id; });
    if (rit == s.returned.end()) {
      s.returned.emplace_back(id, l.qty);
    } else {
      rit->second += l.qty;
    }
  }
  s.refunded += p.refund_cents;
  s.return_ids.push_back(p.return_id);
  r.staff = p.staff_id;
  const auto money = [&](figures& f) {
    f.returns += p.refund_cents;
    f.returns_tax += tax;
    f.by_method[static_cast<std::size_t>(r.method)] -= p.refund_cents;
    f.return_count += 1;
  };
  money(daily_[daily_key(r.day, o)]);
  if (!r.staff.empty()) money(staff_daily_[{r.day, r.staff, origin_name(o)}]);
  note_receipt(o, p.return_id, true);
  return nullptr;
}

// A void removes the sale's figures and gives its goods back. Only the first
// void of a receipt counts; a void seen before its sale waits in the record.
const char* views::on(const event& e, std::uint32_t o, const sale_voided& p) {
  if (p.receipt.empty()) return "empty receipt";
  sale_rec& s = sale_at(p.receipt);
  sale_extra& x = extra_of(s);
  const stamp st = stamp_of(e, o);
  if (newer(st, x.void_stamp)) {
    x.void_stamp = st;
    x.void_reason = p.reason;
  }
  if (s.voided) return nullptr;
  s.voided = true;
  if (s.present) {
    sale_effects(s, -1);
    daily_[daily_key(s.day, s.origin)].voids += 1;
    staff_effects(s, [](figures& f) { f.voids += 1; });
  }
  return nullptr;
}

const char* views::on(const event& e, std::uint32_t o, const day_closed& p) {
  const auto day = day_from_string(p.day);
  if (!day) return "invalid day";
  closure& c = closures_[daily_key(*day, o)];
  const stamp s = stamp_of(e, o);
  if (newer(s, c.at)) {
    c.at = s;
    c.gross = p.gross_cents;
    c.discounts = p.discounts_cents;
    c.tax = p.tax_cents;
    c.returns = p.returns_cents;
    c.net = p.net_cents;
    c.transactions = p.transactions;
    c.by_method.clear();
    for (const method_total& m : p.by_method) c.by_method.emplace_back(m.method, m.amount_cents);
  }
  return nullptr;
}

void views::write_device(const event& e, std::uint32_t o, const std::string& id, const std::string& name,
                         std::int32_t priority, bool active, bool registered) {
  const bool fresh = devices_.count(id) == 0;
  device_rec& d = devices_[id];
  if (registered) d.registered = true;
  const stamp s = stamp_of(e, o);
  if (fresh || s.hlc < d.created) d.created = s.hlc;
  if (newer(s, d.reg)) {
    d.reg = s;
    d.name = name;
    d.priority = priority;
    d.active = active;
  } else if (d.reg.origin != o) {
    report({"device", id, ref(d.reg), ref(s), "lww_hlc_origin",
            json{{"name", name}, {"priority", priority}, {"active", active}},
            json{{"name", d.name}, {"priority", d.priority}, {"active", d.active}}, hlc_timestamp{d.reg.hlc}, e.hlc});
  }
}

const char* views::on(const event& e, std::uint32_t o, const device_registered& p) {
  if (p.device_id.empty()) return "empty device id";
  write_device(e, o, p.device_id, p.name, p.priority, true, true);
  return nullptr;
}

const char* views::on(const event& e, std::uint32_t o, const device_updated& p) {
  if (p.device_id.empty()) return "empty device id";
  write_device(e, o, p.device_id, p.name, p.priority, p.active, false);
  return nullptr;
}

const char* views::on(const event& e, std::uint32_t o, master_changed& p) {
  elections_.push_back(election_rec{e.hlc.packed(), o, p.term, std::move(p.previous_master), std::move(p.new_master),
                                    std::move(p.reason), std::move(p.participants)});
  return nullptr;
}

const char* views::on(const event& e, std::uint32_t o, conflict_resolved& p) {
  audit_.push_back(audit_rec{e.hlc.packed(), o, e.seq.value(), std::move(p.register_name), std::move(p.key),
                             std::move(p.winner), std::move(p.loser), std::move(p.method), std::move(p.old_value),
                             std::move(p.new_value)});
  return nullptr;
}

// ---------------------------------------------------------------- queries

std::int64_t views::on_hand(const std::string& sku) const {
  const auto id = find_sku(sku);
  return id ? products_[*id].on_hand : 0;
}

const views::election_rec* views::newest_election() const {
  const election_rec* best = nullptr;
  for (const election_rec& r : elections_) {
    if (!best || std::tie(r.term, r.hlc, origin_name(r.origin)) >
                     std::tie(best->term, best->hlc, origin_name(best->origin))) {
      best = &r;
    }
  }
  return best;
}

std::string views::current_master() const {
  const election_rec* r = newest_election();
  return r ? r->new_master : std::string{};
}

json views::product_json(const product_state& p) const {
  std::uint64_t updated = std::max({p.info.hlc, p.price.hlc, p.act.hlc});
  return json{{"sku", p.sku},
              {"name", p.name},
              {"barcode", p.barcode},
              {"price_cents", p.price_cents},
              {"tax_rate_bp", p.tax_rate_bp},
              {"low_stock_threshold", p.low_stock_threshold},
              {"active", p.active},
              {"updated_at", time_of(updated)}};
}

json views::products() const {
  std::vector<const product_state*> list;
  for (const product_state& p : products_) {
    if (p.info.set) list.push_back(&p);
  }
  std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->sku < b->sku; });
  json arr = json::array();
  for (auto* p : list) arr.push_back(product_json(*p));
  return json{{"products", std::move(arr)}, {"count", list.size()}};
}

std::optional<json> views::product(const std::string& sku) const {
  const auto id = find_sku(sku);
  if (!id || !products_[*id].info.set) return std::nullopt;
  return product_json(products_[*id]);
}

json views::stock_json(const product_state& p) const {
  json j{{"sku", p.sku},
         {"name", p.name},
         {"on_hand", p.on_hand},
         {"oversold", p.on_hand < 0},
         {"low_stock", p.on_hand <= p.low_stock_threshold},
         {"low_stock_threshold", p.low_stock_threshold},
         {"received_qty", p.received},
         {"sold_qty", p.sold},
         {"returned_qty", p.returned},
         {"adjusted_qty", p.adjusted},
         {"count_adjusted_qty", p.count_adjusted},
         {"last_count", nullptr}};
  if (p.count.set) {
    j["last_count"] = json{{"counted_qty", p.count_counted},
                           {"expected_qty", p.count_expected},
                           {"device", origin_name(p.count.origin)},
                           {"time", time_of(p.count.hlc)}};
  }
  return j;
}

json views::inventory(bool low_only) const {
  std::vector<const product_state*> list;
  for (const product_state& p : products_) {
    if (!p.info.set && !p.touched) continue;
    if (low_only && p.on_hand > p.low_stock_threshold) continue;
    list.push_back(&p);
  }
  std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->sku < b->sku; });
  json arr = json::array();
  std::size_t oversold = 0;
  for (auto* p : list) {
    arr.push_back(stock_json(*p));
    if (p->on_hand < 0) ++oversold;
  }
  return json{{"items", std::move(arr)}, {"count", list.size()}, {"oversold_count", oversold}};
}

std::optional<json> views::inventory_item(const std::string& sku) const {
  const auto id = find_sku(sku);
  if (!id || (!products_[*id].info.set && !products_[*id].touched)) return std::nullopt;
  return stock_json(products_[*id]);
}

json views::sale_json(const std::string& receipt, const sale_rec& s) const {
  json lines = json::array();
  const sale_extra& x = extra_of(s);
  for (const line_rec& l : lines_of(s)) {
    std::int64_t returned = 0;
    for (const auto& [sku, qty] : x.returned) {
      if (sku == l.sku) returned = qty;
    }
    lines.push_back(json{{"sku", products_[l.sku].sku},
                         {"qty", l.qty},
                         {"unit_price_cents", l.unit_price_cents},
                         {"discount_cents", l.discount_cents},
                         {"tax_rate_bp", l.tax_rate_bp},
                         {"tax_cents", l.tax_cents},
                         {"total_cents", l.qty * l.unit_price_cents - l.discount_cents},
                         {"returned_qty", returned}});
  }
  json pays = json::array();
  for (std::size_t m = 0; m < pay_method_count; ++m) {
    if (s.paid[m] != 0) pays.push_back(json{{"method", to_string(static_cast<pay_method>(m))}, {"amount_cents", s.paid[m]}});
  }
  std::vector<std::string> ids = x.return_ids;
  std::sort(ids.begin(), ids.end());
  json j{{"receipt", receipt},
         {"device", origin_name(s.origin)},
         {"time", time_of(s.hlc)},
         {"day", day_to_string(s.day)},
         {"lines", std::move(lines)},
         {"gross_cents", s.gross},
         {"discount_cents", s.discount},
         {"tax_cents", s.tax},
         {"total_cents", s.total},
         {"payments", std::move(pays)},
         {"change_cents", s.change},
         {"voided", s.voided},
         {"refunded_cents", x.refunded},
         {"returns", ids},
         {"staff_id", staff_ids_.name(s.staff)}};
  json cards = json::array();
  if (auto it = cards_.find(receipt); it != cards_.end()) {
    for (const payment& c : it->second) {
      cards.push_back(json{{"brand", c.brand},
                           {"last4", c.last4},
                           {"auth_code", c.auth_code},
                           {"processor_ref", c.processor_ref},
                           {"amount_cents", c.amount_cents}});
    }
  }
  j["cards"] = std::move(cards);
  if (s.voided && x.void_stamp.set) {
    j["void"] = json{{"reason", x.void_reason},
                     {"device", origin_name(x.void_stamp.origin)},
                     {"time", time_of(x.void_stamp.hlc)}};
  }
  return j;
}

std::optional<json> views::sale(const std::string& receipt) const {
  const sale_rec* s = find_sale(receipt);
  if (!s || !s->present) return std::nullopt;
  return sale_json(receipt, *s);
}

json views::sales(std::optional<std::string> day, std::optional<std::string> device,
                  std::optional<std::string> staff) const {
  std::optional<std::int32_t> day_no;
  if (day) {
    day_no = day_from_string(*day);
    if (!day_no) return json{{"sales", json::array()}, {"count", 0}, {"truncated", false}, {"by_product", json::array()}};
  }
  std::vector<std::pair<const std::string*, const sale_rec*>> list;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_product;  // sku -> qty, net cents
  for (std::uint32_t id = 0; id < sales_.size(); ++id) {
    const sale_rec& s = sales_[id];
    const std::string& receipt = receipts_.name(id);
    if (!s.present) continue;
    if (day_no && s.day != *day_no) continue;
    if (device && origin_name(s.origin) != *device) continue;
    if (staff && (s.staff == 0 || staff_ids_.name(s.staff) != *staff)) continue;
    list.emplace_back(&receipt, &s);
    if (s.voided) continue;
    for (const line_rec& l : lines_of(s)) {
      auto& agg = by_product[products_[l.sku].sku];
      agg.first += l.qty;
      agg.second += l.qty * l.unit_price_cents - l.discount_cents;
    }
  }
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return std::tie(b.second->hlc, *b.first) < std::tie(a.second->hlc, *a.first);  // newest first
  });
  json arr = json::array();
  for (std::size_t i = 0; i < list.size() && i < list_entries_max; ++i) {
    const sale_rec& s = *list[i].second;
    std::int64_t items = 0;
    for (const line_rec& l : lines_of(s)) items += l.qty;
    arr.push_back(json{{"receipt", *list[i].first},
                       {"device", origin_name(s.origin)},
                       {"time", time_of(s.hlc)},
                       {"day", day_to_string(s.day)},
                       {"items", items},
                       {"total_cents", s.total},
                       {"voided", s.voided},
                       {"refunded_cents", extra_of(s).refunded},
                       {"staff_id", staff_ids_.name(s.staff)}});
  }
  json prods = json::array();
  for (const auto& [sku, agg] : by_product) prods.push_back(json{{"sku", sku}, {"qty", agg.first}, {"net_cents", agg.second}});
  return json{{"sales", std::move(arr)},
              {"count", list.size()},
              {"truncated", list.size() > list_entries_max},
              {"by_product", std::move(prods)}};
}

json views::figures_json(const figures& f) const {
  json by_method = json::object();
  for (std::size_t m = 0; m < pay_method_count; ++m) by_method[to_string(static_cast<pay_method>(m))] = f.by_method[m];
  return json{{"gross_cents", f.gross},
              {"discounts_cents", f.discounts},
              {"tax_cents", f.tax - f.returns_tax},
              {"returns_cents", f.returns},
              {"net_cents", f.gross - f.discounts - f.returns},
              {"by_method", std::move(by_method)},
              {"transactions", f.transactions},
              {"returns", f.return_count},
              {"voids", f.voids}};
}

json views::closure_json(const closure& c) const {
  json by_method = json::object();
  for (const auto& [m, amount] : c.by_method) by_method[m] = amount;
  return json{{"gross_cents", c.gross},       {"discounts_cents", c.discounts}, {"tax_cents", c.tax},
              {"returns_cents", c.returns},   {"net_cents", c.net},             {"by_method", std::move(by_method)},
              {"transactions", c.transactions}, {"time", time_of(c.at.hlc)}};
}

json views::daily_report(std::optional<std::string> day, std::optional<std::string> device,
                         std::optional<std::string> staff) const {
  std::optional<std::int32_t> day_no;
  if (day) {
    day_no = day_from_string(*day);
  } else {
    for (const auto& [key, f] : daily_) {
      const auto d = static_cast<std::int32_t>(static_cast<std::uint32_t>(key >> 32));
      if (!day_no || d > *day_no) day_no = d;
    }
  }
  figures total;
  std::map<std::string, json> per_device;
  std::map<std::string, figures> per_staff;
  const auto add = [](figures& to, const figures& f) {
    to.gross += f.gross;
    to.discounts += f.discounts;
    to.tax += f.tax;
    to.returns += f.returns;
    to.returns_tax += f.returns_tax;
    for (std::size_t m = 0; m < pay_method_count; ++m) to.by_method[m] += f.by_method[m];
    to.transactions += f.transactions;
    to.return_count += f.return_count;
    to.voids += f.voids;
  };
  // A figures row exists while a sale or return counts on it (as the
  // projection keeps it): a row whose every count went back to zero is gone.
  const auto counted = [](const figures& f) { return f.transactions != 0 || f.return_count != 0 || f.voids != 0; };
  if (day_no) {
    for (const auto& [key, f] : staff_daily_) {
      const auto& [d, who, dev] = key;
      if (d != *day_no || (device && dev != *device) || (staff && who != *staff) || !counted(f)) continue;
      add(per_staff[who], f);
      if (!staff) continue;
      add(total, f);
      json j = figures_json(f);
      j["closed"] = nullptr;
      per_device[dev] = std::move(j);
    }
    for (const auto& [key, f] : daily_) {
      if (staff) break;
      if (static_cast<std::int32_t>(static_cast<std::uint32_t>(key >> 32)) != *day_no) continue;
      const std::string& dev = origin_name(static_cast<std::uint32_t>(key));
      if (device && dev != *device) continue;
      total.gross += f.gross;
      total.discounts += f.discounts;
      total.tax += f.tax;
      total.returns += f.returns;
      total.returns_tax += f.returns_tax;
      for (std::size_t m = 0; m < pay_method_count; ++m) total.by_method[m] += f.by_method[m];
      total.transactions += f.transactions;
      total.return_count += f.return_count;
      total.voids += f.voids;
      json j = figures_json(f);
      j["closed"] = nullptr;
      per_device[dev] = std::move(j);
    }
    for (const auto& [key, c] : closures_) {
      if (static_cast<std::int32_t>(static_cast<std::uint32_t>(key >> 32)) != *day_no) continue;
      const std::string& dev = origin_name(static_cast<std::uint32_t>(key));
      if (device && dev != *device) continue;
      auto it = per_device.find(dev);
      if (it == per_device.end()) {
        json j = figures_json(figures{});
        it = per_device.emplace(dev, std::move(j)).first;
      }
      it->second["closed"] = closure_json(c);
    }
  }
  json j = figures_json(total);
  j["day"] = day_no ? json(day_to_string(*day_no)) : json(nullptr);
  if (device) j["device"] = *device;
  if (staff) j["staff"] = *staff;
  json devs = json::object();
  for (auto& [dev, dj] : per_device) devs[dev] = std::move(dj);
  j["devices"] = std::move(devs);
  json by_staff = json::object();
  for (const auto& [who, f] : per_staff) by_staff[who] = figures_json(f);
  j["by_staff"] = std::move(by_staff);
  return j;
}

json views::device_json(const std::string& id) const {
  json j{{"device_id", id}, {"name", ""}, {"priority", 0}, {"active", true}, {"registered", false}};
  auto it = devices_.find(id);
  if (it != devices_.end()) {
    j["name"] = it->second.name;
    j["priority"] = it->second.priority;
    j["active"] = it->second.active;
    j["registered"] = it->second.registered;
  }
  j["created_at"] = it != devices_.end() ? json(time_of(it->second.created)) : json(nullptr);
  j["updated_at"] = it != devices_.end() ? json(time_of(it->second.reg.hlc)) : json(nullptr);
  j["role"] = current_master() == id ? "master" : "client";
  const auto oid = origins_.find(id);
  j["last_event_time"] = (oid && last_seen_[*oid] != 0) ? json(time_of(last_seen_[*oid])) : json(nullptr);
  return j;
}

json views::devices() const {
  std::vector<std::string> ids;
  for (const auto& [id, d] : devices_) ids.push_back(id);
  for (std::uint32_t o = 0; o < origins_.size(); ++o) {
    if (last_seen_[o] != 0) ids.push_back(origin_name(o));
  }
  const std::string master = current_master();
  if (!master.empty()) ids.push_back(master);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  json arr = json::array();
  for (const auto& id : ids) arr.push_back(device_json(id));
  return json{{"devices", std::move(arr)}, {"master", master.empty() ? json(nullptr) : json(master)}};
}

std::optional<json> views::device(const std::string& id) const {
  const auto oid = origins_.find(id);
  const bool known = devices_.count(id) != 0 || current_master() == id || (oid && last_seen_[*oid] != 0);
  if (!known) return std::nullopt;
  return device_json(id);
}

json views::elections() const {
  std::vector<const election_rec*> list;
  for (const election_rec& r : elections_) list.push_back(&r);
  std::sort(list.begin(), list.end(), [this](auto* a, auto* b) {
    return std::tie(b->term, b->hlc, origin_name(b->origin)) < std::tie(a->term, a->hlc, origin_name(a->origin));
  });
  json arr = json::array();
  for (auto* r : list) {
    arr.push_back(json{{"previous_master", r->previous_master.empty() ? json(nullptr) : json(r->previous_master)},
                       {"new_master", r->new_master},
                       {"term", r->term},
                       {"reason", r->reason},
                       {"time", time_of(r->hlc)},
                       {"participants", r->participants},
                       {"recorded_by", origin_name(r->origin)}});
  }
  return json{{"elections", std::move(arr)}, {"count", list.size()}};
}

json views::audit(const audit_filter& f) const {
  const auto origin_of_ref = [](const std::string& r) { return r.substr(0, r.rfind(':')); };
  std::vector<const audit_rec*> list;
  for (const audit_rec& r : audit_) {
    if (f.op && *f.op != "conflict_resolution") continue;
    const std::uint64_t ms = hlc_timestamp{r.hlc}.wall_ms();
    if (f.since_ms && ms < *f.since_ms) continue;
    if (f.until_ms && ms > *f.until_ms) continue;
    if (f.device && origin_name(r.origin) != *f.device && origin_of_ref(r.winner) != *f.device &&
        origin_of_ref(r.loser) != *f.device) {
      continue;
    }
    list.push_back(&r);
  }
  std::sort(list.begin(), list.end(), [this](auto* a, auto* b) {
    return std::tie(b->hlc, origin_name(b->origin)) < std::tie(a->hlc, origin_name(a->origin));
  });
  const auto value = [](const std::string& text) {
    json v = json::parse(text, nullptr, false);
    return v.is_discarded() ? json(text) : v;
  };
  json arr = json::array();
  for (std::size_t i = 0; i < list.size() && i < list_entries_max; ++i) {
    const audit_rec& r = *list[i];
    arr.push_back(json{{"operation", "conflict_resolution"},
                       {"status", "resolved"},
                       {"device", origin_name(r.origin)},
                       {"register", r.register_name},
                       {"key", r.key},
                       {"winner", r.winner},
                       {"loser", r.loser},
                       {"method", r.method},
                       {"old_value", value(r.old_value)},
                       {"new_value", value(r.new_value)},
                       {"time", time_of(r.hlc)},
                       {"hlc", r.hlc}});
  }
  return json{{"entries", std::move(arr)}, {"count", list.size()}, {"truncated", list.size() > list_entries_max}};
}

} // namespace sn::retail
