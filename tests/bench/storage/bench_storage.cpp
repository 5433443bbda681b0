// Storage benchmark (not a test): durable append against the raw RocksDB
// limit, and sequential scan + decode. Prints one table.
//
//   bench_storage [--dir DIR] [--rounds N]
//
// Baseline ("raw"): WriteBatch puts of the same encoded event bytes under
// 8-byte position keys into the "log" column family of a fresh data dir opened
// with exactly the event log's RocksDB options, sync=true. "append":
// event_log::append of the same events (validation, hash check, log + index
// + heads writes, one synced WriteBatch per call). Each round runs raw and
// append alternately on fresh dirs; the table shows medians and the median of
// the per-round ratios, because the shared machines are noisy.
// "(verify)" recomputes every event's BLAKE2b hash (events from other
// processes); "(sealed here)" passes append_options::sealed_here = batch size,
// as for the node's own events on the group-commit path (event_log.hpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"
#include "storage/audit.hpp"
#include "storage/event_log.hpp"
#include "storage/keys.hpp"
#include "storage/testing.hpp"

namespace {

using sn::storage::event_log;
using sn::storage::log_options;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_storage: %s\n", what.c_str());
  std::exit(1);
}

/// A chained stream of sale events with three lines (~250 bytes encoded).
std::vector<sn::event> make_sales(std::size_t n) {
  std::vector<sn::event> out;
  out.reserve(n);
  sn::hash256 prev{};
  for (std::size_t i = 0; i < n; ++i) {
    sn::sale_completed s;
    s.receipt = "POS1-" + std::to_string(100000 + i);
    for (int l = 0; l < 3; ++l) {
      sn::sale_line line;
      line.sku = "SKU-" + std::to_string((i * 7 + l) % 5000);
      line.qty = 1 + l;
      line.unit_price_cents = 199 + 100 * l;
      line.tax_rate_bp = 2000;
      line.tax_cents = 33 * (l + 1);
      s.lines.push_back(line);
    }
    s.gross_cents = s.total_cents = 199 + 2 * 299 + 3 * 399;
    s.tax_cents = 33 * 6;
    s.payments.push_back(sn::payment{"card", s.total_cents});
    auto e = sn::make_event(sn::device_id{"POS1"}, sn::origin_seq{i + 1},
                            sn::hlc_timestamp::from_parts(1'764'000'000'000 + i, 0), sn::term_id{1}, s);
    e.prev_hash = prev;
    sn::seal(e);
    prev = e.hash;
    out.push_back(std::move(e));
  }
  return out;
}

struct scratch_dir {
  std::string path;
  explicit scratch_dir(const std::string& base) {
    std::string tmpl = base + "/sn-bench-storage-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) die("cannot create a dir under " + base);
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Events per second of raw WriteBatch puts, `batch` events per synced write.
bool g_sync = true;
bool verbose = false;  // --verbose: print every round  // --no-sync: both sides unsynced, to compare CPU cost alone

double run_raw(const std::string& base, const std::vector<std::string>& bytes, std::size_t n, std::size_t batch) {
  scratch_dir d(base);
  log_options o;
  o.data_dir = d.path + "/data";
  auto w = sn::storage::testing::raw_writer::open(o);
  if (!w) die(w.error().to_string());
  std::vector<std::string> keys_storage(n);
  for (std::size_t i = 0; i < n; ++i) keys_storage[i] = sn::storage::keys::position_key(i + 1);
  std::vector<std::pair<std::string_view, std::string_view>> kvs;
  kvs.reserve(batch);
  const auto t0 = clock_type::now();
  for (std::size_t i = 0; i < n; i += batch) {
    kvs.clear();
    for (std::size_t j = i; j < std::min(n, i + batch); ++j) kvs.emplace_back(keys_storage[j], bytes[j]);
    if (auto st = (*w)->write(kvs, g_sync); !st) die(st.error().to_string());
  }
  return n / seconds_since(t0);
}

/// Events per second of event_log::append, `batch` events per call.
double run_append(const std::string& base, const std::vector<sn::event>& events, std::size_t n, std::size_t batch,
                  bool sealed_here, const std::string* keep_dir = nullptr) {
  scratch_dir d(base);
  log_options o;
  o.data_dir = d.path + "/data";
  o.sync = g_sync ? sn::storage::durability::fsync : sn::storage::durability::os;
  double rate = 0;
  {
    auto log = event_log::open(o);
    if (!log) die(log.error().to_string());
    std::vector<std::vector<sn::event>> batches;
    for (std::size_t i = 0; i < n; i += batch) {
      batches.emplace_back(events.begin() + i, events.begin() + std::min(n, i + batch));
    }
    const auto t0 = clock_type::now();
    for (const auto& b : batches) {
      auto r = (*log)->append(b, {}, sn::storage::append_options{sealed_here ? b.size() : 0});
      if (!r) die(r.error().to_string());
      if (r->appended != b.size()) die("append refused events");
    }
    rate = n / seconds_since(t0);
  }
  if (keep_dir) {
    // Hand the populated log to the scan benchmark (moved out of the scratch dir).
    std::filesystem::rename(o.data_dir, *keep_dir);
  }
  return rate;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  std::string base = std::filesystem::temp_directory_path().string();
  int rounds = 5;
  std::size_t only = 0;  // --only BATCH: run that batch size alone
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) {
      base = argv[++i];
    } else if (!std::strcmp(argv[i], "--verbose")) {
      verbose = true;
    } else if (!std::strcmp(argv[i], "--no-sync")) {
      g_sync = false;
    } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      only = std::strtoul(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: bench_storage [--dir DIR] [--rounds N] [--only BATCH] [--no-sync] [--verbose]\n");
      return 2;
    }
  }

