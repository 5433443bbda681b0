#include "tests/unit/tools/support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"
#include "storage/event_log.hpp"

extern char** environ;

namespace sn::tools::test {

const char* storectl_path() { return STORECTL_PATH; }

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sn-storectl-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

// A child's environment: ours, minus the variables that change storectl's
// behaviour, plus the test's changes.
std::vector<std::string> child_env(const env_changes& changes) {
  env_changes all{{"NO_COLOR", std::nullopt}, {"STORECTL_NODE", std::nullopt}, {"TERM", std::string("xterm")}};
  for (const auto& [k, v] : changes) all[k] = v;
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    const std::string key = kv.substr(0, kv.find('='));
    if (all.count(key) == 0) env.push_back(kv);
  }
  for (const auto& [k, v] : all) {
    if (v) env.push_back(k + "=" + *v);
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

pid_t spawn(const std::vector<std::string>& args, const env_changes& env, int out_fd, int err_fd,
            std::vector<int> close_in_child) {
  std::vector<std::string> argv{storectl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto envs = child_env(env);
  auto cargv = c_strings(argv);
  auto cenv = c_strings(envs);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  for (int fd : close_in_child) posix_spawn_file_actions_addclose(&fa, fd);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
  return pid;
}

// Reads both fds to EOF (EIO on a pty master counts as EOF).
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_count = 2;
  char buf[65536];
  while (open_count > 0) {
    if (::poll(fds, 2, 60'000) <= 0) break;  // 60 s: a hung child fails the test, not the suite
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out : err).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
}

int reap(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

} // namespace

run_result run_storectl(const std::vector<std::string>& args, const env_changes& env) {
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = spawn(args, env, out[1], err[1], {out[0], err[0]});
  ::close(out[1]);
  ::close(err[1]);
  run_result r;
  drain(out[0], err[0], r.out, r.err);
  ::close(out[0]);
  ::close(err[0]);
  r.exit_code = reap(pid);
  return r;
}

run_result run_storectl_on_tty(const std::vector<std::string>& args, const env_changes& env) {
  int master = -1, slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) throw std::runtime_error("openpty failed");
  int err[2];
  if (::pipe(err) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = spawn(args, env, slave, err[1], {master, err[0]});
  ::close(slave);
  ::close(err[1]);
  run_result r;
  drain(master, err[0], r.out, r.err);
  ::close(master);
  ::close(err[0]);
  r.exit_code = reap(pid);
  return r;
}

running_storectl::running_storectl(const std::vector<std::string>& args) {
  int out[2], err[2];
  if (::pipe(out) != 0 || ::pipe(err) != 0) throw std::runtime_error("pipe failed");
  pid_ = spawn(args, {}, out[1], err[1], {out[0], err[0]});
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

running_storectl::~running_storectl() { stop_and_stderr(); }

std::optional<std::string> running_storectl::next_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || out_fd_ < 0) return std::nullopt;
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string running_storectl::stop_and_stderr() {
  std::string err;
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    std::string out;
    drain(out_fd_, err_fd_, out, err);
    reap(pid_);
    ::close(out_fd_);
    ::close(err_fd_);
    pid_ = -1;
  }
  return err;
}

// ---- the sample store --------------------------------------------------------

namespace {

struct writer {
  storage::event_log& log;
  std::map<std::string, std::pair<std::uint64_t, hash256>> heads;
  sample_store& store;

  template <class Payload>
  void add(const std::string& origin, std::uint64_t at_ms, const Payload& p, std::uint64_t term = 1) {
    auto& [seq, prev] = heads[origin];
    event e = make_event(device_id{origin}, origin_seq{seq + 1}, hlc_timestamp::from_parts(at_ms, 0), term_id{term}, p);
    e.prev_hash = prev;
    seal(e);
    auto r = log.append({e});
    if (!r || r->appended != 1) throw std::runtime_error("sample store: append refused");
    seq += 1;
    prev = e.hash;
    store.events.push_back({e, r->positions[0].value()});
  }
};

sale_completed sale(const std::string& receipt, std::vector<std::pair<std::string, std::int64_t>> lines) {
  sale_completed s;
  s.receipt = receipt;
  for (const auto& [sku, qty] : lines) {
    sale_line l;
    l.sku = sku;
    l.qty = qty;
    l.unit_price_cents = 250;
    l.tax_rate_bp = 2000;
    l.tax_cents = qty * 250 * 2000 / 12000;
    s.lines.push_back(l);
    s.gross_cents += qty * 250;
    s.tax_cents += l.tax_cents;
  }
  s.total_cents = s.gross_cents;
  s.payments.push_back(payment{"card", s.total_cents});
  return s;
}

} // namespace

sample_store sample_store::write(const std::string& data_dir) {
  sample_store s;
  storage::log_options o;
  o.data_dir = data_dir;
  o.sync = storage::durability::os;
  auto log = storage::event_log::open(o);
  if (!log) throw std::runtime_error("sample store: " + log.error().to_string());
  writer w{**log, {}, s};
  w.add("BO", day0_ms + hour_ms / 2, master_changed{"", "BO", 1, "startup", {"BO", "POS1", "POS2"}});
  w.add("BO", day0_ms + hour_ms, device_registered{"POS1", "Till 1", 50});
  w.add("BO", day0_ms + hour_ms + 1, device_registered{"POS2", "Till 2", 40});
  w.add("BO", day0_ms + 3 * hour_ms / 2, product_upserted{"SKU-A", "Apple juice", "4000001", 250, 2000, 2, true});
  w.add("BO", day0_ms + 3 * hour_ms / 2 + 1, product_upserted{"SKU-B", "Bread", "4000002", 250, 2000, 1, true});
  w.add("BO", day0_ms + 2 * hour_ms, stock_received{"SKU-A", 10, "PO-1"});
  w.add("BO", day0_ms + 2 * hour_ms + 1, stock_received{"SKU-B", 5, "PO-1"});
  w.add("POS1", day0_ms + 10 * hour_ms, sale("POS1-000001", {{"SKU-A", 3}}));
  w.add("POS2", day0_ms + 14 * hour_ms, sale("POS2-000001", {{"SKU-A", 2}, {"SKU-B", 1}}));
  w.add("BO", day0_ms + 16 * hour_ms, stock_adjusted{"SKU-B", -1, "damage", "dropped"});
  w.add("BO", day0_ms + 17 * hour_ms,
        conflict_resolved{"product.price", "SKU-A", "BO:4", "POS1:9", "lww_hlc_origin", "260", "250"});
  w.add("POS1", day0_ms + 20 * hour_ms, sale("POS1-000002", {{"SKU-A", 1}}));
  return s;
}

const placed_event& sample_store::find(const std::string& origin, std::uint64_t seq) const {
  for (const auto& p : events) {
    if (p.ev.origin.value() == origin && p.ev.seq.value() == seq) return p;
  }
  throw std::runtime_error("no such sample event");
}

} // namespace sn::tools::test
