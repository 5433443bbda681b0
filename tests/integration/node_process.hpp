// Test support: real storenode processes on 127.0.0.1 with free ports and a
// temp data dir, always killed and cleaned up by the destructor.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sn::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read back).
/// `pair` asks for PORT and PORT+1 both free (the peer transport uses both).
inline int free_port(bool pair = false) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    int port = ntohs(a.sin_port);
    ::close(fd);
    if (!pair) return port;
    int fd2 = ::socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = htons(static_cast<uint16_t>(port + 1));
    bool ok = ::bind(fd2, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd2);
    if (ok && port < 65534) return port;
  }
  return -1;
}

/// Ports this test process has claimed (free_port_range): a file per port
/// under the temp dir names the claiming pid, so another test process on the
/// machine (ctest -j) skips them; claims end with the process, and a claim
/// whose process is gone (killed) is taken over.
class port_claims {
 public:
  static port_claims& instance() {
    static port_claims c;
    return c;
  }
  /// Claims `port` for this process; false when another live process holds it.
  bool claim(int port) {
    std::lock_guard<std::mutex> lock(m_);
    if (mine_.count(port)) return false;  // handed out already
    const std::string path = dir_ + "/" + std::to_string(port);
    for (int tries = 0; tries < 2; ++tries) {
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (fd >= 0) {
        const std::string pid = std::to_string(::getpid());
        const bool wrote = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
        ::close(fd);
        if (!wrote) {
          ::unlink(path.c_str());
          return false;
        }
        mine_.insert(port);
        return true;
      }
      std::ifstream in(path);
      long owner = 0;
      if (!(in >> owner) || owner <= 0) return false;  // being written: leave it
      if (owner == ::getpid() || ::kill(static_cast<pid_t>(owner), 0) == 0 || errno != ESRCH) return false;
      ::unlink(path.c_str());  // its process is gone: take it over
    }
    return false;
  }
  ~port_claims() {
    for (int p : mine_) ::unlink((dir_ + "/" + std::to_string(p)).c_str());
  }

 private:
  port_claims() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    std::filesystem::permissions(dir_, std::filesystem::perms::all, ec);
  }
  std::string dir_ = (std::filesystem::temp_directory_path() / "storenode-test-ports").string();
  std::mutex m_;
  std::set<int> mine_;
};

/// A port P with P..P+count-1 free on 127.0.0.1 and claimed for this process
/// (port_claims), chosen at random below the kernel's ephemeral range:
/// bind(0) and outgoing connections never hand those out, and other test
/// processes skip claimed ports, so a port picked here is not taken between
/// this check and the node's own bind, nor while a killed node is down.
/// -1 if none is found.
inline int free_port_range(int count) {
  int ephemeral_low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  if (range >> ephemeral_low) ephemeral_low = std::max(ephemeral_low, 12000);
  const int low = 10000;
  std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 500; ++attempt) {
    const int p = low + static_cast<int>(rng() % static_cast<unsigned>(ephemeral_low - low - count));
    bool all = true;
    for (int k = 0; k < count && all; ++k) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(p + k));
      all = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
    }
    if (!all) continue;
    int claimed = 0;
    while (claimed < count && port_claims::instance().claim(p + claimed)) ++claimed;
    if (claimed == count) return p;
    // Part of the range is another process's: try elsewhere (what was
    // claimed here stays claimed until this process ends: harmless).
  }
  return -1;
}

