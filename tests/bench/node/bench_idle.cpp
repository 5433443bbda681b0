// What an idle node costs, and what the idle-friendly scheduler costs a sale
// (issue 12 item 7). Not a test: prints figures and same-run ratios.
//
//   bench_idle [--seconds S] [--samples N] [--load-seconds L]
//
// For each actor scheduler: the baseline first (`--scheduler stealing-busy`:
// CAF's default work stealing, whose idle workers poll; what nodes ran before),
// then the default (`stealing`, tuned to sleep when idle) and `sharing`:
// (a) one node with no traffic: CPU (user + system, /proc/PID/stat) over S
//     seconds as % of one core, and RSS;
// (b) a store of three nodes with no traffic: each node's CPU over S seconds;
// (c) a sale's ack latency: one client, N sequential POST /v1/sales on a
//     keep-alive connection (fsync durability), p50 / p99;
// (d) POST /v1/sales throughput with 8 clients for L seconds.
// Wake-ups (context switches of every thread, per second) are printed beside
// CPU: they do not depend on how busy the rest of the machine is, CPU does
// (on an idle VM each wake-up costs more).
// The last line, for the default: idle_cpu_pct=… idle_rss_mb=…
// store_idle_cpu_pct_max=… store_idle_wakeups_max=… ack_p50_ms=…
// ack_p50_ratio=… sales_8_ratio=…
// (ratios: default / baseline).
#include <CLI/CLI.hpp>
#include <atomic>
#include <thread>

#include "tests/bench/node/bench_support.hpp"

using namespace sn::bench;
using sn::testing::node_process;

