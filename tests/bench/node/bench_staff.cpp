// Staff benchmark (not a test) of real storenode processes (issue 10 item 10):
//
//   bench_staff [--sign-ins N] [--sales N] [--rounds R] [--clients C] [--baseline PATH]
//
// (a) Sign-in: N sequential POST /v1/sessions of a cashier on a keep-alive
//     connection (p50 / p99 / max): one Argon2id verify of the stored PIN
//     hash (staff.pin_hash_* defaults) plus the staff.signed_in append.
// (b) POST /v1/sales with a token against the same without authentication,
//     in the same run: this build's node (every request carries
//     `Authorization: Bearer`, looked up, checked against the permission
//     table, the sale attributed) and, with --baseline, a node of a build
//     from before staff (no sessions at all) on its own data dir. R rounds,
//     alternating the two nodes so that the machine's noise falls on both;
//     each round: N sequential one-line cash sales (latency p50 / p99) and
//     C clients posting back to back for the same number of sales
//     (throughput). Printed per round and as the median of the rounds, with
//     the ratio token / baseline. Without --baseline only the token side is
//     measured (authentication cannot be turned off in a build with staff).
// Both nodes run with their defaults (fsync durability, 8 HTTP threads).
#include <CLI/CLI.hpp>
#include <atomic>
#include <thread>

#include "tests/bench/node/bench_support.hpp"

using namespace sn::bench;
using sn::testing::node_process;

