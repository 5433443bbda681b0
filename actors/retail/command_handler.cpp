#include "actors/retail/command_handler.hpp"

#include <algorithm>
#include <cstdio>

#include <sodium.h>

#include "actors/retail/business_day.hpp"
#include "events/device.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "events/types.hpp"

namespace sn::retail {

using nlohmann::json;

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
  }
  return "unknown";
}

namespace {

// A rejected command. Thrown only inside this file by the field readers and
// caught in handle(): it keeps each decision a straight list of checks.
struct rejected {
  int status;
  std::string code;
  std::string message;
};

[[noreturn]] void reject(int status, std::string code, std::string message) {
  throw rejected{status, std::move(code), std::move(message)};
}

json error_body(const std::string& code, const std::string& message) {
  return json{{"error", {{"code", code}, {"message", message}}}};
}

const json* field(const json& b, const char* name) {
  auto it = b.find(name);
  if (it == b.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string read_string(const json& b, const char* name, std::size_t max_len, bool required,
                        std::string fallback = {}) {
  const json* f = field(b, name);
  if (!f) {
    if (required) reject(400, "missing_field", std::string("field '") + name + "' is required");
    return fallback;
  }
  if (!f->is_string()) reject(400, "wrong_type", std::string("field '") + name + "' must be a string");
  std::string s = f->get<std::string>();
  if (required && s.empty()) reject(400, "invalid_field", std::string("field '") + name + "' must not be empty");
  if (s.size() > max_len) {
    reject(400, "invalid_field", std::string("field '") + name + "' is longer than " + std::to_string(max_len) + " bytes");
  }
  return s;
}

std::optional<std::int64_t> read_int_opt(const json& b, const char* name, std::int64_t lo, std::int64_t hi,
                                         const char* range_code = "invalid_field") {
  const json* f = field(b, name);
  if (!f) return std::nullopt;
  if (!f->is_number_integer()) reject(400, "wrong_type", std::string("field '") + name + "' must be an integer");
  if (f->is_number_unsigned() && f->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
    reject(400, range_code, std::string("field '") + name + "' must be between " + std::to_string(lo) + " and " +
                                std::to_string(hi));
  }
  const std::int64_t v = f->get<std::int64_t>();
  if (v < lo || v > hi) {
    reject(400, range_code, std::string("field '") + name + "' must be between " + std::to_string(lo) + " and " +
                                std::to_string(hi));
  }
  return v;
}

std::int64_t read_int(const json& b, const char* name, std::int64_t lo, std::int64_t hi,
                      const char* range_code = "invalid_field") {
  auto v = read_int_opt(b, name, lo, hi, range_code);
  if (!v) reject(400, "missing_field", std::string("field '") + name + "' is required");
  return *v;
}

std::optional<bool> read_bool_opt(const json& b, const char* name) {
  const json* f = field(b, name);
  if (!f) return std::nullopt;
  if (!f->is_boolean()) reject(400, "wrong_type", std::string("field '") + name + "' must be true or false");
  return f->get<bool>();
}

const json& read_array(const json& b, const char* name, std::size_t max_items) {
  const json* f = field(b, name);
  if (!f) reject(400, "missing_field", std::string("field '") + name + "' is required");
  if (!f->is_array()) reject(400, "wrong_type", std::string("field '") + name + "' must be an array");
  if (f->empty()) reject(400, "invalid_field", std::string("field '") + name + "' must not be empty");
  if (f->size() > max_items) {
    reject(400, "invalid_field", std::string("field '") + name + "' has more than " + std::to_string(max_items) + " items");
  }
  return *f;
}

// SKUs travel in URL paths: no control characters, spaces or slashes.
std::string read_sku(const json& b) {
  std::string sku = read_string(b, "sku", sku_length_max, true);
  for (char c : sku) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == 0x7f) {
      reject(400, "invalid_field", "field 'sku' must not contain spaces, slashes or control characters");
    }
  }
  return sku;
}

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

std::string fingerprint(command_kind k, const json& body) {
  json b = body;
  if (b.is_object()) b.erase("idempotency_key");
  const std::string text = std::string(to_string(k)) + "\n" + b.dump();
  hash256 h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  return to_hex(h);
}

} // namespace

