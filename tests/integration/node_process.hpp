// Test support: real storenode processes on 127.0.0.1 with free ports and a
// temp data dir, always killed and cleaned up by the destructor.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
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
};

/// One storenode process.
class node_process {
public:
  node_process(std::filesystem::path data_dir, node_options o) : data_dir_(std::move(data_dir)), o_(std::move(o)) {
    http_port_ = free_port();
    peer_port_ = free_port(true);
  }
  ~node_process() { kill(SIGKILL); }
  node_process(const node_process&) = delete;

  std::string bind() const { return "tcp://127.0.0.1:" + std::to_string(peer_port_); }
  int http_port() const { return http_port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  pid_t pid() const { return pid_; }
  const node_options& options() const { return o_; }
  std::vector<std::string>& peers() { return o_.peers; }

  /// Starts the process; waits until /healthz answers unless `wait` is false.
  bool start(bool wait = true) {
    std::vector<std::string> args = {STORENODE_PATH,       "--device-id", o_.device_id,
                                     "--priority",         std::to_string(o_.priority),
                                     "--data-dir",         data_dir_.string(),
                                     "--http",             "127.0.0.1:" + std::to_string(http_port_),
                                     "--bind",             bind(),
                                     "--log-level",        "warn"};
    for (auto& p : o_.peers) {
      args.push_back("--peer");
      args.push_back(p);
    }
    for (auto& a : o_.extra_args) args.push_back(a);
    log_path_ = data_dir_.string() + ".log";
    pid_ = ::fork();
    if (pid_ == 0) {
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

  // --- HTTP helpers ---
  httplib::Result get(const std::string& path) {
    httplib::Client c("127.0.0.1", http_port_);
    c.set_read_timeout(20, 0);
    return c.Get(path.c_str());
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& key = "") {
    httplib::Client c("127.0.0.1", http_port_);
    c.set_read_timeout(20, 0);
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
};

} // namespace sn::testing
