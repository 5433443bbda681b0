#include "actors/retail/command_handler.hpp"

#include <algorithm>
#include <cstdio>

#include "actors/retail/business_day.hpp"
#include "actors/retail/command_codec.hpp"
#include "events/device.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/staff.hpp"
#include "events/stock.hpp"
#include "events/types.hpp"

namespace sn::retail {

const char* to_string(command_kind k) noexcept {
  switch (k) {
    case command_kind::upsert_product: return "upsert_product";
    case command_kind::change_price: return "change_price";
    case command_kind::deactivate_product: return "deactivate_product";
    case command_kind::receive_stock: return "receive_stock";
    case command_kind::adjust_stock: return "adjust_stock";
    case command_kind::count_stock: return "count_stock";
    case command_kind::complete_sale: return "complete_sale";
    case command_kind::return_sale: return "return_sale";
    case command_kind::void_sale: return "void_sale";
    case command_kind::close_day: return "close_day";
    case command_kind::register_device: return "register_device";
    case command_kind::update_device: return "update_device";
    case command_kind::add_staff: return "add_staff";
    case command_kind::update_staff: return "update_staff";
    case command_kind::remove_staff: return "remove_staff";
  }
  return "unknown";
}

const char* to_string(command_errc e) noexcept {
  switch (e) {
    case command_errc::unknown_sku: return "unknown_sku";
    case command_errc::product_inactive: return "product_inactive";
    case command_errc::invalid_discount: return "invalid_discount";
    case command_errc::payments_required: return "payments_required";
    case command_errc::payments_insufficient: return "payments_insufficient";
    case command_errc::overpayment_not_cash: return "overpayment_not_cash";
    case command_errc::duplicate_receipt: return "duplicate_receipt";
    case command_errc::unknown_receipt: return "unknown_receipt";
    case command_errc::sale_voided: return "sale_voided";
    case command_errc::sku_not_in_sale: return "sku_not_in_sale";
    case command_errc::return_exceeds_sold: return "return_exceeds_sold";
    case command_errc::already_voided: return "already_voided";
    case command_errc::sale_has_returns: return "sale_has_returns";
    case command_errc::day_already_closed: return "day_already_closed";
    case command_errc::device_exists: return "device_exists";
    case command_errc::unknown_device: return "unknown_device";
    case command_errc::idempotency_key_reused: return "idempotency_key_reused";
    case command_errc::invalid_idempotency_key: return "invalid_idempotency_key";
    case command_errc::projection_behind: return "projection_behind";
    case command_errc::staff_exists: return "staff_exists";
    case command_errc::unknown_staff: return "unknown_staff";
    case command_errc::approval_needed: return "approval_needed";
  }
  return "unknown";
}

namespace {

rejected refuse(command_errc e, std::string message) { return rejected{e, std::move(message)}; }

// round(a / b) for a >= 0, b > 0 (half up), without overflow.
std::int64_t round_div(__int128 a, __int128 b) { return static_cast<std::int64_t>((2 * a + b) / (2 * b)); }

// Tax part of a tax-inclusive amount.
std::int64_t tax_part(std::int64_t amount, std::int32_t rate_bp) {
  if (amount <= 0 || rate_bp <= 0) return 0;
  return round_div(static_cast<__int128>(amount) * rate_bp, 10000 + rate_bp);
}

std::string numbered(const std::string& device, const char* infix, std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(n));
  return device + infix + buf;
}

rejected unknown_sku(const std::string& sku) { return refuse(command_errc::unknown_sku, "unknown sku '" + sku + "'"); }

rejected behind(const char* projection) {
  return refuse(command_errc::projection_behind, std::string("the ") + projection +
                                                     " projection is rebuilding; retry when it has caught up");
}

// Payment methods in the order the projections fold them (cash, card, other;
// an unknown method string counts as other).
constexpr const char* method_names[] = {"cash", "card", "other"};
constexpr std::size_t method_count = 3;
std::size_t method_index(const std::string& m) { return m == "cash" ? 0 : m == "card" ? 1 : 2; }

/// Sold qty, net and tax of `sku` on a sale, and the qty returned so far.
struct line_totals {
  std::int64_t sold = 0, net = 0, tax = 0, returned = 0;
};
line_totals line_totals_of(const sale_row& sale, const std::string& sku) {
  line_totals t;
  for (const sale_row_line& l : sale.lines) {
    if (l.sku != sku) continue;
    t.sold += l.qty;
    t.net += l.total_cents;
    t.tax += l.tax_cents;
    t.returned = l.returned_qty;  // of the sku, every return (each of its lines shows it)
  }
  return t;
}

/// The row of a sale just drafted (a new receipt: no returns, no void).
sale_row row_of(const sale_completed& p, const device_id& device, hlc_timestamp at) {
  sale_row r;
  r.receipt = p.receipt;
  r.device = device.value();
  r.time = at;
  r.day = p.business_day;
  for (const sale_line& l : p.lines) {
    sale_row_line line;
    line.sku = l.sku;
    line.qty = l.qty;
    line.unit_price_cents = l.unit_price_cents;
    line.discount_cents = l.discount_cents;
    line.tax_rate_bp = l.tax_rate_bp;
    line.tax_cents = l.tax_cents;
    line.total_cents = l.qty * l.unit_price_cents - l.discount_cents;
    r.lines.push_back(std::move(line));
  }
  r.gross_cents = p.gross_cents;
  r.discount_cents = p.discount_cents;
  r.tax_cents = p.tax_cents;
  r.total_cents = p.total_cents;
  std::int64_t paid[method_count] = {};
  for (const payment& m : p.payments) paid[method_index(m.method)] += m.amount_cents;
  for (std::size_t m = 0; m < method_count; ++m) {
    if (paid[m] != 0) r.payments.push_back({method_names[m], paid[m]});
  }
  r.change_cents = p.change_cents;
  for (const payment& m : p.payments) {
    if (m.method == "card") r.cards.push_back({m.brand, m.last4, m.auth_code, m.processor_ref, m.amount_cents});
  }
  return r;
}

} // namespace