/// Value of one sample line of the Prometheus text (-1 if absent).
inline long metric(const std::string& text, const std::string& series) {
  const std::string needle = series + " ";
  std::size_t at = 0;
  while ((at = text.find(needle, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stol(text.substr(at + needle.size()));
    at += needle.size();
  }
  return -1;
}

/// Polls `cond` until it holds or `timeout` passes (no fixed sleeps in tests).
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

/// A temp directory removed with everything in it.
class temp_dir {
public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("storenode-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

struct node_options {
  std::string device_id = "POS1";
  int priority = 0;
  std::vector<std::string> peers;
  std::vector<std::string> extra_args;
  /// HOST of --bind (e.g. "0.0.0.0", "localhost"); empty = 127.0.0.1. bind() stays the 127.0.0.1 address.
  std::string bind_host = {};
  /// HOST of --http; empty = 127.0.0.1 (off loopback the node serves HTTPS
  /// only, and healthy() — plain HTTP on 127.0.0.1 — never answers).
  std::string http_host = {};
  /// Start with STORENODE_ADMIN_PIN=test_admin_pin (bootstraps the admin the
  /// harness signs in as on a store without staff).
  bool admin_pin = true;
  /// On a first start (no data dir yet) without --create-store or --join in
  /// extra_args: join through the sponsor (node_process::sponsor) when there
  /// is one, else create a store. False: start as given (a test of the
  /// refusal itself).
  bool enroll_if_fresh = true;
};

/// One storenode process.
class node_process {
public:
  node_process(std::filesystem::path data_dir, node_options o) : data_dir_(std::move(data_dir)), o_(std::move(o)) {
    // Below the ephemeral range: an outgoing connection's local port (the
    // tests' HTTP clients, ZeroMQ dials) never takes them between this pick
    // and the node's bind, which now refuses a port in use (exit 2).
    http_port_ = free_port_range(1);
    peer_port_ = free_port_range(3);  // ROUTER, PUB, door
  }
  /// With ports chosen by the caller (HTTP on `http_port`, peers on `peer_port` and `peer_port`+1).
  node_process(std::filesystem::path data_dir, node_options o, int http_port, int peer_port)
      : data_dir_(std::move(data_dir)), o_(std::move(o)), http_port_(http_port), peer_port_(peer_port) {}
  ~node_process() { kill(SIGKILL); }
  node_process(const node_process&) = delete;

  std::string bind() const { return "tcp://127.0.0.1:" + std::to_string(peer_port_); }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  /// The --bind argument: bind(), or the same port on options().bind_host.
  std::string bind_arg() const {
    return o_.bind_host.empty() ? bind() : "tcp://" + o_.bind_host + ":" + std::to_string(peer_port_);
  }
  int http_port() const { return http_port_; }
  int peer_port() const { return peer_port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  pid_t pid() const { return pid_; }
  const node_options& options() const { return o_; }
  node_options& options() { return o_; }  ///< change before start()
  std::vector<std::string>& peers() { return o_.peers; }

  /// Runs `path` instead of this build's storenode (benchmarks: "before" figures of another build).
  void use_binary(std::string path) { binary_ = std::move(path); }

  /// The enrolled node this one joins through on its first start (its HTTP
  /// API issues the code, its address goes first in --peer). Null: none.
  node_process* sponsor = nullptr;

  /// A one-time join code for `device_id` from this node's admin (POST
  /// /v1/devices/{id}/enrollment); "" when refused.
  std::string enrollment_code(const std::string& device_id, int priority = 0) {
    auto r = post("/v1/devices/" + device_id + "/enrollment", nlohmann::json{{"priority", priority}}.dump());
    if (!r || r->status != 201) return {};
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    return j.is_object() ? j.value("code", "") : std::string();
  }

  /// The join code the next start passes in STORENODE_JOIN_CODE ("" = none).
  std::string join_code;

  /// What a first start needs (see node_options::enroll_if_fresh): false
  /// when the sponsor would not issue a code.
  bool prepare_enrollment() {
    if (!o_.enroll_if_fresh || std::filesystem::exists(data_dir_) || !join_code.empty()) return true;
    for (const auto& a : o_.extra_args) {
      if (a == "--create-store" || a == "--join") return true;
    }
    if (sponsor == nullptr) {
      o_.extra_args.push_back("--create-store");
      created_store_ = true;
      return true;
    }
    join_code = sponsor->enrollment_code(o_.device_id, o_.priority);
    if (join_code.empty()) return false;
    // The sponsor first: --join asks the first --peer (kept as the test
    // wrote it when it already names the sponsor, e.g. by a host name).
    auto& ps = o_.peers;
    if (ps.empty() || !names_port(ps.front(), sponsor->peer_port())) {
      ps.erase(std::remove(ps.begin(), ps.end(), sponsor->bind()), ps.end());
      ps.insert(ps.begin(), sponsor->bind());
    }
    return true;
  }

  /// True when `address` ("tcp://HOST:PORT") has port `port`.
  static bool names_port(const std::string& address, int port) {
    const std::string tail = ":" + std::to_string(port);
    return address.size() > tail.size() && address.compare(address.size() - tail.size(), tail.size(), tail) == 0;
  }

  /// Starts the process; waits until /healthz answers unless `wait` is false.
  bool start(bool wait = true) {
    if (!prepare_enrollment()) return false;
    std::vector<std::string> args = {binary_.empty() ? std::string(STORENODE_PATH) : binary_,
                                     "--device-id", o_.device_id,
                                     "--priority",         std::to_string(o_.priority),
                                     "--data-dir",         data_dir_.string(),
                                     "--http",             (o_.http_host.empty() ? std::string("127.0.0.1") : o_.http_host) + ":" + std::to_string(http_port_),
                                     "--bind",             bind_arg(),
                                     "--log-level",        log_level()};
    for (auto& p : o_.peers) {
      args.push_back("--peer");
      args.push_back(p);
    }
    for (auto& a : o_.extra_args) args.push_back(a);
    if (created_store_) {
      // Only the first start creates it; restarts go without the flag.
      o_.extra_args.erase(std::find(o_.extra_args.begin(), o_.extra_args.end(), "--create-store"));
      created_store_ = false;
    }
    const std::string code = join_code;
    join_code.clear();  // one use
    log_path_ = data_dir_.string() + ".log";
    pid_ = ::fork();
    token_.clear();  // sessions are node-local and end with the process
    if (pid_ == 0) {
      // The harness signs in as the admin it bootstraps (docs/operations.md
      // "The first admin"): the only way in, as for an operator.
      if (o_.admin_pin) ::setenv("STORENODE_ADMIN_PIN", test_admin_pin, 1);
      if (!code.empty()) ::setenv("STORENODE_JOIN_CODE", code.c_str(), 1);
      int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (!wait) return pid_ > 0;
    return eventually([&] { return !exited() && healthy(); }, std::chrono::seconds(20));
  }

  /// "warn", or $STORENODE_TEST_LOG_LEVEL (e.g. info, to debug a failing test from the logs).
  static std::string log_level() {
    const char* l = std::getenv("STORENODE_TEST_LOG_LEVEL");
    return l && *l ? l : "warn";
  }

  bool healthy() {
    httplib::Client c("127.0.0.1", http_port_);
    c.set_connection_timeout(0, 200000);
    auto r = c.Get("/healthz");
    return r && r->status == 200;
  }

  /// True once the process has exited (reaps it); exit status in `status()`.
  bool exited() {
    if (pid_ <= 0) return true;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = st;
      pid_ = -1;
      return true;
    }
    return false;
  }
  int exit_code() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  /// Sends `sig` and waits for the exit.
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    status_ = st;
    pid_ = -1;
  }

  /// Graceful stop: SIGTERM, wait up to `timeout`, then SIGKILL. Returns true if it exited by itself.
  bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (pid_ <= 0) return true;
    ::kill(pid_, SIGTERM);
    if (eventually([&] { return exited(); }, timeout)) return true;
    kill(SIGKILL);
    return false;
  }

  std::string log_text() const {
    std::ifstream in(log_path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // --- staff session ---
  /// The PIN of the admin every harness node bootstraps (STORENODE_ADMIN_PIN).
  static constexpr const char* test_admin_pin = "246810";
  /// A session token of the bootstrapped admin at this node (signed in on
  /// first use and again after a restart); "" when sign-in fails.
  const std::string& token() {
    if (!token_.empty()) return token_;
    token_ = sign_in("admin", test_admin_pin);
    return token_;
  }
  /// Signs `staff_id` in with `pin`; the token, or "" when refused.
  std::string sign_in(const std::string& staff_id, const std::string& pin) { return sign_in_at(http_port_, staff_id, pin); }
  static std::string sign_in_at(int http_port, const std::string& staff_id, const std::string& pin) {
    httplib::Client c("127.0.0.1", http_port);
    c.set_read_timeout(20, 0);
    const auto body = nlohmann::json{{"staff_id", staff_id}, {"pin", pin}}.dump();
    auto r = c.Post("/v1/sessions", body, "application/json");
    if (!r || r->status != 201) return {};
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    return j.is_object() && j.contains("token") ? j["token"].get<std::string>() : std::string();
  }
  /// Adds this node's admin session to `c`.
  void authorize(httplib::Client& c) { c.set_bearer_token_auth(token().c_str()); }

  // --- HTTP helpers ---
  httplib::Result get(const std::string& path) {
    httplib::Client c("127.0.0.1", http_port_);
    c.set_read_timeout(20, 0);
    authorize(c);
    return c.Get(path.c_str());
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& key = "") {
    httplib::Client c("127.0.0.1", http_port_);
    c.set_read_timeout(20, 0);
    authorize(c);
    httplib::Headers h;
    if (!key.empty()) h.emplace("Idempotency-Key", key);
    return c.Post(path.c_str(), h, body, "application/json");
  }
  nlohmann::json get_json(const std::string& path) {
    auto r = get(path);
    if (!r || r->status != 200) return nlohmann::json();
    return nlohmann::json::parse(r->body, nullptr, false);
  }

private:
  std::filesystem::path data_dir_;
  node_options o_;
  int http_port_ = 0;
  int peer_port_ = 0;
  pid_t pid_ = -1;
  int status_ = 0;
  std::string log_path_;
  std::string token_;  ///< the admin's session at this node ("" = sign in on next use)
  std::string binary_;  ///< empty: STORENODE_PATH
  bool created_store_ = false;  ///< the next start's --create-store was added by prepare_enrollment
};

/// The nodes of one store on loopback: data dirs and logs under one temp dir,
/// ports that do not collide with each other, each node naming every other
/// (or the ones given) as --peer. Every process is killed by the destructor.
class cluster {
public:
  struct member {
    std::string device_id;
    int priority = 0;
  };

  /// `extra_args` go to every node (store-wide settings must match).
  explicit cluster(const std::vector<member>& members, std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)) {
    for (auto& m : members) make(m);
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      for (std::size_t j = 0; j < nodes_.size(); ++j) {
        if (i != j) nodes_[i]->peers().push_back(nodes_[j]->bind());
      }
    }
  }

  std::size_t size() const { return nodes_.size(); }
  node_process& operator[](std::size_t i) { return *nodes_.at(i); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  /// Adds a node that knows only `peers` (bind addresses); not started.
  node_process& add(const member& m, std::vector<std::string> peers) {
    auto& n = make(m);
    n.peers() = std::move(peers);
    // It joins through the first peer it names (a member of this store).
    for (auto& other : nodes_) {
      if (!n.peers().empty() && node_process::names_port(n.peers().front(), other->peer_port())) n.sponsor = other.get();
    }
    return n;
  }

  /// Starts the node of the highest priority, waits until it answers
  /// /healthz, then starts the others at once and waits until each answers.
  /// The best node is up first so that the store's first master is the one a
  /// test expects even on a loaded machine: started all at once, a process
  /// slow to open its store could miss the others' discovery window and the
  /// second best would win (seen in CI under load 10).
  bool start_all() {
    std::size_t best = 0;
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      if (nodes_[i]->options().priority > nodes_[best]->options().priority) best = i;
    }
    // The best node creates the store (its genesis, issue 9) on its first
    // start, so every cluster test runs on a store with a genesis that
    // replicates; later starts of it (restarts in a test) go without the flag.
    // The others join it (issue 9): each gets a one-time code from the
    // best node's admin and starts with it; all of them at once.
    if (!nodes_.empty()) {
      auto& first = *nodes_[best];
      first.sponsor = nullptr;
      if (!first.start(true)) return false;
    }
    bool joined = false;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (i == best) continue;
      if (nodes_[i]->sponsor == nullptr) nodes_[i]->sponsor = nodes_[best].get();
      joined = joined || !std::filesystem::exists(nodes_[i]->data_dir());
      if (!nodes_[i]->start(false)) return false;
    }
    for (auto& n : nodes_) {
      if (!eventually([&] { return !n->exited() && n->healthy(); }, std::chrono::seconds(20))) return false;
    }
    // Devices that joined at once learn each other's keys from the sponsor's
    // device.enrolled events: the store is whole once every node holds the
    // sponsor's events up to the last enrollment (else a test that kills the
    // sponsor at once would leave two members that cannot admit each other).
    if (joined) {
      const std::string id = nodes_[best]->options().device_id;
      const auto seq_at = [&](std::size_t i) -> std::uint64_t {
        auto vv = get_json(i, "/v1/status")["version_vector"];
        return vv.is_object() && vv.contains(id) ? vv[id].get<std::uint64_t>() : 0;
      };
      const std::uint64_t enrolled_through = seq_at(best);
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (!eventually([&] { return seq_at(i) >= enrolled_through; }, std::chrono::seconds(20))) return false;
      }
      // Then until each hears every other: a member refused a moment ago (its
      // key not yet known there) redials within reconnect_interval_ms_max.
      // Best effort: a test with a partial topology goes on after the wait.
      const auto hears_all = [&](std::size_t i) {
        std::size_t alive = 0;
        auto peers = get_json(i, "/v1/status")["peers"];
        if (peers.is_array()) {
          for (const auto& p : peers) alive += p.value("alive", false) ? 1 : 0;
        }
        return alive + 1 >= nodes_.size();
      };
      for (std::size_t i = 0; i < nodes_.size(); ++i) eventually([&] { return hears_all(i); }, std::chrono::seconds(5));
    }
    return true;
  }

  std::vector<std::size_t> all() const {
    std::vector<std::size_t> v(nodes_.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
    return v;
  }

  /// GET as a JSON object with a bounded wait (a stopped node must not hang a
  /// poll); an empty object when there is no 200 answer with an object.
  nlohmann::json get_json(std::size_t i, const std::string& path, std::chrono::seconds timeout = std::chrono::seconds(5)) {
    httplib::Client c("127.0.0.1", nodes_.at(i)->http_port());
    nodes_.at(i)->authorize(c);
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(static_cast<time_t>(timeout.count()), 0);
    auto r = c.Get(path.c_str());
    if (!r || r->status != 200) return nlohmann::json::object();
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
  }

  /// True when every node in `idx` has applied its whole log to its projections
  /// and all report the same projection digests and version vector.
  bool converged(const std::vector<std::size_t>& idx, std::string* why = nullptr) {
    nlohmann::json first;
    for (auto i : idx) {
      auto s = get_json(i, "/v1/status");
      if (!s.contains("projections") || s["projections"].value("lag", 1) != 0) {
        if (why) *why = (*this)[i].options().device_id + ": projections lag or no status";
        return false;
      }
      auto d = get_json(i, "/v1/digest");
      if (!d.contains("projections")) {
        if (why) *why = (*this)[i].options().device_id + ": no digest";
        return false;
      }
      if (first.is_null()) {
        first = d;
      } else if (d != first) {
        if (why) *why = "digests differ: " + first.dump() + " vs " + (*this)[i].options().device_id + " " + d.dump();
        return false;
      }
    }
    return true;
  }

  /// Polls `converged` until it holds or `timeout` passes; `why` keeps the last reason.
  bool converge(const std::vector<std::size_t>& idx, std::chrono::milliseconds timeout, std::string* why = nullptr) {
    return eventually([&] { return converged(idx, why); }, timeout);
  }

  /// True when exactly one node of `idx` is master and every node of `idx`
  /// names it as master with the same term; fills `master` and `term`.
  bool one_master(const std::vector<std::size_t>& idx, std::string* master = nullptr, std::uint64_t* term = nullptr) {
    std::string m;
    std::uint64_t t = 0;
    int masters = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      auto s = get_json(idx[k], "/v1/status");
      if (!s.contains("master") || !s["master"].is_string()) return false;
      if (s.value("role", "") == "master") {
        ++masters;
        if (s["master"] != s["device_id"]) return false;
      }
      if (k == 0) {
        m = s["master"].get<std::string>();
        t = s.value("term", std::uint64_t{0});
      } else if (s["master"] != m || s.value("term", std::uint64_t{0}) != t) {
        return false;
      }
    }
    if (masters != 1) return false;
    if (master) *master = m;
    if (term) *term = t;
    return true;
  }

  /// Index of the node with this device id (size() if none).
  std::size_t index_of(const std::string& device_id) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i]->options().device_id == device_id) return i;
    }
    return nodes_.size();
  }

  /// Role, term and master of the given nodes, and the tail of each log: for failure messages.
  std::string describe(const std::vector<std::size_t>& idx, std::size_t log_tail_bytes = 3000) {
    std::ostringstream out;
    for (auto i : idx) {
      auto& n = *nodes_.at(i);
      auto s = get_json(i, "/v1/status", std::chrono::seconds(2));
      out << n.options().device_id << ": ";
      if (s.contains("device_id")) {
        out << "role=" << s.value("role", "?") << " term=" << s.value("term", 0) << " master=" << s["master"].dump()
            << " vv=" << s["version_vector"].dump() << " pending=" << s["pending_changes"].dump() << "\n";
      } else {
        out << "(no status)\n";
      }
      auto log = n.log_text();
      if (log.size() > log_tail_bytes) log = log.substr(log.size() - log_tail_bytes);
      out << log << "\n";
    }
    return out.str();
  }

