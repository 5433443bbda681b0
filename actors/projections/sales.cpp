#include "actors/projections/sales.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>
#include <utility>

#include "actors/projections/row_codec.hpp"
#include "actors/retail/business_day.hpp"

namespace sn::projections {

namespace {

using sales::sold_line;

// A write's version, ordered by (hlc, origin, seq) as views' registers are.
struct stamp {
  std::uint64_t hlc = 0;
  std::string origin;
  std::uint64_t seq = 0;
};
bool older(const stamp& a, const stamp& b) {
  return std::tie(a.hlc, a.origin, a.seq) < std::tie(b.hlc, b.origin, b.seq);
}
stamp stamp_of(const event& e) { return stamp{e.hlc.packed(), e.origin.value(), e.seq.value()}; }
void put_stamp(row_out& o, const stamp& s) { o.u64(s.hlc).str(s.origin).u64(s.seq); }
stamp get_stamp(row_in& in) {
  stamp s;
  s.hlc = in.u64();
  s.origin = in.str();
  s.seq = in.u64();
  return s;
}

// ---- the receipt row

struct receipt_row {
  bool present = false;
  stamp sale;
  std::int32_t day = 0;
  std::vector<sold_line> lines;
  std::int64_t gross = 0, discount = 0, tax = 0, total = 0, change = 0;
  method_amounts paid{};
  bool voided = false;
  bool void_set = false;
  stamp void_at;
  std::string void_reason;
  std::int64_t refunded = 0;
  std::vector<std::pair<std::string, std::int64_t>> returned;  // sku ascending, no zero sums
  std::vector<std::string> return_ids;                         // ascending
  std::string staff;  ///< who rang the sale ("": unattributed); absent in rows written before attribution
  std::vector<sales::card> cards;  ///< the sale's card payments (layout 2; absent before)