command_handler::command_handler(store_settings s) : settings_(s), views_(s) {
  // Conflicts are judged by the projection that feeds the sync actor, not by
  // the command side (its own writes never lose: they carry the newest HLC).
  views_.set_detect_conflicts(false);
}

template <class Payload>
event command_handler::draft(const command_context& ctx, const Payload& p) {
  return draft(ctx, clock_.now(ctx.wall_ms), p);
}

template <class Payload>
event command_handler::draft(const command_context& ctx, hlc_timestamp at, const Payload& p) {
  event e = make_event(ctx.device, origin_seq{0}, at, ctx.term, p);
  views_.apply(e);
  return e;
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

void command_handler::load_idempotency(const std::string& key, const std::string& value) { remember(key, value); }

void command_handler::observe(const event& e) {
  clock_.observe(e.hlc, 0);
  views_.apply(e);
}

void command_handler::restore_own(const event& e) {
  clock_.observe(e.hlc, 0);
  views_.apply(e);
}

command_reply command_handler::handle(command_kind k, const json& body, const std::string& key,
                                      const command_context& ctx) {
  if (key.size() > idempotency_key_length_max) {
    return {400, error_body("invalid_idempotency_key", "Idempotency-Key is longer than 255 bytes"), {}, {}};
  }
  const std::string print = key.empty() ? std::string{} : fingerprint(k, body);
  if (!key.empty()) {
    auto it = idempotency_.find(key);
    if (it != idempotency_.end()) {
      const json stored = json::parse(it->second, nullptr, false);
      if (!stored.is_discarded() && stored.value("fingerprint", "") == print) {
        return {stored.value("status", 200), stored.value("body", json::object()), {}, {}};
      }
      return {409,
              error_body("idempotency_key_reused", "Idempotency-Key '" + key + "' was used for a different request"),
              {},
              {}};
    }
  }
  command_reply reply;
  try {
    if (!body.is_object()) reject(400, "invalid_body", "the request body must be a JSON object");
    reply = decide(k, body, ctx);
  } catch (const rejected& r) {
    return {r.status, error_body(r.code, r.message), {}, {}};
  } catch (const std::exception& ex) {
    return {400, error_body("invalid_body", ex.what()), {}, {}};
  }
  if (!key.empty() && !reply.drafts.empty()) {
    std::string value =
        json{{"command", to_string(k)}, {"fingerprint", print}, {"status", reply.http_status}, {"body", reply.body}}
            .dump();
    remember(key, value);
    reply.idempotency_record = std::make_pair(key, std::move(value));
  }
  return reply;
}

command_reply command_handler::decide(command_kind k, const json& b, const command_context& ctx) {
  switch (k) {
    case command_kind::upsert_product: return upsert_product(b, ctx);
    case command_kind::change_price: return change_price(b, ctx);
    case command_kind::deactivate_product: return deactivate_product(b, ctx);
    case command_kind::receive_stock: return receive_stock(b, ctx);
    case command_kind::adjust_stock: return adjust_stock(b, ctx);
    case command_kind::count_stock: return count_stock(b, ctx);
    case command_kind::complete_sale: return complete_sale(b, ctx);
    case command_kind::return_sale: return return_sale(b, ctx);
    case command_kind::void_sale: return void_sale(b, ctx);
    case command_kind::close_day: return close_day(b, ctx);
    case command_kind::register_device: return register_device(b, ctx);
    case command_kind::update_device: return update_device(b, ctx);
  }
  reject(400, "unknown_command", "unknown command");
}

// The catalog entry a command refers to: 404 when unknown.
const views::product_state& command_handler::known_product(const std::string& sku) const {
  const auto id = views_.find_sku(sku);
  if (!id || !views_.products_[*id].info.set) reject(404, "unknown_sku", "unknown sku '" + sku + "'");
  return views_.products_[*id];
}

command_reply command_handler::upsert_product(const json& b, const command_context& ctx) {
  product_upserted p;
  p.sku = read_sku(b);
  p.name = read_string(b, "name", text_length_max, true);
  p.barcode = read_string(b, "barcode", text_length_max, false);
  p.price_cents = read_int(b, "price_cents", 0, price_cents_max, "invalid_price");
  p.tax_rate_bp = static_cast<std::int32_t>(read_int_opt(b, "tax_rate_bp", 0, tax_rate_bp_max).value_or(0));
  p.low_stock_threshold = read_int_opt(b, "low_stock_threshold", 0, qty_max).value_or(0);
  p.active = read_bool_opt(b, "active").value_or(true);
  const bool created = !views_.product(p.sku).has_value();
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.http_status = created ? 201 : 200;
  r.body = *views_.product(p.sku);
  return r;
}

command_reply command_handler::change_price(const json& b, const command_context& ctx) {
  price_changed p;
  p.sku = read_sku(b);
  p.price_cents = read_int(b, "price_cents", 0, price_cents_max, "invalid_price");
  const std::int64_t previous = known_product(p.sku).price_cents;
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.body = json{{"sku", p.sku}, {"price_cents", p.price_cents}, {"previous_price_cents", previous}};
  return r;
}

command_reply command_handler::deactivate_product(const json& b, const command_context& ctx) {
  product_deactivated p;
  p.sku = read_sku(b);
  known_product(p.sku);
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.body = *views_.product(p.sku);
  return r;
}

command_reply command_handler::receive_stock(const json& b, const command_context& ctx) {
  stock_received p;
  p.sku = read_sku(b);
  p.qty = read_int(b, "qty", 1, qty_max, "invalid_qty");
  p.supplier_ref = read_string(b, "supplier_ref", text_length_max, false);
  known_product(p.sku);
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.http_status = 201;
  r.body = json{{"sku", p.sku}, {"qty", p.qty}, {"supplier_ref", p.supplier_ref}, {"on_hand", views_.on_hand(p.sku)}};
  return r;
}

command_reply command_handler::adjust_stock(const json& b, const command_context& ctx) {
  stock_adjusted p;
  p.sku = read_sku(b);
  p.delta = read_int(b, "delta", -qty_max, qty_max, "invalid_qty");
  if (p.delta == 0) reject(400, "invalid_qty", "field 'delta' must not be 0");
  p.reason = read_string(b, "reason", text_length_max, true);
  if (p.reason != "damage" && p.reason != "theft" && p.reason != "count_correction" && p.reason != "other") {
    reject(400, "invalid_field", "field 'reason' must be damage, theft, count_correction or other");
  }
  p.note = read_string(b, "note", text_length_max, false);
  known_product(p.sku);
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.http_status = 201;
  r.body = json{{"sku", p.sku}, {"delta", p.delta}, {"reason", p.reason}, {"note", p.note},
                {"on_hand", views_.on_hand(p.sku)}};
  return r;
}

// The count rule: expected_qty is what THIS node's projection shows now; the
// event moves on-hand by counted - expected on every node. Sales another till
// made during the count that this node had not seen are subtracted when they
// arrive, so the count does not swallow them.
command_reply command_handler::count_stock(const json& b, const command_context& ctx) {
  stock_counted p;
  p.sku = read_sku(b);
  p.counted_qty = read_int(b, "counted_qty", 0, qty_max, "invalid_qty");
  known_product(p.sku);
  p.expected_qty = views_.on_hand(p.sku);
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.http_status = 201;
  r.body = json{{"sku", p.sku},
                {"counted_qty", p.counted_qty},
                {"expected_qty", p.expected_qty},
                {"adjustment", p.counted_qty - p.expected_qty},
                {"on_hand", views_.on_hand(p.sku)}};
  return r;
}

command_reply command_handler::complete_sale(const json& b, const command_context& ctx) {
  sale_completed p;
  const json& lines = read_array(b, "lines", sale_lines_max);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json& l = lines[i];
    if (!l.is_object()) reject(400, "wrong_type", "each of 'lines' must be an object");
    sale_line line;
    line.sku = read_sku(l);
    line.qty = read_int(l, "qty", 1, qty_max, "invalid_qty");
    const auto& prod = known_product(line.sku);
    if (!prod.active) reject(409, "product_inactive", "product '" + line.sku + "' is not active");
    line.unit_price_cents = read_int_opt(l, "unit_price_cents", 0, price_cents_max, "invalid_price")
                                .value_or(prod.price_cents);
    const std::int64_t line_gross = line.qty * line.unit_price_cents;
    line.discount_cents = read_int_opt(l, "discount_cents", 0, price_cents_max * qty_max, "invalid_discount").value_or(0);
    if (line.discount_cents > line_gross) {
      reject(400, "invalid_discount", "line " + std::to_string(i) + ": discount_cents exceeds the line amount");
    }
    line.tax_rate_bp = prod.tax_rate_bp;
    line.tax_cents = tax_part(line_gross - line.discount_cents, line.tax_rate_bp);
    p.gross_cents += line_gross;
    p.discount_cents += line.discount_cents;
    p.tax_cents += line.tax_cents;
    p.lines.push_back(std::move(line));
  }
  p.total_cents = p.gross_cents - p.discount_cents;
  const json* pays = field(b, "payments");
  if (pays || p.total_cents > 0) {
    const json& arr = read_array(b, "payments", payments_max);
    for (const json& m : arr) {
      if (!m.is_object()) reject(400, "wrong_type", "each of 'payments' must be an object");
      payment pay;
      pay.method = read_string(m, "method", text_length_max, true);
      if (!pay_method_from_string(pay.method)) reject(400, "invalid_field", "payment method must be cash, card or other");
      pay.amount_cents = read_int(m, "amount_cents", 1, amount_cents_max, "invalid_amount");
      p.payments.push_back(std::move(pay));
    }
  }
  std::int64_t paid = 0, cash = 0;
  for (const payment& m : p.payments) {
    paid += m.amount_cents;
    if (m.method == "cash") cash += m.amount_cents;
  }
  if (paid < p.total_cents) {
    reject(400, "payments_insufficient", "payments of " + std::to_string(paid) + " cents do not cover the total of " +
                                             std::to_string(p.total_cents) + " cents");
  }
  p.change_cents = paid - p.total_cents;
  if (p.change_cents > cash) reject(400, "overpayment_not_cash", "change can only be given from a cash payment");

  const auto oid = views_.origins_.find(ctx.device.value());
  const std::uint64_t last = oid ? views_.last_receipt_no_[*oid] : 0;
  p.receipt = numbered(ctx.device.value(), "-", last + 1);
  if (const views::sale_rec* existing = views_.find_sale(p.receipt); existing && existing->present) {
    reject(409, "duplicate_receipt", "receipt '" + p.receipt + "' exists");  // state corrupt; never append twice
  }
  const hlc_timestamp at = clock_.now(ctx.wall_ms);
  p.business_day = stamp_day(at);
  command_reply r;
  r.drafts.push_back(draft(ctx, at, p));
  r.http_status = 201;
  r.body = *views_.sale(p.receipt);
  r.body["paid_cents"] = paid;
  return r;
}

