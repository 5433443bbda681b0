// bench_startup: start-up time and memory of a node on a data dir with
// history (issue 12: the command side used to replay the whole log into a
// full in-memory copy of every view at every start).
//
// 1. Writes a data dir of --events (default 1,000,000) chained, sealed
//    sale.completed events of the node's own origin (as bench_sync does),
//    durability os.
// 2. Starts this build's storenode once so its projections fold the log
//    (first start: the projections' own catch-up, not what is measured),
//    stops it (SIGTERM).
// 3. --runs times, for this build and for --before (another build's
//    storenode, e.g. main's, on the same data dir): start, time until
//    /healthz answers (start-up to serving HTTP), VmRSS 2 s later and VmHWM,
//    a sale (receipt numbering continues), stop. Medians.
// Usage: bench_startup [--events N] [--runs K] [--before PATH]
#include <CLI/CLI.hpp>

#include <thread>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"
#include "storage/event_log.hpp"
#include "tests/bench/node/bench_support.hpp"

using namespace sn::bench;
using sn::testing::node_process;

namespace {

void write_log(const std::string& dir, const std::string& origin, std::size_t n) {
  sn::storage::log_options o;
  o.data_dir = dir;
  o.sync = sn::storage::durability::os;
  auto log = sn::storage::event_log::open(o);
  if (!log) die(log.error().to_string());
  std::vector<sn::event> batch;
  sn::hash256 prev{};
  for (std::size_t i = 0; i < n; ++i) {
    sn::sale_completed s;
    s.receipt = "BULK-" + std::to_string(1000000 + i);
    s.business_day = "2025-11-24";
    const int lines = 1 + static_cast<int>(i % 3);
    for (int l = 0; l < lines; ++l) {
      sn::sale_line line;
      line.sku = "SKU-" + std::to_string((i * 7 + l) % 2000);
      line.qty = 1 + l;
      line.unit_price_cents = 199 + 100 * l;
      line.tax_rate_bp = 700;
      line.tax_cents = 13 * (l + 1);
      s.lines.push_back(line);
      s.gross_cents += line.qty * line.unit_price_cents;
      s.tax_cents += line.tax_cents;
    }
    s.total_cents = s.gross_cents;
    s.payments.push_back(sn::payment{"card", s.total_cents});
    auto e = sn::make_event(sn::device_id{origin}, sn::origin_seq{i + 1},
                            sn::hlc_timestamp::from_parts(1'764'000'000'000 + i, 0), sn::term_id{1}, s);
    e.prev_hash = prev;
    sn::seal(e);
    prev = e.hash;
    batch.push_back(std::move(e));
    if (batch.size() == 1000 || i + 1 == n) {
      auto r = (*log)->append(batch, {}, sn::storage::append_options{batch.size()});
      if (!r || r->appended != batch.size()) die("building the log failed");
      batch.clear();
    }
  }
}

struct run {
  double healthy_ms = 0;
  long rss_kb = 0, hwm_kb = 0;
};

run measure(node_process& n) {
  run r;
  const auto t0 = clock_type::now();
  if (!n.start(false)) die("did not start");
  while (!n.healthy()) {
    if (n.exited()) die("exited:\n" + n.log_text());
    if (ms_since(t0) > 600000) die("not healthy after 10 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.healthy_ms = ms_since(t0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  r.rss_kb = proc_status_kb(n.pid(), "VmRSS");
  r.hwm_kb = proc_status_kb(n.pid(), "VmHWM");
  if (!n.stop()) die("did not stop");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t events = 1'000'000;
  int runs = 3;
  std::string before;
  CLI::App app{"bench_startup: start-up time and RSS of a node on a data dir with history"};
  app.add_option("--events", events, "events in the data dir");
  app.add_option("--runs", runs, "starts measured per build");
  app.add_option("--before", before, "another build's storenode binary to compare with");
  CLI11_PARSE(app, argc, argv);
  std::printf("bench_startup: %zu events, load average %s\n", events, load_average().c_str());
  sn::testing::temp_dir dir;
  const auto data = dir.path() / "data";
  auto t = clock_type::now();
  write_log(data.string(), "A1", events);
  std::printf("  wrote the log in %.1f s\n", ms_since(t) / 1000);
  sn::testing::node_options o;
  o.device_id = "A1";
  {
    node_process first(data, o);
    t = clock_type::now();
    if (!first.start()) die("first start failed:\n" + first.log_text());
    client c(first.http_port());
    for (;;) {
      auto s = c.get_json("/v1/status");
      if (s.contains("projections") && s["projections"].value("lag", -1L) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::printf("  first start (projections fold the log) %.1f s\n", ms_since(t) / 1000);
    if (!first.stop()) die("first stop failed");
  }
  std::vector<std::pair<std::string, std::string>> builds;
  if (!before.empty()) builds.emplace_back("before", before);
  builds.emplace_back("this build", "");
  for (const auto& [label, binary] : builds) {
    std::vector<double> ms, rss, hwm;
    for (int i = 0; i < runs; ++i) {
      node_process n(data, o);
      if (!binary.empty()) n.use_binary(binary);
      const run r = measure(n);
      ms.push_back(r.healthy_ms);
      rss.push_back(r.rss_kb / 1024.0);
      hwm.push_back(r.hwm_kb / 1024.0);
      std::printf("  %-10s run %d: serving after %.0f ms, VmRSS %.0f MB, VmHWM %.0f MB\n", label.c_str(), i,
                  r.healthy_ms, r.rss_kb / 1024.0, r.hwm_kb / 1024.0);
    }
    std::printf("%-10s median: start-up to serving HTTP %.0f ms, VmRSS %.0f MB, VmHWM %.0f MB\n", label.c_str(),
                percentile(ms, 50), percentile(rss, 50), percentile(hwm, 50));
  }
  return 0;
}
