// Replay benchmark: 1,000,000 mixed encoded retail events from 3 origins,
// folded (a) through decode only (envelope + typed payload) and (b) through
// decode + the projection set (every projection, its rows and LtHash digests)
// over memory rows (memory_row_store), flushed every 4096 events as the
// node's catch-up does: the fold itself, without RocksDB. Prints events/s and
// the ratio. Usage: bench_replay [events] [runs] [digests 0|1]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "events/civil_date.hpp"
#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"

namespace {

using namespace sn;
constexpr int sku_count = 2000;
const char* const origins[] = {"POS1", "POS2", "BACKOFFICE"};

std::string sku_name(int i) { return "SKU-" + std::to_string(100000 + i); }

std::vector<std::string> build(std::size_t n) {
  std::mt19937_64 rng(42);
  auto pick = [&](int k) { return std::uniform_int_distribution<int>(0, k - 1)(rng); };
  std::vector<std::string> out;
  out.reserve(n);
  std::uint64_t seq[3] = {0, 0, 0};
  std::uint64_t receipts[3] = {0, 0, 0}, returns[3] = {0, 0, 0};
  hash256 prev[3]{};
  std::uint64_t wall = 1795000000000ULL;  // 2026-11
  std::vector<std::pair<std::string, std::string>> sold;  // receipt, one sku
  const time_zone zone = time_zone::fixed(60);            // the store of the replay below
  auto emit = [&](int o, auto payload) {
    wall += 3;  // ~3 ms apart: 1M events span ~35 days
    // Sales and returns carry their business day, as tills stamp it (schema 2).
    if constexpr (std::is_same_v<decltype(payload), sale_completed> ||
                  std::is_same_v<decltype(payload), sale_returned>) {
      payload.business_day = format_day(zone.local_day(static_cast<std::int64_t>(wall)));
    }
    event e = make_event(device_id{origins[o]}, origin_seq{++seq[o]}, hlc_timestamp::from_parts(wall, 0), term_id{1},
                         payload);
    e.prev_hash = prev[o];
    seal(e);
    prev[o] = e.hash;
    out.push_back(encode(e));
  };
  for (int i = 0; i < sku_count && out.size() < n; ++i) {
    emit(2, product_upserted{sku_name(i), "Product " + std::to_string(i), "400" + std::to_string(i), 100 + pick(5000),
                             pick(3) * 1000, 5, true});
  }
  for (int o = 0; o < 3; ++o) emit(2, device_registered{origins[o], origins[o], 10 * o});
  emit(2, master_changed{"", "BACKOFFICE", 1, "startup", {"POS1", "POS2", "BACKOFFICE"}});
  while (out.size() < n) {
    const int r = pick(100);
    const int o = pick(3);
    const std::string sku = sku_name(pick(sku_count));
    if (r < 55) {  // sale with 1-4 lines
      sale_completed s;
      s.receipt = std::string(origins[o]) + "-" + std::to_string(1000000 + ++receipts[o]).substr(1);
      const int lines = 1 + pick(4);
      for (int l = 0; l < lines; ++l) {
        sale_line line{sku_name(pick(sku_count)), 1 + pick(3), 100 + pick(2000), pick(4) == 0 ? 10 : 0, 2000, 0};
        line.tax_cents = (line.qty * line.unit_price_cents - line.discount_cents) / 6;
        s.gross_cents += line.qty * line.unit_price_cents;
        s.discount_cents += line.discount_cents;
        s.tax_cents += line.tax_cents;
        s.lines.push_back(std::move(line));
      }
      s.total_cents = s.gross_cents - s.discount_cents;
      s.payments.push_back(payment{pick(2) ? "cash" : "card", s.total_cents});
      sold.emplace_back(s.receipt, s.lines[0].sku);
      emit(o, s);
    } else if (r < 62 && !sold.empty()) {
      const auto& [receipt, rsku] = sold[static_cast<std::size_t>(pick(static_cast<int>(sold.size())))];
      emit(o, sale_returned{std::string(origins[o]) + "-R" + std::to_string(1000000 + ++returns[o]).substr(1),
                            receipt,
                            {return_line{rsku, 1, 500, 83}},
                            500,
                            "cash",
                            ""});
    } else if (r < 64 && !sold.empty()) {
      emit(o, sale_voided{sold[static_cast<std::size_t>(pick(static_cast<int>(sold.size())))].first, "customer"});
    } else if (r < 80) {
      emit(o, stock_received{sku, 10 + pick(50), "PO-" + std::to_string(pick(100000))});
    } else if (r < 88) {
      emit(o, stock_adjusted{sku, -1 - pick(3), "damage", ""});
    } else if (r < 93) {
      emit(o, price_changed{sku, 100 + pick(5000)});
    } else if (r < 97) {
      emit(o, stock_counted{sku, pick(100), pick(100)});
    } else if (r < 98) {
      emit(2, conflict_resolved{"product.price", sku, "POS1:1", "POS2:1", "lww_hlc_origin", "{\"price_cents\":1}",
                                "{\"price_cents\":2}"});
    } else {
      emit(o, product_upserted{sku, "Renamed", "", 100 + pick(5000), 2000, 5, pick(10) != 0});
    }
  }
  return out;
}

// Decode-only: the limit the projection set cannot beat.
template <class P>
bool decode_as(const event& e) {
  return decode_payload<P>(e.payload).has_value();
}

std::size_t decode_only(const std::vector<std::string>& encoded) {
  std::size_t ok = 0;
  for (const std::string& bytes : encoded) {
    auto e = decode(bytes);
    if (!e) continue;
    bool good = false;
    switch (static_cast<event_type>(e->type)) {
      case event_type::product_upserted: good = decode_as<product_upserted>(*e); break;
      case event_type::price_changed: good = decode_as<price_changed>(*e); break;
      case event_type::product_deactivated: good = decode_as<product_deactivated>(*e); break;
      case event_type::stock_received: good = decode_as<stock_received>(*e); break;
      case event_type::stock_adjusted: good = decode_as<stock_adjusted>(*e); break;
      case event_type::stock_counted: good = decode_as<stock_counted>(*e); break;
      case event_type::sale_completed: good = decode_as<sale_completed>(*e); break;
      case event_type::sale_returned: good = decode_as<sale_returned>(*e); break;
      case event_type::sale_voided: good = decode_as<sale_voided>(*e); break;
      case event_type::day_closed: good = decode_as<day_closed>(*e); break;
      case event_type::device_registered: good = decode_as<device_registered>(*e); break;
      case event_type::device_updated: good = decode_as<device_updated>(*e); break;
      case event_type::master_changed: good = decode_as<master_changed>(*e); break;
      case event_type::conflict_resolved: good = decode_as<conflict_resolved>(*e); break;
    }
    ok += good ? 1 : 0;
  }
  return ok;
}

// CPU time of this thread: the figure "on one core" even when other
// processes share the machine (wall-clock rates are printed too).
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  const bool with_digests = argc > 3 ? std::atoi(argv[3]) != 0 : true;  // 0: profile the replay alone
  auto t = std::chrono::steady_clock::now();
  const std::vector<std::string> encoded = build(n);
  std::size_t bytes = 0;
  for (const auto& s : encoded) bytes += s.size();
  std::printf("built %zu events (%.1f MB, %.0f B avg) in %.2f s\n", encoded.size(), bytes / 1e6,
              static_cast<double>(bytes) / static_cast<double>(encoded.size()), seconds_since(t));

