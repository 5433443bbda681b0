// Canonical state of each projection: the form save() writes and digests()
// hashes. Canonical means sorted by stable keys (sku, receipt, device id, ...)
// and free of node-local interning ids, so that equal state gives equal bytes.
#include <algorithm>
#include <tuple>

#include <sodium.h>

#include "actors/retail/business_day.hpp"
#include "actors/retail/errc.hpp"
#include "tests/support/reference_views/views.hpp"

namespace sn::retail {

using nlohmann::json;

namespace {
constexpr int checkpoint_format = 1;

hash256 blake2b(const std::string& bytes) {
  hash256 h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return h;
}

// The checkpoint folded schema 1 sales and returns with the zone it names;
// another zone could give them other days, so it is refused (full replay).
// A checkpoint of a build before store.time_zone names its fixed
// "utc_offset_minutes": the same as a fixed zone of that offset.
bool same_zone(const json& j, const time_zone& zone) {
  if (j.contains("time_zone")) return j.at("time_zone").get<std::string>() == zone.name();
  const auto fixed = zone.fixed_offset_minutes();
  return fixed && j.at("utc_offset_minutes").get<std::int32_t>() == *fixed;
}
} // namespace

json views::stamp_to(const stamp& s, bool for_digest) const {
  if (!s.set) return nullptr;
  if (for_digest) return json::array({s.hlc, origin_name(s.origin)});
  return json::array({s.hlc, origin_name(s.origin), s.seq});
}

views::stamp views::stamp_from(const json& j) {
  if (j.is_null()) return stamp{};
  return stamp{j.at(0).get<std::uint64_t>(), origin_id(j.at(1).get<std::string>()), j.at(2).get<std::uint64_t>(),
               true};
}

json views::canonical(const std::string& projection, bool for_digest) const {
  const auto by_name = [](const auto* a, const auto* b) { return a->sku < b->sku; };
  if (projection == "catalog" || projection == "inventory") {
    const bool catalog = projection == "catalog";
    std::vector<const product_state*> list;
    for (const product_state& p : products_) {
      if (catalog ? (p.info.set || p.price.set || p.act.set) : p.touched) list.push_back(&p);
    }
    std::sort(list.begin(), list.end(), by_name);
    json arr = json::array();
    for (auto* p : list) {
      if (catalog) {
        arr.push_back(json::array({p->sku, stamp_to(p->info, for_digest), p->name, p->barcode, p->tax_rate_bp,
                                   p->low_stock_threshold, stamp_to(p->price, for_digest), p->price_cents,
                                   p->price_type, stamp_to(p->act, for_digest), p->active, p->act_type}));
      } else {
        arr.push_back(json::array({p->sku, p->on_hand, p->received, p->sold, p->returned, p->adjusted,
                                   p->count_adjusted, stamp_to(p->count, for_digest), p->count_counted,
                                   p->count_expected}));
      }
    }
    return arr;
  }
  if (projection == "sales") {
    const auto cards_of = [this](const std::string& receipt) {
      json out = json::array();
      if (auto it = cards_.find(receipt); it != cards_.end()) {
        for (const payment& c : it->second) {
          out.push_back(json::array({c.brand, c.last4, c.auth_code, c.processor_ref, c.amount_cents}));
        }
      }
      return out;
    };
    std::vector<std::uint32_t> list(sales_.size());
    for (std::uint32_t id = 0; id < sales_.size(); ++id) list[id] = id;
    std::sort(list.begin(), list.end(), [this](auto a, auto b) { return receipts_.name(a) < receipts_.name(b); });
    json sales = json::array();
    for (const std::uint32_t id : list) {
      const sale_rec& s = sales_[id];
      json lines = json::array();
      for (const line_rec& l : lines_of(s)) {
        lines.push_back(json::array({products_[l.sku].sku, l.qty, l.unit_price_cents, l.discount_cents,
                                     l.tax_rate_bp, l.tax_cents}));
      }
      json pays = json::array();
      for (std::size_t m = 0; m < pay_method_count; ++m) {
        if (s.paid[m] != 0) pays.push_back(json::array({static_cast<int>(m), s.paid[m]}));
      }
      const sale_extra& x = extra_of(s);
      std::vector<std::pair<std::string, std::int64_t>> returned;
      for (const auto& [sku, qty] : x.returned) returned.emplace_back(products_[sku].sku, qty);
      std::sort(returned.begin(), returned.end());
      std::vector<std::string> ids = x.return_ids;
      std::sort(ids.begin(), ids.end());
      sales.push_back(json::array(
          {receipts_.name(id), s.present, s.present ? json(origin_name(s.origin)) : json(nullptr), s.hlc, s.day,
           std::move(lines), s.gross, s.discount, s.tax, s.total, s.change, std::move(pays), s.voided,
           stamp_to(x.void_stamp, for_digest), x.void_reason, returned, x.refunded, ids, staff_ids_.name(s.staff),
           cards_of(receipts_.name(id))}));
    }
    std::vector<std::uint32_t> rlist(returns_.size());
    for (std::uint32_t id = 0; id < returns_.size(); ++id) rlist[id] = id;
    std::sort(rlist.begin(), rlist.end(), [this](auto a, auto b) { return return_ids_.name(a) < return_ids_.name(b); });
    json rets = json::array();
    for (const std::uint32_t id : rlist) {
      const return_rec& r = returns_[id];
      json lines = json::array();
      for (const line_rec& l : r.lines) {
        lines.push_back(json::array({products_[l.sku].sku, l.qty, l.unit_price_cents, l.tax_cents}));
      }
      rets.push_back(json::array({return_ids_.name(id), origin_name(r.origin), r.hlc, r.day, r.receipt,
                                  std::move(lines), r.refund, static_cast<int>(r.method), r.staff}));
    }
    return json{{"sales", std::move(sales)}, {"returns", std::move(rets)}};
  }
  if (projection == "daily") {
    using row = std::tuple<std::int32_t, std::string, const figures*>;
    std::vector<row> rows;
    for (const auto& [key, f] : daily_) {
      rows.emplace_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(key >> 32)),
                        origin_name(static_cast<std::uint32_t>(key)), &f);
    }
    std::sort(rows.begin(), rows.end(),
              [](const row& a, const row& b) { return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b)); });
    json figs = json::array();
    for (const auto& [day, dev, f] : rows) {
      figs.push_back(json::array({day, dev, f->gross, f->discounts, f->tax, f->returns, f->returns_tax,
                                  f->by_method, f->transactions, f->return_count, f->voids}));
    }
    using crow = std::tuple<std::int32_t, std::string, const closure*>;
    std::vector<crow> crows;
    for (const auto& [key, c] : closures_) {
      crows.emplace_back(static_cast<std::int32_t>(static_cast<std::uint32_t>(key >> 32)),
                         origin_name(static_cast<std::uint32_t>(key)), &c);
    }
    std::sort(crows.begin(), crows.end(),
              [](const crow& a, const crow& b) { return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b)); });
    json cl = json::array();
    for (const auto& [day, dev, c] : crows) {
      cl.push_back(json::array({day, dev, stamp_to(c->at, for_digest), c->gross, c->discounts, c->tax, c->returns,
                                c->net, c->transactions, c->by_method}));
    }
    json by_staff = json::array();  // std::map: sorted by (day, staff, device)
    for (const auto& [key, f] : staff_daily_) {
      const auto& [day, who, dev] = key;
      by_staff.push_back(json::array({day, who, dev, f.gross, f.discounts, f.tax, f.returns, f.returns_tax, f.by_method,
                                      f.transactions, f.return_count, f.voids}));
    }
    return json{{"figures", std::move(figs)}, {"closures", std::move(cl)}, {"staff_figures", std::move(by_staff)}};
  }
  if (projection == "devices") {
    std::vector<const std::pair<const std::string, device_rec>*> list;
    for (const auto& kv : devices_) list.push_back(&kv);
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->first < b->first; });
    json devs = json::array();
    for (auto* kv : list) {
      const device_rec& d = kv->second;
      devs.push_back(json::array({kv->first, stamp_to(d.reg, for_digest), d.name, d.priority, d.active,
                                  d.registered, d.created}));
    }
    std::vector<std::pair<std::string, std::uint64_t>> seen;
    for (std::uint32_t o = 0; o < origins_.size(); ++o) {
      if (last_seen_[o] != 0) seen.emplace_back(origin_name(o), last_seen_[o]);
    }
    std::sort(seen.begin(), seen.end());
    return json{{"devices", std::move(devs)}, {"last_seen", seen}};
  }
  if (projection == "elections") {
    std::vector<const election_rec*> list;
    for (const election_rec& r : elections_) list.push_back(&r);
    std::sort(list.begin(), list.end(), [this](auto* a, auto* b) {
      return std::tie(a->term, a->hlc, origin_name(a->origin)) < std::tie(b->term, b->hlc, origin_name(b->origin));
    });
    json arr = json::array();
    for (auto* r : list) {
      arr.push_back(json::array({r->term, r->hlc, origin_name(r->origin), r->previous_master, r->new_master,
                                 r->reason, r->participants}));
    }
    return arr;
  }
  if (projection == "audit") {
    std::vector<const audit_rec*> list;
    for (const audit_rec& r : audit_) list.push_back(&r);
    std::sort(list.begin(), list.end(), [this](auto* a, auto* b) {
      return std::tie(a->hlc, origin_name(a->origin), a->seq) < std::tie(b->hlc, origin_name(b->origin), b->seq);
    });
    json arr = json::array();
    for (auto* r : list) {
      json row = json::array({r->hlc, origin_name(r->origin), r->register_name, r->key, r->winner, r->loser,
                              r->method, r->old_value, r->new_value});
      if (!for_digest) row.push_back(r->seq);
      arr.push_back(std::move(row));
    }
    return arr;
  }
  return nullptr;
}

