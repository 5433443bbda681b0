// Small helpers shared by the node benchmarks (bench_http, bench_sync,
// bench_failover): percentiles, /proc memory figures, machine load, a keep-alive
// JSON client, shop set-up. The processes themselves come from the
// integration-test harness (tests/integration/node_process.hpp).
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tests/integration/node_process.hpp"

namespace sn::bench {

using clock_type = std::chrono::steady_clock;
using json = nlohmann::json;

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  std::exit(1);
}

inline double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

/// Nearest-rank percentile of `v` (p in [0, 100]); sorts a copy.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * v.size() + 0.999999);
  if (rank == 0) rank = 1;
  return v[std::min(v.size(), rank) - 1];
}

/// The 1-minute load average, as `uptime` shows it.
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

/// A field of /proc/<pid>/status in kB (VmRSS, VmHWM ...); -1 when unreadable.
inline long proc_status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

/// The CPU seconds (user + system) and the name (comm) in the text of a
/// /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat; seconds -1 when unreadable.
struct stat_cpu {
  std::string name;
  double seconds = -1;
};
inline stat_cpu read_stat_cpu(const std::filesystem::path& stat) {
  std::ifstream in(stat);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const auto open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return stat_cpu{text.substr(open + 1, close - open - 1), double(utime + stime) / ::sysconf(_SC_CLK_TCK)};
}

/// CPU seconds (user + system) a process has used so far; -1 when unreadable.
inline double proc_cpu_seconds(pid_t pid) { return read_stat_cpu("/proc/" + std::to_string(pid) + "/stat").seconds; }

/// CPU seconds (user + system) each kind of thread of a process has used so
/// far, by thread name (/proc/<pid>/task/*/stat, trailing digits dropped:
/// "rocksdb:low0" and "rocksdb:low1" are one kind). Threads that ended are
/// not counted; the bench reads it before and after a phase and subtracts.
inline std::map<std::string, double> thread_cpu_by_name(pid_t pid) {
  std::map<std::string, double> out;
  std::error_code ec;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    stat_cpu c = read_stat_cpu(t.path() / "stat");
    if (c.seconds < 0) continue;
    while (!c.name.empty() && c.name.back() >= '0' && c.name.back() <= '9') c.name.pop_back();
    out[c.name] += c.seconds;
  }
  return out;
}

/// "name 12.3 s (45 %), ..." of what each kind of thread used between two
/// thread_cpu_by_name() readings, largest first.
inline std::string thread_cpu_delta(const std::map<std::string, double>& before,
                                    const std::map<std::string, double>& after) {
  std::vector<std::pair<double, std::string>> used;
  double total = 0;
  for (const auto& [name, s] : after) {
    const auto it = before.find(name);
    const double d = s - (it == before.end() ? 0.0 : it->second);
    if (d <= 0) continue;
    used.emplace_back(d, name);
    total += d;
  }
  std::sort(used.rbegin(), used.rend());
  std::string text;
  char buf[160];
  for (const auto& [d, name] : used) {
    if (d < 0.005 * total) break;
    std::snprintf(buf, sizeof buf, "%s%s %.1f s (%.0f %%)", text.empty() ? "" : ", ", name.c_str(), d,
                  100.0 * d / total);
    text += buf;
  }
  return text;
}

/// Context switches of every thread of a process so far (voluntary +
/// involuntary, /proc/<pid>/task/*/status): how often it woke up. Unlike CPU
/// time, it does not depend on how busy the rest of the machine is (an idle
/// VM's wake-ups cost more CPU each). -1 when unreadable.
inline long proc_context_switches(pid_t pid) {
  std::error_code ec;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  long total = 0;
  bool any = false;
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(t.path() / "status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) {
        total += std::strtol(line.c_str() + line.find(':') + 1, nullptr, 10);
        any = true;
      }
    }
  }
  return any ? total : -1;
}

/// The harness admin's session token at the node on `port` (node_process
/// bootstraps that admin from STORENODE_ADMIN_PIN): signed in once per port
/// and shared by every client, again when `stale` (the node restarted:
/// sessions live in its memory). "" from a build without staff (a
/// --baseline binary): its clients then send no Authorization header.
inline std::string admin_token(int port, const std::string& stale = {}) {
  static std::mutex m;
  static std::map<int, std::string> tokens;
  std::lock_guard<std::mutex> lock(m);
  auto it = tokens.find(port);
  if (it != tokens.end() && it->second != stale) return it->second;
  std::string t = sn::testing::node_process::sign_in_at(port, "admin", sn::testing::node_process::test_admin_pin);
  tokens[port] = t;
  return t;
}

