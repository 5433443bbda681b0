#include "actors/projections/decision_rows.hpp"

#include "actors/projections/catalog.hpp"
#include "actors/projections/daily.hpp"
#include "actors/projections/devices.hpp"
#include "actors/projections/inventory.hpp"
#include "actors/projections/pay_method.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/row_codec.hpp"
#include "actors/projections/row_overlay.hpp"
#include "actors/projections/sales.hpp"
#include "actors/retail/business_day.hpp"

namespace sn::projections {

using retail::source_part;

const std::array<const char*, retail::source_part_count> decision_part_names = {"sales", "inventory", "daily",
                                                                                "devices"};

std::uint64_t stored_position(const row_reader& rows) {
  auto v = rows.get(reserved::position);
  if (!v) return 0;
  row_in in(*v);
  const std::uint64_t p = in.u64();
  return in.failed() ? 0 : p;
}

rows_decision_source::rows_decision_source(retail::store_settings settings, snapshot_fn snapshot, folded_fn folded,
                                           record_fn records)
    : settings_(settings), snapshot_(std::move(snapshot)), folded_(std::move(folded)), records_(std::move(records)) {
  units_[static_cast<std::size_t>(source_part::sales)] = std::make_unique<sales_projection>();
  units_[static_cast<std::size_t>(source_part::inventory)] = std::make_unique<inventory_projection>();
  units_[static_cast<std::size_t>(source_part::daily)] = std::make_unique<daily_projection>();
  units_[static_cast<std::size_t>(source_part::devices)] = std::make_unique<devices_projection>();
}

bool rows_decision_source::read(source_part part, const retail::decision_overlay& o,
                                const std::function<void(const row_reader&)>& query) {
  const auto snap = snapshot_(true);
  const row_reader& base = snap->rows(part);
  const std::uint64_t folded_to = stored_position(base);
  if (folded_to < o.required(part)) return false;
  // The cache bound only matters for long-lived overlays; this one lives for one read.
  row_overlay layer(base, std::size_t(-1));
  projection& unit = *units_[static_cast<std::size_t>(part)];
  fold_context ctx{settings_, nullptr};
  bool uncommitted = false;  // own drafts are committed in order: after one that is not, none is
  for (const auto& x : o.entries()) {
    std::optional<std::uint64_t> pos = x.position;
    if (!pos && !uncommitted) {
      pos = snap->own_position(x.ev.seq.value());
      uncommitted = !pos;
    }
    if (pos && *pos <= folded_to) continue;  // in the rows already
    auto p = decode_payload(x.ev, settings_);
    if (!p) continue;  // parked by the projection too
    unit.apply(folded_event{x.ev, *p}, layer, ctx);
    ++entries_folded_;
  }
  query(layer);
  return true;
}

namespace {

retail::sale_row to_sale_row(const sales::sale_detail& d) {
  retail::sale_row r;
  r.receipt = d.receipt;
  r.device = d.device;
  r.time = hlc_timestamp{d.hlc};
  r.day = retail::day_to_string(d.day);
  for (const sales::line& l : d.lines) {
    retail::sale_row_line line;
    line.sku = l.sku;
    line.qty = l.qty;
    line.unit_price_cents = l.unit_price_cents;
    line.discount_cents = l.discount_cents;
    line.tax_rate_bp = l.tax_rate_bp;
    line.tax_cents = l.tax_cents;
    line.total_cents = l.qty * l.unit_price_cents - l.discount_cents;
    line.returned_qty = l.returned_qty;
    r.lines.push_back(std::move(line));
  }
  r.gross_cents = d.gross_cents;
  r.discount_cents = d.discount_cents;
  r.tax_cents = d.tax_cents;
  r.total_cents = d.total_cents;
  for (std::size_t m = 0; m < pay_method_count; ++m) {
    if (d.paid[m] != 0) r.payments.push_back({to_string(static_cast<pay_method>(m)), d.paid[m]});
  }
  r.change_cents = d.change_cents;
  r.voided = d.voided;
  r.refunded_cents = d.refunded_cents;
  r.returns = d.return_ids;
  if (d.voided && d.void_)
    r.void_info = retail::sale_row_void{d.void_->reason, d.void_->device, hlc_timestamp{d.void_->hlc}};
  for (const sales::card& c : d.cards) r.cards.push_back({c.brand, c.last4, c.auth_code, c.processor_ref, c.amount_cents});
  return r;
}

}  // namespace

retail::rows_read<std::optional<retail::sale_row>> rows_decision_source::sale(const std::string& receipt,
                                                                              const retail::decision_overlay& o) {
  retail::rows_read<std::optional<retail::sale_row>> out;
  out.behind = !read(source_part::sales, o, [&](const row_reader& rows) {
    if (auto d = sales::sale(rows, receipt)) out.value = to_sale_row(*d);
  });
  return out;
}

bool rows_decision_source::sale_exists(const std::string& receipt, const retail::decision_overlay&) {
  // The rows as they are (no snapshot, no folding): a receipt this device
  // numbers next is only ever in them when the counters are damaged.
  const auto snap = snapshot_(false);
  return sales::facts(snap->rows(source_part::sales), receipt).present;
}

retail::rows_read<std::int64_t> rows_decision_source::on_hand(const std::string& sku,
                                                              const retail::decision_overlay& o) {
  retail::rows_read<std::int64_t> out;
  out.behind =
      !read(source_part::inventory, o, [&](const row_reader& rows) { out.value = inventory::on_hand(rows, sku); });
  return out;
}

retail::rows_read<retail::day_facts> rows_decision_source::day(std::int32_t day, const std::string& device,
                                                               const retail::decision_overlay& o) {
  retail::rows_read<retail::day_facts> out;
  out.behind = !read(source_part::daily, o, [&](const row_reader& rows) {
    out.value.closed = daily::closed(rows, day, device);
    daily::figures f;
    const auto report = daily::report(rows, retail::day_to_string(day), device);
    for (const auto& d : report.devices) {
      if (d.device == device) f = d.f;
    }
    retail::close_day_result& r = out.value.figures;
    r.day = retail::day_to_string(day);
    r.device = device;
    r.gross_cents = f.gross_cents;
    r.discounts_cents = f.discounts_cents;
    r.tax_cents = f.report_tax_cents();
    r.returns_cents = f.returns_cents;
    r.net_cents = f.net_cents();
    for (std::size_t m = 0; m < pay_method_count; ++m) {
      r.by_method.push_back({to_string(static_cast<pay_method>(m)), f.by_method[m]});
    }
    r.transactions = f.transactions;
  });
  return out;
}

retail::rows_read<retail::device_facts> rows_decision_source::device(const std::string& id,
                                                                     const retail::decision_overlay& o) {
  retail::rows_read<retail::device_facts> out;
  out.behind = !read(source_part::devices, o, [&](const row_reader& rows) {
    retail::device_row& r = out.value.row;
    r.device_id = id;
    if (auto reg = devices::register_of(rows, id)) {
      out.value.written = true;
      r.name = reg->name;
      r.priority = reg->priority;
      r.active = reg->active;
      r.registered = reg->registered;
    }
    r.master = devices::current_master(rows) == id;
    if (auto d = devices::find(rows, id); d && d->last_seen_hlc != 0)
      r.last_event_time = hlc_timestamp{d->last_seen_hlc};
  });
  return out;
}

void load_decision_state(const row_reader& catalog, const row_reader& sales_rows, retail::decision_state& state) {
  const auto stamp = [](lww_stamp&& s) { return retail::register_stamp{s.set, s.hlc, std::move(s.origin), s.seq}; };
  catalog::for_each_registers(catalog, [&](catalog::registers&& r) {
    retail::product_registers p;
    p.sku = std::move(r.sku);
    p.info = stamp(std::move(r.info));
    p.name = std::move(r.name);
    p.barcode = std::move(r.barcode);
    p.tax_rate_bp = r.tax_rate_bp;
    p.low_stock_threshold = r.low_stock_threshold;
    p.price = stamp(std::move(r.price));
    p.price_cents = r.price_cents;
    p.act = stamp(std::move(r.act));
    p.active = r.active;
    state.load_product(std::move(p));
  });
  const auto c = sales::counters(sales_rows, state.self().value());
  state.load_counters(c.last_receipt_no, c.last_return_no);
}

}  // namespace sn::projections