private:
  node_process& make(const member& m) {
    node_options o;
    o.device_id = m.device_id;
    o.priority = m.priority;
    o.extra_args = extra_args_;
    // Four consecutive ports (HTTP, ROUTER, PUB, door), distinct from the other nodes'.
    int base = -1;
    for (int attempt = 0; attempt < 50; ++attempt) {
      base = free_port_range(4);
      bool clash = base < 0;
      for (int k = 0; k < 4 && !clash; ++k) clash = used_ports_.count(base + k) > 0;
      if (!clash) break;
    }
    for (int k = 0; k < 4; ++k) used_ports_.insert(base + k);
    nodes_.push_back(std::make_unique<node_process>(dir_.path() / m.device_id, o, base, base + 1));
    return *nodes_.back();
  }

  temp_dir dir_;  // declared first: removed after every process is gone
  std::vector<std::string> extra_args_;
  std::set<int> used_ports_;
  std::vector<std::unique_ptr<node_process>> nodes_;
};

/// Client threads selling to nodes through HTTP, each sale with its own
/// Idempotency-Key: a request that gets no answer (node stopped, killed,
/// restarting) is retried with the same key until the node acknowledges it,
/// so every sale a thread started is acknowledged exactly once and the store's
/// totals must equal the ledger exactly.
class sales_load {
public:
  struct ledger {
    std::set<std::string> receipts;
    std::map<std::string, int> sales_by_day;   ///< acknowledged sales per business day
    std::map<std::string, long> cents_by_day;  ///< their total_cents per day
    long qty = 0;
    long sales = 0;
    long refused = 0;  ///< final answers other than 201 (must stay 0)
    std::string last_refusal;
  };