  struct config {
    std::size_t batch;
    std::size_t events;
  };
  const config configs[] = {{1, 1000}, {100, 50000}, {1000, 200000}};
  const std::size_t n_max = 200000;
  const auto events = make_sales(n_max);
  std::vector<std::string> bytes;
  bytes.reserve(n_max);
  std::size_t total_bytes = 0;
  for (const auto& e : events) {
    bytes.push_back(sn::encode(e));
    total_bytes += bytes.back().size();
  }

  std::printf("storage benchmark: %zu-byte sale events (mean), %s, %d rounds, dir %s\n\n", total_bytes / n_max,
              g_sync ? "sync=true (fsync per write)" : "sync=false", rounds, base.c_str());
  std::printf("%-32s %8s %14s %14s %8s\n", "measurement", "batch", "raw ev/s", "append ev/s", "ratio");

  scratch_dir scan_parent(base);
  const std::string scan_dir = scan_parent.path + "/log";
  for (const auto& c : configs) {
    if (only != 0 && c.batch != only) continue;
    std::vector<double> raw, verified, trusted, ratio_v, ratio_t;
    for (int r = 0; r < rounds; ++r) {
      // Rotate the order: whichever runs later inherits the earlier runs'
      // dirty pages and background work.
      const bool keep = c.batch == 1000 && r == 0;
      double a = 0, b = 0, t = 0;
      for (int k = 0; k < 3; ++k) {
        switch ((r + k) % 3) {
          case 0: a = run_raw(base, bytes, c.events, c.batch); break;
          case 1: b = run_append(base, events, c.events, c.batch, false, keep ? &scan_dir : nullptr); break;
          case 2: t = run_append(base, events, c.events, c.batch, true); break;
        }
      }
      raw.push_back(a);
      verified.push_back(b);
      trusted.push_back(t);
      ratio_v.push_back(b / a);
      ratio_t.push_back(t / a);
      if (verbose) std::printf("  round %d: raw %.0f append %.0f sealed-here %.0f\n", r, a, b, t);
    }
    const char* what = g_sync ? "durable append" : "append, no sync";
    std::printf("%-32s %8zu %14.0f %14.0f %7.0f%%\n", (std::string(what) + " (verify)").c_str(), c.batch,
                median(raw), median(verified), 100 * median(ratio_v));
    std::printf("%-32s %8zu %14.0f %14.0f %7.0f%%\n", (std::string(what) + " (sealed here)").c_str(), c.batch,
                median(raw), median(trusted), 100 * median(ratio_t));
    std::fflush(stdout);
  }

  if (only != 0 && only != 1000) return 0;
  // Sequential scan of the 200k-event log written above, with and without decode.
  log_options o;
  o.data_dir = scan_dir;
  o.mode = sn::storage::open_mode::read_only;
  auto log = event_log::open(o);
  if (!log) die(log.error().to_string());
  std::vector<double> scan_rates, decode_rates;
  for (int r = 0; r < rounds; ++r) {
    std::size_t seen = 0, sz = 0;
    auto t0 = clock_type::now();
    auto st = (*log)->scan(sn::log_position{1}, sn::log_position{0}, [&](sn::log_position, std::string_view v) {
      ++seen;
      sz += v.size();
      return true;
    });
    if (!st || seen != n_max) die("scan failed");
    scan_rates.push_back(seen / seconds_since(t0));
    seen = 0;
    t0 = clock_type::now();
    st = (*log)->scan(sn::log_position{1}, sn::log_position{0}, [&](sn::log_position, std::string_view v) {
      auto e = sn::decode(v);
      if (!e) die("decode failed");
      seen += e->seq.value() != 0;
      return true;
    });
    if (!st || seen != n_max) die("scan + decode failed");
    decode_rates.push_back(seen / seconds_since(t0));
  }
  std::printf("%-32s %8s %14s %14.0f\n", "sequential scan (bytes)", "-", "-", median(scan_rates));
  std::printf("%-32s %8s %14s %14.0f\n", "sequential scan + decode", "-", "-", median(decode_rates));
  // The full audit (decode, re-hash, chain, index, heads) of the same log.
  const auto t0 = clock_type::now();
  auto report = sn::storage::audit_log(**log);
  const double audit_rate = n_max / seconds_since(t0);
  if (!report || !report->clean()) die("audit of the benchmark log is not clean");
  std::printf("%-32s %8s %14s %14.0f\n", "audit_log (full verify)", "-", "-", audit_rate);
  return 0;
}