  std::vector<double> dec, full, dec_cpu, full_cpu;
  std::string digest;
  for (int r = 0; r < runs; ++r) {
    t = std::chrono::steady_clock::now();
    double c = cpu_now();
    const std::size_t ok = decode_only(encoded);
    dec.push_back(static_cast<double>(encoded.size()) / seconds_since(t));
    dec_cpu.push_back(static_cast<double>(encoded.size()) / (cpu_now() - c));
    if (ok != encoded.size()) std::printf("decode failures: %zu\n", encoded.size() - ok);

    const sn::retail::store_settings settings{sn::time_zone::fixed(60)};
    sn::projections::memory_row_store rows(sn::projections::all_projections().size());
    sn::projections::projection_set set(settings, sn::projections::all_projections(), rows);
    if (!set.open()) return 1;
    t = std::chrono::steady_clock::now();
    c = cpu_now();
    std::uint64_t pos = 0;
    for (const std::string& b : encoded) {
      auto e = decode(b);
      if (!e) continue;
      set.apply(++pos, *e, false);
      if (pos % 4096 == 0 && !set.flush()) return 1;
    }
    if (!set.flush()) return 1;
    full.push_back(static_cast<double>(encoded.size()) / seconds_since(t));
    full_cpu.push_back(static_cast<double>(encoded.size()) / (cpu_now() - c));
    std::uint64_t parked = 0;
    for (std::size_t i = 0; i < set.size(); ++i) parked += set.info(i).parked;
    if (parked != 0) std::printf("parked %llu\n", static_cast<unsigned long long>(parked));
    if (r == 0 && with_digests) {
      t = std::chrono::steady_clock::now();
      digest = set.digest_hex(*set.index_of("daily")).substr(0, 16);
      std::printf("digest of the daily projection in %.6f s (kept incrementally)\n", seconds_since(t));
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double d = median(dec), f = median(full), dc = median(dec_cpu), fc = median(full_cpu);
  std::printf("                               wall ev/s     CPU ev/s (one core)   median of %d\n", runs);
  std::printf("(a) decode only            : %10.0f   %10.0f\n", d, dc);
  std::printf("(b) decode + projection set: %10.0f   %10.0f\n", f, fc);
  std::printf("ratio (b)/(a)              : %10.2f   %10.2f\n", f / d, fc / dc);
  std::printf("daily digest prefix        : %s\n", digest.c_str());
  return 0;
}
