#include "hq/chain_fold.hpp"

#include <cctype>

#include "actors/uplink/types.hpp"
#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/event_type.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "events/upcast.hpp"
#include "hq/rows.hpp"

namespace sn::hq {

namespace {

bool valid_day(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
  }
  return true;
}

std::size_t method_index(const std::string& m) {
  if (m == "cash") return 0;
  if (m == "card") return 1;
  return 2;
}

/// Last writer wins by (hlc, origin), as the store's registers.
bool newer(std::uint64_t hlc, const std::string& origin, std::uint64_t held_hlc, const std::string& held_origin) {
  return hlc != held_hlc ? hlc > held_hlc : origin > held_origin;
}

} // namespace

const char* to_string(verdict v) noexcept {
  switch (v) {
    case verdict::accepted: return "accepted";
    case verdict::duplicate: return "duplicate";
    case verdict::gap: return "gap";
    case verdict::refused_subject: return "refused_subject";
    case verdict::refused_decode: return "refused_decode";
    case verdict::refused_origin: return "refused_origin";
    case verdict::refused_hash: return "refused_hash";
    case verdict::refused_chain: return "refused_chain";
  }
  return "unknown";
}

chain_fold::chain_fold(row_reader committed) : committed_(std::move(committed)) {}

std::optional<std::string> chain_fold::get(const std::string& key) const {
  if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
  return committed_(key);
}

std::map<std::string, std::string> chain_fold::take_writes() { return std::exchange(overlay_, {}); }

void chain_fold::bump_store(const std::string& store, std::uint64_t events, std::uint64_t refused,
                            std::uint64_t duplicates) {
  const auto k = key('s', {store});
  store_row r;
  if (auto v = get(k)) r = decode_store(*v).value_or(store_row{});
  r.events += events;
  r.refused += refused;
  r.duplicates += duplicates;
  put(k, encode(r));
}

void chain_fold::count_refusal(const std::string& store) { bump_store(store, 0, 1, 0); }

ingest_result chain_fold::ingest(std::string_view subject, std::string_view data) {
  ingest_result res;
  auto parts = uplink::parse_subject(subject);
  if (!parts) {
    res.v = verdict::refused_subject;
    return res;
  }
  res.store = parts->store;
  res.origin = parts->origin;
  auto refuse = [&](verdict v) {
    res.v = v;
    bump_store(res.store, 0, 1, 0);
    return res;
  };
  auto e = decode(data);
  if (!e) return refuse(verdict::refused_decode);
  res.seq = e->seq.value();
  if (e->origin.value() != parts->origin) return refuse(verdict::refused_origin);
  const auto hk = key('h', {res.store, res.origin});
  head_row head;
  if (auto v = get(hk)) head = decode_head(*v).value_or(head_row{});
  if (res.seq <= head.seq) {
    // Held already (a redelivery, or a second copy in the stream): nothing to do.
    res.v = verdict::duplicate;
    bump_store(res.store, 0, 0, 1);
    return res;
  }
  if (res.seq > head.seq + 1) {
    res.v = verdict::gap;
    return res;
  }
  if (!verify_hash(*e)) return refuse(verdict::refused_hash);
  if (e->prev_hash != head.hash) return refuse(verdict::refused_chain);
  head.seq = res.seq;
  head.hash = e->hash;
  put(hk, encode(head));
  bump_store(res.store, 1, 0, 0);
  res.hlc = e->hlc.packed();
  fold(res.store, *e);
  res.v = verdict::accepted;
  return res;
}

void chain_fold::add_daily(const std::string& store, const std::string& day, const std::string& device,
                           const figures& f) {
  const auto k = key('d', {store, day, device});
  figures cur;
  if (auto v = get(k)) cur = decode_figures(*v).value_or(figures{});
  cur.add(f);
  put(k, encode(cur));
}

void chain_fold::add_stock(const std::string& store, const std::string& sku, std::int64_t delta) {
  const auto k = key('k', {sku, store});
  std::int64_t cur = 0;
  if (auto v = get(k)) cur = decode_i64(*v).value_or(0);
  put(k, encode_i64(cur + delta));
}

namespace {

/// A sale's effect on its day and on stock, with sign +1 (sold) or -1 (voided).
figures sale_figures(const sale_row& s, int sign) {
  figures f;
  f.gross = sign * s.gross;
  f.discounts = sign * s.discount;
  f.tax = sign * s.tax;
  f.transactions = sign;
  for (std::size_t m = 0; m < 3; ++m) f.by_method[m] = sign * s.paid[m];
  f.by_method[0] -= sign * s.change;
  return f;
}

} // namespace

