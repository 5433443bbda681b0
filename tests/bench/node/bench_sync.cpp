// Sync benchmark (not a test) of real storenode processes on loopback (issue 4):
//
//   bench_sync [--events N] [--live-sales M] [--live-rate R] [--keep-going]
//
// 1. Catch-up: node A's data dir is written before A starts with N (default
//    1,000,000) chained, sealed sale.completed events of A's own origin
//    (sn::make_event + sn::seal; 1-3 lines, ~180 B), appended through
//    storage::event_log in batches of 1000 with durability os. A starts and
//    folds them into its projections; then an empty node B starts with
//    --peer A. Measured: from B's fork to B's /v1/status version_vector equal
//    to A's (every event durable in B's log, verified and chained), polled
//    every 50 ms; then until B's projections have applied them too. B's
//    VmRSS (sampled at every poll) and VmHWM (/proc/<pid>/status).
//    Baselines in the same run, on the same bytes: raw ZeroMQ PUSH->PULL over
//    tcp loopback, 1000 events framed per message (how catch-up batches), and
//    raw RocksDB WriteBatches of 1000 events with sync=true (storage/testing.hpp
//    raw_writer: the durable-append limit of B's disk).
// 2. Live replication latency: M sales (default 300) POSTed to A at R per
//    second (default 20); for each, from just before the POST on A to
//    GET /v1/sales/{receipt} on B answering 200 (B polled back to back on a
//    keep-alive connection). p50 / p99 / max.
#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include <atomic>
#include <thread>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"
#include "storage/event_log.hpp"
#include "storage/keys.hpp"
#include "storage/testing.hpp"
#include "tests/bench/node/bench_support.hpp"

using namespace sn::bench;
using sn::testing::node_process;

namespace {

constexpr std::size_t batch_events = 1000;  // catch-up batch size (sync.batch-events-max default)

struct settings {
  std::size_t events = 1'000'000;
  int live_sales = 300;
  double live_rate = 20;
};

/// N chained, sealed sales of `origin`, encoded.
std::vector<std::string> make_log(const std::string& origin, std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  sn::hash256 prev{};
  for (std::size_t i = 0; i < n; ++i) {
    sn::sale_completed s;
    s.receipt = "BULK-" + std::to_string(1000000 + i);  // never a receipt number the node hands out
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
    out.push_back(sn::encode(e));
  }
  return out;
}

/// Writes the events into a new event log at `dir` (durability os, batches of 1000).
void write_log(const std::string& dir, const std::vector<std::string>& bytes) {
  sn::storage::log_options o;
  o.data_dir = dir;
  o.sync = sn::storage::durability::os;
  auto log = sn::storage::event_log::open(o);
  if (!log) die(log.error().to_string());
  std::vector<sn::event> batch;
  for (std::size_t i = 0; i < bytes.size(); i += batch_events) {
    batch.clear();
    for (std::size_t j = i; j < std::min(bytes.size(), i + batch_events); ++j) {
      auto e = sn::decode(bytes[j]);
      if (!e) die("decode: " + e.error().to_string());
      batch.push_back(std::move(*e));
    }
    auto r = (*log)->append(batch, {}, sn::storage::append_options{batch.size()});
    if (!r || r->appended != batch.size()) die("building the log failed");
  }
}

/// Raw ZeroMQ PUSH->PULL over tcp loopback, 1000 events (4-byte length + bytes each) per message: events/s.
double raw_zmq(const std::vector<std::string>& bytes) {
  std::vector<std::string> frames;
  for (std::size_t i = 0; i < bytes.size(); i += batch_events) {
    std::string f;
    for (std::size_t j = i; j < std::min(bytes.size(), i + batch_events); ++j) {
      const auto len = static_cast<std::uint32_t>(bytes[j].size());
      f.append(reinterpret_cast<const char*>(&len), 4);
      f += bytes[j];
    }
    frames.push_back(std::move(f));
  }
  zmq::context_t ctx(1);
  zmq::socket_t pull(ctx, zmq::socket_type::pull);
  pull.set(zmq::sockopt::linger, 0);
  pull.bind("tcp://127.0.0.1:*");
  const std::string endpoint = pull.get(zmq::sockopt::last_endpoint);
  std::atomic<bool> connected{false};
  clock_type::time_point t0;
  std::thread sender([&] {
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, -1);
    push.connect(endpoint);
    // One warm-up frame so that the connection exists before timing.
    push.send(zmq::buffer(std::string("w")), zmq::send_flags::none);
    while (!connected.load()) std::this_thread::yield();
    t0 = clock_type::now();
    for (auto& f : frames) push.send(zmq::buffer(f), zmq::send_flags::none);
  });
  zmq::message_t m;
  if (!pull.recv(m)) die("zmq warm-up");
  connected = true;
  std::size_t events = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (!pull.recv(m)) die("zmq recv");
    // Walk the frame as a receiver must (count events).
    const char* p = static_cast<const char*>(m.data());
    const char* end = p + m.size();
    while (p + 4 <= end) {
      std::uint32_t len;
      std::memcpy(&len, p, 4);
      p += 4 + len;
      ++events;
    }
  }
  const double secs = ms_since(t0) / 1000;
  sender.join();
  if (events != bytes.size()) die("zmq lost events");
  return events / secs;
}

