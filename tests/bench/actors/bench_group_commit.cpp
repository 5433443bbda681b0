// Group-commit benchmark (not a test): the log-writer actor's durable append
// with 1, 8 and 64 concurrent appenders against the raw RocksDB limit.
//
//   bench_group_commit [--seconds S] [--rounds R] [--dir DIR] [--no-sync] [--only K] [--no-raw]
//                      [--caf-moderate-polls N]
//
// "group commit": spawn_log_writer on a fresh event log (durability fsync,
// the default); K threads, each with its own caf::scoped_actor, send
// append_local_atom with one 1-event draft and wait for the reply, in a loop,
// for S seconds. The writer seals the drafts and commits whatever arrived
// while the previous fsync ran in one synced WriteBatch (actors/log_writer_actor.hpp).
// "raw" (the limit): one thread writing WriteBatches of exactly K events'
// encoded bytes (the same sale event, sealed and encoded) under 8-byte
// position keys into the "log" column family of a fresh data dir opened with
// the event log's options, sync=true (storage/testing.hpp raw_writer), for S
// seconds. Raw batch K is what K appenders could get at best: each appender
// has one request in flight, so a group commit holds at most K events.
// Each round runs raw and group commit for every K on fresh dirs; the table
// gives the median rate and the median of the per-round ratios (noisy disk).
#include <CLI/CLI.hpp>
#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "actors/atoms.hpp"
#include "actors/log_writer_actor.hpp"
#include "actors/metrics.hpp"
#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"
#include "storage/event_log.hpp"
#include "storage/keys.hpp"
#include "storage/testing.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using namespace sn;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_group_commit: %s\n", what.c_str());
  std::exit(1);
}

struct settings {
  double seconds = 3.0;
  int rounds = 3;
  std::string dir = std::filesystem::temp_directory_path().string();
  bool sync = true;
  std::size_t only = 0;     ///< --only K: just that appender count (for profiling)
  bool skip_raw = false;    ///< --no-raw: group commit only (for profiling)
  /// --caf-moderate-polls N: CAF work-stealing moderate poll attempts (CAF's
  /// default 500, each followed by a 50 us sleep); -1 keeps CAF's default.
  long caf_moderate_polls = -1;
};