std::map<std::string, hash256> views::digests() const {
  std::map<std::string, hash256> out;
  for (const char* name : projection_names) out[name] = blake2b(canonical(name, true).dump());
  return out;
}

json views::digest_json() const {
  json j = json::object();
  for (const auto& [name, h] : digests()) j[name] = to_hex(h);
  return json{{"digests", std::move(j)},
              {"applied", applied_},
              {"skipped_unknown", skipped_unknown_},
              {"parked", parked_}};
}

std::string views::save() const {
  json j;
  j["format"] = checkpoint_format;
  j["time_zone"] = settings_.zone.name();
  for (const char* name : projection_names) j[name] = canonical(name, false);
  json parked = json::array();
  for (const parked_event& p : parked_list_) parked.push_back(json::array({p.origin, p.seq, p.type, p.hlc, p.reason}));
  j["meta"] = json{{"applied", applied_},
                   {"skipped_unknown", skipped_unknown_},
                   {"parked", parked_},
                   {"parked_list", std::move(parked)}};
  const std::vector<std::uint8_t> bytes = json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

status views::load_projection(const std::string& projection, const json& j) {
  if (projection == "catalog") {
    for (const json& r : j) {
      product_state& p = products_[sku_id(r.at(0).get<std::string>())];
      p.info = stamp_from(r.at(1));
      p.name = r.at(2).get<std::string>();
      p.barcode = r.at(3).get<std::string>();
      p.tax_rate_bp = r.at(4).get<std::int32_t>();
      p.low_stock_threshold = r.at(5).get<std::int64_t>();
      p.price = stamp_from(r.at(6));
      p.price_cents = r.at(7).get<std::int64_t>();
      p.price_type = r.at(8).get<std::uint16_t>();
      p.act = stamp_from(r.at(9));
      p.active = r.at(10).get<bool>();
      p.act_type = r.at(11).get<std::uint16_t>();
    }
  } else if (projection == "inventory") {
    for (const json& r : j) {
      product_state& p = products_[sku_id(r.at(0).get<std::string>())];
      p.touched = true;
      p.on_hand = r.at(1).get<std::int64_t>();
      p.received = r.at(2).get<std::int64_t>();
      p.sold = r.at(3).get<std::int64_t>();
      p.returned = r.at(4).get<std::int64_t>();
      p.adjusted = r.at(5).get<std::int64_t>();
      p.count_adjusted = r.at(6).get<std::int64_t>();
      p.count = stamp_from(r.at(7));
      p.count_counted = r.at(8).get<std::int64_t>();
      p.count_expected = r.at(9).get<std::int64_t>();
    }
  } else if (projection == "sales") {
    for (const json& r : j.at("sales")) {
      sale_rec& s = sale_at(r.at(0).get<std::string>());
      s.present = r.at(1).get<bool>();
      if (s.present) s.origin = origin_id(r.at(2).get<std::string>());
      s.hlc = r.at(3).get<std::uint64_t>();
      s.day = r.at(4).get<std::int32_t>();
      s.line_begin = static_cast<std::uint32_t>(lines_.size());
      s.line_count = static_cast<std::uint32_t>(r.at(5).size());
      for (const json& l : r.at(5)) {
        lines_.push_back(line_rec{sku_id(l.at(0).get<std::string>()), l.at(1).get<std::int64_t>(),
                                   l.at(2).get<std::int64_t>(), l.at(3).get<std::int64_t>(),
                                   l.at(5).get<std::int64_t>(), l.at(4).get<std::int32_t>()});
      }
      s.gross = r.at(6).get<std::int64_t>();
      s.discount = r.at(7).get<std::int64_t>();
      s.tax = r.at(8).get<std::int64_t>();
      s.total = r.at(9).get<std::int64_t>();
      s.change = r.at(10).get<std::int64_t>();
      for (const json& p : r.at(11)) {
        const int m = p.at(0).get<int>();
        if (m < 0 || m >= static_cast<int>(pay_method_count)) return make_error(errc::invalid_checkpoint, "method");
        s.paid[static_cast<std::size_t>(m)] = p.at(1).get<std::int64_t>();
      }
      s.voided = r.at(12).get<bool>();
      const stamp void_stamp = stamp_from(r.at(13));
      if (void_stamp.set || !r.at(15).empty() || !r.at(17).empty()) {
        sale_extra& x = extra_of(s);
        x.void_stamp = void_stamp;
        x.void_reason = r.at(14).get<std::string>();
        for (const json& q : r.at(15)) x.returned.emplace_back(sku_id(q.at(0).get<std::string>()), q.at(1).get<std::int64_t>());
        x.refunded = r.at(16).get<std::int64_t>();
        x.return_ids = r.at(17).get<std::vector<std::string>>();
      }
      if (r.size() > 18) s.staff = staff_ids_.intern(r.at(18).get<std::string>()).first;
      if (r.size() > 19) {
        for (const json& c : r.at(19)) {
          cards_[r.at(0).get<std::string>()].push_back(payment{"card", c.at(4).get<std::int64_t>(), c.at(0).get<std::string>(),
                                                               c.at(1).get<std::string>(), c.at(2).get<std::string>(),
                                                               c.at(3).get<std::string>()});
        }
      }
    }
    for (const json& r : j.at("returns")) {
      const auto [rid, added] = return_ids_.intern(r.at(0).get<std::string>());
      if (!added) return make_error(errc::invalid_checkpoint, "duplicate return id");
      returns_.emplace_back();
      return_rec& x = returns_[rid];
      x.origin = origin_id(r.at(1).get<std::string>());
      x.hlc = r.at(2).get<std::uint64_t>();
      x.day = r.at(3).get<std::int32_t>();
      x.receipt = r.at(4).get<std::string>();
      for (const json& l : r.at(5)) {
        x.lines.push_back(line_rec{sku_id(l.at(0).get<std::string>()), l.at(1).get<std::int64_t>(),
                                   l.at(2).get<std::int64_t>(), 0, l.at(3).get<std::int64_t>(), 0});
      }
      x.refund = r.at(6).get<std::int64_t>();
      const int m = r.at(7).get<int>();
      if (m < 0 || m >= static_cast<int>(pay_method_count)) return make_error(errc::invalid_checkpoint, "method");
      x.method = static_cast<pay_method>(m);
      if (r.size() > 8) x.staff = r.at(8).get<std::string>();
    }
  } else if (projection == "daily") {
    for (const json& r : j.at("figures")) {
      figures& f = daily_[daily_key(r.at(0).get<std::int32_t>(), origin_id(r.at(1).get<std::string>()))];
      f.gross = r.at(2).get<std::int64_t>();
      f.discounts = r.at(3).get<std::int64_t>();
      f.tax = r.at(4).get<std::int64_t>();
      f.returns = r.at(5).get<std::int64_t>();
      f.returns_tax = r.at(6).get<std::int64_t>();
      f.by_method = r.at(7).get<std::array<std::int64_t, pay_method_count>>();
      f.transactions = r.at(8).get<std::int64_t>();
      f.return_count = r.at(9).get<std::int64_t>();
      f.voids = r.at(10).get<std::int64_t>();
    }
    for (const json& r : j.value("staff_figures", json::array())) {
      figures& f = staff_daily_[{r.at(0).get<std::int32_t>(), r.at(1).get<std::string>(), r.at(2).get<std::string>()}];
      f.gross = r.at(3).get<std::int64_t>();
      f.discounts = r.at(4).get<std::int64_t>();
      f.tax = r.at(5).get<std::int64_t>();
      f.returns = r.at(6).get<std::int64_t>();
      f.returns_tax = r.at(7).get<std::int64_t>();
      f.by_method = r.at(8).get<std::array<std::int64_t, pay_method_count>>();
      f.transactions = r.at(9).get<std::int64_t>();
      f.return_count = r.at(10).get<std::int64_t>();
      f.voids = r.at(11).get<std::int64_t>();
    }
    for (const json& r : j.at("closures")) {
      closure& c = closures_[daily_key(r.at(0).get<std::int32_t>(), origin_id(r.at(1).get<std::string>()))];
      c.at = stamp_from(r.at(2));
      c.gross = r.at(3).get<std::int64_t>();
      c.discounts = r.at(4).get<std::int64_t>();
      c.tax = r.at(5).get<std::int64_t>();
      c.returns = r.at(6).get<std::int64_t>();
      c.net = r.at(7).get<std::int64_t>();
      c.transactions = r.at(8).get<std::int64_t>();
      c.by_method = r.at(9).get<std::vector<std::pair<std::string, std::int64_t>>>();
    }
  } else if (projection == "devices") {
    for (const json& r : j.at("devices")) {
      device_rec& d = devices_[r.at(0).get<std::string>()];
      d.reg = stamp_from(r.at(1));
      d.name = r.at(2).get<std::string>();
      d.priority = r.at(3).get<std::int32_t>();
      d.active = r.at(4).get<bool>();
      d.registered = r.at(5).get<bool>();
      d.created = r.size() > 6 ? r.at(6).get<std::uint64_t>() : d.reg.hlc;
    }
    for (const json& r : j.at("last_seen")) last_seen_[origin_id(r.at(0).get<std::string>())] = r.at(1).get<std::uint64_t>();
  } else if (projection == "elections") {
    for (const json& r : j) {
      elections_.push_back(election_rec{r.at(1).get<std::uint64_t>(), origin_id(r.at(2).get<std::string>()),
                                        r.at(0).get<std::uint64_t>(), r.at(3).get<std::string>(),
                                        r.at(4).get<std::string>(), r.at(5).get<std::string>(),
                                        r.at(6).get<std::vector<std::string>>()});
    }
  } else if (projection == "audit") {
    for (const json& r : j) {
      audit_.push_back(audit_rec{r.at(0).get<std::uint64_t>(), origin_id(r.at(1).get<std::string>()),
                                 r.at(9).get<std::uint64_t>(), r.at(2).get<std::string>(), r.at(3).get<std::string>(),
                                 r.at(4).get<std::string>(), r.at(5).get<std::string>(), r.at(6).get<std::string>(),
                                 r.at(7).get<std::string>(), r.at(8).get<std::string>()});
    }
  }
  return status::ok();
}

void views::rebuild_receipt_counters() {
  for (std::uint32_t id = 0; id < sales_.size(); ++id) {
    if (sales_[id].present) note_receipt(sales_[id].origin, receipts_.name(id), false);
  }
  for (std::uint32_t id = 0; id < returns_.size(); ++id) note_receipt(returns_[id].origin, return_ids_.name(id), true);
}

status views::load(std::string_view bytes) {
  const store_settings settings = settings_;
  const bool detect = detect_conflicts_;
  *this = views(settings);
  detect_conflicts_ = detect;
  try {
    const json j = json::from_msgpack(bytes.begin(), bytes.end());
    if (!j.is_object() || j.value("format", 0) != checkpoint_format) {
      return make_error(errc::invalid_checkpoint, "unknown checkpoint format");
    }
    if (!same_zone(j, settings.zone)) {
      return make_error(errc::settings_mismatch, "checkpoint written with another store time zone");
    }
    for (const char* name : projection_names) {
      status st = load_projection(name, j.at(name));
      if (!st) {
        *this = views(settings);
        detect_conflicts_ = detect;
        return st;
      }
    }
    const json& meta = j.at("meta");
    applied_ = meta.at("applied").get<std::uint64_t>();
    skipped_unknown_ = meta.at("skipped_unknown").get<std::uint64_t>();
    parked_ = meta.at("parked").get<std::uint64_t>();
    for (const json& p : meta.at("parked_list")) {
      parked_list_.push_back(parked_event{p.at(0).get<std::string>(), p.at(1).get<std::uint64_t>(),
                                          p.at(2).get<std::uint16_t>(), p.at(3).get<std::uint64_t>(),
                                          p.at(4).get<std::string>()});
    }
    rebuild_receipt_counters();
  } catch (const std::exception& ex) {
    *this = views(settings);
    detect_conflicts_ = detect;
    return make_error(errc::invalid_checkpoint, ex.what());
  }
  return status::ok();
}

} // namespace sn::retail