/// Raw synced RocksDB WriteBatches of 1000 events on a fresh dir: events/s.
double raw_rocksdb(const std::string& dir, const std::vector<std::string>& bytes) {
  sn::storage::log_options o;
  o.data_dir = dir;
  auto w = sn::storage::testing::raw_writer::open(o);
  if (!w) die(w.error().to_string());
  std::vector<std::string> keys;
  std::vector<std::pair<std::string_view, std::string_view>> kvs;
  const auto t0 = clock_type::now();
  for (std::size_t i = 0; i < bytes.size(); i += batch_events) {
    keys.clear();
    kvs.clear();
    for (std::size_t j = i; j < std::min(bytes.size(), i + batch_events); ++j) keys.push_back(sn::storage::keys::position_key(j + 1));
    for (std::size_t j = i; j < std::min(bytes.size(), i + batch_events); ++j) kvs.emplace_back(keys[j - i], bytes[j]);
    if (auto st = (*w)->write(kvs, true); !st) die(st.error().to_string());
  }
  return bytes.size() / (ms_since(t0) / 1000);
}

/// True when `status`'s version vector holds at least `want` for every origin of `want`
/// (B also holds its own device.registered event, which A's snapshot predates).
bool holds(const json& status, const json& want) {
  if (!status.contains("version_vector")) return false;
  const auto& vv = status["version_vector"];
  for (auto& [origin, seq] : want.items()) {
    if (!vv.contains(origin) || vv[origin].get<std::uint64_t>() < seq.get<std::uint64_t>()) return false;
  }
  return true;
}

std::uint64_t vv_total(const json& status) {
  std::uint64_t n = 0;
  if (status.contains("version_vector"))
    for (auto& [k, v] : status["version_vector"].items()) n += v.get<std::uint64_t>();
  return n;
}

