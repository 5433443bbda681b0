// HTTP benchmark (not a test) of one real storenode process under idle and
// slow clients (issue 16):
//
//   bench_http_idle [--connections N] [--seconds S] [--storenode PATH] [--http-threads T]
//                   [--durability fsync|os] [--trickle-ms MS]
//
// Four phases of S seconds each, in one run against one node:
//   baseline   no other connections;
//   idle       N connections opened and never written to;
//   slowloris  N connections sending a request head one byte every
//              --trickle-ms per connection, never finishing it;
//   keep-alive N connections that made one GET /healthz and then stay idle.
// A load thread keeps the N connections open: one the node closes is opened
// again (and counted), as an attacker would. Meanwhile one probe thread loops
// over three requests, each timed from just before it is sent to its answer:
// GET /healthz on a fresh connection (connect included), POST /v1/sales (a
// one-line cash sale) on a fresh connection, GET /healthz on one kept-alive
// connection. Each probe waits at most 10 s; a probe that fails or times out
// is counted, not timed. Printed per phase: p50/p99/max of each probe and
// the ratio of its p99 to the baseline's p99 of the same run.
// --storenode runs another binary (e.g. a build of main, for the "before" figures).
#include <CLI/CLI.hpp>

#include <atomic>
#include <thread>

#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>

#include "tests/bench/node/bench_support.hpp"

using namespace sn::bench;
using sn::testing::node_process;

namespace {

struct settings {
  int connections = 500;
  double seconds = 5;
  std::string storenode;  // empty: this build's
  int http_threads = 0;   // 0: the node's default
  std::string durability = "fsync";
  int trickle_ms = 1000;
  int skus = 20;
};

enum class load_kind { none, idle, slowloris, keep_alive };

const char* name_of(load_kind k) {
  switch (k) {
    case load_kind::none:
      return "baseline (no other connections)";
    case load_kind::idle:
      return "idle";
    case load_kind::slowloris:
      return "slowloris";
    case load_kind::keep_alive:
      return "idle keep-alive";
  }
  return "?";
}

/// Opens a blocking TCP connection to 127.0.0.1:port, then makes it non-blocking; -1 on failure.
int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/// N connections of one kind, kept open by one thread until stop().
class load {
 public:
  load(int port, load_kind kind, int n, int trickle_ms) : port_(port), kind_(kind), trickle_ms_(trickle_ms) {
    fds_.assign(static_cast<std::size_t>(n), -1);
    sent_.assign(fds_.size(), 0);
    for (std::size_t i = 0; i < fds_.size(); ++i) open(i);
    thread_ = std::thread([this] { run(); });
  }
  ~load() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int& fd : fds_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }
  std::uint64_t reopened() const { return reopened_; }
  std::size_t open_now() const {
    std::size_t n = 0;
    for (int fd : fds_) n += fd >= 0;
    return n;
  }

 private:
  static constexpr const char* slow_head = "POST /v1/sales HTTP/1.1\r\nHost: bench\r\nX-Slow: ";

  void open(std::size_t i) {
    fds_[i] = connect_to(port_);
    sent_[i] = 0;
    if (fds_[i] < 0) return;
    if (kind_ == load_kind::keep_alive) {
      const std::string req = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
      (void)::send(fds_[i], req.data(), req.size(), MSG_NOSIGNAL);
    } else if (kind_ == load_kind::slowloris) {
      trickle(i);
    }
  }

  /// The next byte of a head that never ends ("X-Slow: aaaa...").
  void trickle(std::size_t i) {
    const std::string head = slow_head;
    const char c = sent_[i] < head.size() ? head[sent_[i]] : 'a';
    if (::send(fds_[i], &c, 1, MSG_NOSIGNAL) == 1) ++sent_[i];
  }

  void run() {
    std::vector<pollfd> p(fds_.size());
    auto next_trickle = clock_type::now();
    std::size_t trickle_at = 0;
    while (!stop_) {
      for (std::size_t i = 0; i < fds_.size(); ++i) p[i] = pollfd{fds_[i], POLLIN, 0};
      ::poll(p.data(), p.size(), 20);
      for (std::size_t i = 0; i < fds_.size(); ++i) {
        if (fds_[i] < 0) {
          open(i);
          continue;
        }
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[4096];
        const ssize_t n = ::recv(fds_[i], buf, sizeof buf, 0);
        if (n > 0) continue;  // an answer (keep-alive) or a 408: read and ignored
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        ::close(fds_[i]);  // the node closed it: open another, as an attacker would
        ++reopened_;
        open(i);
      }
      // Slowloris: each connection gets a byte every trickle_ms, spread evenly.
      if (kind_ == load_kind::slowloris && !fds_.empty()) {
        const auto now = clock_type::now();
        const auto step = std::chrono::microseconds(trickle_ms_ * 1000 / static_cast<long>(fds_.size()) + 1);
        while (next_trickle <= now) {
          if (fds_[trickle_at] >= 0) trickle(trickle_at);
          trickle_at = (trickle_at + 1) % fds_.size();
          next_trickle += step;
        }
      }
    }
  }

  int port_;
  load_kind kind_;
  int trickle_ms_;
  std::vector<int> fds_;
  std::vector<std::size_t> sent_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> reopened_{0};
  std::thread thread_;
};

struct probe_result {
  std::vector<double> health_fresh, sale_fresh, health_kept;
  std::uint64_t failures = 0;
  std::string first_failure;
};