  bool empty() const {
    return !present && !voided && !void_set && refunded == 0 && returned.empty() && return_ids.empty();
  }
};

std::string encode(const receipt_row& r) {
  row_out o;
  o.boolean(r.present);
  if (r.present) {
    put_stamp(o, r.sale);
    o.i32(r.day).u32(static_cast<std::uint32_t>(r.lines.size()));
    for (const sold_line& l : r.lines) {
      o.str(l.sku).i64(l.qty).i64(l.unit_price_cents).i64(l.discount_cents).i32(l.tax_rate_bp).i64(l.tax_cents);
    }
    o.i64(r.gross).i64(r.discount).i64(r.tax).i64(r.total).i64(r.change);
    for (std::int64_t p : r.paid) o.i64(p);
  }
  o.boolean(r.voided).boolean(r.void_set);
  if (r.void_set) {
    put_stamp(o, r.void_at);
    o.str(r.void_reason);
  }
  o.i64(r.refunded).u32(static_cast<std::uint32_t>(r.returned.size()));
  for (const auto& [sku, qty] : r.returned) o.str(sku).i64(qty);
  o.u32(static_cast<std::uint32_t>(r.return_ids.size()));
  for (const auto& id : r.return_ids) o.str(id);
  o.str(r.staff);
  o.u32(static_cast<std::uint32_t>(r.cards.size()));
  for (const sales::card& c : r.cards) o.str(c.brand).str(c.last4).str(c.auth_code).str(c.processor_ref).i64(c.amount_cents);
  return std::move(o).bytes();
}

// Rows are written by this code only: a row that does not read back is
// corrupt and treated as absent.
std::optional<receipt_row> decode_receipt(std::string_view bytes) {
  row_in in(bytes);
  receipt_row r;
  r.present = in.boolean();
  if (r.present) {
    r.sale = get_stamp(in);
    r.day = in.i32();
    const std::uint32_t n = in.u32();
    for (std::uint32_t i = 0; i < n && !in.failed(); ++i) {
      sold_line l;
      l.sku = in.str();
      l.qty = in.i64();
      l.unit_price_cents = in.i64();
      l.discount_cents = in.i64();
      l.tax_rate_bp = in.i32();
      l.tax_cents = in.i64();
      r.lines.push_back(std::move(l));
    }
    r.gross = in.i64();
    r.discount = in.i64();
    r.tax = in.i64();
    r.total = in.i64();
    r.change = in.i64();
    for (std::int64_t& p : r.paid) p = in.i64();
  }
  r.voided = in.boolean();
  r.void_set = in.boolean();
  if (r.void_set) {
    r.void_at = get_stamp(in);
    r.void_reason = in.str();
  }
  r.refunded = in.i64();
  const std::uint32_t nr = in.u32();
  for (std::uint32_t i = 0; i < nr && !in.failed(); ++i) {
    std::string sku = in.str();
    const std::int64_t qty = in.i64();
    r.returned.emplace_back(std::move(sku), qty);
  }
  const std::uint32_t ni = in.u32();
  for (std::uint32_t i = 0; i < ni && !in.failed(); ++i) r.return_ids.push_back(in.str());
  if (!in.failed() && !in.at_end()) r.staff = in.str();
  if (!in.failed() && !in.at_end()) {
    const std::uint32_t nc = in.u32();
    for (std::uint32_t i = 0; i < nc && !in.failed(); ++i) {
      sales::card c;
      c.brand = in.str();
      c.last4 = in.str();
      c.auth_code = in.str();
      c.processor_ref = in.str();
      c.amount_cents = in.i64();
      r.cards.push_back(std::move(c));
    }
  }
  if (in.failed() || !in.at_end()) return std::nullopt;
  return r;
}

std::string receipt_key(const std::string& receipt) { return row_out().u8('r').key(receipt).bytes(); }

std::optional<receipt_row> read_receipt(const row_reader& rows, const std::string& receipt) {
  const auto bytes = rows.get(receipt_key(receipt));
  if (!bytes) return std::nullopt;
  return decode_receipt(*bytes);
}

void write_receipt(row_writer& rows, const std::string& receipt, const receipt_row& r) {
  if (r.empty()) {
    rows.erase(receipt_key(receipt));
  } else {
    rows.put(receipt_key(receipt), encode(r));
  }
}

// ---- the return row (what undoing a displaced return needs)

struct return_row {
  stamp at;
  std::string receipt;
  std::int64_t refund = 0;
  std::vector<std::pair<std::string, std::int64_t>> lines;  // sku, qty (event order)
};

std::string encode(const return_row& x) {
  row_out o;
  put_stamp(o, x.at);
  o.str(x.receipt).i64(x.refund).u32(static_cast<std::uint32_t>(x.lines.size()));
  for (const auto& [sku, qty] : x.lines) o.str(sku).i64(qty);
  return std::move(o).bytes();
}

std::optional<return_row> decode_return(std::string_view bytes) {
  row_in in(bytes);
  return_row x;
  x.at = get_stamp(in);
  x.receipt = in.str();
  x.refund = in.i64();
  const std::uint32_t n = in.u32();
  for (std::uint32_t i = 0; i < n && !in.failed(); ++i) {
    std::string sku = in.str();
    const std::int64_t qty = in.i64();
    x.lines.emplace_back(std::move(sku), qty);
  }
  if (in.failed() || !in.at_end()) return std::nullopt;
  return x;
}

std::string return_key(const std::string& id) { return row_out().u8('x').key(id).bytes(); }

// ---- scopes, list index, counts, by_product

std::string scope_all() { return "g"; }
std::string scope_day(std::int32_t day) { return row_out().u8('d').i32(day).bytes(); }
std::string scope_device(const std::string& device) { return row_out().u8('v').key(device).bytes(); }
std::string scope_day_device(std::int32_t day, const std::string& device) {
  return row_out().u8('w').i32(day).key(device).bytes();
}
std::string scope_staff(const std::string& staff) { return row_out().u8('s').key(staff).bytes(); }
std::string scope_day_staff(std::int32_t day, const std::string& staff) {
  return row_out().u8('t').i32(day).key(staff).bytes();
}
// The scopes a sale is listed, counted and summed by product in: its
// device's and its day and device's, and the two of the person who rang it
// (an unattributed sale is in no one's list). Every sale is in exactly one
// device list and one day and device list, so the list of every sale and a
// day's list are merges of those (list() below), and their counts and
// by_product sums: they keep no rows of their own (layouts 3 and 4: per
// sale two list rows, two counts and two by_product rows per line fewer).
std::vector<std::string> list_scopes(const std::string& origin, std::int32_t day, const std::string& staff) {
  std::vector<std::string> out{scope_device(origin), scope_day_device(day, origin)};
  if (!staff.empty()) {
    out.push_back(scope_staff(staff));
    out.push_back(scope_day_staff(day, staff));
  }
  return out;
}
std::vector<std::string> list_scopes_of(const receipt_row& r) { return list_scopes(r.sale.origin, r.day, r.staff); }
// The scopes whose by_product is kept in rows (layout 5): the device's, the
// day's and the person's. A day and device's or a day and person's list
// (one till's or one cashier's day) sums its own receipts when asked
// (list() below): per sale line one aggregate row fewer (two when
// attributed), and those rows changed in every fold batch. A day keeps
// one row per product instead of one per device and product.
std::vector<std::string> product_scopes(const std::string& origin, std::int32_t day, const std::string& staff) {
  std::vector<std::string> out{scope_device(origin), scope_day(day)};
  if (!staff.empty()) out.push_back(scope_staff(staff));
  return out;
}
bool summed_from_receipts(const std::string& scope) { return !scope.empty() && (scope[0] == 'w' || scope[0] == 't'); }
// The scopes whose lists are merges of device lists, and the prefix of the
// count rows of their parts: "nv" (every device that sold) for all sales,
// "nw" day (the devices that sold that day) for a day.
bool merged_scope(const std::string& scope) { return scope == scope_all() || (!scope.empty() && scope[0] == 'd'); }
std::string parts_count_prefix(const std::string& scope) {
  if (scope == scope_all()) return "nv";
  return "nw" + scope.substr(1);  // 'd' day -> 'w' day: the day and device scopes of that day
}

// desc(receipt), the list key's last part: the receipt's bytes complemented,
// then 0xff, so keys sort by receipt descending (a receipt holds no "\0", so
// no complemented byte is 0xff and a shorter receipt sorts after the longer
// ones it prefixes). ascending() reads it back.
void put_descending(row_out& o, const std::string& receipt) {
  for (unsigned char c : receipt) o.u8(static_cast<std::uint8_t>(0xff - c));
  o.u8(0xff);
}
std::string ascending(std::string_view desc) {
  std::string out;
  if (desc.empty()) return out;
  desc.remove_suffix(1);
  for (unsigned char c : desc) out.push_back(static_cast<char>(0xff - c));
  return out;
}

std::string list_prefix(const std::string& scope) { return "l" + scope; }
std::string list_key(const std::string& scope, std::uint64_t hlc, const std::string& receipt) {
  row_out o;
  o.u8('l').raw(scope).u64(newest_first(hlc));  // list_prefix(scope), built in place
  put_descending(o, receipt);
  return std::move(o).bytes();
}
std::string count_key(const std::string& scope) { return "n" + scope; }
std::string product_prefix(const std::string& scope) { return "p" + scope; }

std::uint64_t read_u64(const row_reader& rows, const std::string& key) {
  const auto v = rows.get(key);
  if (!v) return 0;
  row_in in(*v);
  const std::uint64_t n = in.u64();
  return in.failed() ? 0 : n;
}

void add_count(row_writer& rows, const std::string& scope, int sign) {
  const std::string key = count_key(scope);
  const std::uint64_t n = read_u64(rows, key) + static_cast<std::uint64_t>(static_cast<std::int64_t>(sign));
  if (n == 0) {
    rows.erase(key);
  } else {
    rows.put(key, row_out().u64(n).bytes());
  }
}

std::string product_key(const std::string& scope, const std::string& sku) {
  return row_out().u8('p').raw(scope).key(sku).bytes();  // product_prefix(scope) + sku
}

void add_product(row_writer& rows, const std::string& scope, const sold_line& l, int sign) {
  const std::string key = product_key(scope, l.sku);
  std::uint64_t lines = 0;
  std::int64_t qty = 0, net = 0;
  if (const auto v = rows.get(key)) {
    row_in in(*v);
    lines = in.u64();
    qty = in.i64();
    net = in.i64();
    if (in.failed()) lines = 0, qty = 0, net = 0;
  }
  lines += static_cast<std::uint64_t>(static_cast<std::int64_t>(sign));
  qty += sign * l.qty;
  net += sign * (l.qty * l.unit_price_cents - l.discount_cents);
  if (lines == 0) {
    rows.erase(key);
  } else {
    rows.put(key, row_out().u64(lines).i64(qty).i64(net).bytes());
  }
}

// by_product counts a sale while it is present and not voided, in its
// product_scopes().
void product_effects(row_writer& rows, const receipt_row& r, int sign) {
  for (const std::string& scope : product_scopes(r.sale.origin, r.day, r.staff)) {
    for (const sold_line& l : r.lines) add_product(rows, scope, l, sign);
  }
}

// The list, its counts and by_product follow a present sale (+1 when it
// arrives, -1 when a better duplicate displaces it).
void sale_effects(row_writer& rows, const std::string& receipt, const receipt_row& r, int sign) {
  for (const std::string& scope : list_scopes_of(r)) {
    const std::string key = list_key(scope, r.sale.hlc, receipt);
    if (sign > 0) {
      // Absent: the sale is listed only while present, and a displaced
      // duplicate's entries (same key when same HLC) are erased first.
      rows.put_new(key, std::string());
    } else {
      rows.erase(key);
    }
    add_count(rows, scope, sign);
  }
  if (!r.voided) product_effects(rows, r, sign);
}

// A return's marks on its receipt (+1 applies it, -1 undoes a displaced one).
void return_effects(row_writer& rows, const std::string& return_id, const return_row& x, int sign) {
  receipt_row r = read_receipt(rows, x.receipt).value_or(receipt_row{});
  for (const auto& [sku, qty] : x.lines) {
    auto it = std::lower_bound(r.returned.begin(), r.returned.end(), sku,
                               [](const auto& a, const std::string& k) { return a.first < k; });
    if (it == r.returned.end() || it->first != sku) it = r.returned.insert(it, {sku, 0});
    it->second += sign * qty;
    if (it->second == 0) r.returned.erase(it);
  }
  r.refunded += sign * x.refund;
  auto id = std::lower_bound(r.return_ids.begin(), r.return_ids.end(), return_id);
  if (sign > 0) {
    r.return_ids.insert(id, return_id);
  } else if (id != r.return_ids.end() && *id == return_id) {
    r.return_ids.erase(id);
  }
  write_receipt(rows, x.receipt, r);
}

// ---- counters

std::string counter_key(const std::string& origin) { return row_out().u8('o').key(origin).bytes(); }

sales::receipt_counters decode_counters(std::string_view bytes) {
  row_in in(bytes);
  sales::receipt_counters c;
  c.last_receipt_no = in.u64();
  c.last_return_no = in.u64();
  return in.failed() ? sales::receipt_counters{} : c;
}

void note_number(row_writer& rows, const std::string& origin, const std::string& id, bool is_return) {
  const std::uint64_t n = sales::own_number(origin, id, is_return);
  if (n == 0) return;
  const std::string key = counter_key(origin);
  const auto v = rows.get(key);
  sales::receipt_counters c = v ? decode_counters(*v) : sales::receipt_counters{};
  std::uint64_t& slot = is_return ? c.last_return_no : c.last_receipt_no;
  if (n <= slot) return;
  slot = n;
  rows.put(key, row_out().u64(c.last_receipt_no).u64(c.last_return_no).bytes());
}

// ---- folds

const char* on(const event& e, const sale_completed& p, row_writer& rows) {
  if (p.receipt.empty()) return "empty receipt";
  const auto day = retail::day_from_string(p.business_day);
  if (!day) return "invalid business_day";
  const stamp s = stamp_of(e);
  note_number(rows, s.origin, p.receipt, false);
  receipt_row r = read_receipt(rows, p.receipt).value_or(receipt_row{});
  if (r.present) {
    if (!older(s, r.sale)) return "duplicate receipt";
    sale_effects(rows, p.receipt, r, -1);  // displaced by an older duplicate
  }
  r.present = true;
  r.sale = s;
  r.day = *day;
  r.lines.clear();
  for (const sale_line& l : p.lines) {
    r.lines.push_back(sold_line{l.sku, l.qty, l.unit_price_cents, l.discount_cents, l.tax_rate_bp, l.tax_cents});
  }
  r.gross = p.gross_cents;
  r.discount = p.discount_cents;
  r.tax = p.tax_cents;
  r.total = p.total_cents;
  r.change = p.change_cents;
  r.staff = p.staff_id;
  r.cards.clear();
  for (const payment& m : p.payments) {
    if (m.method == "card") r.cards.push_back(sales::card{m.brand, m.last4, m.auth_code, m.processor_ref, m.amount_cents});
  }
  r.paid = {};
  for (const payment& m : p.payments) r.paid[static_cast<std::size_t>(method_or_other(m.method))] += m.amount_cents;
  sale_effects(rows, p.receipt, r, +1);
  write_receipt(rows, p.receipt, r);
  return nullptr;
}

const char* on(const event& e, const sale_returned& p, row_writer& rows) {
  if (p.return_id.empty() || p.receipt.empty()) return "empty return id or receipt";
  if (!retail::day_from_string(p.business_day)) return "invalid business_day";
  const stamp s = stamp_of(e);
  note_number(rows, s.origin, p.return_id, true);
  const std::string key = return_key(p.return_id);
  if (const auto bytes = rows.get(key)) {
    const auto x = decode_return(*bytes);
    if (x && !older(s, x->at)) return "duplicate return id";
    if (x) return_effects(rows, p.return_id, *x, -1);  // displaced by an older duplicate
  }
  return_row x;
  x.at = s;
  x.receipt = p.receipt;
  x.refund = p.refund_cents;
  for (const return_line& l : p.lines) x.lines.emplace_back(l.sku, l.qty);
  return_effects(rows, p.return_id, x, +1);
  rows.put(key, encode(x));
  return nullptr;
}

// Only the first void counts (voided is set once); the newest is shown.
const char* on(const event& e, const sale_voided& p, row_writer& rows) {
  if (p.receipt.empty()) return "empty receipt";
  receipt_row r = read_receipt(rows, p.receipt).value_or(receipt_row{});
  const stamp s = stamp_of(e);
  if (!r.void_set || older(r.void_at, s)) {
    r.void_set = true;
    r.void_at = s;
    r.void_reason = p.reason;
  }
  if (!r.voided) {
    if (r.present) product_effects(rows, r, -1);
    r.voided = true;
  }
  write_receipt(rows, p.receipt, r);
  return nullptr;
}

}  // namespace

const char* sales_projection::apply(const folded_event& e, row_writer& rows, fold_context&) {
  if (const auto* p = std::get_if<sale_completed>(&e.p)) return on(e.ev, *p, rows);
  if (const auto* p = std::get_if<sale_returned>(&e.p)) return on(e.ev, *p, rows);
  if (const auto* p = std::get_if<sale_voided>(&e.p)) return on(e.ev, *p, rows);
  return nullptr;
}

void sales_projection::rows_to_read(const folded_event& e, std::vector<std::string>& keys) const {
  if (const auto* p = std::get_if<sale_completed>(&e.p)) {
    keys.push_back(receipt_key(p->receipt));
    const auto day = retail::day_from_string(p->business_day);
    if (!day) return;
    for (const std::string& scope : product_scopes(e.ev.origin.value(), *day, p->staff_id)) {  // as product_effects
      for (const sale_line& l : p->lines) keys.push_back(product_key(scope, l.sku));
    }
  } else if (const auto* p = std::get_if<sale_voided>(&e.p)) {
    keys.push_back(receipt_key(p->receipt));
  } else if (const auto* p = std::get_if<sale_returned>(&e.p)) {
    keys.push_back(return_key(p->return_id));
    keys.push_back(receipt_key(p->receipt));
  }
}

namespace sales {

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

void count_number(const event& e, const payload& p, receipt_counters& c) {
  const auto keep = [](std::uint64_t& slot, std::uint64_t n) { slot = std::max(slot, n); };
  if (const auto* s = std::get_if<sale_completed>(&p)) {
    if (s->receipt.empty() || !retail::day_from_string(s->business_day)) return;
    keep(c.last_receipt_no, own_number(e.origin.value(), s->receipt, false));
  } else if (const auto* r = std::get_if<sale_returned>(&p)) {
    if (r->return_id.empty() || r->receipt.empty() || !retail::day_from_string(r->business_day)) return;
    keep(c.last_return_no, own_number(e.origin.value(), r->return_id, true));
  }
}

std::optional<sale_detail> sale(const row_reader& rows, const std::string& receipt) {
  const auto r = read_receipt(rows, receipt);
  if (!r || !r->present) return std::nullopt;
  sale_detail d;
  d.receipt = receipt;
  d.device = r->sale.origin;
  d.hlc = r->sale.hlc;
  d.day = r->day;
  for (const sold_line& l : r->lines) {
    line out{l.sku, l.qty, l.unit_price_cents, l.discount_cents, l.tax_rate_bp, l.tax_cents, 0};
    for (const auto& [sku, qty] : r->returned) {
      if (sku == l.sku) out.returned_qty = qty;
    }
    d.lines.push_back(std::move(out));
  }
  d.gross_cents = r->gross;
  d.discount_cents = r->discount;
  d.tax_cents = r->tax;
  d.total_cents = r->total;
  d.change_cents = r->change;
  d.paid = r->paid;
  d.voided = r->voided;
  d.refunded_cents = r->refunded;
  d.return_ids = r->return_ids;
  d.staff_id = r->staff;
  d.cards = r->cards;
  if (r->voided && r->void_set) d.void_ = void_info{r->void_reason, r->void_at.origin, r->void_at.hlc};
  return d;
}

namespace {

// The by_product rows of `scope`, sku ascending.
void product_rows(const row_reader& rows, const std::string& scope, const std::function<void(product_total)>& take) {
  const std::string pp = product_prefix(scope);
  rows.scan(pp, "", [&](std::string_view key, std::string_view value) {
    row_in k(key.substr(pp.size()));
    row_in in(value);
    product_total t;
    t.sku = k.key();
    in.u64();
    t.qty = in.i64();
    t.net_cents = in.i64();
    if (!k.failed() && !in.failed()) take(std::move(t));
    return true;
  });
}

// by_product of a list that keeps no rows of it (a day and device's, a day
// and person's): the sums of its present, non-voided receipts' lines,
// read in batches (a busy till's day is thousands of receipts).
std::vector<product_total> products_of_receipts(const row_reader& rows, const std::string& scope) {
  std::vector<std::string> keys;
  const std::string pp = list_prefix(scope);
  rows.scan(pp, "", [&](std::string_view key, std::string_view) {
    if (key.size() >= pp.size() + 8) keys.push_back(receipt_key(ascending(key.substr(pp.size() + 8))));
    return true;
  });
  std::map<std::string, product_total> sums;
  constexpr std::size_t batch = 256;
  std::vector<std::string_view> views;
  std::vector<std::optional<std::string>> values;
  for (std::size_t at = 0; at < keys.size(); at += batch) {
    views.assign(keys.begin() + static_cast<std::ptrdiff_t>(at),
                 keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), at + batch)));
    rows.get_many(views, values);
    for (const auto& v : values) {
      const auto r = v ? decode_receipt(*v) : std::nullopt;
      if (!r || !r->present || r->voided) continue;
      for (const sold_line& l : r->lines) {
        product_total& sum = sums[l.sku];
        if (sum.sku.empty()) sum.sku = l.sku;
        sum.qty += l.qty;
        sum.net_cents += l.qty * l.unit_price_cents - l.discount_cents;
      }
    }
  }
  std::vector<product_total> out;
  out.reserve(sums.size());
  for (auto& [sku, t] : sums) out.push_back(std::move(t));
  return out;
}

}  // namespace