void chain_fold::fold(const std::string& store, const event& e) {
  const std::string& origin = e.origin.value();
  static const time_zone utc = time_zone::utc();
  const upcast_context ctx{&utc};
  // Every event tells when its device was last heard of.
  {
    const auto k = key('v', {store, origin});
    device_row d;
    if (auto v = get(k)) d = decode_device(*v).value_or(device_row{});
    d.last_event_hlc = std::max(d.last_event_hlc, e.hlc.packed());
    put(k, encode(d));
  }
  switch (static_cast<event_type>(e.type)) {
    case event_type::sale_completed: {
      auto p = decode_current<sale_completed>(e, ctx);
      if (!p || p->receipt.empty() || !valid_day(p->business_day)) break;
      const auto k = key('r', {store, p->receipt});
      sale_row s;
      if (auto v = get(k)) s = decode_sale(*v).value_or(sale_row{});
      if (s.present) break;  // duplicate receipt: the store parks it too
      s.present = true;
      s.day = p->business_day;
      s.origin = origin;
      s.gross = p->gross_cents;
      s.discount = p->discount_cents;
      s.tax = p->tax_cents;
      s.change = p->change_cents;
      for (const auto& m : p->payments) s.paid[method_index(m.method)] += m.amount_cents;
      for (const auto& l : p->lines) s.lines.emplace_back(l.sku, l.qty);
      if (s.voided) {
        figures f;
        f.voids = 1;
        add_daily(store, s.day, origin, f);
      } else {
        add_daily(store, s.day, origin, sale_figures(s, +1));
        for (const auto& [sku, qty] : s.lines) add_stock(store, sku, -qty);
      }
      put(k, encode(s));
      return;
    }
    case event_type::sale_returned: {
      auto p = decode_current<sale_returned>(e, ctx);
      if (!p || p->return_id.empty() || p->receipt.empty() || !valid_day(p->business_day)) break;
      const auto tk = key('t', {store, p->return_id});
      if (get(tk)) break;  // duplicate return id
      put(tk, "");
      figures f;
      f.returns = p->refund_cents;
      for (const auto& l : p->lines) {
        f.returns_tax += l.tax_cents;
        add_stock(store, l.sku, l.qty);
      }
      f.by_method[method_index(p->method)] -= p->refund_cents;
      f.return_count = 1;
      add_daily(store, p->business_day, origin, f);
      return;
    }
    case event_type::sale_voided: {
      auto p = decode_current<sale_voided>(e, ctx);
      if (!p || p->receipt.empty()) break;
      const auto k = key('r', {store, p->receipt});
      sale_row s;
      if (auto v = get(k)) s = decode_sale(*v).value_or(sale_row{});
      if (s.voided) return;  // only the first void counts
      s.voided = true;
      if (s.present) {
        figures f = sale_figures(s, -1);
        f.voids = 1;
        add_daily(store, s.day, s.origin, f);
        for (const auto& [sku, qty] : s.lines) add_stock(store, sku, qty);
      }
      put(k, encode(s));
      return;
    }
    case event_type::stock_received: {
      auto p = decode_current<stock_received>(e, ctx);
      if (!p) break;
      add_stock(store, p->sku, p->qty);
      return;
    }
    case event_type::stock_adjusted: {
      auto p = decode_current<stock_adjusted>(e, ctx);
      if (!p) break;
      add_stock(store, p->sku, p->delta);
      return;
    }
    case event_type::stock_counted: {
      auto p = decode_current<stock_counted>(e, ctx);
      if (!p) break;
      add_stock(store, p->sku, p->counted_qty - p->expected_qty);
      return;
    }
    case event_type::device_registered:
    case event_type::device_updated: {
      std::string id, name;
      std::int64_t priority = 0;
      bool active = true;
      if (e.type == static_cast<std::uint16_t>(event_type::device_registered)) {
        auto p = decode_current<device_registered>(e, ctx);
        if (!p) break;
        id = p->device_id, name = p->name, priority = p->priority;
      } else {
        auto p = decode_current<device_updated>(e, ctx);
        if (!p) break;
        id = p->device_id, name = p->name, priority = p->priority, active = p->active;
      }
      if (id.empty()) break;
      const auto k = key('v', {store, id});
      device_row d;
      if (auto v = get(k)) d = decode_device(*v).value_or(device_row{});
      d.registered = true;
      if (newer(e.hlc.packed(), origin, d.stamp_hlc, d.stamp_origin)) {
        d.name = name;
        d.priority = priority;
        d.active = active;
        d.stamp_hlc = e.hlc.packed();
        d.stamp_origin = origin;
      }
      put(k, encode(d));
      return;
    }
    case event_type::master_changed: {
      auto p = decode_current<master_changed>(e, ctx);
      if (!p) break;
      const auto k = key('m', {store});
      master_row m;
      if (auto v = get(k)) m = decode_master(*v).value_or(master_row{});
      if (p->term > m.term || (p->term == m.term && e.hlc.packed() > m.hlc)) {
        m = master_row{p->term, p->new_master, p->reason, e.hlc.packed()};
        put(k, encode(m));
      }
      return;
    }
    default:
      if (!is_known_event_type(e.type)) {
        ++unknown_types_;
        return;
      }
      return;  // known, but not part of a chain view (catalog, closures, conflicts)
  }
  ++unfolded_;
}

} // namespace sn::hq