probe_result probe(int port, double seconds, int skus) {
  probe_result r;
  const std::string token = admin_token(port);  // every route but /healthz needs a session
  auto fresh = [port, &token] {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    if (!token.empty()) c->set_bearer_token_auth(token.c_str());
    c->set_tcp_nodelay(true);
    c->set_connection_timeout(10, 0);
    c->set_read_timeout(10, 0);
    c->set_write_timeout(10, 0);
    return c;
  };
  auto kept = fresh();
  kept->set_keep_alive(true);
  auto timed = [&r](std::vector<double>& into, const std::function<httplib::Result()>& op, int want) {
    const auto t0 = clock_type::now();
    auto res = op();
    const double ms = ms_since(t0);
    if (res && res->status == want) {
      into.push_back(ms);
    } else {
      if (r.failures++ == 0) {
        r.first_failure = res ? std::to_string(res->status) + " " + res->body : httplib::to_string(res.error());
      }
    }
  };
  const auto end = clock_type::now() + std::chrono::duration<double>(seconds);
  for (std::uint64_t i = 0; clock_type::now() < end; ++i) {
    timed(
        r.health_fresh, [&] { return fresh()->Get("/healthz"); }, 200);
    const std::string body = sale_body("SKU-" + std::to_string(i % static_cast<std::uint64_t>(skus)));
    timed(
        r.sale_fresh, [&] { return fresh()->Post("/v1/sales", body, "application/json"); }, 201);
    timed(
        r.health_kept, [&] { return kept->Get("/healthz"); }, 200);
  }
  return r;
}

std::string figures(const std::vector<double>& v, const std::vector<double>& base) {
  if (v.empty()) return "– | – | – | –";
  const double p99 = percentile(v, 99), base_p99 = percentile(base, 99);
  char out[160];
  std::snprintf(out, sizeof out, "%.2f | %.2f | %.2f | %.1f×", percentile(v, 50), p99, percentile(v, 100),
                base_p99 > 0 ? p99 / base_p99 : 0.0);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"bench_http_idle: /healthz and POST /v1/sales latency with idle and slow clients"};
  app.add_option("--connections", s.connections, "idle or slow connections per phase");
  app.add_option("--seconds", s.seconds, "seconds per phase");
  app.add_option("--storenode", s.storenode, "storenode binary (default: this build's)");
  app.add_option("--http-threads", s.http_threads, "node HTTP threads (0: the default)");
  app.add_option("--durability", s.durability, "fsync or os")->check(CLI::IsMember({"fsync", "os"}));
  app.add_option("--trickle-ms", s.trickle_ms, "slowloris: ms between two bytes of one connection");
  CLI11_PARSE(app, argc, argv);

  sn::testing::temp_dir dir;
  sn::testing::node_options o;
  o.extra_args = {"--durability", s.durability};
  if (s.http_threads > 0) {
    o.extra_args.push_back("--http-threads");
    o.extra_args.push_back(std::to_string(s.http_threads));
  }
  node_process n(dir.path() / "data", o);
  n.use_binary(s.storenode);
  if (!n.start()) die("storenode did not start:\n" + n.log_text());
  setup_shop(n, s.skus, 1'000'000);
  std::printf(
      "bench_http_idle: %s --durability %s%s; %d connections per phase, %.1f s per phase, slowloris one byte "
      "per connection every %d ms; load average %s\n",
      s.storenode.empty() ? "storenode (this build)" : s.storenode.c_str(), s.durability.c_str(),
      s.http_threads ? (" --http-threads " + std::to_string(s.http_threads)).c_str() : "", s.connections, s.seconds,
      s.trickle_ms, load_average().c_str());
  std::printf(
      "\nLatency in ms, from just before the request is sent to its answer (fresh: a new connection per "
      "request, connect included).\n\n"
      "| phase | probe | answered | failed | p50 | p99 | max | p99 / baseline p99 | node closed (reopened) |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
  probe_result baseline;
  for (load_kind kind : {load_kind::none, load_kind::idle, load_kind::slowloris, load_kind::keep_alive}) {
    std::unique_ptr<load> l;
    if (kind != load_kind::none) l = std::make_unique<load>(n.http_port(), kind, s.connections, s.trickle_ms);
    const auto r = probe(n.http_port(), s.seconds, s.skus);
    const std::uint64_t reopened = l ? l->reopened() : 0;
    const std::size_t open_now = l ? l->open_now() : 0;
    if (l) l->stop();
    if (kind == load_kind::none) baseline = r;
    const std::string phase = std::string(name_of(kind)) + (l ? ", " + std::to_string(open_now) + " open" : "");
    const std::pair<const char*, const std::vector<double>*> rows[] = {
        {"GET /healthz, fresh", &r.health_fresh},
        {"POST /v1/sales, fresh", &r.sale_fresh},
        {"GET /healthz, kept-alive", &r.health_kept},
    };
    const std::vector<double>* bases[] = {&baseline.health_fresh, &baseline.sale_fresh, &baseline.health_kept};
    for (int k = 0; k < 3; ++k) {
      std::printf("| %s | %s | %zu | %s | %s | %s |\n", k == 0 ? phase.c_str() : "", rows[k].first,
                  rows[k].second->size(), k == 0 ? std::to_string(r.failures).c_str() : "",
                  figures(*rows[k].second, *bases[k]).c_str(), k == 0 ? std::to_string(reopened).c_str() : "");
    }
    if (r.failures)
      std::fprintf(stderr, "  %s: %llu probes failed, first: %s\n", name_of(kind),
                   static_cast<unsigned long long>(r.failures), r.first_failure.c_str());
    std::fflush(stdout);
  }
  std::printf("(load average at the end: %s; node %s)\n", load_average().c_str(), n.exited() ? "EXITED" : "running");
  n.stop();
  return 0;
}