sales_list list(const row_reader& rows, const filter& f, const page_request& req) {
  sales_list out;
  std::optional<std::int32_t> day;
  if (f.day) {
    day = retail::day_from_string(*f.day);
    if (!day) return out;  // views: an invalid day is an empty list
  }
  std::string scope;
  if (f.staff && day) {
    scope = scope_day_staff(*day, *f.staff);
  } else if (f.staff) {
    scope = scope_staff(*f.staff);
  } else if (day && f.device) {
    scope = scope_day_device(*day, *f.device);
  } else if (day) {
    scope = scope_day(*day);
  } else if (f.device) {
    scope = scope_device(*f.device);
  } else {
    scope = scope_all();
  }
  const std::size_t limit = std::clamp<std::size_t>(req.limit, 1, page_limit_max);
  const std::string prefix = list_prefix(scope);
  // A page: the list's entries from the cursor on, by their order (the key
  // after the list's prefix: newest first, then receipt descending), read
  // from `parts` (one list, or the device lists a merged one is made of).
  // Each part gives at most limit + 1 entries: enough for the page and the
  // next page's cursor, the key the entry would have in this list.
  std::vector<std::string> parts;
  if (merged_scope(scope)) {
    const std::string counts = parts_count_prefix(scope);
    rows.scan(counts, "", [&](std::string_view key, std::string_view value) {
      row_in in(value);
      const std::uint64_t n = in.u64();
      if (!in.failed()) out.sales.total += n;
      parts.emplace_back(key.substr(1));  // 'n' + the part's scope
      return true;
    });
  } else {
    out.sales.total = read_u64(rows, count_key(scope));
    parts.push_back(scope);
  }
  std::string from;  // the first order of the page ("": from the start)
  bool past_the_list = false;  // a cursor past this list: no entries (as a scan from it)
  if (req.from.compare(0, prefix.size(), prefix) == 0) {
    from = req.from.substr(prefix.size());
  } else if (req.from > prefix) {
    past_the_list = true;
  }
  std::vector<std::string> orders;
  // The merge is exact up to the smallest last order taken from a part that
  // had more (`bound`): past it, that part's next entries are not read.
  std::optional<std::string> bound;
  for (const std::string& part : parts) {
    if (past_the_list) break;
    const std::string pp = list_prefix(part);
    std::size_t taken = 0;
    rows.scan(pp, pp + from, [&](std::string_view key, std::string_view) {
      if (key.size() < pp.size() + 8) return true;  // not an index row (corrupt): skip
      if (taken == limit + 1) {
        if (!bound || orders.back() < *bound) bound = orders.back();
        return false;
      }
      orders.emplace_back(key.substr(pp.size()));
      ++taken;
      return true;
    });
  }
  if (parts.size() > 1) std::sort(orders.begin(), orders.end());
  for (const std::string& order : orders) {
    if (bound && order > *bound) {
      // Past the bound (only when entries were skipped: receipts not present,
      // corrupt rows): the next page goes on right after it.
      out.sales.next = prefix + *bound + std::string(1, '\0');
      break;
    }
    if (out.sales.items.size() == limit) {
      out.sales.next = prefix + order;
      break;
    }
    const std::string receipt = ascending(std::string_view(order).substr(8));
    const auto r = read_receipt(rows, receipt);
    if (!r || !r->present) continue;
    sale_summary s{receipt, r->sale.origin, r->sale.hlc, r->day, 0, r->total, r->voided, r->refunded, r->staff};
    for (const sold_line& l : r->lines) s.items += l.qty;
    out.sales.items.push_back(std::move(s));
  }
  // by_product (whatever the page), sku ascending: a device's, a person's
  // and a day's own rows; for every sale the sums, sku by sku, of the
  // devices' rows (a sku is listed while some device has a row for it: a
  // row goes when its lines do); for a day and device or a day and person
  // the sums of the list's own receipts.
  if (summed_from_receipts(scope)) {
    out.by_product = products_of_receipts(rows, scope);
    return out;
  }
  if (scope != scope_all()) {
    product_rows(rows, scope, [&](product_total t) { out.by_product.push_back(std::move(t)); });
    return out;
  }
  std::map<std::string, product_total> sums;
  for (const std::string& part : parts) {
    product_rows(rows, part, [&](product_total t) {
      product_total& sum = sums[t.sku];
      if (sum.sku.empty()) sum.sku = t.sku;
      sum.qty += t.qty;
      sum.net_cents += t.net_cents;
    });
  }
  out.by_product.reserve(sums.size());
  for (auto& [sku, t] : sums) out.by_product.push_back(std::move(t));
  return out;
}

receipt_facts facts(const row_reader& rows, const std::string& receipt) {
  receipt_facts out;
  const auto r = read_receipt(rows, receipt);
  if (!r) return out;
  out.present = r->present;
  out.voided = r->voided;
  out.device = r->sale.origin;
  out.lines = r->lines;
  out.returned = r->returned;
  out.return_ids = r->return_ids;
  out.paid = r->paid;
  return out;
}

receipt_counters counters(const row_reader& rows, const std::string& device) {
  const auto v = rows.get(counter_key(device));
  return v ? decode_counters(*v) : receipt_counters{};
}

std::vector<std::pair<std::string, receipt_counters>> all_counters(const row_reader& rows) {
  std::vector<std::pair<std::string, receipt_counters>> out;
  rows.scan("o", "", [&](std::string_view key, std::string_view value) {
    row_in k(key.substr(1));
    std::string device = k.key();
    if (!k.failed()) out.emplace_back(std::move(device), decode_counters(value));
    return true;
  });
  return out;
}

}  // namespace sales
}  // namespace sn::projections
