// Failover benchmark (not a test) of three real storenode processes on
// loopback with the default election timings (issue 5):
//
//   bench_failover [--trials N] [--idle-seconds S] [--poll-ms P]
//
// Nodes N1, N2, N3 with priorities 30, 20, 10, each naming the other two as
// --peer. Before every trial the store must be stable: all three up, each
// reporting the same master, that node reporting role master, every node
// seeing both others alive (polled, no fixed sleeps).
// 1. Crash failover, N trials (default 20): kill -9 the master; the time from
//    just before the signal until every survivor's /v1/status names the same
//    new master and that node reports role master (each survivor polled every
//    P ms, default 5, on a keep-alive connection). The killed node is then
//    restarted on its data dir (it rejoins as a client) and the store allowed
//    to become stable again.
// 2. Graceful hand-off, N trials: SIGTERM the master; the time until a
//    survivor reports role master (the successor acting as master), and until
//    every survivor names it; also when the old master's process exited.
// 3. Spurious elections: the stable, idle store is left alone for S seconds
//    (default 300); new entries of /v1/elections (distinct terms) and the
//    change of the master's term are counted, and extrapolated to one hour.
#include <CLI/CLI.hpp>
#include <csignal>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "tests/bench/node/bench_support.hpp"

using namespace sn::bench;
using sn::testing::node_process;

namespace {

struct settings {
  int trials = 20;
  double idle_seconds = 300;
  int poll_ms = 5;
};

struct member {
  std::unique_ptr<node_process> proc;
  std::unique_ptr<client> http;
  bool up = false;
};

class store {
public:
  store(const std::filesystem::path& dir) {
    const std::vector<std::pair<std::string, int>> spec{{"N1", 30}, {"N2", 20}, {"N3", 10}};
    // Ports of one node must not be another's (free_port only knows what is bound now).
    for (int attempt = 0;; ++attempt) {
      nodes_.clear();
      std::set<int> used;
      bool clash = false;
      for (auto& [id, prio] : spec) {
        sn::testing::node_options o;
        o.device_id = id;
        o.priority = prio;
        auto p = std::make_unique<node_process>(dir / id, o);
        const int peer = std::stoi(p->bind().substr(p->bind().rfind(':') + 1));
        for (int port : {p->http_port(), peer, peer + 1, peer + 2}) clash |= !used.insert(port).second;
        nodes_.push_back(member{std::move(p), nullptr, false});
      }
      if (!clash) break;
      if (attempt > 20) die("could not find distinct ports");
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      for (std::size_t j = 0; j < nodes_.size(); ++j) {
        if (i != j) nodes_[i].proc->peers().push_back(nodes_[j].proc->bind());
      }
      // The first node creates the store; the others join it (issue 9).
      if (i != 0) nodes_[i].proc->sponsor = nodes_[0].proc.get();
    }
  }

  std::size_t size() const { return nodes_.size(); }
  node_process& proc(std::size_t i) { return *nodes_[i].proc; }
  const std::string& id(std::size_t i) const { return nodes_[i].proc->options().device_id; }

  void start(std::size_t i) {
    if (!nodes_[i].proc->start(false)) die("cannot start " + id(i));
    nodes_[i].up = true;
  }
  void start_all() {
    // The sponsor answers /healthz before the others ask it for their codes.
    if (!nodes_[0].proc->start(true)) die("cannot start " + id(0));
    nodes_[0].up = true;
    for (std::size_t i = 1; i < size(); ++i) start(i);
  }
  void mark_down(std::size_t i) {
    nodes_[i].up = false;
    nodes_[i].http.reset();
  }

  /// The node's /v1/status, or null while it does not answer.
  json status(std::size_t i) {
    if (!nodes_[i].http) nodes_[i].http = std::make_unique<client>(nodes_[i].proc->http_port());
    auto j = nodes_[i].http->get_json("/v1/status");
    if (j.is_null()) nodes_[i].http.reset();  // reconnect next time
    return j;
  }