namespace {

struct settings {
  double seconds = 60;
  int samples = 500;
  double load_seconds = 5;
};

struct figures {
  double idle_cpu_pct = 0;
  double idle_wakeups = 0;        ///< per second, one idle node
  double store_wakeups_max = 0;   ///< per second, the busiest node of an idle store of 3
  double idle_rss_mb = 0;
  double store_cpu_pct_max = 0;
  double ack_p50_ms = 0, ack_p99_ms = 0;
  double sales_8 = 0;
};

/// CPU (% of one core) of each process over `seconds`, and its wake-ups
/// (context switches of all its threads) per second; returns the largest CPU.
double cpu_pct_over(const std::vector<pid_t>& pids, double seconds, std::vector<double>* each,
                    std::vector<double>* wakeups = nullptr) {
  std::vector<double> t0;
  std::vector<long> w0;
  for (pid_t p : pids) {
    t0.push_back(proc_cpu_seconds(p));
    w0.push_back(proc_context_switches(p));
  }
  const auto start = clock_type::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double wall = ms_since(start) / 1000.0;
  double max_pct = 0;
  for (std::size_t i = 0; i < pids.size(); ++i) {
    const double pct = (proc_cpu_seconds(pids[i]) - t0[i]) / wall * 100.0;
    if (each) each->push_back(pct);
    if (wakeups) wakeups->push_back(double(proc_context_switches(pids[i]) - w0[i]) / wall);
    max_pct = std::max(max_pct, pct);
  }
  return max_pct;
}

figures measure(const std::string& scheduler, const settings& s) {
  figures f;
  const std::vector<std::string> args{"--scheduler", scheduler};
  {
    sn::testing::temp_dir dir;
    node_process n(dir.path() / "a", {"A", 10, {}, args});
    if (!n.start()) die("node did not start: " + n.log_text());
    std::this_thread::sleep_for(std::chrono::seconds(2));  // past discovery and the first election
    std::vector<double> one_wakeups;
    f.idle_cpu_pct = cpu_pct_over({n.pid()}, s.seconds, nullptr, &one_wakeups);
    f.idle_wakeups = one_wakeups.at(0);
    f.idle_rss_mb = proc_status_kb(n.pid(), "VmRSS") / 1024.0;

    setup_shop(n, 10, 1'000'000);
    client c(n.http_port());
    std::vector<double> lat;
    for (int i = 0; i < s.samples; ++i) {
      const auto t0 = clock_type::now();
      auto r = c.post("/v1/sales", sale_body("SKU-" + std::to_string(i % 10)));
      if (!r || r->status != 201) die("sale failed");
      lat.push_back(ms_since(t0));
    }
    f.ack_p50_ms = percentile(lat, 50);
    f.ack_p99_ms = percentile(lat, 99);

    std::atomic<bool> go{false}, stop{false};
    std::atomic<std::uint64_t> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        client cl(n.http_port());
        while (!go.load()) std::this_thread::yield();
        std::uint64_t i = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          auto r = cl.post("/v1/sales", sale_body("SKU-" + std::to_string((t + i++) % 10)));
          if (r && r->status == 201) ok.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    const auto t0 = clock_type::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(s.load_seconds));
    stop = true;
    for (auto& t : threads) t.join();
    f.sales_8 = ok.load() / (ms_since(t0) / 1000.0);
  }
  {
    sn::testing::temp_dir dir;
    sn::testing::cluster c({{"A", 30}, {"B", 20}, {"C", 10}}, args);
    if (!c.start_all()) die("store did not start");
    if (!sn::testing::eventually([&] { return c.one_master(c.all()); }, std::chrono::seconds(20))) die("no master");
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::vector<double> each, wakeups;
    f.store_cpu_pct_max = cpu_pct_over({c[0].pid(), c[1].pid(), c[2].pid()}, s.seconds, &each, &wakeups);
    f.store_wakeups_max = *std::max_element(wakeups.begin(), wakeups.end());
    std::printf("  %-13s store of 3, idle CPU per node: %.2f%% %.2f%% %.2f%%; wake-ups/s %.0f %.0f %.0f\n",
                scheduler.c_str(), each[0], each[1], each[2], wakeups[0], wakeups[1], wakeups[2]);
  }
  std::printf("  %-13s one node: idle CPU %.2f%% of a core (%.0f wake-ups/s), RSS %.1f MB; ack p50 %.2f ms p99 %.2f ms; "
              "8 clients %.0f sales/s\n",
              scheduler.c_str(), f.idle_cpu_pct, f.idle_wakeups, f.idle_rss_mb, f.ack_p50_ms, f.ack_p99_ms, f.sales_8);
  return f;
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"bench_idle: idle CPU and RSS of a node per actor scheduler, against CAF's default polling"};
  app.add_option("--seconds", s.seconds, "idle measurement window (default 60)");
  app.add_option("--samples", s.samples, "sequential sales timed for ack latency");
  app.add_option("--load-seconds", s.load_seconds, "seconds of the 8-client throughput run");
  CLI11_PARSE(app, argc, argv);
  std::printf("bench_idle: %.0f s idle windows, %d ack samples, load average %s\n", s.seconds, s.samples,
              load_average().c_str());
  const figures base = measure("stealing-busy", s);
  const figures now = measure("stealing", s);
  const figures sharing = measure("sharing", s);
  for (const auto& [name, f] : {std::pair<const char*, const figures&>{"stealing", now}, {"sharing", sharing}}) {
    std::printf("%s / stealing-busy: idle CPU %.2f%% / %.2f%%, ack p50 x%.2f, p99 x%.2f, 8-client sales x%.2f\n", name,
                f.idle_cpu_pct, base.idle_cpu_pct, f.ack_p50_ms / base.ack_p50_ms, f.ack_p99_ms / base.ack_p99_ms,
                f.sales_8 / base.sales_8);
  }
  std::printf("idle_cpu_pct=%.2f idle_rss_mb=%.1f store_idle_cpu_pct_max=%.2f store_idle_wakeups_max=%.0f "
              "ack_p50_ms=%.3f ack_p50_ratio=%.2f sales_8_ratio=%.2f\n",
              now.idle_cpu_pct, now.idle_rss_mb, now.store_cpu_pct_max, now.store_wakeups_max, now.ack_p50_ms,
              now.ack_p50_ms / base.ack_p50_ms, now.sales_8 / base.sales_8);
  return 0;
}