command_handler::command_handler(store_settings s, device_id self, std::unique_ptr<decision_source> source)
  : settings_(s), state_(std::move(self)), source_(std::move(source)) {}

template <class Payload>
event command_handler::draft(const command_context& ctx, const Payload& p) {
  return draft(ctx, clock_.now(ctx.wall_ms), p);
}

namespace {
// Every payload a command writes carries its attribution (events/*.hpp).
template <class P, class = void> struct attributed : std::false_type {};
template <class P> struct attributed<P, std::void_t<decltype(P::staff_id), decltype(P::approver_id)>> : std::true_type {};
}  // namespace

template <class Payload>
event command_handler::draft(const command_context& ctx, hlc_timestamp at, const Payload& p) {
  static_assert(attributed<Payload>::value, "a command's event names its staff (issue 10)");
  Payload stamped = p;
  stamped.staff_id = ctx.staff_id;
  stamped.approver_id = ctx.approver_id;
  event e = make_event(ctx.device, origin_seq{0}, at, ctx.term, stamped);
  apply_own(e);
  return e;
}

// The state and the overlay see an own event under the seq the log writer
// will give it (the next after the newest own event): the projections'
// registers order by (HLC, origin, seq), and the overlay finds its position
// by that seq once it is committed.
void command_handler::apply_own(const event& e) {
  event own = e;
  own.seq = origin_seq{++own_seq_};
  state_.apply(own);
  note_staff(own);
  overlay_.add_own(std::move(own));
}

// The business day stamped into a sale or return: the day of its own HLC
// (the command's wall time, or later if the clock has seen a newer event) in
// the store's zone, so the day and the time the event shows always agree.
std::string command_handler::stamp_day(hlc_timestamp at) const { return day_to_string(business_day(at, settings_)); }

void command_handler::remember(const std::string& key, std::string value) {
  auto [it, inserted] = idempotency_.insert_or_assign(key, std::move(value));
  (void)it;
  if (!inserted) return;
  idempotency_order_.push_back(key);
  while (idempotency_order_.size() > idempotency_keys_max) {
    idempotency_.erase(idempotency_order_.front());
    idempotency_order_.pop_front();
  }
}

