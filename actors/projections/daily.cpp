#include "actors/projections/daily.hpp"

#include <functional>
#include <map>
#include <tuple>

#include "actors/projections/row_codec.hpp"
#include "actors/retail/business_day.hpp"

namespace sn::projections {

namespace {

using daily::figures;

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

// ---- keys

std::string day_device(char kind, std::int32_t day, const std::string& device) {
  return row_out().u8(static_cast<std::uint8_t>(kind)).i32(day).key(device).bytes();
}
std::string day_prefix(char kind, std::int32_t day) {
  return row_out().u8(static_cast<std::uint8_t>(kind)).i32(day).bytes();
}
std::uint32_t rday(std::int32_t day) { return ~(static_cast<std::uint32_t>(day) ^ (std::uint32_t{1} << 31)); }
std::int32_t day_of_rday(std::uint32_t r) { return static_cast<std::int32_t>(~r ^ (std::uint32_t{1} << 31)); }
std::string day_index_key(std::int32_t day) { return row_out().u8('e').u32(rday(day)).bytes(); }
const std::string max_day_key = "m";
std::string receipt_key(const std::string& receipt) { return row_out().u8('r').key(receipt).bytes(); }
std::string return_key(const std::string& id) { return row_out().u8('x').key(id).bytes(); }

// ---- figures rows

struct figures_row {
  std::uint64_t refs = 0;
  figures f;
};

std::string encode(const figures_row& r) {
  row_out o;
  o.u64(r.refs).i64(r.f.gross_cents).i64(r.f.discounts_cents).i64(r.f.tax_cents).i64(r.f.returns_cents);
  o.i64(r.f.returns_tax_cents);
  for (std::int64_t m : r.f.by_method) o.i64(m);
  o.i64(r.f.transactions).i64(r.f.returns).i64(r.f.voids);
  return std::move(o).bytes();
}

std::optional<figures_row> decode_figures(std::string_view bytes) {
  row_in in(bytes);
  figures_row r;
  r.refs = in.u64();
  r.f.gross_cents = in.i64();
  r.f.discounts_cents = in.i64();
  r.f.tax_cents = in.i64();
  r.f.returns_cents = in.i64();
  r.f.returns_tax_cents = in.i64();
  for (std::int64_t& m : r.f.by_method) m = in.i64();
  r.f.transactions = in.i64();
  r.f.returns = in.i64();
  r.f.voids = in.i64();
  if (in.failed() || !in.at_end()) return std::nullopt;
  return r;
}

std::optional<std::int32_t> read_max_day(const row_reader& rows) {
  const auto v = rows.get(max_day_key);
  if (!v) return std::nullopt;
  row_in in(*v);
  const std::int32_t d = in.i32();
  if (in.failed()) return std::nullopt;
  return d;
}

// A day gained (+1) or lost (-1) a figures row: keep the day index and the
// max-day row. Losing rows only happens when a displaced duplicate was the
// only thing on its (day, device); then the new max is the index's first row.
void day_rows(row_writer& rows, std::int32_t day, int delta) {
  const std::string key = day_index_key(day);
  std::uint64_t n = 0;
  if (const auto v = rows.get(key)) {
    row_in in(*v);
    n = in.u64();
  }
  n += static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
  const auto max = read_max_day(rows);
  if (n != 0) {
    rows.put(key, row_out().u64(n).bytes());
    if (!max || day > *max) rows.put(max_day_key, row_out().i32(day).bytes());
    return;
  }
  rows.erase(key);
  if (max && *max != day) return;
  std::optional<std::int32_t> newest;
  rows.scan("e", "", [&](std::string_view k, std::string_view) {
    row_in in(k.substr(1));
    const std::uint32_t r = in.u32();
    if (!in.failed()) newest = day_of_rday(r);
    return false;
  });
  if (newest) {
    rows.put(max_day_key, row_out().i32(*newest).bytes());
  } else {
    rows.erase(max_day_key);
  }
}

// Changes the figures of (day, device); refs_delta: +1 a sale or return
// starts counting here, -1 one stops (a displaced duplicate), 0 a void.
void change_figures(row_writer& rows, std::int32_t day, const std::string& device, int refs_delta,
                    const std::function<void(figures&)>& fn) {
  const std::string key = day_device('f', day, device);
  figures_row r;
  bool existed = false;
  if (const auto v = rows.get(key)) {
    if (auto d = decode_figures(*v)) {
      r = std::move(*d);
      existed = r.refs != 0;
    }
  }
  r.refs += static_cast<std::uint64_t>(static_cast<std::int64_t>(refs_delta));
  fn(r.f);
  if (r.refs == 0) {
    rows.erase(key);
    if (existed) day_rows(rows, day, -1);
  } else {
    rows.put(key, encode(r));
    if (!existed) day_rows(rows, day, +1);
  }
}

// The figures of (day, staff, device): the same sums as the device's, for
// the person a sale or return names. Unattributed events (staff "") count
// in no staff's row. These rows do not make a day "have figures" (the day
// index counts only the device rows, which every sale and return has).
void change_staff_figures(row_writer& rows, std::int32_t day, const std::string& staff, const std::string& device,
                          int refs_delta, const std::function<void(figures&)>& fn) {
  if (staff.empty()) return;
  const std::string key = row_out().u8('g').i32(day).key(staff).key(device).bytes();
  figures_row r;
  if (const auto v = rows.get(key)) {
    if (auto d = decode_figures(*v)) r = std::move(*d);
  }
  r.refs += static_cast<std::uint64_t>(static_cast<std::int64_t>(refs_delta));
  fn(r.f);
  if (r.refs == 0) {
    rows.erase(key);
  } else {
    rows.put(key, encode(r));
  }
}

// ---- receipts

struct receipt_row {
  bool present = false;
  stamp sale;
  std::int32_t day = 0;
  std::int64_t gross = 0, discount = 0, tax = 0, change = 0;
  method_amounts paid{};
  bool voided = false;
  std::string staff;  ///< who rang the sale ("": unattributed, in no staff's figures)
};

std::string encode(const receipt_row& r) {
  row_out o;
  o.boolean(r.present);
  if (r.present) {
    put_stamp(o, r.sale);
    o.i32(r.day).i64(r.gross).i64(r.discount).i64(r.tax).i64(r.change);
    for (std::int64_t p : r.paid) o.i64(p);
  }
  o.boolean(r.voided);
  o.str(r.staff);
  return std::move(o).bytes();
}

std::optional<receipt_row> decode_receipt(std::string_view bytes) {
  row_in in(bytes);
  receipt_row r;
  r.present = in.boolean();
  if (r.present) {
    r.sale = get_stamp(in);
    r.day = in.i32();
    r.gross = in.i64();
    r.discount = in.i64();
    r.tax = in.i64();
    r.change = in.i64();
    for (std::int64_t& p : r.paid) p = in.i64();
  }
  r.voided = in.boolean();
  if (!in.at_end()) r.staff = in.str();  // absent in rows folded before attribution
  if (in.failed() || !in.at_end()) return std::nullopt;
  return r;
}

receipt_row read_receipt(const row_reader& rows, const std::string& receipt) {
  const auto v = rows.get(receipt_key(receipt));
  if (!v) return receipt_row{};
  return decode_receipt(*v).value_or(receipt_row{});
}

void sale_figures(figures& f, const receipt_row& s, int sign) {
  f.gross_cents += sign * s.gross;
  f.discounts_cents += sign * s.discount;
  f.tax_cents += sign * s.tax;
  f.transactions += sign;
  for (std::size_t m = 0; m < pay_method_count; ++m) f.by_method[m] += sign * s.paid[m];
  f.by_method[static_cast<std::size_t>(pay_method::cash)] -= sign * s.change;
}

// A present sale on its (day, device): its figures, or one void when voided.
void count_sale(row_writer& rows, const receipt_row& r, int sign) {
  const auto fn = [&](figures& f) {
    if (r.voided) {
      f.voids += sign;
    } else {
      sale_figures(f, r, sign);
    }
  };
  change_figures(rows, r.day, r.sale.origin, sign, fn);
  change_staff_figures(rows, r.day, r.staff, r.sale.origin, sign, fn);
}

// ---- returns

struct return_row {
  stamp at;
  std::int32_t day = 0;
  std::int64_t refund = 0, tax = 0;
  pay_method method = pay_method::cash;
  std::string staff;  ///< who took it back ("": unattributed)
};

std::string encode(const return_row& x) {
  row_out o;
  put_stamp(o, x.at);
  o.i32(x.day).i64(x.refund).i64(x.tax).u8(static_cast<std::uint8_t>(x.method));
  o.str(x.staff);
  return std::move(o).bytes();
}

std::optional<return_row> decode_return(std::string_view bytes) {
  row_in in(bytes);
  return_row x;
  x.at = get_stamp(in);
  x.day = in.i32();
  x.refund = in.i64();
  x.tax = in.i64();
  const std::uint8_t m = in.u8();
  if (!in.at_end()) x.staff = in.str();  // absent in rows folded before attribution
  if (in.failed() || !in.at_end() || m >= pay_method_count) return std::nullopt;
  x.method = static_cast<pay_method>(m);
  return x;
}

void count_return(row_writer& rows, const return_row& x, int sign) {
  const auto fn = [&](figures& f) {
    f.returns_cents += sign * x.refund;
    f.returns_tax_cents += sign * x.tax;
    f.by_method[static_cast<std::size_t>(x.method)] -= sign * x.refund;
    f.returns += sign;
  };
  change_figures(rows, x.day, x.at.origin, sign, fn);
  change_staff_figures(rows, x.day, x.staff, x.at.origin, sign, fn);
}

// ---- closures

std::string encode(const daily::closure& c, std::uint64_t seq) {
  row_out o;
  o.u64(c.hlc).u64(seq).i64(c.gross_cents).i64(c.discounts_cents).i64(c.tax_cents).i64(c.returns_cents);
  o.i64(c.net_cents).i64(c.transactions).u32(static_cast<std::uint32_t>(c.by_method.size()));
  for (const auto& [m, amount] : c.by_method) o.str(m).i64(amount);
  return std::move(o).bytes();
}

std::optional<daily::closure> decode_closure(std::string_view bytes, std::uint64_t* seq = nullptr) {
  row_in in(bytes);
  daily::closure c;
  c.hlc = in.u64();
  const std::uint64_t s = in.u64();
  c.gross_cents = in.i64();
  c.discounts_cents = in.i64();
  c.tax_cents = in.i64();
  c.returns_cents = in.i64();
  c.net_cents = in.i64();
  c.transactions = in.i64();
  const std::uint32_t n = in.u32();
  for (std::uint32_t i = 0; i < n && !in.failed(); ++i) {
    std::string m = in.str();
    const std::int64_t amount = in.i64();
    c.by_method.emplace_back(std::move(m), amount);
  }
  if (in.failed() || !in.at_end()) return std::nullopt;
  if (seq) *seq = s;
  return c;
}

// ---- folds

const char* on(const event& e, const sale_completed& p, row_writer& rows) {
  if (p.receipt.empty()) return "empty receipt";
  const auto day = retail::day_from_string(p.business_day);
  if (!day) return "invalid business_day";
  const stamp s = stamp_of(e);
  receipt_row r = read_receipt(rows, p.receipt);
  if (r.present) {
    if (!older(s, r.sale)) return "duplicate receipt";
    count_sale(rows, r, -1);  // displaced by an older duplicate
  }
  r.present = true;
  r.sale = s;
  r.day = *day;
  r.gross = p.gross_cents;
  r.discount = p.discount_cents;
  r.tax = p.tax_cents;
  r.change = p.change_cents;
  r.staff = p.staff_id;
  r.paid = {};
  for (const payment& m : p.payments) r.paid[static_cast<std::size_t>(method_or_other(m.method))] += m.amount_cents;
  count_sale(rows, r, +1);
  rows.put(receipt_key(p.receipt), encode(r));
  return nullptr;
}

const char* on(const event& e, const sale_returned& p, row_writer& rows) {
  if (p.return_id.empty() || p.receipt.empty()) return "empty return id or receipt";
  const auto day = retail::day_from_string(p.business_day);
  if (!day) return "invalid business_day";
  const stamp s = stamp_of(e);
  const std::string key = return_key(p.return_id);
  if (const auto bytes = rows.get(key)) {
    const auto x = decode_return(*bytes);
    if (x && !older(s, x->at)) return "duplicate return id";
    if (x) count_return(rows, *x, -1);  // displaced by an older duplicate
  }
  return_row x;
  x.at = s;
  x.day = *day;
  x.refund = p.refund_cents;
  for (const return_line& l : p.lines) x.tax += l.tax_cents;
  x.method = method_or_other(p.method);
  x.staff = p.staff_id;
  count_return(rows, x, +1);
  rows.put(key, encode(x));
  return nullptr;
}

const char* on(const event&, const sale_voided& p, row_writer& rows) {
  if (p.receipt.empty()) return "empty receipt";
  receipt_row r = read_receipt(rows, p.receipt);
  if (r.voided) return nullptr;  // only the first void counts
  if (r.present) {
    const auto fn = [&](figures& f) {
      sale_figures(f, r, -1);
      f.voids += 1;
    };
    change_figures(rows, r.day, r.sale.origin, 0, fn);
    change_staff_figures(rows, r.day, r.staff, r.sale.origin, 0, fn);
  }
  r.voided = true;
  rows.put(receipt_key(p.receipt), encode(r));
  return nullptr;
}

// The closure register of (day, device): newest (hlc, seq) wins (the
// device is the writer, so the origin never breaks a tie).
const char* on(const event& e, const day_closed& p, row_writer& rows) {
  const auto day = retail::day_from_string(p.day);
  if (!day) return "invalid day";
  const std::string key = day_device('c', *day, e.origin.value());
  if (const auto v = rows.get(key)) {
    std::uint64_t seq = 0;
    if (const auto c = decode_closure(*v, &seq)) {
      if (std::tie(c->hlc, seq) >= std::make_tuple(e.hlc.packed(), e.seq.value())) return nullptr;
    }
  }
  daily::closure c;
  c.hlc = e.hlc.packed();
  c.gross_cents = p.gross_cents;
  c.discounts_cents = p.discounts_cents;
  c.tax_cents = p.tax_cents;
  c.returns_cents = p.returns_cents;
  c.net_cents = p.net_cents;
  c.transactions = p.transactions;
  for (const method_total& m : p.by_method) c.by_method.emplace_back(m.method, m.amount_cents);
  rows.put(key, encode(c, e.seq.value()));
  return nullptr;
}

void add(figures& total, const figures& f) {
  total.gross_cents += f.gross_cents;
  total.discounts_cents += f.discounts_cents;
  total.tax_cents += f.tax_cents;
  total.returns_cents += f.returns_cents;
  total.returns_tax_cents += f.returns_tax_cents;
  for (std::size_t m = 0; m < pay_method_count; ++m) total.by_method[m] += f.by_method[m];
  total.transactions += f.transactions;
  total.returns += f.returns;
  total.voids += f.voids;
}

// The device part of a (kind, day, device) key.
std::optional<std::string> device_of(std::string_view key) {
  if (key.size() < 5) return std::nullopt;
  row_in in(key.substr(5));
  std::string d = in.key();
  if (in.failed()) return std::nullopt;
  return d;
}

}  // namespace

void daily_projection::rows_to_read(const folded_event& e, std::vector<std::string>& keys) const {
  if (const auto* p = std::get_if<sale_completed>(&e.p)) {
    keys.push_back(receipt_key(p->receipt));
  } else if (const auto* p = std::get_if<sale_voided>(&e.p)) {
    keys.push_back(receipt_key(p->receipt));
  } else if (const auto* p = std::get_if<sale_returned>(&e.p)) {
    keys.push_back(return_key(p->return_id));
  }
}

const char* daily_projection::apply(const folded_event& e, row_writer& rows, fold_context&) {
  if (const auto* p = std::get_if<sale_completed>(&e.p)) return on(e.ev, *p, rows);
  if (const auto* p = std::get_if<sale_returned>(&e.p)) return on(e.ev, *p, rows);
  if (const auto* p = std::get_if<sale_voided>(&e.p)) return on(e.ev, *p, rows);
  if (const auto* p = std::get_if<day_closed>(&e.p)) return on(e.ev, *p, rows);
  return nullptr;
}

namespace daily {

std::optional<std::int32_t> newest_day(const row_reader& rows) { return read_max_day(rows); }

bool closed(const row_reader& rows, std::int32_t day, const std::string& device) {
  return rows.get(day_device('c', day, device)).has_value();
}

report_result report(const row_reader& rows, const std::optional<std::string>& day,
                     const std::optional<std::string>& device, const std::optional<std::string>& staff) {
  report_result out;
  out.device = device;
  out.staff = staff;
  out.day = day ? retail::day_from_string(*day) : read_max_day(rows);
  if (!out.day) return out;
  std::map<std::string, device_day> per_device;
  const auto take_figures = [&](const std::string& dev, std::string_view value) {
    const auto r = decode_figures(value);
    if (!r) return;
    add(out.total, r->f);
    device_day& d = per_device[dev];
    d.device = dev;
    d.f = r->f;
  };
  const auto take_closure = [&](const std::string& dev, std::string_view value) {
    auto c = decode_closure(value);
    if (!c) return;
    device_day& d = per_device[dev];
    d.device = dev;
    d.closed = std::move(*c);
  };
  // Per staff: the (day, staff, device) rows of the listed devices; with a
  // staff filter they are also the report's figures.
  std::map<std::string, figures> per_staff;
  const std::string staff_prefix =
      staff ? row_out().u8('g').i32(*out.day).key(*staff).bytes() : row_out().u8('g').i32(*out.day).bytes();
  rows.scan(staff_prefix, "", [&](std::string_view k, std::string_view v) {
    row_in in(k.substr(5));
    std::string who = in.key();
    std::string dev = in.key();
    const auto r = decode_figures(v);
    if (in.failed() || !r || (device && dev != *device)) return true;
    add(per_staff[who], r->f);
    if (staff) take_figures(dev, v);
    return true;
  });
  for (auto& [who, f] : per_staff) out.by_staff.emplace_back(who, f);
  if (device) {
    if (!staff) {
      if (const auto v = rows.get(day_device('f', *out.day, *device))) take_figures(*device, *v);
    }
    if (const auto v = rows.get(day_device('c', *out.day, *device))) take_closure(*device, *v);
  } else {
    if (!staff) {
      rows.scan(day_prefix('f', *out.day), "", [&](std::string_view k, std::string_view v) {
        if (const auto dev = device_of(k)) take_figures(*dev, v);
        return true;
      });
    }
    rows.scan(day_prefix('c', *out.day), "", [&](std::string_view k, std::string_view v) {
      if (const auto dev = device_of(k)) take_closure(*dev, v);
      return true;
    });
  }
  for (auto& [dev, d] : per_device) out.devices.push_back(std::move(d));
  return out;
}

}  // namespace daily
}  // namespace sn::projections