  /// Index of the master when every running node agrees on it, it acts as
  /// master and (if `all_alive`) every node sees every other alive; else -1.
  int agreed_master(bool all_alive) {
    std::string master;
    std::vector<json> st(size());
    for (std::size_t i = 0; i < size(); ++i) {
      if (!nodes_[i].up) continue;
      st[i] = status(i);
      if (st[i].is_null() || !st[i].contains("master") || !st[i]["master"].is_string()) return -1;
      const std::string m = st[i]["master"];
      if (m.empty() || (!master.empty() && m != master)) return -1;
      master = m;
      if (all_alive) {
        int alive = 0;
        for (auto& p : st[i]["peers"]) alive += p.value("alive", false) ? 1 : 0;
        if (alive != static_cast<int>(size()) - 1) return -1;
      }
    }
    for (std::size_t i = 0; i < size(); ++i) {
      if (id(i) == master) return nodes_[i].up && st[i].value("role", "") == "master" ? static_cast<int>(i) : -1;
    }
    return -1;
  }

  /// Waits until the whole store is up and agrees; returns the master.
  std::size_t wait_stable() {
    const auto deadline = clock_type::now() + std::chrono::seconds(60);
    while (clock_type::now() < deadline) {
      const int m = agreed_master(true);
      if (m >= 0) return static_cast<std::size_t>(m);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string why;
    for (std::size_t i = 0; i < size(); ++i) why += id(i) + ": " + status(i).dump() + "\n";
    die("the store did not become stable within 60 s:\n" + why);
  }

private:
  std::vector<member> nodes_;
};

struct trial_figures {
  std::vector<double> first_master;  // a survivor acts as master
  std::vector<double> all_agree;     // every survivor names it
  std::vector<double> exited;        // hand-off: old master's process gone
  std::map<std::string, int> winners;
};

void print_row(const char* what, const std::vector<double>& v) {
  std::printf("| %s | %zu | %.0f ms | %.0f ms | %.0f ms | %.0f ms |\n", what, v.size(), percentile(v, 50),
              percentile(v, 99), percentile(v, 0), percentile(v, 100));
}

/// Kills (SIGKILL) or stops (SIGTERM) the master and times the take-over.
void trial(store& s, int sig, const settings& cfg, trial_figures& f) {
  const std::size_t m = s.wait_stable();
  const auto t0 = clock_type::now();
  s.proc(m).signal(sig);
  s.mark_down(m);
  double first = -1, agree = -1, exited = -1;
  std::string winner;
  const auto deadline = t0 + std::chrono::seconds(30);
  while (clock_type::now() < deadline && (agree < 0 || (sig == SIGTERM && exited < 0))) {
    if (exited < 0 && s.proc(m).exited()) exited = ms_since(t0);
    if (agree < 0) {
      for (std::size_t i = 0; i < s.size() && first < 0; ++i) {
        if (i == m) continue;
        auto st = s.status(i);
        if (!st.is_null() && st.value("role", "") == "master") first = ms_since(t0);
      }
      const int now = s.agreed_master(false);
      if (now >= 0 && static_cast<std::size_t>(now) != m) {
        agree = ms_since(t0);
        if (first < 0) first = agree;
        winner = s.id(now);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(cfg.poll_ms));
  }
  if (agree < 0) die(std::string("no new master within 30 s after ") + (sig == SIGKILL ? "kill -9" : "SIGTERM"));
  if (sig == SIGKILL) s.proc(m).kill(SIGKILL);  // reap
  else if (!s.proc(m).stop(std::chrono::seconds(20))) std::fprintf(stderr, "  old master needed SIGKILL\n");
  if (exited < 0) exited = ms_since(t0);
  f.first_master.push_back(first);
  f.all_agree.push_back(agree);
  f.exited.push_back(exited);
  ++f.winners[s.id(m) + "→" + winner];
  std::fprintf(stderr, "  %s %s: survivor master after %.0f ms, all agree after %.0f ms (%s)\n",
               sig == SIGKILL ? "kill -9" : "SIGTERM", s.id(m).c_str(), first, agree, winner.c_str());
  s.start(m);  // rejoins as a client
}

std::set<std::uint64_t> election_terms(store& s) {
  std::set<std::uint64_t> terms;
  for (std::size_t i = 0; i < s.size(); ++i) {
    client c(s.proc(i).http_port());
    auto j = c.get_json("/v1/elections");
    if (j.is_null()) continue;
    for (auto& e : j["elections"]) terms.insert(e.value("term", std::uint64_t{0}));
  }
  return terms;
}

} // namespace

int main(int argc, char** argv) {
  settings cfg;
  CLI::App app{"bench_failover: crash failover, graceful hand-off and idle elections of a 3-node store"};
  app.add_option("--trials", cfg.trials, "trials of each kind");
  app.add_option("--idle-seconds", cfg.idle_seconds, "idle run that counts spurious elections");
  app.add_option("--poll-ms", cfg.poll_ms, "status poll period");
  CLI11_PARSE(app, argc, argv);
  std::printf("bench_failover: 3 nodes (priorities 30/20/10), default timings, %d trials each, poll every %d ms, "
              "load average %s\n",
              cfg.trials, cfg.poll_ms, load_average().c_str());
  sn::testing::temp_dir dir;
  store s(dir.path());
  s.start_all();
  s.wait_stable();

  trial_figures crash, handoff;
  for (int t = 0; t < cfg.trials; ++t) trial(s, SIGKILL, cfg, crash);
  for (int t = 0; t < cfg.trials; ++t) trial(s, SIGTERM, cfg, handoff);

  std::printf("\n| measurement | trials | median | p99 | min | max |\n|---|---:|---:|---:|---:|---:|\n");
  print_row("kill -9 master → a survivor acts as master", crash.first_master);
  print_row("kill -9 master → every survivor names the new master", crash.all_agree);
  print_row("SIGTERM master → successor acts as master", handoff.first_master);
  print_row("SIGTERM master → every survivor names it", handoff.all_agree);
  print_row("SIGTERM master → old master's process exited", handoff.exited);
  std::printf("(targets: crash failover <= 1000 ms, hand-off <= 200 ms; p99 of %d trials is their maximum)\n", cfg.trials);
  std::string w;
  for (auto& [k, n] : crash.winners) w += " " + k + " x" + std::to_string(n);
  std::printf("crash take-overs:%s\n", w.c_str());
  w.clear();
  for (auto& [k, n] : handoff.winners) w += " " + k + " x" + std::to_string(n);
  std::printf("hand-offs:%s\n", w.c_str());
  std::fflush(stdout);

  // Idle store: spurious elections.
  if (cfg.idle_seconds > 0) {
    const std::size_t m = s.wait_stable();
    const auto terms_before = election_terms(s);
    const auto term_before = s.status(m).value("term", std::uint64_t{0});
    const std::string load_before = load_average();
    std::this_thread::sleep_for(std::chrono::duration<double>(cfg.idle_seconds));  // the measured idle interval
    const int m_after = s.agreed_master(true);
    const auto terms_after = election_terms(s);
    const auto term_after = s.status(m_after >= 0 ? static_cast<std::size_t>(m_after) : m).value("term", std::uint64_t{0});
    std::size_t new_terms = 0;
    for (auto t : terms_after) new_terms += terms_before.count(t) ? 0 : 1;
    std::printf("\nIdle 3-node store for %.0f s (load average before %s, after %s):\n", cfg.idle_seconds,
                load_before.c_str(), load_average().c_str());
    std::printf("| measurement | figure |\n|---|---:|\n");
    std::printf("| new /v1/elections entries (distinct terms) | %zu |\n", new_terms);
    std::printf("| master's term before → after | %llu → %llu |\n", (unsigned long long)term_before,
                (unsigned long long)term_after);
    std::printf("| master before → after | %s → %s |\n", s.id(m).c_str(),
                m_after >= 0 ? s.id(static_cast<std::size_t>(m_after)).c_str() : "(no agreed master)");
    std::printf("| extrapolated spurious elections per hour | %.1f |\n", new_terms * 3600.0 / cfg.idle_seconds);
    std::printf("(target: <= 1 per hour)\n");
  }
  for (std::size_t i = 0; i < s.size(); ++i) s.proc(i).stop();
  return 0;
}
