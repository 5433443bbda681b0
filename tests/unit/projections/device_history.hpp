// Test support of the devices, elections and audit projection tests: a
// seeded random history of several origins, interleavings that keep each
// origin's order, and folds of it into retail::views (the specification) and
// into a projection's rows.
//
// The history covers every event type those projections fold: concurrent
// device.registered / device.updated writes to the same ids from different
// origins (often with equal HLCs, so the origin name decides), device ids
// nobody registered, master.changed in several terms (equal terms recorded by
// different origins, a master that never wrote an event, now and then an
// empty new_master), conflict.resolved records with refs with and without
// ':' and values that are JSON or not, spread over several UTC days, other
// known types (product, stock) and unknown types (last seen counts them),
// a device.registered with an empty id (parked; still seen), an origin
// whose only event has HLC 0 (never "seen"), and in most histories a tie
// round where every origin writes an election, an audit record and the same
// device's register at the same HLCs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/row_overlay.hpp"
#include "tests/support/reference_views/views.hpp"
#include "events/payload_codec.hpp"

namespace sn::projections::device_history_test {

using streams = std::map<std::string, std::vector<event>>;

/// Seeds: SN_TEST_SEED=N runs just that one (replay a failure).
inline std::vector<std::uint64_t> seeds(std::size_t n) {
  if (const char* env = std::getenv("SN_TEST_SEED")) return {std::strtoull(env, nullptr, 10)};
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(20261125 + i * 7919);
  return out;
}

constexpr std::uint64_t day_ms = 86400000;
/// 2026-11-25 22:00 UTC: histories run over several UTC days.
constexpr std::uint64_t history_start_ms = 1795651200000 - 2 * 3600 * 1000;

inline streams random_history(std::uint64_t seed, int events_per_origin = 40) {
  std::mt19937_64 rng(seed);
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::vector<std::string> origins{"POS1", "POS2", "HUB"};
  if (pick(2)) origins.push_back("POS10");  // sorts between POS1 and POS2
  std::vector<std::string> ids = origins;
  ids.push_back("KIOSK");  // registered by others, never writes
  ids.push_back("POS9");
  const auto any_id = [&] { return ids[static_cast<std::size_t>(pick(static_cast<int>(ids.size())))]; };
  const char* const names[] = {"Till 1", "Till 2", "Back office", "Spare"};
  const char* const reasons[] = {"startup", "failure", "shutdown", "manual", "split_brain"};
  const auto ref = [&] {
    switch (pick(6)) {
      case 0:
        return std::string("nocolon");
      case 1:
        return std::string("a:b:") + std::to_string(pick(9));
      case 2:
        return std::string(":") + std::to_string(pick(9));
      case 3:
        return std::string("GHOST:1");
      default:
        return any_id() + ":" + std::to_string(1 + pick(40));
    }
  };
  const auto value = [&] {
    switch (pick(4)) {
      case 0:
        return std::string("not json {");
      case 1:
        return std::string("");
      case 2:
        return std::string("42");
      default:
        return "{\"name\":\"" + std::string(names[pick(4)]) + "\",\"priority\":" + std::to_string(pick(5)) + "}";
    }
  };

  streams out;
  for (const std::string& o : origins) {
    std::vector<event>& evs = out[o];
    std::uint64_t wall = history_start_ms + static_cast<std::uint64_t>(pick(3)) * 1000;
    std::uint64_t logical = 0;
    for (int i = 1; i <= events_per_origin; ++i) {
      // Coarse steps so that origins often share an HLC exactly.
      const int r = pick(10);
      const std::uint64_t step = r < 6   ? 1000 * static_cast<std::uint64_t>(pick(3))
                                 : r < 9 ? 1000 * static_cast<std::uint64_t>(1 + pick(600))
                                         : 3600000 * static_cast<std::uint64_t>(1 + pick(30));
      if (step == 0) {
        ++logical;
      } else {
        wall += step;
        logical = 0;
      }
      const hlc_timestamp hlc = hlc_timestamp::from_parts(wall, logical);
      const device_id origin{o};
      const origin_seq seq{static_cast<std::uint64_t>(i)};
      const term_id term{1};
      switch (pick(16)) {
        case 0:
        case 1:
        case 2: {
          device_registered p;
          p.device_id = any_id();
          p.name = names[pick(4)];
          p.priority = pick(4) * 10;
          evs.push_back(make_event(origin, seq, hlc, term, p));
          break;
        }
        case 3:
        case 4:
        case 5: {
          device_updated p;
          p.device_id = any_id();
          p.name = names[pick(4)];
          p.priority = pick(4) * 10;
          p.active = pick(3) != 0;
          evs.push_back(make_event(origin, seq, hlc, term, p));
          break;
        }
        case 6:
        case 7: {
          master_changed p;
          p.previous_master = pick(3) ? any_id() : "";
          p.new_master = pick(12) == 0 ? "" : pick(6) == 0 ? "GHOST" : any_id();
          p.term = 1 + static_cast<std::uint64_t>(pick(4));
          p.reason = reasons[pick(5)];
          for (const std::string& id : ids) {
            if (pick(2)) p.participants.push_back(id);
          }
          evs.push_back(make_event(origin, seq, hlc, term, p));
          break;
        }
        case 8:
        case 9:
        case 10: {
          conflict_resolved p;
          p.register_name = pick(2) ? "device" : "product.price";
          p.key = pick(2) ? any_id() : "S1";
          p.winner = ref();
          p.loser = ref();
          p.method = "lww_hlc_origin";
          p.old_value = value();
          p.new_value = value();
          evs.push_back(make_event(origin, seq, hlc, term, p));
          break;
        }
        case 11: {
          product_upserted p;
          p.sku = "S" + std::to_string(pick(3));
          p.name = "Tea";
          p.price_cents = 100 + pick(100);
          evs.push_back(make_event(origin, seq, hlc, term, p));
          break;
        }
        case 12: {
          stock_received p;
          p.sku = "S1";
          p.qty = 1 + pick(5);
          evs.push_back(make_event(origin, seq, hlc, term, p));
          break;
        }
        case 13:
        case 14: {  // a type of a newer build
          event e;
          e.origin = origin;
          e.seq = seq;
          e.hlc = hlc;
          e.term = term;
          e.type = static_cast<std::uint16_t>(900 + pick(3));
          e.payload = std::string("\x81\xa1x\x01", 4);
          evs.push_back(std::move(e));
          break;
        }
        default: {  // parked: empty device id
          device_registered p;
          p.name = "nameless";
          evs.push_back(make_event(origin, seq, hlc, term, p));
          break;
        }
      }
    }
  }
  if (pick(3) != 0) {
    // A tie round: every origin writes at the same HLCs (the origin name
    // decides every order: register, newest election, list orders).
    std::uint64_t last = 0;
    for (const auto& [o, evs] : out) last = std::max(last, evs.back().hlc.wall_ms());
    const std::uint64_t tie_ms = last + 1000;
    const std::uint64_t tie_term = 1 + static_cast<std::uint64_t>(pick(5));
    const std::string tie_id = any_id();
    for (auto& [o, evs] : out) {
      const device_id origin{o};
      std::uint64_t seq = evs.size();
      master_changed m;
      m.new_master = any_id();
      m.term = tie_term;
      m.reason = "split_brain";
      evs.push_back(make_event(origin, origin_seq{++seq}, hlc_timestamp::from_parts(tie_ms, 0), term_id{1}, m));
      conflict_resolved c;
      c.register_name = "device";
      c.key = tie_id;
      c.winner = ref();
      c.loser = ref();
      c.method = "lww_hlc_origin";
      c.old_value = value();
      c.new_value = value();
      evs.push_back(make_event(origin, origin_seq{++seq}, hlc_timestamp::from_parts(tie_ms, 1), term_id{1}, c));
      device_updated u;
      u.device_id = tie_id;
      u.name = names[pick(4)];
      u.priority = pick(4) * 10;
      u.active = pick(2) != 0;
      evs.push_back(make_event(origin, origin_seq{++seq}, hlc_timestamp::from_parts(tie_ms, 2), term_id{1}, u));
    }
  }
  if (pick(2)) {  // an origin whose only event has HLC 0: never "seen"
    event e;
    e.origin = device_id{"ZERO"};
    e.seq = origin_seq{1};
    e.hlc = hlc_timestamp{0};
    e.term = term_id{1};
    e.type = 901;
    e.payload = std::string("\x80", 1);
    out["ZERO"].push_back(std::move(e));
  }
  return out;
}

/// A random interleaving that keeps each origin's order.
inline std::vector<event> interleave(const streams& s, std::mt19937_64& rng) {
  std::vector<std::pair<const std::vector<event>*, std::size_t>> cursors;
  std::size_t n = 0;
  for (const auto& [o, evs] : s) {
    cursors.emplace_back(&evs, 0);
    n += evs.size();
  }
  std::vector<event> out;
  out.reserve(n);
  while (out.size() < n) {
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < cursors.size(); ++i) {
      if (cursors[i].second < cursors[i].first->size()) open.push_back(i);
    }
    auto& c = cursors[open[std::uniform_int_distribution<std::size_t>(0, open.size() - 1)(rng)]];
    out.push_back((*c.first)[c.second++]);
  }
  return out;
}

