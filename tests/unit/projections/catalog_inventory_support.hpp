// Test support for the catalog and inventory projections (catalog_test.cpp,
// inventory_test.cpp): a seeded random history of several origins, random
// interleavings that keep each origin's order, and a fold that feeds one
// arrival order to retail::views and to the two projections the way the
// projection set does (decode + upcast once; an undecodable payload parks
// before any projection sees it); seeds, paging walk, a row-read counter.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/projections/catalog.hpp"
#include "actors/projections/inventory.hpp"
#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/row_codec.hpp"
#include "tests/unit/projections/counting_reader.hpp"
#include "tests/support/reference_views/views.hpp"
#include "events/event.hpp"
#include "events/payload_codec.hpp"
#include "events/upcast.hpp"

namespace sn::projections::catalog_inventory_test {

/// Events per origin, each origin's in seq order.
using streams = std::map<std::string, std::vector<event>>;

struct history_options {
  int events_per_origin = 80;
  /// Cross-origin duplicate receipts / return ids with different contents.
  /// Which one counts depends on arrival order (in views too), so only the
  /// equivalence tests use them; order-independence tests get exact copies.
  bool conflicting_duplicates = false;
};

/// Seeded random history of 4 origins (HLCs increasing per origin, often
/// equal across origins): every event type the two projections fold, with
/// concurrent register writes, voids and returns of sales not yet written
/// (or never), repeated voids, duplicate receipts and return ids, empty ids,
/// bad business days, empty business days (upcast), unknown event types,
/// undecodable payloads, and events of other projections.
streams random_history(std::uint64_t seed, const history_options& opt = {});  // defined below

/// A random interleaving that keeps each origin's order.
std::vector<event> interleave(const streams& s, std::mt19937_64& rng);

/// The skus the generator uses (plus one it never uses).
const std::vector<std::string>& test_skus();

/// One arrival order folded into views and into the two projections.
struct folded {
  explicit folded(retail::store_settings s = {}) : settings(s), views(s) {}
  void apply(const event& e, bool detect_conflicts = true);

  retail::store_settings settings;
  retail::views views;
  memory_rows catalog_rows, inventory_rows;
  catalog_projection catalog;
  inventory_projection inventory;
  std::vector<retail::register_conflict> conflicts;  ///< what the projections reported
  /// (origin, seq) -> park reason, per projection (decode failures in both)
  std::map<std::pair<std::string, std::uint64_t>, std::string> catalog_parked, inventory_parked;
  /// Voids and returns that arrived before their receipt's sale did, and
  /// then saw it arrive (coverage of the generator).
  std::size_t voids_before_sale = 0, returns_before_sale = 0;

 private:
  std::map<std::string, std::pair<bool, bool>> early_;  // receipt -> (voided, returned) before its sale
  std::map<std::string, bool> sold_;
};

// ---- shared by catalog_test.cpp and inventory_test.cpp

/// The seeds of a property test: SN_TEST_SEED alone when set (a failure
/// prints the seed it ran), else n seeds from a default per test.
std::vector<std::uint64_t> test_seeds(std::uint64_t first_default, int n);
/// "seed N (rerun with SN_TEST_SEED=N)"
std::string seed_note(std::uint64_t seed);
/// True when the test runs one seed given by SN_TEST_SEED.
bool replaying_one_seed();

/// A list reply without the paging fields views did not have.
nlohmann::json without_paging(nlohmann::json j);

/// The events views parked that are of one of `types` (or did not decode),
/// keyed as folded::catalog_parked.
std::map<std::pair<std::string, std::uint64_t>, std::string> views_parked(const folded& f,
                                                                          const std::vector<event>& order,
                                                                          const std::vector<event_type>& types);

using testing::counting_reader;

/// The durable rows of a projection set, in memory.
class memory_store final : public row_store {
 public:
  explicit memory_store(std::size_t n) : rows_(n) {}
  const row_reader& rows(std::size_t i) const override { return rows_[i]; }
  status write_all(const std::vector<write>& writes) override {
    for (const auto& w : writes) {
      if (w.value) {
        rows_[w.projection].put(w.key, *w.value);
      } else {
        rows_[w.projection].erase(w.key);
      }
    }
    return status::ok();
  }
  status clear(std::size_t i) override {
    rows_[i].clear();
    return status::ok();
  }
  /// The projection's own rows (the set's reserved 0xff rows left out).
  std::map<std::string, std::string, std::less<>> projection_rows(std::size_t i) const {
    auto all = rows_[i].all();
    all.erase(all.lower_bound(std::string(1, reserved_key_byte)), all.end());
    return all;
  }