  /// `sku` must exist with enough stock on every target node.
  sales_load(std::string sku, std::uint32_t seed) : sku_(std::move(sku)), seed_(seed) {}
  ~sales_load() { stop(std::chrono::seconds(0)); }

  /// Starts `threads` client threads selling to the node on `http_port`.
  void start(int http_port, const std::string& tag, int threads) {
    for (int t = 0; t < threads; ++t) {
      const std::uint32_t seed = seed_ + static_cast<std::uint32_t>(threads_.size()) * 7919u;
      threads_.emplace_back([this, http_port, tag, t, seed] { run(http_port, tag + "-t" + std::to_string(t), seed); });
    }
  }

  /// Stops starting new sales and waits for the threads; an unanswered sale
  /// keeps being retried until `retry_for` has passed (then it counts in `abandoned`).
  void stop(std::chrono::milliseconds retry_for = std::chrono::seconds(30)) {
    retry_deadline_ = std::chrono::steady_clock::now() + retry_for;
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  /// Waits until at least `n` sales were acknowledged in total (bounded).
  bool wait_for_sales(long n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return eventually([&] { return sales() >= n; }, timeout);
  }

  long sales() {
    std::lock_guard<std::mutex> lock(m_);
    return ledger_.sales;
  }
  ledger snapshot() {
    std::lock_guard<std::mutex> lock(m_);
    return ledger_;
  }
  long abandoned() const { return abandoned_; }
  std::uint32_t seed() const { return seed_; }

private:
  void run(int http_port, const std::string& name, std::uint32_t seed) {
    std::mt19937 rng(seed);
    httplib::Client c("127.0.0.1", http_port);
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(10, 0);
    c.set_bearer_token_auth(node_process::sign_in_at(http_port, "admin", node_process::test_admin_pin).c_str());
    for (int i = 0; !stop_; ++i) {
      const int qty = 1 + static_cast<int>(rng() % 3);
      const std::string key = name + "-" + std::to_string(i) + "-" + std::to_string(seed);
      const std::string body = nlohmann::json{{"lines", {{{"sku", sku_}, {"qty", qty}}}},
                                              {"payments", {{{"method", "cash"}, {"amount_cents", 100000}}}}}
                                   .dump();
      httplib::Headers h{{"Idempotency-Key", key}};
      int signed_in_again = 0;
      for (;;) {
        auto r = c.Post("/v1/sales", h, body, "application/json");
        if (r && r->status == 401 && signed_in_again++ < 3) {
          // The node restarted (sessions are node-local): sign in again, retry.
          c.set_bearer_token_auth(node_process::sign_in_at(http_port, "admin", node_process::test_admin_pin).c_str());
          continue;
        }
        if (r && r->status != 503) {
          record(*r, qty);
          break;
        }
        if (stop_ && std::chrono::steady_clock::now() > retry_deadline_.load()) {
          ++abandoned_;
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // back-off before the retry, not a wait for a condition
      }
    }
  }

  void record(const httplib::Response& r, int qty) {
    std::lock_guard<std::mutex> lock(m_);
    if (r.status != 201) {
      ++ledger_.refused;
      ledger_.last_refusal = std::to_string(r.status) + " " + r.body;
      return;
    }
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j["receipt"].is_string()) {
      ++ledger_.refused;
      ledger_.last_refusal = "201 without receipt: " + r.body;
      return;
    }
    ledger_.receipts.insert(j["receipt"].get<std::string>());
    const std::string day = j.value("day", "");
    ++ledger_.sales_by_day[day];
    ledger_.cents_by_day[day] += j.value("total_cents", 0L);
    ledger_.qty += qty;
    ++ledger_.sales;
  }

  std::string sku_;
  std::uint32_t seed_;
  std::atomic<bool> stop_{false};
  std::atomic<std::chrono::steady_clock::time_point> retry_deadline_{std::chrono::steady_clock::time_point::max()};
  std::atomic<long> abandoned_{0};
  std::mutex m_;
  ledger ledger_;
  std::vector<std::thread> threads_;
};

} // namespace sn::testing