/// A projection's fold of `events` (in that order) into `rows`; conflicts
/// reported into `conflicts` when non-null. Returns the parking reasons.
inline std::vector<std::string> fold(projection& p, const std::vector<event>& events, row_writer& rows,
                                     std::vector<retail::register_conflict>* conflicts = nullptr) {
  const retail::store_settings settings;
  std::vector<std::string> parked;
  for (const event& e : events) {
    auto decoded = decode_payload(e, settings);  // as the projection set decodes it
    if (!decoded) {
      parked.push_back("payload");
      continue;
    }
    fold_context ctx{settings, conflicts};
    if (const char* reason = p.apply(folded_event{e, *decoded}, rows, ctx)) parked.push_back(reason);
  }
  return parked;
}

/// The same fold the way the node runs it: batches of random size through a
/// row_overlay over `base`, each written down and committed (read your
/// writes within a batch, cached rows across batches).
inline void fold_in_batches(projection& p, const std::vector<event>& events, memory_rows& base, std::mt19937_64& rng,
                            std::vector<retail::register_conflict>* conflicts = nullptr) {
  row_overlay overlay(base, 8);  // a small cache: rows are dropped and read again
  std::size_t at = 0;
  while (at < events.size()) {
    const std::size_t n = std::min(events.size() - at, std::uniform_int_distribution<std::size_t>(1, 12)(rng));
    const std::vector<event> batch(events.begin() + static_cast<std::ptrdiff_t>(at),
                                   events.begin() + static_cast<std::ptrdiff_t>(at + n));
    fold(p, batch, overlay, conflicts);
    overlay.for_each_change([&](const std::string& k, const auto&, const std::optional<std::string>& now) {
      if (now) {
        base.put(k, *now);
      } else {
        base.erase(k);
      }
    });
    overlay.commit();
    at += n;
  }
}

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
  const memory_rows& family(std::size_t i) const { return rows_[i]; }

 private:
  std::vector<memory_rows> rows_;
};

/// A projection's rows without the set's reserved rows (position, digests).
inline std::map<std::string, std::string, std::less<>> own_rows(const memory_rows& r) {
  std::map<std::string, std::string, std::less<>> out;
  for (const auto& [k, v] : r.all()) {
    if (k.empty() || k[0] != reserved_key_byte) out.emplace(k, v);
  }
  return out;
}

inline retail::views replay(const std::vector<event>& events) {
  retail::views v{retail::store_settings{}};
  for (const event& e : events) v.apply(e);
  return v;
}

/// A list reply without the paging fields views did not have.
inline nlohmann::json without(nlohmann::json j, std::initializer_list<const char*> fields) {
  for (const char* f : fields) j.erase(f);
  return j;
}

}  // namespace sn::projections::device_history_test