 private:
  std::vector<memory_rows> rows_;
};

/// Walks a list page by page, cursors through encode/decode as a client
/// would; checks page sizes and that every page carries the whole total.
/// Returns the skus in order.
template <class Page, class Query>
std::vector<std::string> walk_pages(Query query, std::size_t limit, std::size_t expect_total, std::string* failure) {
  std::vector<std::string> skus;
  page_request req{limit, ""};
  for (int pages = 0; pages < 100000; ++pages) {
    const Page p = query(req);
    if (p.items.size() > limit) *failure += "page over its limit; ";
    if (p.total != expect_total) *failure += "page total differs; ";
    for (const auto& it : p.items) skus.push_back(it.sku);
    if (p.next.empty()) return skus;
    if (p.items.size() != limit) *failure += "short page before the end; ";
    const auto from = decode_cursor(encode_cursor(p.next));
    if (!from) {
      *failure += "cursor does not decode; ";
      return skus;
    }
    req.from = *from;
  }
  *failure += "paging did not end; ";
  return skus;
}

// ---------------------------------------------------------------- definitions

namespace detail {

// 2026-11-25 08:00:00 UTC
inline constexpr std::uint64_t morning_ms = 1795593600000ull;

inline std::string numbered(const std::string& origin, const char* infix, int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06d", n);
  return origin + "-" + infix + buf;
}

class generator {
 public:
  generator(std::uint64_t seed, const history_options& opt) : rng_(seed), opt_(opt) {}

  streams run() {
    const std::vector<std::string> origins{"A", "B", "C", "POS10"};
    for (const auto& o : origins) {
      clock_[o] = pick(4);
      out_[o];
    }
    const int total = opt_.events_per_origin * static_cast<int>(origins.size());
    for (int i = 0; i < total; ++i) one(origins[pick(static_cast<int>(origins.size()))]);
    return out_;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return pick(100) < percent; }
  const std::string& sku() {
    static const std::vector<std::string> skus{"S0", "S1", "S2", "S10", "s0", "\xc3\xa9t\xc3\xa9", "LAST"};
    return skus[pick(static_cast<int>(skus.size()))];
  }
  std::string day() {
    if (chance(3)) return "2026-13-40";  // not a date: parks
    if (chance(3)) return "";            // a broken writer: the upcaster fills it
    return chance(50) ? "2026-11-25" : "2026-11-26";
  }

  // HLCs: a coarse shared scale, so concurrent writes of different origins
  // often carry the same HLC (ties broken by origin name).
  template <class P>
  void emit(const std::string& o, const P& p) {
    out_[o].push_back(make_event(device_id{o}, origin_seq{out_[o].size() + 1}, next_hlc(o), term_id{1}, p));
  }
  hlc_timestamp next_hlc(const std::string& o) {
    clock_[o] += 1 + pick(3);
    return hlc_timestamp::from_parts(morning_ms + static_cast<std::uint64_t>(clock_[o]) * 1000, 0);
  }
  void emit_raw(const std::string& o, std::uint16_t type, std::string bytes) {
    event e;
    e.origin = device_id{o};
    e.seq = origin_seq{out_[o].size() + 1};
    e.hlc = next_hlc(o);
    e.term = term_id{1};
    e.type = type;
    e.schema = 1;
    e.payload = std::move(bytes);
    out_[o].push_back(std::move(e));
  }

  // A receipt for a void or return: mostly one already sold (any origin),
  // else one another origin will (or may never) sell.
  std::string some_receipt() {
    if (!receipts_.empty() && !chance(20)) return receipts_[pick(static_cast<int>(receipts_.size()))];
    const char* const origins[] = {"A", "B", "C", "POS10"};
    const std::string o = origins[pick(4)];
    return numbered(o, "", next_receipt_[o] + 1 + pick(3));
  }