command_reply command_handler::return_sale(const json& b, const command_context& ctx) {
  sale_returned p;
  p.receipt = read_string(b, "receipt", text_length_max, true);
  const views::sale_rec* found = views_.find_sale(p.receipt);
  const json& lines = read_array(b, "lines", sale_lines_max);
  // requested qty per sku, in order of first mention
  std::vector<std::pair<std::string, std::int64_t>> wanted;
  for (const json& l : lines) {
    if (!l.is_object()) reject(400, "wrong_type", "each of 'lines' must be an object");
    std::string sku = read_sku(l);
    const std::int64_t qty = read_int(l, "qty", 1, qty_max, "invalid_qty");
    auto it = std::find_if(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == sku; });
    if (it == wanted.end()) {
      wanted.emplace_back(std::move(sku), qty);
    } else {
      it->second += qty;
    }
  }
  std::optional<std::string> method;
  if (field(b, "method")) {
    method = read_string(b, "method", text_length_max, true);
    if (!pay_method_from_string(*method)) reject(400, "invalid_field", "field 'method' must be cash, card or other");
  }
  if (!found || !found->present) reject(404, "unknown_receipt", "unknown receipt '" + p.receipt + "'");
  const auto& sale = *found;
  if (sale.voided) reject(409, "sale_voided", "receipt '" + p.receipt + "' was voided");
  for (const auto& [sku, qty] : wanted) {
    const auto id = views_.find_sku(sku);
    std::int64_t sold = 0, net = 0, tax = 0, returned = 0;
    if (id) {
      for (const auto& l : views_.lines_of(sale)) {
        if (l.sku != *id) continue;
        sold += l.qty;
        net += l.qty * l.unit_price_cents - l.discount_cents;
        tax += l.tax_cents;
      }
      for (const auto& [rs, rq] : views_.extra_of(sale).returned) {
        if (rs == *id) returned = rq;
      }
    }
    if (sold == 0) reject(400, "sku_not_in_sale", "sku '" + sku + "' is not on receipt '" + p.receipt + "'");
    if (returned + qty > sold) {
      reject(409, "return_exceeds_sold", "sku '" + sku + "': sold " + std::to_string(sold) + ", already returned " +
                                             std::to_string(returned) + ", asked " + std::to_string(qty));
    }
    // Cumulative rounding: all returns of a line together refund exactly its net.
    return_line rl;
    rl.sku = sku;
    rl.qty = qty;
    rl.refund_cents = round_div(static_cast<__int128>(net) * (returned + qty), sold) -
                      round_div(static_cast<__int128>(net) * returned, sold);
    rl.tax_cents = round_div(static_cast<__int128>(tax) * (returned + qty), sold) -
                   round_div(static_cast<__int128>(tax) * returned, sold);
    p.refund_cents += rl.refund_cents;
    p.lines.push_back(std::move(rl));
  }
  if (method) {
    p.method = *method;
  } else {  // refund the way the customer paid (the first method used, cash before card before other)
    p.method = "cash";
    for (std::size_t m = 0; m < pay_method_count; ++m) {
      if (sale.paid[m] > 0) {
        p.method = to_string(static_cast<pay_method>(m));
        break;
      }
    }
  }
  const auto oid = views_.origins_.find(ctx.device.value());
  const std::uint64_t last = oid ? views_.last_return_no_[*oid] : 0;
  p.return_id = numbered(ctx.device.value(), "-R", last + 1);
  const hlc_timestamp at = clock_.now(ctx.wall_ms);
  p.business_day = stamp_day(at);
  command_reply r;
  r.drafts.push_back(draft(ctx, at, p));
  r.http_status = 201;
  json out_lines = json::array();
  for (const return_line& l : p.lines) {
    out_lines.push_back(json{{"sku", l.sku}, {"qty", l.qty}, {"refund_cents", l.refund_cents}, {"tax_cents", l.tax_cents}});
  }
  r.body = json{{"return_id", p.return_id},       {"receipt", p.receipt}, {"lines", std::move(out_lines)},
                {"refund_cents", p.refund_cents}, {"method", p.method},   {"day", p.business_day}};
  return r;
}