bool command_handler::observe(std::uint64_t position, const event& e, std::uint64_t wall_ms) {
  const bool merged = clock_.observe_within(e.hlc, wall_ms, max_skew_ms_);
  if (!merged) ++clock_refusals_;
  state_.apply(e);
  overlay_.add_committed(position, e);
  prune();
  note_staff(e);
  return merged;
}

void command_handler::committed_own(std::uint64_t seq, std::uint64_t position) {
  overlay_.own_committed(seq, position);
  prune();
}

void command_handler::own_event(const event& e) {
  clock_.observe(e.hlc, 0);
  apply_own(e);
}

void command_handler::restore_staff(const std::string& id, std::string name, std::string role, bool active,
                                    bool removed, std::uint64_t hlc, std::string origin, std::uint64_t seq) {
  staff_rec& r = staff_[id];
  r.name = std::move(name);
  r.role = std::move(role);
  r.active = active;
  r.removed = removed;
  r.hlc = hlc;
  r.origin = std::move(origin);
  r.seq = seq;
}

void command_handler::note_staff(const event& e) {
  const auto t = static_cast<event_type>(e.type);
  if (t != event_type::staff_added && t != event_type::staff_updated && t != event_type::staff_removed) return;
  std::string id, name, role;
  bool active = true, removed = false;
  if (t == event_type::staff_added) {
    auto p = payload_of<staff_added>(e);
    if (!p || p->id.empty()) return;
    id = p->id;
    name = p->name;
    role = p->role;
    active = p->active;
  } else if (t == event_type::staff_updated) {
    auto p = payload_of<staff_updated>(e);
    if (!p || p->id.empty()) return;
    id = p->id;
    name = p->name;
    role = p->role;
    active = p->active;
  } else {
    auto p = payload_of<staff_removed>(e);
    if (!p || p->id.empty()) return;
    id = p->id;
    removed = true;
  }
  auto [it, fresh] = staff_.try_emplace(id);
  staff_rec& r = it->second;
  const std::uint64_t hlc = e.hlc.packed();
  const bool newer = fresh || hlc > r.hlc || (hlc == r.hlc && (e.origin.value() == r.origin ? e.seq.value() > r.seq
                                                                                          : e.origin.value() > r.origin));
  if (!newer) return;
  r.hlc = hlc;
  r.origin = e.origin.value();
  r.seq = e.seq.value();
  r.removed = removed;
  if (!removed) {
    r.name = std::move(name);
    r.role = std::move(role);
    r.active = active;
  }
}

// The answer to a key seen before: the first result for an identical
// command, else idempotency_key_reused.
std::optional<command_handler::decision> command_handler::replay(const command& c, const std::string& key,
                                                                 const hash256& print) {
  std::optional<std::string> stored;
  const std::string* record = nullptr;
  if (auto it = idempotency_.find(key); it != idempotency_.end()) {
    record = &it->second;
  } else if ((stored = source_->idempotency_record(key))) {
    record = &*stored;
  } else {
    return std::nullopt;
  }
  if (classify_record(*record) == record_format::typed) {
    auto rec = decode_record(*record);
    if (rec && rec->fingerprint == print && rec->result.index() == c.index()) {
      return decision{accepted{{}, std::move(rec->result), std::move(rec->staff_id), std::move(rec->approver_id)}};
    }
    return decision{refuse(command_errc::idempotency_key_reused,
                           "Idempotency-Key '" + key + "' was used for a different request")};
  }
  return decision{refuse(command_errc::idempotency_key_reused,
                         "Idempotency-Key '" + key +
                             "' was recorded by an earlier version of the node and cannot be compared; use a new key")};
}

command_outcome command_handler::handle(const command& c, const std::string& key, const command_context& ctx) {
  if (key.size() > idempotency_key_length_max) {
    return {refuse(command_errc::invalid_idempotency_key, "Idempotency-Key is longer than 255 bytes"), {}};
  }
  prune();
  const hash256 print = key.empty() ? hash256{} : fingerprint(c);
  if (!key.empty()) {
    if (auto answer = replay(c, key, print)) return {std::move(*answer), {}};
  }
  command_outcome out{std::visit([&](const auto& cmd) { return decide(cmd, ctx); }, c), {}};
  if (out.is_accepted()) {
    auto& ok = std::get<accepted>(out.decision);
    ok.staff_id = ctx.staff_id;
    ok.approver_id = ctx.approver_id;
  }
  if (!key.empty() && out.is_accepted()) {
    const auto& ok = std::get<accepted>(out.decision);
    std::string value = encode_record(idempotency_record{print, ok.result, ok.staff_id, ok.approver_id});
    remember(key, value);
    out.idempotency_record = std::make_pair(key, std::move(value));
  }
  return out;
}

