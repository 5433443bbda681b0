#include "actors/projections/inventory.hpp"

#include <type_traits>
#include <vector>

#include "actors/projections/lww_stamp.hpp"
#include "actors/projections/row_codec.hpp"
#include "actors/retail/business_day.hpp"

namespace sn::projections {

namespace {

constexpr char item_prefix = 'i';
constexpr char low_prefix = 'l';
constexpr char receipt_prefix = 'r';
constexpr char return_prefix = 'x';
const std::string totals_key("n");

constexpr std::uint8_t receipt_sold = 1;
constexpr std::uint8_t receipt_voided = 2;

std::string key_of(char prefix, std::string_view id) { return row_out().u8(prefix).key(id).bytes(); }

// ---------------------------------------------------------------- items

struct item_state {
  std::string name;
  std::int64_t low_stock_threshold = 0;
  lww_stamp info;  // copy of the catalog's "product" register (name, threshold)
  std::int64_t on_hand = 0, received = 0, sold = 0, returned = 0, adjusted = 0, count_adjusted = 0;
  lww_stamp count;  // last count (register, display only)
  std::int64_t counted = 0, expected = 0;

  bool low() const { return on_hand <= low_stock_threshold; }
  bool oversold() const { return on_hand < 0; }
};

std::string encode(const item_state& s) {
  row_out o;
  o.str(s.name).i64(s.low_stock_threshold);
  s.info.write(o);
  o.i64(s.on_hand).i64(s.received).i64(s.sold).i64(s.returned).i64(s.adjusted).i64(s.count_adjusted);
  s.count.write(o);
  o.i64(s.counted).i64(s.expected);
  return std::move(o).bytes();
}

std::optional<item_state> decode_item(std::string_view bytes) {
  row_in in(bytes);
  item_state s;
  s.name = in.str();
  s.low_stock_threshold = in.i64();
  s.info = lww_stamp::read(in);
  s.on_hand = in.i64();
  s.received = in.i64();
  s.sold = in.i64();
  s.returned = in.i64();
  s.adjusted = in.i64();
  s.count_adjusted = in.i64();
  s.count = lww_stamp::read(in);
  s.counted = in.i64();
  s.expected = in.i64();
  if (in.failed() || !in.at_end()) return std::nullopt;
  return s;
}

// The list totals ('n'): a function of the items, so of the event set.
struct totals {
  std::uint64_t items = 0, oversold = 0, low = 0, low_oversold = 0;

  void count(const item_state& s, int sign) {
    const auto d = static_cast<std::uint64_t>(static_cast<std::int64_t>(sign));
    items += d;
    if (s.oversold()) oversold += d;
    if (s.low()) low += d;
    if (s.low() && s.oversold()) low_oversold += d;
  }
  bool operator==(const totals& o) const {
    return items == o.items && oversold == o.oversold && low == o.low && low_oversold == o.low_oversold;
  }
};

totals read_totals(const row_reader& rows) {
  totals t;
  auto v = rows.get(totals_key);
  if (!v) return t;
  row_in in(*v);
  t.items = in.u64();
  t.oversold = in.u64();
  t.low = in.u64();
  t.low_oversold = in.u64();
  return in.failed() ? totals{} : t;
}

// The rows one event changes: items (with their low index) and the totals,
// written once at the end.
class batch {
 public:
  explicit batch(row_writer& rows) : rows_(rows), before_(read_totals(rows)), totals_(before_) {}

  template <class F>
  void item(const std::string& sku, F&& change) {
    const std::string key = key_of(item_prefix, sku);
    std::optional<item_state> old;
    if (auto v = rows_.get(key)) old = decode_item(*v);
    item_state s = old.value_or(item_state{});
    change(s);
    rows_.put(key, encode(s));
    if (old) totals_.count(*old, -1);
    totals_.count(s, +1);
    if (!old || old->low() != s.low()) {
      if (s.low()) {
        rows_.put(key_of(low_prefix, sku), std::string());
      } else {
        rows_.erase(key_of(low_prefix, sku));
      }
    }
  }

  void finish() {
    if (totals_ == before_) return;
    rows_.put(totals_key,
              row_out().u64(totals_.items).u64(totals_.oversold).u64(totals_.low).u64(totals_.low_oversold).bytes());
  }