/// One keep-alive HTTP connection to a node, signed in as the harness admin
/// (every request but /healthz carries a staff session: docs/api.md).
class client {
 public:
  explicit client(int port) : port_(port), c_("127.0.0.1", port) {
    c_.set_keep_alive(true);
    // Request headers and body go out in two writes: without TCP_NODELAY the
    // body waits for the server's delayed ACK (~40 ms) on a kept-alive connection.
    c_.set_tcp_nodelay(true);
    c_.set_connection_timeout(2, 0);
    c_.set_read_timeout(20, 0);
    token_ = admin_token(port_);
  }
  httplib::Result post(const std::string& path, const std::string& body) {
    auto r = c_.Post(path.c_str(), headers(), body, "application/json");
    if (r && r->status == 401 && refresh()) r = c_.Post(path.c_str(), headers(), body, "application/json");
    return r;
  }
  httplib::Result get(const std::string& path) {
    auto r = c_.Get(path.c_str(), headers());
    if (r && r->status == 401 && refresh()) r = c_.Get(path.c_str(), headers());
    return r;
  }
  /// GET as JSON; null on any failure.
  json get_json(const std::string& path) {
    auto r = get(path);
    if (!r || r->status != 200) return json();
    return json::parse(r->body, nullptr, false);
  }
  const std::string& token() const { return token_; }

 private:
  httplib::Headers headers() const {
    if (token_.empty()) return {};
    return {{"Authorization", "Bearer " + token_}};
  }
  /// Signs in again after a 401 (a restarted node); false when nothing changed.
  bool refresh() {
    std::string t = admin_token(port_, token_);
    if (t.empty() || t == token_) return false;
    token_ = std::move(t);
    return true;
  }

  int port_;
  httplib::Client c_;
  std::string token_;
};

/// Creates `skus` products SKU-0 .. SKU-{n-1} and receives `stock` units of each.
inline void setup_shop(sn::testing::node_process& n, int skus, long stock) {
  client c(n.http_port());
  for (int i = 0; i < skus; ++i) {
    const std::string sku = "SKU-" + std::to_string(i);
    json p{{"sku", sku},
           {"name", "Item " + std::to_string(i)},
           {"barcode", std::to_string(4000000 + i)},
           {"price_cents", 199},
           {"tax_rate_bp", 700},
           {"low_stock_threshold", 5}};
    auto r = c.post("/v1/products", p.dump());
    if (!r || r->status != 201) die("POST /v1/products: " + (r ? r->body : httplib::to_string(r.error())));
    json s{{"sku", sku}, {"qty", stock}, {"supplier_ref", "PO-" + std::to_string(i)}};
    r = c.post("/v1/stock/receipts", s.dump());
    if (!r || r->status != 201) die("POST /v1/stock/receipts: " + (r ? r->body : httplib::to_string(r.error())));
  }
}

/// A one-line cash sale of `sku` (price 199).
inline std::string sale_body(const std::string& sku) {
  return json{{"lines", {{{"sku", sku}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 500}}}}}
      .dump();
}

/// Live replication, timed: `sales` one-line sales POSTed to `poster` at
/// `rate` per second (skus SKU-0..4 from `sku_offset`), each timed from send
/// to its 201 (`ack`, ms) and until GET /v1/sales/{receipt} answers 200 on
/// `poller` (`visible`, ms; 30 s at most, else `fail`).
template <class Fail>
void timed_live_sales(client& poster, client& poller, int sales, double rate, int sku_offset,
                      std::vector<double>& ack, std::vector<double>& visible, Fail&& fail) {
  const auto period = std::chrono::duration<double>(1.0 / rate);
  auto next_at = clock_type::now();
  for (int i = 0; i < sales; ++i) {
    std::this_thread::sleep_until(next_at);
    next_at += std::chrono::duration_cast<clock_type::duration>(period);
    const auto t1 = clock_type::now();
    auto r = poster.post("/v1/sales", sale_body("SKU-" + std::to_string((i + sku_offset) % 5)));
    if (!r || r->status != 201) {
      fail("POST /v1/sales on A: " + (r ? r->body : httplib::to_string(r.error())));
      return;  // a fail that returns ends the run here
    }
    ack.push_back(ms_since(t1));
    const std::string path = "/v1/sales/" + json::parse(r->body).at("receipt").get<std::string>();
    const auto until = clock_type::now() + std::chrono::seconds(30);
    for (;;) {
      auto g = poller.get(path);
      if (g && g->status == 200) break;
      if (clock_type::now() > until) {
        fail(path + " never became visible on B");
        return;
      }
    }
    visible.push_back(ms_since(t1));
  }
}

}  // namespace sn::bench
