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
#include <string>
#include <vector>

#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "tests/bench/retail/replay_mix.hpp"
#include "events/civil_date.hpp"
#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/staff.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"

namespace {

using namespace sn;

std::vector<std::string> build(std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  sn::bench::replay_mix mix(n);  // bench_replay's store: events 3 ms apart, business days in UTC+1
  while (!mix.done()) out.push_back(encode(mix.next()));
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
      case event_type::store_created: good = decode_as<store_created>(*e); break;
      case event_type::device_enrolled: good = decode_as<device_enrolled>(*e); break;
      case event_type::device_revoked: good = decode_as<device_revoked>(*e); break;
      case event_type::device_keys_rotated: good = decode_as<device_keys_rotated>(*e); break;
      case event_type::staff_added: good = decode_as<staff_added>(*e); break;
      case event_type::staff_updated: good = decode_as<staff_updated>(*e); break;
      case event_type::staff_removed: good = decode_as<staff_removed>(*e); break;
      case event_type::staff_signed_in: good = decode_as<staff_signed_in>(*e); break;
      case event_type::staff_sign_in_failed: good = decode_as<staff_sign_in_failed>(*e); break;
      case event_type::staff_signed_out: good = decode_as<staff_signed_out>(*e); break;
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