 private:
  row_writer& rows_;
  totals before_;
  totals totals_;
};

// ---------------------------------------------------------------- receipts

struct sale_line_qty {
  std::string sku;
  std::int64_t qty = 0;
};

struct receipt_state {
  std::uint8_t flags = 0;
  std::vector<sale_line_qty> lines;  // kept only while the sale can still be voided
};

std::string encode(const receipt_state& r) {
  row_out o;
  o.u8(r.flags).u32(static_cast<std::uint32_t>(r.lines.size()));
  for (const auto& l : r.lines) o.str(l.sku).i64(l.qty);
  return std::move(o).bytes();
}

receipt_state decode_receipt(std::string_view bytes) {
  row_in in(bytes);
  receipt_state r;
  r.flags = in.u8();
  const std::uint32_t n = in.u32();
  for (std::uint32_t i = 0; i < n && !in.failed(); ++i) {
    sale_line_qty l;
    l.sku = in.str();
    l.qty = in.i64();
    r.lines.push_back(std::move(l));
  }
  if (in.failed()) return receipt_state{r.flags, {}};
  return r;
}

// ---------------------------------------------------------------- folds

const char* on(const event& e, const product_upserted& p, batch& b, row_writer&) {
  if (p.sku.empty()) return "empty sku";
  const lww_stamp st = lww_stamp::of(e);
  b.item(p.sku, [&](item_state& s) {
    if (!st.newer_than(s.info)) return;
    s.info = st;
    s.name = p.name;
    s.low_stock_threshold = p.low_stock_threshold;
  });
  return nullptr;
}

const char* on(const event&, const stock_received& p, batch& b, row_writer&) {
  b.item(p.sku, [&](item_state& s) {
    s.on_hand += p.qty;
    s.received += p.qty;
  });
  return nullptr;
}

const char* on(const event&, const stock_adjusted& p, batch& b, row_writer&) {
  b.item(p.sku, [&](item_state& s) {
    s.on_hand += p.delta;
    s.adjusted += p.delta;
  });
  return nullptr;
}

// The count rule (events/stock.hpp): counted - expected is a delta like any
// other movement; the newest count is kept for display.
const char* on(const event& e, const stock_counted& p, batch& b, row_writer&) {
  const std::int64_t delta = p.counted_qty - p.expected_qty;
  const lww_stamp st = lww_stamp::of(e);
  b.item(p.sku, [&](item_state& s) {
    s.on_hand += delta;
    s.count_adjusted += delta;
    if (st.newer_than(s.count)) {
      s.count = st;
      s.counted = p.counted_qty;
      s.expected = p.expected_qty;
    }
  });
  return nullptr;
}

const char* on(const event&, const sale_completed& p, batch& b, row_writer& rows) {
  if (p.receipt.empty()) return "empty receipt";
  if (!retail::day_from_string(p.business_day)) return "invalid business_day";
  const std::string key = key_of(receipt_prefix, p.receipt);
  receipt_state r;
  if (auto v = rows.get(key)) r = decode_receipt(*v);
  if (r.flags & receipt_sold) return "duplicate receipt";
  r.flags |= receipt_sold;
  const bool counts = !(r.flags & receipt_voided);  // a void seen first: the sale moves no stock
  for (const sale_line& l : p.lines) {
    b.item(l.sku, [&](item_state& s) {
      if (!counts) return;
      s.on_hand -= l.qty;
      s.sold += l.qty;
    });
    if (counts) r.lines.push_back(sale_line_qty{l.sku, l.qty});
  }
  rows.put(key, encode(r));
  return nullptr;
}

// Only the first void of a receipt counts; a void before its sale waits in
// the receipt's row.
const char* on(const event&, const sale_voided& p, batch& b, row_writer& rows) {
  if (p.receipt.empty()) return "empty receipt";
  const std::string key = key_of(receipt_prefix, p.receipt);
  receipt_state r;
  if (auto v = rows.get(key)) r = decode_receipt(*v);
  if (r.flags & receipt_voided) return nullptr;
  r.flags |= receipt_voided;
  for (const sale_line_qty& l : r.lines) {
    b.item(l.sku, [&](item_state& s) {
      s.on_hand += l.qty;
      s.sold -= l.qty;
    });
  }
  r.lines.clear();
  rows.put(key, encode(r));
  return nullptr;
}

const char* on(const event&, const sale_returned& p, batch& b, row_writer& rows) {
  if (p.return_id.empty() || p.receipt.empty()) return "empty return id or receipt";
  if (!retail::day_from_string(p.business_day)) return "invalid business_day";
  const std::string key = key_of(return_prefix, p.return_id);
  if (rows.get(key)) return "duplicate return id";
  rows.put(key, std::string());
  for (const return_line& l : p.lines) {
    b.item(l.sku, [&](item_state& s) {
      s.on_hand += l.qty;
      s.returned += l.qty;
    });
  }
  return nullptr;
}

inventory::item to_item(std::string sku, const item_state& s) {
  inventory::item it;
  it.sku = std::move(sku);
  it.name = s.name;
  it.on_hand = s.on_hand;
  it.low_stock_threshold = s.low_stock_threshold;
  it.received_qty = s.received;
  it.sold_qty = s.sold;
  it.returned_qty = s.returned;
  it.adjusted_qty = s.adjusted;
  it.count_adjusted_qty = s.count_adjusted;
  if (s.count.set) {
    it.last_count = inventory::last_count{s.counted, s.expected, s.count.origin, hlc_timestamp{s.count.hlc}};
  }
  return it;
}

}  // namespace

void inventory_projection::rows_to_read(const folded_event& e, std::vector<std::string>& keys) const {
  const auto item = [&](const std::string& sku) { keys.push_back(key_of(item_prefix, sku)); };
  if (const auto* p = std::get_if<sale_completed>(&e.p)) {
    keys.push_back(key_of(receipt_prefix, p->receipt));
    for (const sale_line& l : p->lines) item(l.sku);
  } else if (const auto* p = std::get_if<sale_voided>(&e.p)) {
    keys.push_back(key_of(receipt_prefix, p->receipt));
  } else if (const auto* p = std::get_if<sale_returned>(&e.p)) {
    keys.push_back(key_of(return_prefix, p->return_id));
    for (const return_line& l : p->lines) item(l.sku);
  } else if (const auto* p = std::get_if<product_upserted>(&e.p)) {
    item(p->sku);
    keys.push_back(key_of(low_prefix, p->sku));  // a new item's low-stock row is set or cleared
  } else if (const auto* p = std::get_if<stock_received>(&e.p)) {
    item(p->sku);
  } else if (const auto* p = std::get_if<stock_adjusted>(&e.p)) {
    item(p->sku);
  } else if (const auto* p = std::get_if<stock_counted>(&e.p)) {
    item(p->sku);
  }
}

const char* inventory_projection::apply(const folded_event& e, row_writer& rows, fold_context&) {
  return std::visit(
      [&](const auto& p) -> const char* {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, product_upserted> || std::is_same_v<T, stock_received> ||
                      std::is_same_v<T, stock_adjusted> || std::is_same_v<T, stock_counted> ||
                      std::is_same_v<T, sale_completed> || std::is_same_v<T, sale_voided> ||
                      std::is_same_v<T, sale_returned>) {
          batch b(rows);
          const char* reason = on(e.ev, p, b, rows);
          b.finish();
          return reason;
        } else {
          return nullptr;
        }
      },
      e.p);
}

