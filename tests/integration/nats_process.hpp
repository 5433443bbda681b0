// Test support: a real nats-server with JetStream on 127.0.0.1 (a free port,
// a temp store dir), and a storenode-hq process. Both are killed and their
// dirs removed by the destructors, whatever the test's outcome.
#pragma once

#include <filesystem>
#include <string>

#include "tests/integration/node_process.hpp"

namespace sn::testing {

inline bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// Starts `args` with stdout/stderr appended to `log`; the child's pid.
inline pid_t spawn_logged(std::vector<std::string> args, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

inline void stop_child(pid_t& pid, int sig) {
  if (pid <= 0) return;
  ::kill(pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  pid = -1;
}

/// nats-server -js on 127.0.0.1:port with its store under a temp dir.
class nats_server {
public:
  nats_server() : port_(free_port_range(1)) {}
  ~nats_server() { stop_child(pid_, SIGKILL); }
  nats_server(const nats_server&) = delete;

  bool start() {
    pid_ = spawn_logged({"nats-server", "-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd",
                         (dir_.path() / "js").string()},
                        (dir_.path() / "nats.log").string());
    return eventually([&] { return port_accepts(port_); }, std::chrono::seconds(10));
  }
  /// Graceful stop (SIGTERM: JetStream flushes its store), waits for the exit.
  void stop() { stop_child(pid_, SIGTERM); }
  int port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::string log_text() const {
    std::ifstream in(dir_.path() / "nats.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

private:
  temp_dir dir_;
  int port_;
  pid_t pid_ = -1;
};

/// storenode-hq --nats URL --data-dir TEMP --http 127.0.0.1:PORT.
class hq_process {
public:
  explicit hq_process(std::string nats_url) : nats_(std::move(nats_url)), http_port_(free_port_range(1)) {}
  ~hq_process() { stop_child(pid_, SIGKILL); }
  hq_process(const hq_process&) = delete;

  bool start() {
    pid_ = spawn_logged({STORENODE_HQ_PATH, "--nats", nats_, "--data-dir", (dir_.path() / "hq").string(), "--http",
                         "127.0.0.1:" + std::to_string(http_port_), "--discover-interval-ms", "200", "--log-level",
                         "info"},
                        (dir_.path() / "hq.log").string());
    return eventually([&] { return get_json("/healthz").is_object(); }, std::chrono::seconds(10));
  }
  void kill(int sig) { stop_child(pid_, sig); }
  nlohmann::json get_json(const std::string& path) {
    httplib::Client c("127.0.0.1", http_port_);
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(5, 0);
    auto r = c.Get(path.c_str());
    if (!r || r->status != 200) return nlohmann::json();
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  std::string metrics() {
    httplib::Client c("127.0.0.1", http_port_);
    auto r = c.Get("/metrics");
    return r ? r->body : std::string();
  }
  /// The store's entry of /v1/chain/stores (null when HQ has none).
  nlohmann::json store(const std::string& id) {
    auto j = get_json("/v1/chain/stores");
    if (!j.is_object()) return nullptr;
    for (auto& s : j["stores"]) {
      if (s["store_id"] == id) return s;
    }
    return nullptr;
  }
  std::string log_text() const {
    std::ifstream in(dir_.path() / "hq.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

private:
  temp_dir dir_;
  std::string nats_;
  int http_port_;
  pid_t pid_ = -1;
};

} // namespace sn::testing