struct scratch_dir {
  std::string path;
  explicit scratch_dir(const std::string& base) {
    std::string tmpl = base + "/sn-bench-gc-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) die("cannot create a dir under " + base);
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// A one-line sale, as a POS sells it (the common case of POST /v1/sales).
sale_completed one_line_sale(std::uint64_t i) {
  sale_completed s;
  s.receipt = "POS1-" + std::to_string(1000000 + i);
  sale_line line;
  line.sku = "SKU-" + std::to_string(i % 5000);
  line.qty = 1;
  line.unit_price_cents = 199;
  line.tax_rate_bp = 2000;
  line.tax_cents = 33;
  s.lines.push_back(line);
  s.gross_cents = s.total_cents = 199;
  s.tax_cents = 33;
  s.payments.push_back(payment{"cash", 199});
  return s;
}

/// An unsealed draft: the writer fills origin, seq, prev_hash and hash.
event draft(std::uint64_t i) {
  return make_event(device_id{"POS1"}, origin_seq{0}, hlc_timestamp::from_parts(1'764'000'000'000 + i, 0), term_id{1},
                    one_line_sale(i));
}

/// Encoded bytes of sealed, chained sales: what the log stores for the drafts.
std::vector<std::string> sealed_bytes(std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  hash256 prev{};
  for (std::size_t i = 0; i < n; ++i) {
    auto e = draft(i);
    e.seq = origin_seq{i + 1};
    e.prev_hash = prev;
    seal(e);
    prev = e.hash;
    out.push_back(encode(e));
  }
  return out;
}

/// Raw synced WriteBatches of `batch` events for `seconds`: events/s.
double run_raw(const settings& s, const std::vector<std::string>& bytes, std::size_t batch) {
  scratch_dir d(s.dir);
  storage::log_options o;
  o.data_dir = d.path + "/data";
  auto w = storage::testing::raw_writer::open(o);
  if (!w) die(w.error().to_string());
  std::vector<std::string> keys;
  std::vector<std::pair<std::string_view, std::string_view>> kvs;
  kvs.reserve(batch);
  std::uint64_t pos = 0;
  const auto t0 = clock_type::now();
  const auto deadline = t0 + std::chrono::duration<double>(s.seconds);
  while (clock_type::now() < deadline) {
    keys.clear();
    kvs.clear();
    for (std::size_t j = 0; j < batch; ++j) keys.push_back(storage::keys::position_key(++pos));
    for (std::size_t j = 0; j < batch; ++j) kvs.emplace_back(keys[j], bytes[(pos - batch + j) % bytes.size()]);
    if (auto st = (*w)->write(kvs, s.sync); !st) die(st.error().to_string());
  }
  return pos / std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct gc_result {
  double rate = 0;
  std::uint64_t events = 0;
  double mean_batch = 0;
  double p50_us = 0, p99_us = 0;  // per-request latency, request to durable reply
};

/// Who sends the appends: K OS threads with a blocking caf::scoped_actor each
/// (the brief's model of K clients), or K event-based actors on CAF's
/// scheduler (how the node's command actor calls the writer).
enum class client_kind { threads, actors };

/// One event-based appender: one request in flight, the next sent from the reply.
void actor_appender(caf::event_based_actor* self, actors::log_writer_actor writer, std::uint64_t first,
                    const std::atomic<bool>* stop, std::atomic<std::uint64_t>* count, std::atomic<int>* live) {
  if (stop->load(std::memory_order_relaxed)) {
    live->fetch_sub(1);
    self->quit();
    return;
  }
  actors::append_local_request req;
  req.drafts.push_back(draft(first));
  self->request(writer, caf::infinite, actors::append_local_atom::value, std::move(req))
    .then(
      [=](actors::append_local_reply& r) {
        if (r.sealed.size() != 1) die("reply without the sealed event");
        count->fetch_add(1, std::memory_order_relaxed);
        actor_appender(self, writer, first + 1, stop, count, live);
      },
      [=](caf::error& e) { die("append failed: " + self->system().render(e)); });
}

/// K appenders against the log-writer actor for `seconds`.
gc_result run_group_commit(const settings& s, std::size_t appenders, client_kind kind = client_kind::threads) {
  scratch_dir d(s.dir);
  storage::log_options o;
  o.data_dir = d.path + "/data";
  o.sync = s.sync ? storage::durability::fsync : storage::durability::os;
  auto log = storage::event_log::open(o);
  if (!log) die(log.error().to_string());

  gc_result res;
  actors::node_metrics metrics;
  {
    caf::actor_system_config cfg;
    // As the node configures it (node/node.cpp).
    cfg.set("scheduler.max-threads", static_cast<std::size_t>(std::max(2u, std::thread::hardware_concurrency())));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    if (s.caf_moderate_polls >= 0)
      cfg.set("work-stealing.moderate-poll-attempts", static_cast<std::size_t>(s.caf_moderate_polls));
    caf::actor_system sys{cfg};
    auto writer = actors::spawn_log_writer(sys, **log, device_id{"POS1"}, metrics);

    std::atomic<bool> go{false};
    std::atomic<bool> stop{false};
    std::vector<std::uint64_t> counts(appenders, 0);
    std::vector<std::vector<std::uint32_t>> lat(appenders);
    std::vector<std::thread> threads;
    std::atomic<std::uint64_t> actor_count{0};
    std::atomic<int> live{static_cast<int>(appenders)};
    if (kind == client_kind::actors) {
      const auto t0 = clock_type::now();
      for (std::size_t t = 0; t < appenders; ++t) {
        sys.spawn([&, t](caf::event_based_actor* self) {
          actor_appender(self, writer, t * 100'000'000ull, &stop, &actor_count, &live);
        });
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(s.seconds));  // the measured interval itself
      stop = true;
      const double elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
      const std::uint64_t at_stop = actor_count.load();
      const auto deadline = clock_type::now() + std::chrono::seconds(30);
      while (live.load() > 0 && clock_type::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (live.load() > 0) die("appender actors did not stop");
      res.rate = at_stop / elapsed;
      res.events = actor_count.load();
      caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
      appenders = 0;  // skip the thread path below
    }
    for (std::size_t t = 0; t < appenders; ++t) {
      threads.emplace_back([&, t] {
        caf::scoped_actor self{sys};
        std::uint64_t i = t * 100'000'000ull;
        lat[t].reserve(1 << 16);
        while (!go.load()) std::this_thread::yield();
        while (!stop.load(std::memory_order_relaxed)) {
          actors::append_local_request req;
          req.drafts.push_back(draft(i++));
          const auto t0 = clock_type::now();
          bool ok = false;
          self->request(writer, caf::infinite, actors::append_local_atom::value, std::move(req))
            .receive([&](actors::append_local_reply& r) { ok = r.sealed.size() == 1; },
                     [&](caf::error& e) { die("append failed: " + sys.render(e)); });
          if (!ok) die("reply without the sealed event");
          lat[t].push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0).count()));
          ++counts[t];
        }
      });
    }
    if (kind == client_kind::threads) {
    const auto t0 = clock_type::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(s.seconds));  // the measured interval itself
    stop = true;
    for (auto& th : threads) th.join();
    const double elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::uint64_t total = 0;
    std::vector<std::uint32_t> all;
    for (std::size_t t = 0; t < appenders; ++t) {
      total += counts[t];
      all.insert(all.end(), lat[t].begin(), lat[t].end());
    }
    res.rate = total / elapsed;
    res.events = total;
    std::sort(all.begin(), all.end());
    if (!all.empty()) {
      res.p50_us = all[all.size() / 2];
      res.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    }
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    }
    // The writer updates its metrics after answering: read them once it is gone.
    caf::scoped_actor{sys}->wait_for(writer);
    const auto batches = metrics.append_batches.load();
    res.mean_batch = batches ? double(metrics.events_appended_local.load()) / batches : 0;
    if (metrics.events_appended_local.load() != res.events) die("metrics disagree with the replies");
  }
  if ((*log)->size() != res.events) die("the log does not hold every acknowledged event");
  return res;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"bench_group_commit: the log-writer actor against raw RocksDB WriteBatches"};
  app.add_option("--seconds", s.seconds, "seconds per measurement");
  app.add_option("--rounds", s.rounds, "rounds (median reported)");
  app.add_option("--dir", s.dir, "where the scratch data dirs go");
  app.add_flag("!--no-sync", s.sync, "durability os instead of fsync");
  app.add_option("--only", s.only, "just this appender count (profiling)");
  app.add_flag("--no-raw", s.skip_raw, "skip the raw baseline (profiling)");
  app.add_option("--caf-moderate-polls", s.caf_moderate_polls, "CAF work-stealing moderate poll attempts (-1: default)");
  CLI11_PARSE(app, argc, argv);
  std::vector<std::size_t> ks{1, 8, 64};
  if (s.only) ks = {s.only};
  const auto bytes = sealed_bytes(4096);
  std::size_t total_bytes = 0;
  for (auto& b : bytes) total_bytes += b.size();
  std::printf("bench_group_commit: %zu-byte 1-line sale events, %s, %.1f s per measurement, %d rounds, dir %s\n",
              total_bytes / bytes.size(), s.sync ? "fsync" : "no sync", s.seconds, s.rounds, s.dir.c_str());

  struct row {
    std::vector<double> raw, gc, ratio, batch, p50, p99, act, act_ratio, act_batch;
  };
  std::vector<row> rows(ks.size());
  for (int r = 0; r < s.rounds; ++r) {
    for (std::size_t k = 0; k < ks.size(); ++k) {
      const double raw = s.skip_raw ? 1.0 : run_raw(s, bytes, ks[k]);
      const auto gc = run_group_commit(s, ks[k], client_kind::threads);
      const auto act = run_group_commit(s, ks[k], client_kind::actors);
      auto& w = rows[k];
      w.raw.push_back(raw);
      w.gc.push_back(gc.rate);
      w.ratio.push_back(gc.rate / raw);
      w.batch.push_back(gc.mean_batch);
      w.p50.push_back(gc.p50_us);
      w.p99.push_back(gc.p99_us);
      w.act.push_back(act.rate);
      w.act_ratio.push_back(act.rate / raw);
      w.act_batch.push_back(act.mean_batch);
      std::fprintf(stderr,
                   "  round %d K=%zu raw %.0f ev/s; threads %.0f ev/s (%.0f %%, batch %.1f); actors %.0f ev/s (%.0f %%, "
                   "batch %.1f)\n",
                   r + 1, ks[k], raw, gc.rate, 100 * gc.rate / raw, gc.mean_batch, act.rate, 100 * act.rate / raw,
                   act.mean_batch);
    }
  }
  std::printf("\n| appenders K | raw WriteBatch of K, ev/s | group commit, K threads, ev/s | ratio | events per commit | "
              "append p50 | append p99 | group commit, K actors, ev/s | ratio | events per commit |\n"
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t k = 0; k < ks.size(); ++k) {
    auto& w = rows[k];
    std::printf("| %zu | %.0f | %.0f | %.0f %% | %.1f | %.2f ms | %.2f ms | %.0f | %.0f %% | %.1f |\n", ks[k],
                median(w.raw), median(w.gc), 100 * median(w.ratio), median(w.batch), median(w.p50) / 1000,
                median(w.p99) / 1000, median(w.act), 100 * median(w.act_ratio), median(w.act_batch));
  }
  std::printf("(medians over %d rounds; ratio = median of the per-round rate / raw WriteBatch of K; target >= 70 %%)\n",
              s.rounds);
  return 0;
}