/// Projection lag from /v1/status (0 when caught up); -1 if absent.
long projection_lag(const json& status) {
  if (!status.contains("projections") || !status["projections"].contains("lag")) return -1;
  return status["projections"]["lag"].get<long>();
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"bench_sync: catch-up and live replication between two real nodes"};
  app.add_option("--events", s.events, "events to catch up");
  app.add_option("--live-sales", s.live_sales, "sales timed for live replication");
  app.add_option("--live-rate", s.live_rate, "live sales per second");
  CLI11_PARSE(app, argc, argv);
  std::printf("bench_sync: %zu events, load average %s\n", s.events, load_average().c_str());
  sn::testing::temp_dir dir;

  // --- build A's log ------------------------------------------------------
  auto t = clock_type::now();
  const auto bytes = make_log("A1", s.events);
  std::size_t total_bytes = 0;
  for (auto& b : bytes) total_bytes += b.size();
  std::fprintf(stderr, "  made %zu events (%.0f B mean) in %.1f s\n", bytes.size(), double(total_bytes) / bytes.size(),
               ms_since(t) / 1000);
  t = clock_type::now();
  write_log((dir.path() / "a").string(), bytes);
  std::fprintf(stderr, "  wrote A's log in %.1f s\n", ms_since(t) / 1000);

  // --- baselines ------------------------------------------------------------
  const double zmq_rate = raw_zmq(bytes);
  std::fprintf(stderr, "  raw zmq %.0f ev/s\n", zmq_rate);
  const double rocks_rate = raw_rocksdb((dir.path() / "raw").string(), bytes);
  std::fprintf(stderr, "  raw rocksdb %.0f ev/s\n", rocks_rate);
  std::filesystem::remove_all(dir.path() / "raw");

  // --- A ------------------------------------------------------------------------
  sn::testing::node_options ao;
  ao.device_id = "A1";
  ao.priority = 2;
  ao.extra_args = {"--create-store"};  // its log was written above: it creates the store over it (issue 9)
  node_process a(dir.path() / "a", ao);
  t = clock_type::now();
  if (!a.start()) die("A did not start:\n" + a.log_text());
  client ac(a.http_port());
  json a_status;
  // A folds its 1M events into its projections first: wait so B's catch-up has the CPU.
  const auto a_deadline = clock_type::now() + std::chrono::minutes(5);
  for (;;) {
    a_status = ac.get_json("/v1/status");
    if (vv_total(a_status) >= s.events && projection_lag(a_status) == 0) break;
    if (clock_type::now() > a_deadline) die("A never caught up its projections: " + a_status.dump());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fprintf(stderr, "  A up with projections current after %.1f s\n", ms_since(t) / 1000);
  const auto a_vv = a_status["version_vector"];
  const long a_rss = proc_status_kb(a.pid(), "VmRSS"), a_hwm = proc_status_kb(a.pid(), "VmHWM");

  // --- B catches up ---------------------------------------------------------------
  sn::testing::node_options bo;
  bo.device_id = "B1";
  bo.priority = 1;
  bo.peers = {a.bind()};
  node_process b(dir.path() / "b", bo);
  b.sponsor = &a;  // joins the store with a code from A's admin (issue 9)
  const auto t0 = clock_type::now();
  if (!b.start(false)) die("B did not start");
  client bc(b.http_port());
  long rss_max = 0, rss_start = -1;
  double healthy_ms = -1, first_event_ms = -1, caught_up_ms = -1, projected_ms = -1;
  const double a_cpu0 = proc_cpu_seconds(a.pid());
  double b_cpu_at_catch_up = 0, a_cpu_at_catch_up = 0;
  const auto deadline = t0 + std::chrono::minutes(5);
  while (clock_type::now() < deadline) {
    rss_max = std::max(rss_max, proc_status_kb(b.pid(), "VmRSS"));
    auto st = bc.get_json("/v1/status");
    if (!st.is_null()) {
      if (healthy_ms < 0) {
        healthy_ms = ms_since(t0);
        rss_start = proc_status_kb(b.pid(), "VmRSS");
      }
      const auto n = vv_total(st);
      if (first_event_ms < 0 && n > 0) first_event_ms = ms_since(t0);
      if (caught_up_ms < 0 && holds(st, a_vv)) {
        caught_up_ms = ms_since(t0);
        b_cpu_at_catch_up = proc_cpu_seconds(b.pid());
        a_cpu_at_catch_up = proc_cpu_seconds(a.pid()) - a_cpu0;
      }
      if (caught_up_ms >= 0 && projection_lag(st) == 0) {
        projected_ms = ms_since(t0);
        break;
      }
    }
    if (b.exited()) die("B exited:\n" + b.log_text());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (projected_ms < 0) die("B did not catch up within 5 minutes: " + bc.get_json("/v1/status").dump());
  const long hwm = proc_status_kb(b.pid(), "VmHWM");
  const long rss_end = proc_status_kb(b.pid(), "VmRSS");
  const double catchup_rate = s.events / ((caught_up_ms - first_event_ms) / 1000);
  const double catchup_rate_wall = s.events / (caught_up_ms / 1000);

  std::printf("\nCatch-up of %zu events (%.0f B mean, %.0f MB) from A to an empty B over loopback:\n\n", s.events,
              double(total_bytes) / s.events, total_bytes / 1e6);
  std::printf("| measurement | figure |\n|---|---:|\n");
  std::printf("| B spawned → /v1/status answers | %.0f ms |\n", healthy_ms);
  std::printf("| B spawned → first event held | %.0f ms |\n", first_event_ms);
  std::printf("| B spawned → B's version vector covers A's | %.2f s |\n", caught_up_ms / 1000);
  std::printf("| B spawned → projections caught up too | %.2f s |\n", projected_ms / 1000);
  std::printf("| **catch-up rate** (first event → equal version vectors) | **%.0f ev/s** |\n", catchup_rate);
  std::printf("| catch-up rate from B's spawn | %.0f ev/s |\n", catchup_rate_wall);
  std::printf("| raw ZeroMQ PUSH→PULL, 1000 events per message | %.0f ev/s (catch-up = %.1f %%) |\n", zmq_rate,
              100 * catchup_rate / zmq_rate);
  std::printf("| raw RocksDB WriteBatch of 1000, sync | %.0f ev/s (catch-up = %.1f %%) |\n", rocks_rate,
              100 * catchup_rate / rocks_rate);
  std::printf("| CPU used until caught up: B / A | %.1f s / %.1f s |\n", b_cpu_at_catch_up, a_cpu_at_catch_up);
  std::printf("| B memory: VmRSS when it first answered / max VmRSS sampled / VmHWM / VmRSS after | %.0f / %.0f / %.0f / %.0f MB |\n",
              rss_start / 1024.0, rss_max / 1024.0, hwm / 1024.0, rss_end / 1024.0);
  std::printf("| A memory after folding the same events at start-up (no sync): VmRSS / VmHWM | %.0f / %.0f MB |\n",
              a_rss / 1024.0, a_hwm / 1024.0);
  std::printf("(target: catch-up >= 200,000 ev/s; load average now %s)\n", load_average().c_str());
  std::fflush(stdout);

  // --- live replication latency -------------------------------------------------------
  setup_shop(a, 5, 1'000'000);
  client poster(a.http_port()), poller(b.http_port());
  // The products must be on B before its projection can show the sales' lines? No: a sale is
  // visible by receipt whatever B knows of the catalog; wait anyway so the figure is steady state.
  if (!sn::testing::eventually([&] { return holds(bc.get_json("/v1/status"), ac.get_json("/v1/status")["version_vector"]); },
                               std::chrono::seconds(30)))
    die("B did not receive the shop set-up");
  std::vector<double> ack, visible;
  timed_live_sales(poster, poller, s.live_sales, s.live_rate, 0, ack, visible, [](const std::string& m) { die(m); });
  std::vector<std::string> outliers;
  for (std::size_t i = 0; i < visible.size(); ++i) {
    if (visible[i] > 50) {
      outliers.push_back("sale " + std::to_string(i) + ": ack " + std::to_string(ack[i]) + " ms, visible " +
                         std::to_string(visible[i]) + " ms");
    }
  }
  std::printf("\nLive replication, %d sales POSTed to A at %.0f/s, visible on B (GET /v1/sales/{receipt} = 200):\n\n",
              s.live_sales, s.live_rate);
  std::printf("| measurement | p50 | p99 | max |\n|---|---:|---:|---:|\n");
  std::printf("| POST on A → 201 | %.2f ms | %.2f ms | %.2f ms |\n", percentile(ack, 50), percentile(ack, 99),
              percentile(ack, 100));
  std::printf("| POST on A → visible on B | %.2f ms | %.2f ms | %.2f ms |\n", percentile(visible, 50),
              percentile(visible, 99), percentile(visible, 100));
  std::printf("(target: p99 <= 20 ms idle; load average now %s)\n", load_average().c_str());
  for (auto& o : outliers) std::printf("  outlier > 50 ms: %s\n", o.c_str());
  b.stop();
  a.stop();
  return 0;
}
