// Test support for the sales and daily projections (sales_test.cpp,
// daily_test.cpp): a seeded random history of several origins, random
// interleavings that keep each origin's order, and the fold the projection
// set does (its decode_payload; a payload that does not decode is parked
// before any projection sees it), into plain rows or through a row_overlay in
// random batches as the node does.
//
// The history covers every event type the two projections fold and the
// tricky cases: voids and returns before their sale (they name receipts
// other origins will write later), several voids of one receipt, returns of
// receipts that never exist, duplicate receipts and return ids of one origin
// (parked), optionally duplicates across origins, several business days and
// devices, equal HLCs on different origins, empty stamped days (upcast from
// the HLC), invalid days, closures (some twice, some of invalid days),
// unknown event types, undecodable payloads, and events the projections
// ignore (products).
#pragma once

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/row_overlay.hpp"
#include "actors/retail/business_day.hpp"
#include "events/payload_codec.hpp"
#include "events/upcast.hpp"

namespace sn::projections::sales_daily_test {

struct history_options {
  int origins = 3;
  int events_per_origin = 70;
  /// Receipts and return ids that another origin also writes (a broken
  /// writer): views' result then depends on the arrival order.
  bool cross_origin_duplicates = false;
  /// Share of sales among the generated events (in percent).
  int sale_percent = 40;
};

struct history {
  std::vector<std::string> origins;
  std::vector<std::vector<event>> by_origin;  // each in seq order
  std::vector<std::string> receipts;          // every receipt named (sales, voids, returns)
  std::vector<std::string> days;              // every valid day stamped or closed
  std::vector<std::string> staff;             // every staff id sales and returns name
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& o : by_origin) n += o.size();
    return n;
  }
};

inline std::string numbered(const std::string& origin, const char* sep, std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(n));
  return origin + sep + buf;
}