namespace {

struct settings {
  int sign_ins = 100;
  int sales = 2000;
  int rounds = 7;
  int clients = 8;
  int skus = 20;
  std::string baseline;  // a storenode built before staff; empty: none
};

struct round_figures {
  double p50_ms = 0, p99_ms = 0, rate = 0;
};

/// N sequential sales on one keep-alive connection, then `clients` threads
/// posting `sales` more between them; every answer must be a 201.
round_figures sales_round(int port, const settings& s, int round) {
  round_figures f;
  client c(port);
  std::vector<double> lat;
  lat.reserve(static_cast<std::size_t>(s.sales));
  for (int i = 0; i < s.sales; ++i) {
    const auto t0 = clock_type::now();
    auto r = c.post("/v1/sales", sale_body("SKU-" + std::to_string((round + i) % s.skus)));
    if (!r || r->status != 201)
      die("POST /v1/sales: " + (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error())));
    lat.push_back(ms_since(t0));
  }
  f.p50_ms = percentile(lat, 50);
  f.p99_ms = percentile(lat, 99);
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  const auto t0 = clock_type::now();
  for (int t = 0; t < s.clients; ++t) {
    threads.emplace_back([&, t] {
      client ct(port);
      for (int i = next++; i < s.sales; i = next++) {
        auto r = ct.post("/v1/sales", sale_body("SKU-" + std::to_string((t + i) % s.skus)));
        if (!r || r->status != 201) failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  if (failed) die("a concurrent POST /v1/sales failed");
  f.rate = s.sales / (ms_since(t0) / 1000);
  return f;
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"bench_staff: sign-in latency and the cost of a session token on POST /v1/sales"};
  app.add_option("--sign-ins", s.sign_ins, "sequential sign-ins timed");
  app.add_option("--sales", s.sales, "sales per round and side (sequential, then concurrent)");
  app.add_option("--rounds", s.rounds, "alternating rounds of token and baseline");
  app.add_option("--clients", s.clients, "concurrent clients of the throughput part");
  app.add_option("--baseline", s.baseline, "storenode built before staff (no authentication) to compare with");
  CLI11_PARSE(app, argc, argv);

  sn::testing::temp_dir dir;
  sn::testing::node_options o;
  o.device_id = "POS1";
  node_process n(dir.path() / "staff", o);
  if (!n.start()) die("storenode did not start:\n" + n.log_text());
  if (n.token().empty()) die("the harness admin could not sign in:\n" + n.log_text());
  setup_shop(n, s.skus, 1'000'000);
  std::printf("bench_staff: storenode defaults (fsync, 8 HTTP threads), load average %s\n", load_average().c_str());

  // (a) Sign-in.
  {
    client admin(n.http_port());
    auto r = admin.post("/v1/staff", R"({"staff_id":"anna","name":"Anna","role":"cashier","pin":"4711"})");
    if (!r || r->status != 201) die("POST /v1/staff: " + (r ? r->body : httplib::to_string(r.error())));
    httplib::Client c("127.0.0.1", n.http_port());
    c.set_keep_alive(true);
    c.set_tcp_nodelay(true);
    c.set_read_timeout(20, 0);
    std::vector<double> lat;
    const std::string body = R"({"staff_id":"anna","pin":"4711"})";
    for (int i = 0; i < s.sign_ins; ++i) {
      const auto t0 = clock_type::now();
      auto res = c.Post("/v1/sessions", body, "application/json");
      if (!res || res->status != 201) die("POST /v1/sessions: " + (res ? res->body : httplib::to_string(res.error())));
      lat.push_back(ms_since(t0));
    }
    std::printf(
        "\n| sign-in (POST /v1/sessions), %d sequential | p50 | p99 | max |\n|---|---:|---:|---:|\n"
        "| Argon2id verify + staff.signed_in | %.1f ms | %.1f ms | %.1f ms |\n",
        s.sign_ins, percentile(lat, 50), percentile(lat, 99), percentile(lat, 100));
    std::fflush(stdout);
  }

  // (b) POST /v1/sales with a token against the baseline without authentication.
  std::unique_ptr<node_process> base;
  if (!s.baseline.empty()) {
    sn::testing::node_options bo;
    bo.device_id = "POS9";
    bo.admin_pin = false;
    base = std::make_unique<node_process>(dir.path() / "baseline", bo);
    base->use_binary(s.baseline);
    if (!base->start()) die("baseline storenode did not start:\n" + base->log_text());
    if (!admin_token(base->http_port()).empty()) die("--baseline has sessions: give a build from before staff");
    setup_shop(*base, s.skus, 1'000'000);
  }
  std::printf(
      "\n| round | token p50 | token p99 | token sales/s (%d clients) | baseline p50 | baseline p99 | baseline sales/s "
      "|\n"
      "|---:|---:|---:|---:|---:|---:|---:|\n",
      s.clients);
  std::vector<double> tp50, tp99, trate, bp50, bp99, brate;
  for (int round = 0; round < s.rounds; ++round) {
    // Alternate which side goes first so that neither always follows the other's fsyncs.
    round_figures t, b;
    if (base && round % 2 == 1) b = sales_round(base->http_port(), s, round);
    t = sales_round(n.http_port(), s, round);
    if (base && round % 2 == 0) b = sales_round(base->http_port(), s, round);
    tp50.push_back(t.p50_ms);
    tp99.push_back(t.p99_ms);
    trate.push_back(t.rate);
    if (base) {
      bp50.push_back(b.p50_ms);
      bp99.push_back(b.p99_ms);
      brate.push_back(b.rate);
      std::printf("| %d | %.2f ms | %.2f ms | %.0f | %.2f ms | %.2f ms | %.0f |\n", round + 1, t.p50_ms, t.p99_ms,
                  t.rate, b.p50_ms, b.p99_ms, b.rate);
    } else {
      std::printf("| %d | %.2f ms | %.2f ms | %.0f | – | – | – |\n", round + 1, t.p50_ms, t.p99_ms, t.rate);
    }
    std::fflush(stdout);
  }
  if (base) {
    std::printf("| **median** | **%.2f ms** | %.2f ms | **%.0f** | **%.2f ms** | %.2f ms | **%.0f** |\n", median(tp50),
                median(tp99), median(trate), median(bp50), median(bp99), median(brate));
    std::printf("\ntoken / baseline: p50 %+.1f %%, p99 %+.1f %%, throughput %+.1f %% (goal: within 10 %%)\n",
                100 * (median(tp50) / median(bp50) - 1), 100 * (median(tp99) / median(bp99) - 1),
                100 * (median(trate) / median(brate) - 1));
  } else {
    std::printf("| **median** | **%.2f ms** | %.2f ms | **%.0f** | | | |\n(no --baseline: nothing to compare with)\n",
                median(tp50), median(tp99), median(trate));
  }
  std::printf("load average at the end %s\n", load_average().c_str());
  return 0;
}