command_reply command_handler::void_sale(const json& b, const command_context& ctx) {
  sale_voided p;
  p.receipt = read_string(b, "receipt", text_length_max, true);
  p.reason = read_string(b, "reason", text_length_max, false);
  const views::sale_rec* sit = views_.find_sale(p.receipt);
  if (!sit || !sit->present) reject(404, "unknown_receipt", "unknown receipt '" + p.receipt + "'");
  if (sit->voided) reject(409, "already_voided", "receipt '" + p.receipt + "' is already voided");
  if (!views_.extra_of(*sit).return_ids.empty()) {
    reject(409, "sale_has_returns", "receipt '" + p.receipt + "' has returns; return the remaining goods instead");
  }
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.body = json{{"receipt", p.receipt}, {"voided", true}, {"reason", p.reason}};
  return r;
}

command_reply command_handler::close_day(const json& b, const command_context& ctx) {
  std::optional<std::int32_t> day;
  const std::string text = read_string(b, "day", 10 + 1, false);
  if (!text.empty()) {
    day = day_from_string(text);
    if (!day) reject(400, "invalid_day", "field 'day' must be a date YYYY-MM-DD");
  } else {
    day = business_day(std::max(ctx.wall_ms, clock_.last().wall_ms()), settings_);
  }
  const auto oid = views_.origins_.find(ctx.device.value());
  if (oid && views_.closures_.count(views::daily_key(*day, *oid)) != 0) {
    reject(409, "day_already_closed", "device '" + ctx.device.value() + "' already closed " + day_to_string(*day));
  }
  // The Z figures: this device's daily report at this moment.
  const json fig = views_.daily_report(day_to_string(*day), ctx.device.value());
  day_closed p;
  p.day = day_to_string(*day);
  p.gross_cents = fig.at("gross_cents").get<std::int64_t>();
  p.discounts_cents = fig.at("discounts_cents").get<std::int64_t>();
  p.tax_cents = fig.at("tax_cents").get<std::int64_t>();
  p.returns_cents = fig.at("returns_cents").get<std::int64_t>();
  p.net_cents = fig.at("net_cents").get<std::int64_t>();
  p.transactions = fig.at("transactions").get<std::int64_t>();
  for (std::size_t m = 0; m < pay_method_count; ++m) {
    const char* name = to_string(static_cast<pay_method>(m));
    p.by_method.push_back(method_total{name, fig.at("by_method").at(name).get<std::int64_t>()});
  }
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.http_status = 201;
  json by_method = json::object();
  for (const method_total& m : p.by_method) by_method[m.method] = m.amount_cents;
  r.body = json{{"day", p.day},
                {"device", ctx.device.value()},
                {"gross_cents", p.gross_cents},
                {"discounts_cents", p.discounts_cents},
                {"tax_cents", p.tax_cents},
                {"returns_cents", p.returns_cents},
                {"net_cents", p.net_cents},
                {"by_method", std::move(by_method)},
                {"transactions", p.transactions}};
  return r;
}