inline history make_history(std::uint64_t seed, const history_options& opt = {}) {
  std::mt19937_64 rng(seed);
  const auto pick = [&](std::uint64_t n) { return static_cast<std::size_t>(rng() % n); };
  const auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  history h;
  // "AB" and "A" share a prefix (receipts "A-..." vs "AB-..." and the key
  // terminators); POS names are the usual form.
  const std::vector<std::string> names{"POS1", "POS2", "A", "AB", "POS10"};
  const int n_origins = std::min<int>(opt.origins, static_cast<int>(names.size()));
  const std::uint64_t wall0 = 1764000000000ull;  // 2025-11-24 UTC
  retail::store_settings settings;
  h.days = {"2025-11-23", "2025-11-24", "2025-11-25", "2025-12-01"};
  // Who rang a sale or took a return back (issue 10); "" = unattributed (an
  // event of the schema before attribution). Not drawn from rng, so that the
  // histories are the ones they were before attribution.
  h.staff = {"anna", "ben", "cleo"};
  const auto staff_of = [&](std::uint64_t n) -> std::string {
    static const char* const ids[] = {"", "anna", "ben", "cleo"};
    return ids[(n * 7 + seed) % 4];
  };
  const std::vector<std::string> skus{"A", "AB", "B", "COFFEE", "MUG"};
  const std::vector<std::string> methods{"cash", "card", "other", "voucher"};
  struct origin_state {
    std::string name;
    std::uint64_t seq = 0, hlc = 0, receipt_no = 0, return_no = 0;
    std::vector<std::string> receipts, return_ids;
  };
  std::vector<origin_state> os(n_origins);
  for (int i = 0; i < n_origins; ++i) {
    os[i].name = names[i];
    os[i].hlc = hlc_timestamp::from_parts(wall0, 0).packed();
    h.origins.push_back(names[i]);
  }
  h.by_origin.resize(n_origins);
  std::set<std::string> receipts;
  // A receipt some origin wrote, will write, or nobody ever writes.
  const auto any_receipt = [&]() -> std::string {
    const origin_state& o = os[pick(os.size())];
    if (chance(8)) return "NOBODY-000001";
    return numbered(o.name, "-", 1 + pick(o.receipt_no + 3));
  };
  const auto day = [&]() -> std::string {
    if (chance(3)) return "2025-02-30";  // not a date: parked
    if (chance(8)) return "";            // schema 1 style: the HLC's day (upcast)
    return h.days[pick(h.days.size())];
  };
  // Weighted event kinds, with origin interleaving decided later.
  for (int step = 0; step < n_origins * opt.events_per_origin; ++step) {
    origin_state& o = os[pick(os.size())];
    ++o.seq;
    // HLCs grow per origin by a few ms from a common start: different
    // origins often share one (ties broken by receipt / origin name).
    o.hlc += (1 + pick(3)) << hlc_timestamp::logical_bits;
    const device_id origin{o.name};
    const origin_seq seq{o.seq};
    const hlc_timestamp at{o.hlc};
    const term_id term{1};
    event e;
    const int kind = static_cast<int>(pick(100));
    const int sale_upto = opt.sale_percent;
    if (kind < sale_upto) {
      sale_completed p;
      if (chance(4) && !o.receipts.empty()) {
        p.receipt = o.receipts[pick(o.receipts.size())];  // duplicate of its own
      } else if (opt.cross_origin_duplicates && chance(12)) {
        const origin_state& other = os[pick(os.size())];
        p.receipt = numbered(other.name, "-", 1 + pick(other.receipt_no + 2));
      } else if (chance(2)) {
        p.receipt = "";
      } else {
        p.receipt = numbered(o.name, "-", ++o.receipt_no);
      }
      const std::size_t n_lines = 1 + pick(3);
      for (std::size_t i = 0; i < n_lines; ++i) {
        sale_line l;
        l.sku = skus[pick(skus.size())];
        l.qty = 1 + static_cast<std::int64_t>(pick(3));
        l.unit_price_cents = 100 + static_cast<std::int64_t>(pick(900));
        l.discount_cents = chance(30) ? static_cast<std::int64_t>(pick(50)) : 0;
        l.tax_rate_bp = chance(50) ? 2000 : 700;
        l.tax_cents = (l.qty * l.unit_price_cents - l.discount_cents) * l.tax_rate_bp / (10000 + l.tax_rate_bp);
        p.gross_cents += l.qty * l.unit_price_cents;
        p.discount_cents += l.discount_cents;
        p.tax_cents += l.tax_cents;
        p.lines.push_back(std::move(l));
      }
      p.total_cents = p.gross_cents - p.discount_cents;
      std::int64_t paid = 0;
      const std::size_t n_pay = 1 + pick(2);
      for (std::size_t i = 0; i < n_pay; ++i) {
        payment m;
        m.method = methods[pick(methods.size())];
        m.amount_cents =
            (i + 1 == n_pay)
                ? std::max<std::int64_t>(0, p.total_cents - paid) + static_cast<std::int64_t>(pick(3)) * 100
                : static_cast<std::int64_t>(pick(static_cast<std::uint64_t>(p.total_cents / 2 + 1)));
        paid += m.amount_cents;
        p.payments.push_back(std::move(m));
      }
      p.change_cents = paid - p.total_cents;
      p.business_day = day();
      p.staff_id = staff_of(o.seq);
      if (!p.receipt.empty()) {
        o.receipts.push_back(p.receipt);
        receipts.insert(p.receipt);
      }
      e = make_event(origin, seq, at, term, p);
    } else if (kind < sale_upto + 16) {
      sale_returned p;
      if (chance(5) && !o.return_ids.empty()) {
        p.return_id = o.return_ids[pick(o.return_ids.size())];
      } else if (opt.cross_origin_duplicates && chance(12)) {
        const origin_state& other = os[pick(os.size())];
        p.return_id = numbered(other.name, "-R", 1 + pick(other.return_no + 2));
      } else if (chance(2)) {
        p.return_id = "";
      } else {
        p.return_id = numbered(o.name, "-R", ++o.return_no);
      }
      p.receipt = chance(2) ? std::string() : any_receipt();
      const std::size_t n_lines = 1 + pick(2);
      for (std::size_t i = 0; i < n_lines; ++i) {
        return_line l;
        l.sku = skus[pick(skus.size())];
        l.qty = 1 + static_cast<std::int64_t>(pick(2));
        l.refund_cents = 50 + static_cast<std::int64_t>(pick(500));
        l.tax_cents = l.refund_cents / 6;
        p.refund_cents += l.refund_cents;
        p.lines.push_back(std::move(l));
      }
      p.method = methods[pick(methods.size())];
      p.business_day = day();
      p.staff_id = staff_of(o.seq + 1);
      if (!p.return_id.empty()) o.return_ids.push_back(p.return_id);
      if (!p.receipt.empty()) receipts.insert(p.receipt);
      e = make_event(origin, seq, at, term, p);
    } else if (kind < sale_upto + 28) {
      sale_voided p;
      p.receipt = chance(2) ? std::string() : any_receipt();
      p.reason = "reason " + std::to_string(pick(5));
      if (!p.receipt.empty()) receipts.insert(p.receipt);
      e = make_event(origin, seq, at, term, p);
    } else if (kind < sale_upto + 36) {
      day_closed p;
      p.day = chance(5) ? std::string("2025-13-01") : h.days[pick(h.days.size())];
      p.gross_cents = static_cast<std::int64_t>(pick(100000));
      p.discounts_cents = static_cast<std::int64_t>(pick(1000));
      p.tax_cents = static_cast<std::int64_t>(pick(10000));
      p.returns_cents = static_cast<std::int64_t>(pick(5000));
      p.net_cents = p.gross_cents - p.discounts_cents - p.returns_cents;
      p.transactions = static_cast<std::int64_t>(pick(50));
      const std::size_t n = pick(4);
      for (std::size_t i = 0; i < n; ++i) {
        p.by_method.push_back(method_total{methods[pick(methods.size())], static_cast<std::int64_t>(pick(9999))});
      }
      e = make_event(origin, seq, at, term, p);
    } else if (kind < sale_upto + 40) {
      e = make_event(origin, seq, at, term, sale_voided{});  // envelope, then an unknown type
      e.type = 999;
      e.payload = std::string("\x91\x01", 2);
    } else if (kind < sale_upto + 43) {
      // A known type whose payload does not decode: parked by the set.
      e = make_event(origin, seq, at, term, sale_voided{});
      e.type = static_cast<std::uint16_t>(chance(50) ? event_type::sale_completed : event_type::day_closed);
      e.payload = std::string("\xc1", 1);
    } else if (kind < sale_upto + 48) {
      product_upserted p;
      p.sku = skus[pick(skus.size())];
      p.name = "product";
      p.price_cents = 500;
      e = make_event(origin, seq, at, term, p);
    } else {
      sale_voided p;  // more voids of receipts already sold
      p.receipt = o.receipts.empty() ? any_receipt() : o.receipts[pick(o.receipts.size())];
      p.reason = "again";
      receipts.insert(p.receipt);
      e = make_event(origin, seq, at, term, p);
    }
    h.by_origin[static_cast<std::size_t>(&o - os.data())].push_back(std::move(e));
  }
  // The day an empty stamped day is upcast to (the HLC's day, UTC).
  for (const auto& o : os) {
    const std::string d = retail::day_to_string(retail::business_day(hlc_timestamp{o.hlc}, settings));
    if (std::find(h.days.begin(), h.days.end(), d) == h.days.end()) h.days.push_back(d);
  }
  const std::string d0 = retail::day_to_string(retail::business_day(hlc_timestamp::from_parts(wall0, 0), settings));
  if (std::find(h.days.begin(), h.days.end(), d0) == h.days.end()) h.days.push_back(d0);
  h.receipts.assign(receipts.begin(), receipts.end());
  h.receipts.push_back("NEVER-000001");
  return h;
}