// ---- decisions ----

command_handler::decision command_handler::decide(const upsert_product& c, const command_context& ctx) {
  product_upserted p;
  p.sku = c.sku;
  p.name = c.name;
  p.barcode = c.barcode;
  p.price_cents = c.price_cents;
  p.tax_rate_bp = c.tax_rate_bp;
  p.low_stock_threshold = c.low_stock_threshold;
  p.active = c.active;
  const bool created = state_.product(p.sku) == nullptr;
  accepted a{{draft(ctx, p)}, {}};
  a.result = upsert_product_result{state_.product(p.sku)->row(), created};
  return a;
}

command_handler::decision command_handler::decide(const change_price& c, const command_context& ctx) {
  const product_registers* prod = state_.product(c.sku);
  if (!prod) return unknown_sku(c.sku);
  const std::int64_t previous = prod->price_cents;
  price_changed p;
  p.sku = c.sku;
  p.price_cents = c.price_cents;
  return accepted{{draft(ctx, p)}, change_price_result{p.sku, p.price_cents, previous}};
}

command_handler::decision command_handler::decide(const deactivate_product& c, const command_context& ctx) {
  if (!state_.product(c.sku)) return unknown_sku(c.sku);
  product_deactivated p;
  p.sku = c.sku;
  accepted a{{draft(ctx, p)}, {}};
  a.result = deactivate_product_result{state_.product(p.sku)->row()};
  return a;
}

// Stock commands answer the on-hand after their own event: the inventory
// projection's figure (with the overlay) before it, plus the event's delta.
command_handler::decision command_handler::decide(const receive_stock& c, const command_context& ctx) {
  if (!state_.product(c.sku)) return unknown_sku(c.sku);
  const rows_read<std::int64_t> before = source_->on_hand(c.sku, overlay_);
  if (before.behind) return behind("inventory");
  stock_received p;
  p.sku = c.sku;
  p.qty = c.qty;
  p.supplier_ref = c.supplier_ref;
  accepted a{{draft(ctx, p)}, {}};
  a.result = receive_stock_result{p.sku, p.qty, p.supplier_ref, before.value + p.qty};
  return a;
}

command_handler::decision command_handler::decide(const adjust_stock& c, const command_context& ctx) {
  if (!state_.product(c.sku)) return unknown_sku(c.sku);
  const rows_read<std::int64_t> before = source_->on_hand(c.sku, overlay_);
  if (before.behind) return behind("inventory");
  stock_adjusted p;
  p.sku = c.sku;
  p.delta = c.delta;
  p.reason = c.reason;
  p.note = c.note;
  accepted a{{draft(ctx, p)}, {}};
  a.result = adjust_stock_result{p.sku, p.delta, p.reason, p.note, before.value + p.delta};
  return a;
}

// The count rule: expected_qty is what THIS node's projection shows now (with
// every event the handler has seen); the event moves on-hand by counted -
// expected on every node. Sales another till made during the count that this
// node had not seen are subtracted when they arrive, so the count does not
// swallow them.
command_handler::decision command_handler::decide(const count_stock& c, const command_context& ctx) {
  if (!state_.product(c.sku)) return unknown_sku(c.sku);
  const rows_read<std::int64_t> before = source_->on_hand(c.sku, overlay_);
  if (before.behind) return behind("inventory");
  stock_counted p;
  p.sku = c.sku;
  p.counted_qty = c.counted_qty;
  p.expected_qty = before.value;
  accepted a{{draft(ctx, p)}, {}};
  a.result = count_stock_result{p.sku, p.counted_qty, p.expected_qty, p.counted_qty - p.expected_qty, p.counted_qty};
  return a;
}

