#include "actors/projections/catalog.hpp"

#include <algorithm>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "actors/projections/lww_stamp.hpp"
#include "actors/projections/row_codec.hpp"

namespace sn::projections {

namespace {

using nlohmann::json;

constexpr char listed_prefix = 'p';
constexpr char pending_prefix = 'q';
const std::string count_key("n");

std::string product_key(char prefix, std::string_view sku) { return row_out().u8(prefix).key(sku).bytes(); }

// One sku's three registers (the value of its 'p' or 'q' row).
struct product_state {
  lww_stamp info;  // "product"
  std::string name, barcode;
  std::int32_t tax_rate_bp = 0;
  std::int64_t low_stock_threshold = 0;
  lww_stamp price;  // "product.price"
  std::int64_t price_cents = 0;
  lww_stamp act;  // "product.active"
  bool active = true;
};

std::string encode(const product_state& s) {
  row_out o;
  s.info.write(o);
  o.str(s.name).str(s.barcode).i32(s.tax_rate_bp).i64(s.low_stock_threshold);
  s.price.write(o);
  o.i64(s.price_cents);
  s.act.write(o);
  o.boolean(s.active);
  return std::move(o).bytes();
}

std::optional<product_state> decode(std::string_view bytes) {
  row_in in(bytes);
  product_state s;
  s.info = lww_stamp::read(in);
  s.name = in.str();
  s.barcode = in.str();
  s.tax_rate_bp = in.i32();
  s.low_stock_threshold = in.i64();
  s.price = lww_stamp::read(in);
  s.price_cents = in.i64();
  s.act = lww_stamp::read(in);
  s.active = in.boolean();
  if (in.failed() || !in.at_end()) return std::nullopt;
  return s;
}

std::uint64_t read_count(const row_reader& rows) {
  auto v = rows.get(count_key);
  if (!v) return 0;
  row_in in(*v);
  const std::uint64_t n = in.u64();
  return in.failed() ? 0 : n;
}

// A sku's registers read for one write, and written back where they belong:
// 'p' once an upsert set the info register, 'q' until then.
class product_slot {
 public:
  product_slot(row_writer& rows, std::string_view sku) : rows_(rows), sku_(sku) {
    if (auto v = rows_.get(product_key(listed_prefix, sku_))) {
      was_listed_ = true;
      if (auto s = decode(*v)) state = std::move(*s);
    } else if (auto q = rows_.get(product_key(pending_prefix, sku_))) {
      was_pending_ = true;
      if (auto s = decode(*q)) state = std::move(*s);
    }
  }

  void store() {
    if (state.info.set) {
      rows_.put(product_key(listed_prefix, sku_), encode(state));
      if (was_pending_) rows_.erase(product_key(pending_prefix, sku_));
      if (!was_listed_) rows_.put(count_key, row_out().u64(read_count(rows_) + 1).bytes());
    } else {
      rows_.put(product_key(pending_prefix, sku_), encode(state));
    }
  }

  product_state state;