/// A random interleaving of the origins that keeps each origin's order.
inline std::vector<const event*> interleave(const history& h, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::size_t> next(h.by_origin.size(), 0);
  std::vector<const event*> out;
  out.reserve(h.size());
  while (out.size() < h.size()) {
    const std::size_t o = static_cast<std::size_t>(rng() % h.by_origin.size());
    if (next[o] == h.by_origin[o].size()) continue;
    out.push_back(&h.by_origin[o][next[o]++]);
  }
  return out;
}

/// Every event in (HLC, origin, seq) order (keeps each origin's order: HLCs
/// grow per origin): the order in which the oldest duplicate arrives first.
inline std::vector<const event*> hlc_order(const history& h) {
  std::vector<const event*> out;
  for (const auto& o : h.by_origin) {
    for (const auto& e : o) out.push_back(&e);
  }
  std::sort(out.begin(), out.end(), [](const event* a, const event* b) {
    return std::make_tuple(a->hlc.packed(), a->origin.value(), a->seq.value()) <
           std::make_tuple(b->hlc.packed(), b->origin.value(), b->seq.value());
  });
  return out;
}

/// What the projection set does before any projection sees an event:
/// decoded and upcast, monostate for an unknown type, an error (parked by
/// the set) when a known type's payload does not decode.
inline expected<payload> decode_for_fold(const event& e, const retail::store_settings& settings) {
  return decode_payload(e, settings);
}