command_handler::decision command_handler::decide(const complete_sale& c, const command_context& ctx) {
  sale_completed p;
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    const sale_line_input& in = c.lines[i];
    const product_registers* prod = state_.product(in.sku);
    if (!prod) return unknown_sku(in.sku);
    if (!prod->active) return refuse(command_errc::product_inactive, "product '" + in.sku + "' is not active");
    sale_line line;
    line.sku = in.sku;
    line.qty = in.qty;
    line.unit_price_cents = in.unit_price_cents.value_or(prod->price_cents);
    if (!ctx.price_override_allowed && line.unit_price_cents != prod->price_cents) {
      return refuse(command_errc::approval_needed,
                    "line " + std::to_string(i) + ": a price other than the catalog's needs a supervisor's approval");
    }
    const std::int64_t line_gross = line.qty * line.unit_price_cents;
    line.discount_cents = in.discount_cents;
    if (line.discount_cents > line_gross) {
      return refuse(command_errc::invalid_discount,
                    "line " + std::to_string(i) + ": discount_cents exceeds the line amount");
    }
    line.tax_rate_bp = prod->tax_rate_bp;
    line.tax_cents = tax_part(line_gross - line.discount_cents, line.tax_rate_bp);
    p.gross_cents += line_gross;
    p.discount_cents += line.discount_cents;
    p.tax_cents += line.tax_cents;
    p.lines.push_back(std::move(line));
  }
  p.total_cents = p.gross_cents - p.discount_cents;
  if (ctx.discount_limit_cents && p.discount_cents > *ctx.discount_limit_cents) {
    return refuse(command_errc::approval_needed, "discounts of " + std::to_string(p.discount_cents) +
                                                     " cents exceed the cashier limit of " +
                                                     std::to_string(*ctx.discount_limit_cents) + ": needs a supervisor's approval");
  }
  if (c.payments) {
    for (const payment_input& m : *c.payments) {
      p.payments.push_back(payment{m.method, m.amount_cents, m.brand, m.last4, m.auth_code, m.processor_ref});
    }
  } else if (p.total_cents > 0) {
    return refuse(command_errc::payments_required, "field 'payments' is required");
  }
  std::int64_t paid = 0, cash = 0;
  for (const payment& m : p.payments) {
    paid += m.amount_cents;
    if (m.method == "cash") cash += m.amount_cents;
  }
  if (paid < p.total_cents) {
    return refuse(command_errc::payments_insufficient, "payments of " + std::to_string(paid) +
                                                           " cents do not cover the total of " +
                                                           std::to_string(p.total_cents) + " cents");
  }
  p.change_cents = paid - p.total_cents;
  if (p.change_cents > cash) {
    return refuse(command_errc::overpayment_not_cash, "change can only be given from a cash payment");
  }
  p.receipt = numbered(ctx.device.value(), "-", state_.last_receipt_no() + 1);
  if (source_->sale_exists(p.receipt, overlay_)) {  // state corrupt; never append twice
    return refuse(command_errc::duplicate_receipt, "receipt '" + p.receipt + "' exists");
  }
  const hlc_timestamp at = clock_.now(ctx.wall_ms);
  p.business_day = stamp_day(at);
  accepted a{{draft(ctx, at, p)}, {}};
  a.result = complete_sale_result{row_of(p, ctx.device, at), paid};
  return a;
}