  void sale(const std::string& o) {
    sale_completed p;
    const int n = 1 + pick(3);
    for (int i = 0; i < n; ++i) {
      sale_line l;
      l.sku = chance(2) ? "" : sku();
      l.qty = 1 + pick(3);
      l.unit_price_cents = 100 + pick(900);
      l.discount_cents = pick(2) * 10;
      l.tax_rate_bp = 2000;
      l.tax_cents = l.qty * 10;
      p.lines.push_back(l);
      p.gross_cents += l.qty * l.unit_price_cents;
      p.discount_cents += l.discount_cents;
      p.tax_cents += l.tax_cents;
    }
    p.total_cents = p.gross_cents - p.discount_cents;
    p.payments.push_back(payment{chance(50) ? "cash" : "card", p.total_cents});
    p.business_day = day();
    const int r = pick(100);
    if (r < 3) {
      p.receipt = "";
    } else if (r < 8 && !own_receipts_[o].empty()) {  // the same origin sells a receipt again
      p.receipt = own_receipts_[o][pick(static_cast<int>(own_receipts_[o].size()))];
    } else if (r < 13 && !receipts_.empty()) {  // a receipt sold elsewhere (or here) already
      const std::string& receipt = receipts_[pick(static_cast<int>(receipts_.size()))];
      if (opt_.conflicting_duplicates) {
        p.receipt = receipt;
      } else {
        p = first_sale_.at(receipt);  // an exact copy: whichever arrives first, the same stock moves
      }
    } else {
      p.receipt = numbered(o, "", ++next_receipt_[o]);
      own_receipts_[o].push_back(p.receipt);
    }
    if (!p.receipt.empty() && first_sale_.emplace(p.receipt, p).second) receipts_.push_back(p.receipt);
    emit(o, p);
  }

  void ret(const std::string& o) {
    sale_returned p;
    p.receipt = chance(3) ? "" : some_receipt();
    const int n = 1 + pick(2);
    for (int i = 0; i < n; ++i) {
      return_line l;
      l.sku = sku();
      l.qty = 1 + pick(2);
      l.refund_cents = l.qty * 100;
      l.tax_cents = l.qty * 5;
      p.lines.push_back(l);
      p.refund_cents += l.refund_cents;
    }
    p.method = chance(50) ? "cash" : "card";
    p.business_day = day();
    const int r = pick(100);
    if (r < 3) {
      p.return_id = "";
    } else if (r < 8 && !own_returns_[o].empty()) {
      p.return_id = own_returns_[o][pick(static_cast<int>(own_returns_[o].size()))];
    } else if (r < 12 && !returns_.empty()) {
      const std::string& id = returns_[pick(static_cast<int>(returns_.size()))];
      if (opt_.conflicting_duplicates) {
        p.return_id = id;
      } else {
        p = first_return_.at(id);
      }
    } else {
      p.return_id = numbered(o, "R", ++next_return_[o]);
      own_returns_[o].push_back(p.return_id);
    }
    if (!p.return_id.empty() && first_return_.emplace(p.return_id, p).second) returns_.push_back(p.return_id);
    emit(o, p);
  }

  void one(const std::string& o) {
    const int r = pick(100);
    if (r < 12) {
      product_upserted p;
      p.sku = chance(3) ? "" : sku();
      p.name = "n" + std::to_string(pick(50));
      p.barcode = "b" + std::to_string(pick(50));
      p.price_cents = 100 + pick(900);
      p.tax_rate_bp = pick(3) * 1000;
      p.low_stock_threshold = pick(8) - 3;  // below -1 too: oversold items that are not low
      p.active = !chance(20);
      emit(o, p);
    } else if (r < 20) {
      emit(o, price_changed{chance(3) ? "" : sku(), 50 + pick(1000)});
    } else if (r < 24) {
      emit(o, product_deactivated{chance(3) ? "" : sku()});
    } else if (r < 33) {
      emit(o, stock_received{chance(2) ? "" : sku(), 1 + pick(10), "sup"});
    } else if (r < 38) {
      emit(o, stock_adjusted{sku(), pick(2) ? 1 + pick(3) : -1 - pick(3), "damage", ""});
    } else if (r < 44) {
      emit(o, stock_counted{sku(), pick(10), pick(12) - 2});
    } else if (r < 68) {
      sale(o);
    } else if (r < 78) {
      emit(o, sale_voided{chance(3) ? "" : some_receipt(), "r" + std::to_string(pick(5))});
    } else if (r < 88) {
      ret(o);
    } else if (r < 91) {  // a type this build does not know
      emit_raw(o, static_cast<std::uint16_t>(9000 + pick(3)), encode_payload(stock_received{sku(), 5, "x"}));
    } else if (r < 94) {  // a known type whose payload does not decode
      const std::uint16_t types[] = {static_cast<std::uint16_t>(event_type::stock_received),
                                     static_cast<std::uint16_t>(event_type::sale_completed),
                                     static_cast<std::uint16_t>(event_type::product_upserted)};
      emit_raw(o, types[pick(3)], std::string("\xc1\x01", 2));
    } else if (r < 97) {
      emit(o, device_registered{o, "till " + o, pick(10)});
    } else {
      day_closed d;
      d.day = "2026-11-25";
      d.gross_cents = pick(1000);
      emit(o, d);
    }
  }