using event_id = std::pair<std::string, std::uint64_t>;  // origin, seq

/// One projection folded over a sequence of events.
struct folded {
  memory_rows rows;
  std::set<event_id> parked;       // by the projection
  std::set<event_id> undecodable;  // by the set, before the projection
  std::vector<retail::register_conflict> conflicts;
};

/// Folds `events` into `p`'s rows. batch_seed != 0: through a row_overlay
/// in random batches (written to the rows and committed as the set does).
inline folded fold(projection& p, const std::vector<const event*>& events, std::uint64_t batch_seed = 0) {
  folded out;
  retail::store_settings settings;
  std::mt19937_64 rng(batch_seed);
  row_overlay overlay(out.rows);
  row_writer& target = batch_seed ? static_cast<row_writer&>(overlay) : static_cast<row_writer&>(out.rows);
  const auto flush = [&] {
    overlay.for_each_change([&](const std::string& k, const auto&, const std::optional<std::string>& now) {
      if (now) {
        out.rows.put(k, *now);
      } else {
        out.rows.erase(k);
      }
    });
    overlay.commit();
  };
  for (const event* e : events) {
    auto decoded = decode_for_fold(*e, settings);
    if (!decoded) {
      out.undecodable.insert({e->origin.value(), e->seq.value()});
      continue;
    }
    fold_context ctx{settings, &out.conflicts};
    if (p.apply(folded_event{*e, *decoded}, target, ctx)) out.parked.insert({e->origin.value(), e->seq.value()});
    if (batch_seed && rng() % 8 == 0) flush();
  }
  if (batch_seed) flush();
  return out;
}

/// A readable first difference of two row maps ("" when equal).
inline std::string first_difference(const memory_rows& a, const memory_rows& b) {
  const auto hex = [](const std::string& s) {
    static const char* d = "0123456789abcdef";
    std::string o;
    for (unsigned char c : s) {
      o.push_back(d[c >> 4]);
      o.push_back(d[c & 15]);
    }
    return o;
  };
  auto i = a.all().begin();
  auto j = b.all().begin();
  for (; i != a.all().end() && j != b.all().end(); ++i, ++j) {
    if (i->first != j->first) return "key " + hex(i->first) + " vs " + hex(j->first);
    if (i->second != j->second) return "value of " + hex(i->first) + ": " + hex(i->second) + " vs " + hex(j->second);
  }
  if (i != a.all().end()) return "extra row in first: " + hex(i->first);
  if (j != b.all().end()) return "extra row in second: " + hex(j->first);
  return "";
}

}  // namespace sn::projections::sales_daily_test