 private:
  row_writer& rows_;
  std::string sku_;
  bool was_listed_ = false;
  bool was_pending_ = false;
};

json product_value(const std::string& name, const std::string& barcode, std::int64_t price, std::int32_t tax,
                   std::int64_t low, bool active) {
  return json{{"name", name},       {"barcode", barcode},         {"price_cents", price},
              {"tax_rate_bp", tax}, {"low_stock_threshold", low}, {"active", active}};
}

void report(fold_context& ctx, const char* reg, const std::string& sku, const lww_stamp& winner, const lww_stamp& loser,
            json loser_value, json winner_value) {
  if (!ctx.conflicts) return;
  ctx.conflicts->push_back(retail::register_conflict{reg, sku, winner.ref(), loser.ref(), "lww_hlc_origin",
                                                     std::move(loser_value), std::move(winner_value),
                                                     hlc_timestamp{winner.hlc}, hlc_timestamp{loser.hlc}});
}

const char* on(const event& e, const product_upserted& p, row_writer& rows, fold_context& ctx) {
  if (p.sku.empty()) return "empty sku";
  product_slot slot(rows, p.sku);
  product_state& ps = slot.state;
  const lww_stamp s = lww_stamp::of(e);
  bool reported = false;
  if (s.newer_than(ps.info)) {
    ps.info = s;
    ps.name = p.name;
    ps.barcode = p.barcode;
    ps.tax_rate_bp = p.tax_rate_bp;
    ps.low_stock_threshold = p.low_stock_threshold;
  } else if (ps.info.origin != s.origin) {
    reported = true;
    report(ctx, "product", p.sku, ps.info, s,
           product_value(p.name, p.barcode, p.price_cents, p.tax_rate_bp, p.low_stock_threshold, p.active),
           product_value(ps.name, ps.barcode, ps.price_cents, ps.tax_rate_bp, ps.low_stock_threshold, ps.active));
  }
  if (s.newer_than(ps.price)) {
    ps.price = s;
    ps.price_cents = p.price_cents;
  } else if (!reported && ps.price.origin != s.origin) {
    reported = true;
    report(ctx, "product.price", p.sku, ps.price, s, json{{"price_cents", p.price_cents}},
           json{{"price_cents", ps.price_cents}});
  }
  if (s.newer_than(ps.act)) {
    ps.act = s;
    ps.active = p.active;
  } else if (!reported && ps.act.origin != s.origin) {
    report(ctx, "product.active", p.sku, ps.act, s, json{{"active", p.active}}, json{{"active", ps.active}});
  }
  slot.store();
  return nullptr;
}

const char* on(const event& e, const price_changed& p, row_writer& rows, fold_context& ctx) {
  if (p.sku.empty()) return "empty sku";
  product_slot slot(rows, p.sku);
  product_state& ps = slot.state;
  const lww_stamp s = lww_stamp::of(e);
  if (s.newer_than(ps.price)) {
    ps.price = s;
    ps.price_cents = p.price_cents;
    slot.store();
  } else if (ps.price.origin != s.origin) {
    report(ctx, "product.price", p.sku, ps.price, s, json{{"price_cents", p.price_cents}},
           json{{"price_cents", ps.price_cents}});
  }
  return nullptr;
}

const char* on(const event& e, const product_deactivated& p, row_writer& rows, fold_context& ctx) {
  if (p.sku.empty()) return "empty sku";
  product_slot slot(rows, p.sku);
  product_state& ps = slot.state;
  const lww_stamp s = lww_stamp::of(e);
  if (s.newer_than(ps.act)) {
    ps.act = s;
    ps.active = false;
    slot.store();
  } else if (ps.act.origin != s.origin) {
    report(ctx, "product.active", p.sku, ps.act, s, json{{"active", false}}, json{{"active", ps.active}});
  }
  return nullptr;
}

catalog::product to_product(std::string sku, const product_state& s) {
  catalog::product p;
  p.sku = std::move(sku);
  p.name = s.name;
  p.barcode = s.barcode;
  p.price_cents = s.price_cents;
  p.tax_rate_bp = s.tax_rate_bp;
  p.low_stock_threshold = s.low_stock_threshold;
  p.active = s.active;
  p.updated_at = hlc_timestamp{std::max({s.info.hlc, s.price.hlc, s.act.hlc})};
  return p;
}

}  // namespace

const char* catalog_projection::apply(const folded_event& e, row_writer& rows, fold_context& ctx) {
  return std::visit(
      [&](const auto& p) -> const char* {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, product_upserted> || std::is_same_v<T, price_changed> ||
                      std::is_same_v<T, product_deactivated>) {
          return on(e.ev, p, rows, ctx);
        } else {
          return nullptr;
        }
      },
      e.p);
}

namespace catalog {

std::optional<product> find_product(const row_reader& rows, std::string_view sku) {
  auto v = rows.get(product_key(listed_prefix, sku));
  if (!v) return std::nullopt;
  auto s = decode(*v);
  if (!s) return std::nullopt;
  return to_product(std::string(sku), *s);
}

page<product> list_products(const row_reader& rows, const page_request& req) {
  page<product> out;
  const std::string prefix(1, listed_prefix);
  rows.scan(prefix, req.from, [&](std::string_view key, std::string_view value) {
    if (out.items.size() >= req.limit) {
      out.next = std::string(key);
      return false;
    }
    row_in k(key.substr(1));
    std::string sku = k.key();
    auto s = decode(value);
    if (!k.failed() && s) out.items.push_back(to_product(std::move(sku), *s));
    return true;
  });
  out.total = read_count(rows);
  return out;
}

void for_each_registers(const row_reader& rows, const std::function<void(registers&&)>& fn) {
  for (const char prefix : {listed_prefix, pending_prefix}) {
    rows.scan(std::string(1, prefix), "", [&](std::string_view key, std::string_view value) {
      row_in k(key.substr(1));
      std::string sku = k.key();
      auto s = decode(value);
      if (k.failed() || !s) return true;
      registers r;
      r.sku = std::move(sku);
      r.info = std::move(s->info);
      r.name = std::move(s->name);
      r.barcode = std::move(s->barcode);
      r.tax_rate_bp = s->tax_rate_bp;
      r.low_stock_threshold = s->low_stock_threshold;
      r.price = std::move(s->price);
      r.price_cents = s->price_cents;
      r.act = std::move(s->act);
      r.active = s->active;
      fn(std::move(r));
      return true;
    });
  }
}

}  // namespace catalog
}  // namespace sn::projections