command_handler::decision command_handler::decide(const return_sale& c, const command_context& ctx) {
  sale_returned p;
  p.receipt = c.receipt;
  // requested qty per sku, in order of first mention
  std::vector<std::pair<std::string, std::int64_t>> wanted;
  for (const return_line_input& l : c.lines) {
    auto it = std::find_if(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == l.sku; });
    if (it == wanted.end()) {
      wanted.emplace_back(l.sku, l.qty);
    } else {
      it->second += l.qty;
    }
  }
  const rows_read<std::optional<sale_row>> found = source_->sale(p.receipt, overlay_);
  if (found.behind) return behind("sales");
  if (!found.value) return refuse(command_errc::unknown_receipt, "unknown receipt '" + p.receipt + "'");
  const sale_row& sale = *found.value;
  if (sale.voided) return refuse(command_errc::sale_voided, "receipt '" + p.receipt + "' was voided");
  for (const auto& [sku, qty] : wanted) {
    const line_totals t = line_totals_of(sale, sku);
    if (t.sold == 0) {
      return refuse(command_errc::sku_not_in_sale, "sku '" + sku + "' is not on receipt '" + p.receipt + "'");
    }
    if (t.returned + qty > t.sold) {
      return refuse(command_errc::return_exceeds_sold, "sku '" + sku + "': sold " + std::to_string(t.sold) +
                                                           ", already returned " + std::to_string(t.returned) +
                                                           ", asked " + std::to_string(qty));
    }
    // Cumulative rounding: all returns of a line together refund exactly its net.
    return_line rl;
    rl.sku = sku;
    rl.qty = qty;
    rl.refund_cents = round_div(static_cast<__int128>(t.net) * (t.returned + qty), t.sold) -
                      round_div(static_cast<__int128>(t.net) * t.returned, t.sold);
    rl.tax_cents = round_div(static_cast<__int128>(t.tax) * (t.returned + qty), t.sold) -
                   round_div(static_cast<__int128>(t.tax) * t.returned, t.sold);
    p.refund_cents += rl.refund_cents;
    p.lines.push_back(std::move(rl));
  }
  if (ctx.refund_limit_cents && p.refund_cents > *ctx.refund_limit_cents) {
    return refuse(command_errc::approval_needed, "a refund of " + std::to_string(p.refund_cents) +
                                                     " cents exceeds the cashier limit of " +
                                                     std::to_string(*ctx.refund_limit_cents) + ": needs a supervisor's approval");
  }
  if (c.method) {
    p.method = *c.method;
  } else {  // refund the way the customer paid (the first method used, cash before card before other)
    p.method = "cash";
    for (const sale_row_payment& m : sale.payments) {  // in method order, only methods paid
      if (m.amount_cents > 0) {
        p.method = m.method;
        break;
      }
    }
  }
  p.return_id = numbered(ctx.device.value(), "-R", state_.last_return_no() + 1);
  const hlc_timestamp at = clock_.now(ctx.wall_ms);
  p.business_day = stamp_day(at);
  return_sale_result r;
  r.return_id = p.return_id;
  r.receipt = p.receipt;
  for (const return_line& l : p.lines) r.lines.push_back({l.sku, l.qty, l.refund_cents, l.tax_cents});
  r.refund_cents = p.refund_cents;
  r.method = p.method;
  r.day = p.business_day;
  return accepted{{draft(ctx, at, p)}, std::move(r)};
}

command_handler::decision command_handler::decide(const void_sale& c, const command_context& ctx) {
  const rows_read<std::optional<sale_row>> found = source_->sale(c.receipt, overlay_);
  if (found.behind) return behind("sales");
  if (!found.value) return refuse(command_errc::unknown_receipt, "unknown receipt '" + c.receipt + "'");
  const sale_row& sale = *found.value;
  if (sale.voided) return refuse(command_errc::already_voided, "receipt '" + c.receipt + "' is already voided");
  if (!sale.returns.empty()) {
    return refuse(command_errc::sale_has_returns,
                  "receipt '" + c.receipt + "' has returns; return the remaining goods instead");
  }
  sale_voided p;
  p.receipt = c.receipt;
  p.reason = c.reason;
  return accepted{{draft(ctx, p)}, void_sale_result{p.receipt, p.reason}};
}

command_handler::decision command_handler::decide(const close_day& c, const command_context& ctx) {
  const std::int32_t day = c.day ? *c.day : business_day(std::max(ctx.wall_ms, clock_.last().wall_ms()), settings_);
  rows_read<day_facts> facts = source_->day(day, ctx.device.value(), overlay_);
  if (facts.behind) return behind("daily");
  if (facts.value.closed) {
    return refuse(command_errc::day_already_closed,
                  "device '" + ctx.device.value() + "' already closed " + day_to_string(day));
  }
  close_day_result fig = std::move(facts.value.figures);
  day_closed p;
  p.day = fig.day;
  p.gross_cents = fig.gross_cents;
  p.discounts_cents = fig.discounts_cents;
  p.tax_cents = fig.tax_cents;
  p.returns_cents = fig.returns_cents;
  p.net_cents = fig.net_cents;
  p.transactions = fig.transactions;
  for (const method_amount& m : fig.by_method) p.by_method.push_back(method_total{m.method, m.amount_cents});
  return accepted{{draft(ctx, p)}, std::move(fig)};
}