namespace inventory {

std::optional<item> find_item(const row_reader& rows, std::string_view sku) {
  auto v = rows.get(key_of(item_prefix, sku));
  if (!v) return std::nullopt;
  auto s = decode_item(*v);
  if (!s) return std::nullopt;
  return to_item(std::string(sku), *s);
}

std::int64_t on_hand(const row_reader& rows, std::string_view sku) {
  auto v = rows.get(key_of(item_prefix, sku));
  if (!v) return 0;
  auto s = decode_item(*v);
  return s ? s->on_hand : 0;
}

item_page list_items(const row_reader& rows, bool low_only, const page_request& req) {
  item_page out;
  const std::string prefix(1, low_only ? low_prefix : item_prefix);
  rows.scan(prefix, req.from, [&](std::string_view key, std::string_view value) {
    if (out.items.size() >= req.limit) {
      out.next = std::string(key);
      return false;
    }
    row_in k(key.substr(1));
    std::string sku = k.key();
    if (k.failed()) return true;
    std::optional<item_state> s;
    if (low_only) {
      if (auto v = rows.get(key_of(item_prefix, sku))) s = decode_item(*v);
    } else {
      s = decode_item(value);
    }
    if (s) out.items.push_back(to_item(std::move(sku), *s));
    return true;
  });
  const totals t = read_totals(rows);
  out.total = low_only ? t.low : t.items;
  out.oversold_count = low_only ? t.low_oversold : t.oversold;
  return out;
}

}  // namespace inventory
}  // namespace sn::projections