command_reply command_handler::register_device(const json& b, const command_context& ctx) {
  device_registered p;
  p.device_id = read_string(b, "device_id", device_id_length_max, true);
  if (!valid_device_id(p.device_id)) {
    reject(400, "invalid_device_id", "device_id must be 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  p.name = read_string(b, "name", text_length_max, false, p.device_id);
  p.priority = static_cast<std::int32_t>(read_int_opt(b, "priority", 0, 1000000).value_or(0));
  auto it = views_.devices_.find(p.device_id);
  if (it != views_.devices_.end() && it->second.registered) {
    reject(409, "device_exists", "device '" + p.device_id + "' is already registered; use PUT to change it");
  }
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.http_status = 201;
  r.body = *views_.device(p.device_id);
  return r;
}

command_reply command_handler::update_device(const json& b, const command_context& ctx) {
  device_updated p;
  p.device_id = read_string(b, "device_id", device_id_length_max, true);
  auto it = views_.devices_.find(p.device_id);
  if (it == views_.devices_.end()) reject(404, "unknown_device", "unknown device '" + p.device_id + "'");
  p.name = read_string(b, "name", text_length_max, false, it->second.name);
  p.priority = static_cast<std::int32_t>(read_int_opt(b, "priority", 0, 1000000).value_or(it->second.priority));
  p.active = read_bool_opt(b, "active").value_or(it->second.active);
  command_reply r;
  r.drafts.push_back(draft(ctx, p));
  r.body = *views_.device(p.device_id);
  return r;
}

} // namespace sn::retail