// A device's row after this device wrote its register: the draft carries the
// newest HLC the handler has seen, so it wins the register; the device's
// last event time moves when it is this device itself.
namespace {
device_row written_row(device_row r, const event& e, const std::string& name, std::int32_t priority, bool active) {
  r.name = name;
  r.priority = priority;
  r.active = active;
  if (r.device_id == e.origin.value() && (!r.last_event_time || r.last_event_time->packed() < e.hlc.packed())) {
    r.last_event_time = e.hlc;
  }
  return r;
}
}  // namespace

command_handler::decision command_handler::decide(const register_device& c, const command_context& ctx) {
  const rows_read<device_facts> d = source_->device(c.device_id, overlay_);
  if (d.behind) return behind("devices");
  if (d.value.written && d.value.row.registered) {
    return refuse(command_errc::device_exists,
                  "device '" + c.device_id + "' is already registered; use PUT to change it");
  }
  device_registered p;
  p.device_id = c.device_id;
  p.name = c.name;
  p.priority = c.priority;
  accepted a{{draft(ctx, p)}, {}};
  device_row row = written_row(d.value.row, a.events.back(), p.name, p.priority, true);
  row.registered = true;
  a.result = register_device_result{std::move(row)};
  return a;
}

command_handler::decision command_handler::decide(const update_device& c, const command_context& ctx) {
  const rows_read<device_facts> d = source_->device(c.device_id, overlay_);
  if (d.behind) return behind("devices");
  if (!d.value.written) return refuse(command_errc::unknown_device, "unknown device '" + c.device_id + "'");
  device_updated p;
  p.device_id = c.device_id;
  p.name = c.name.value_or(d.value.row.name);
  p.priority = c.priority.value_or(d.value.row.priority);
  p.active = c.active.value_or(d.value.row.active);
  if (p.name == d.value.row.name && p.priority == d.value.row.priority && p.active == d.value.row.active) {
    // Nothing changes: nothing is appended (issue 11 item 10), the row as it is.
    return accepted{{}, update_device_result{d.value.row}};
  }
  accepted a{{draft(ctx, p)}, {}};
  a.result = update_device_result{written_row(d.value.row, a.events.back(), p.name, p.priority, p.active)};
  return a;
}

command_handler::decision command_handler::decide(const add_staff& c, const command_context& ctx) {
  if (auto it = staff_.find(c.staff_id); it != staff_.end() && !it->second.removed) {
    return refuse(command_errc::staff_exists, "staff '" + c.staff_id + "' exists; use PUT to change them");
  }
  staff_added p;
  p.id = c.staff_id;
  p.name = c.name;
  p.role = c.role;
  p.pin_hash = c.pin_hash;
  p.active = true;
  accepted a{{draft(ctx, p)}, {}};
  a.result = add_staff_result{staff_row{c.staff_id, c.name, c.role, true}};
  return a;
}

command_handler::decision command_handler::decide(const update_staff& c, const command_context& ctx) {
  auto it = staff_.find(c.staff_id);
  if (it == staff_.end() || it->second.removed) {
    return refuse(command_errc::unknown_staff, "unknown staff '" + c.staff_id + "'");
  }
  const staff_rec cur = it->second;
  staff_updated p;
  p.id = c.staff_id;
  p.name = c.name.value_or(cur.name);
  p.role = c.role.value_or(cur.role);
  p.active = c.active.value_or(cur.active);
  p.pin_hash = c.pin_hash;
  accepted a{{draft(ctx, p)}, {}};
  a.result = update_staff_result{staff_row{p.id, p.name, p.role, p.active}, !c.pin_hash.empty()};
  return a;
}

command_handler::decision command_handler::decide(const remove_staff& c, const command_context& ctx) {
  auto it = staff_.find(c.staff_id);
  if (it == staff_.end() || it->second.removed) {
    return refuse(command_errc::unknown_staff, "unknown staff '" + c.staff_id + "'");
  }
  staff_removed p;
  p.id = c.staff_id;
  accepted a{{draft(ctx, p)}, {}};
  a.result = remove_staff_result{c.staff_id};
  return a;
}

} // namespace sn::retail
