// HTTP benchmark (not a test) of one real storenode process (issue 3):
//
//   bench_http [--seconds S] [--samples N] [--durability fsync|os] [--http-threads T] [--storenode PATH]
//              [--create-store]
//
// (a) Sales per second through POST /v1/sales with 1, 8 and 32 concurrent
//     clients, each a thread with its own keep-alive httplib::Client, posting
//     one-line cash sales back to back for S seconds (only 201s count). In the
//     same run, the HTTP limit: GET /healthz from the same number of clients
//     (same server threads, no actors, no disk), printed as the ratio.
// (b) POST /v1/sales to projection-visible latency: one client posts a sale,
//     takes the receipt from the 201 and polls GET /v1/sales/{receipt} on a
//     second keep-alive connection until it answers 200; the latency is from
//     just before the POST to that 200 (N sequential samples; p50/p99). The
//     POST's own round trip (durable ack) is printed beside it.
// The node runs with its defaults (fsync durability, 8 HTTP threads) on a
// temp data dir; 50 products with 1,000,000 units each.
#include <CLI/CLI.hpp>
#include <atomic>
#include <thread>

#include "tests/bench/node/bench_support.hpp"

using namespace sn::bench;
using sn::testing::node_process;

namespace {

struct settings {
  double seconds = 5;
  int samples = 500;
  std::string durability = "fsync";
  int http_threads = 0;  // 0: the node's default
  int skus = 50;
  std::string storenode;  // empty: this build's
};

struct rate_result {
  double rate = 0;
  double p50_ms = 0, p99_ms = 0;
  std::uint64_t failures = 0;
};

/// `clients` threads issuing `op` back to back for `seconds`.
template <typename Op>
rate_result hammer(int port, int clients, double seconds, Op op) {
  std::atomic<bool> go{false}, stop{false};
  std::vector<std::uint64_t> ok(clients, 0), bad(clients, 0);
  std::vector<std::vector<double>> lat(clients);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      client c(port);
      std::uint64_t i = 0;
      while (!go.load()) std::this_thread::yield();
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = clock_type::now();
        if (op(c, t, i++)) {
          ++ok[t];
          lat[t].push_back(ms_since(t0));
        } else {
          ++bad[t];
        }
      }
    });
  }
  const auto t0 = clock_type::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measured interval itself
  stop = true;
  for (auto& th : threads) th.join();
  const double elapsed = ms_since(t0) / 1000;
  rate_result r;
  std::uint64_t total = 0;
  std::vector<double> all;
  for (int t = 0; t < clients; ++t) {
    total += ok[t];
    r.failures += bad[t];
    all.insert(all.end(), lat[t].begin(), lat[t].end());
  }
  r.rate = total / elapsed;
  r.p50_ms = percentile(all, 50);
  r.p99_ms = percentile(all, 99);
  return r;
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"bench_http: sales through the HTTP API of a real node"};
  app.add_option("--seconds", s.seconds, "seconds per client count");
  app.add_option("--samples", s.samples, "sales timed for visibility latency");
  app.add_option("--durability", s.durability, "fsync or os")->check(CLI::IsMember({"fsync", "os"}));
  app.add_option("--http-threads", s.http_threads, "node HTTP threads (0: the default)");
  app.add_option("--storenode", s.storenode, "storenode binary (default: this build's)");
  bool create_store = false;
  app.add_flag("--create-store", create_store,
               "start the node with --create-store (a store's device: its own events are signed, issue 9)");
  bool unenrolled = false;
  app.add_flag("--unenrolled", unenrolled,
               "start a fresh node without --create-store (a binary from before issue 9, e.g. a baseline)");
  CLI11_PARSE(app, argc, argv);
  sn::testing::temp_dir dir;
  sn::testing::node_options o;
  o.device_id = "POS1";
  o.extra_args = {"--durability", s.durability};
  if (create_store) o.extra_args.push_back("--create-store");
  o.enroll_if_fresh = !unenrolled;
  if (s.http_threads > 0) {
    o.extra_args.push_back("--http-threads");
    o.extra_args.push_back(std::to_string(s.http_threads));
  }
  node_process n(dir.path() / "data", o);
  n.use_binary(s.storenode);
  if (!n.start()) die("storenode did not start:\n" + n.log_text());
  setup_shop(n, s.skus, 1'000'000);
  std::printf("bench_http: storenode --durability %s%s, %.1f s per measurement, load average %s\n",
              s.durability.c_str(), s.http_threads ? (" --http-threads " + std::to_string(s.http_threads)).c_str() : "",
              s.seconds, load_average().c_str());

  // (a) throughput.
  std::printf("\n| clients | POST /v1/sales, sales/s | POST p50 | POST p99 | GET /healthz, req/s | ratio | node CPU, cores |\n"
              "|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int clients : {1, 8, 32}) {
    const auto health = hammer(n.http_port(), clients, s.seconds / 2, [](client& c, int, std::uint64_t) {
      auto r = c.get("/healthz");
      return r && r->status == 200;
    });
    const double cpu0 = proc_cpu_seconds(n.pid());
    const auto sales = hammer(n.http_port(), clients, s.seconds, [&](client& c, int t, std::uint64_t i) {
      auto r = c.post("/v1/sales", sale_body("SKU-" + std::to_string((t * 7 + i) % s.skus)));
      if (r && r->status == 201) return true;
      static std::atomic<int> reported{0};
      if (reported.fetch_add(1) < 3) {
        std::fprintf(stderr, "  POST failed: %s\n",
                     r ? (std::to_string(r->status) + " " + r->body).c_str() : httplib::to_string(r.error()).c_str());
      }
      return false;
    });
    const double cores = (proc_cpu_seconds(n.pid()) - cpu0) / s.seconds;
    if (sales.failures) std::fprintf(stderr, "  %d clients: %llu failed POSTs\n", clients, (unsigned long long)sales.failures);
    std::printf("| %d | %.0f | %.2f ms | %.2f ms | %.0f | %.1f %% | %.2f |\n", clients, sales.rate, sales.p50_ms,
                sales.p99_ms, health.rate, 100 * sales.rate / health.rate, cores);
    std::fflush(stdout);
  }

  // (b) POST to projection-visible latency.
  client poster(n.http_port()), poller(n.http_port());
  std::vector<double> ack, visible;
  std::uint64_t polls = 0;
  for (int i = 0; i < s.samples; ++i) {
    const auto t0 = clock_type::now();
    auto r = poster.post("/v1/sales", sale_body("SKU-" + std::to_string(i % s.skus)));
    if (!r || r->status != 201) die("POST /v1/sales failed: " + (r ? r->body : httplib::to_string(r.error())));
    ack.push_back(ms_since(t0));
    const std::string receipt = json::parse(r->body).at("receipt");
    const std::string path = "/v1/sales/" + receipt;
    const auto deadline = clock_type::now() + std::chrono::seconds(10);
    for (;;) {
      ++polls;
      auto g = poller.get(path);
      if (g && g->status == 200) break;
      if (clock_type::now() > deadline) die("sale " + receipt + " never became visible");
    }
    visible.push_back(ms_since(t0));
  }
  std::printf("\nPOST /v1/sales to projection-visible (GET /v1/sales/{receipt} = 200), %d sequential sales, %.2f polls "
              "per sale:\n\n| measurement | p50 | p99 | max |\n|---|---:|---:|---:|\n",
              s.samples, double(polls) / s.samples);
  std::printf("| POST → 201 (durable ack) | %.2f ms | %.2f ms | %.2f ms |\n", percentile(ack, 50), percentile(ack, 99),
              percentile(ack, 100));
  std::printf("| POST → visible in the sales projection | %.2f ms | %.2f ms | %.2f ms |\n", percentile(visible, 50),
              percentile(visible, 99), percentile(visible, 100));
  std::printf("(load average at the end: %s)\n", load_average().c_str());
  n.stop();
  return 0;
}