  std::mt19937_64 rng_;
  history_options opt_;
  streams out_;
  std::map<std::string, int> clock_;
  std::map<std::string, int> next_receipt_, next_return_;
  std::map<std::string, std::vector<std::string>> own_receipts_, own_returns_;
  // every receipt / return id written, and the first content written under it
  std::vector<std::string> receipts_, returns_;
  std::map<std::string, sale_completed> first_sale_;
  std::map<std::string, sale_returned> first_return_;
};

}  // namespace detail

inline streams random_history(std::uint64_t seed, const history_options& opt) {
  return detail::generator(seed, opt).run();
}

inline std::vector<event> interleave(const streams& s, std::mt19937_64& rng) {
  std::vector<std::pair<const std::vector<event>*, std::size_t>> cursors;
  std::size_t total = 0;
  for (const auto& [o, list] : s) {
    if (!list.empty()) cursors.emplace_back(&list, 0);
    total += list.size();
  }
  std::vector<event> out;
  out.reserve(total);
  while (out.size() < total) {
    // weighted by what is left, so long streams do not all end up at the back
    std::size_t left = 0;
    for (const auto& [list, i] : cursors) left += list->size() - i;
    std::size_t k = std::uniform_int_distribution<std::size_t>(0, left - 1)(rng);
    for (auto& [list, i] : cursors) {
      const std::size_t n = list->size() - i;
      if (k < n) {
        out.push_back((*list)[i++]);
        break;
      }
      k -= n;
    }
  }
  return out;
}

inline const std::vector<std::string>& test_skus() {
  static const std::vector<std::string> skus{"", "S0", "S1", "S2", "S10", "s0", "\xc3\xa9t\xc3\xa9", "LAST", "NEVER"};
  return skus;
}

inline void folded::apply(const event& e, bool detect_conflicts) {
  views.set_detect_conflicts(detect_conflicts);
  views.apply(e);
  const auto key = std::make_pair(e.origin.value(), e.seq.value());
  auto decoded = projections::decode_payload(e, settings);
  if (!decoded) {
    catalog_parked[key] = inventory_parked[key] = "payload: " + decoded.error().message;
    return;
  }
  fold_context ctx{settings, detect_conflicts ? &conflicts : nullptr};
  const folded_event fe{e, *decoded};
  if (const char* r = catalog.apply(fe, catalog_rows, ctx)) catalog_parked[key] = r;
  if (const char* r = inventory.apply(fe, inventory_rows, ctx)) inventory_parked[key] = r;
  // coverage: voids and returns that came before their sale
  if (const auto* v = std::get_if<sale_voided>(&*decoded); v && !sold_[v->receipt]) early_[v->receipt].first = true;
  if (const auto* r = std::get_if<sale_returned>(&*decoded); r && !sold_[r->receipt]) early_[r->receipt].second = true;
  if (const auto* s = std::get_if<sale_completed>(&*decoded); s && !sold_[s->receipt]) {
    sold_[s->receipt] = true;
    voids_before_sale += early_[s->receipt].first ? 1 : 0;
    returns_before_sale += early_[s->receipt].second ? 1 : 0;
  }
}

inline std::vector<std::uint64_t> test_seeds(std::uint64_t first_default, int n) {
  if (const char* env = std::getenv("SN_TEST_SEED")) return {std::strtoull(env, nullptr, 10)};
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(first_default + static_cast<std::uint64_t>(i));
  return out;
}

inline bool replaying_one_seed() { return std::getenv("SN_TEST_SEED") != nullptr; }

inline std::string seed_note(std::uint64_t seed) {
  return "seed " + std::to_string(seed) + " (rerun with SN_TEST_SEED=" + std::to_string(seed) + ")";
}

inline nlohmann::json without_paging(nlohmann::json j) {
  j.erase("next_cursor");
  j.erase("truncated");
  return j;
}

inline std::map<std::pair<std::string, std::uint64_t>, std::string> views_parked(const folded& f,
                                                                                 const std::vector<event>& order,
                                                                                 const std::vector<event_type>& types) {
  std::map<std::pair<std::string, std::uint64_t>, std::uint16_t> type_of;
  for (const event& e : order) type_of[{e.origin.value(), e.seq.value()}] = e.type;
  std::map<std::pair<std::string, std::uint64_t>, std::string> out;
  for (const auto& p : f.views.parked_events()) {
    const auto key = std::make_pair(p.origin, p.seq);
    const std::uint16_t t = type_of.at(key);
    const bool ours =
        std::any_of(types.begin(), types.end(), [&](event_type x) { return static_cast<std::uint16_t>(x) == t; });
    if (ours || p.reason.rfind("payload: ", 0) == 0) out[key] = p.reason;
  }
  return out;
}

}  // namespace sn::projections::catalog_inventory_test
