#include "tools/scratch_state.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "actors/projection_rows.hpp"
#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"
#include "tools/errc.hpp"

namespace sn::tools {

namespace fs = std::filesystem;

namespace {

constexpr const char* scratch_prefix = "storectl-scratch-";

volatile std::sig_atomic_t interrupt_flag = 0;

extern "C" void on_interrupt(int) { interrupt_flag = 1; }

void install_interrupt_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // a second signal takes the default action: the operator can always kill it
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

bool writable_dir(const char* p) { return p != nullptr && p[0] != '\0' && ::access(p, W_OK | X_OK) == 0; }

/// Scratch dirs of storectl runs that were killed (their pid runs no more).
void sweep_stale(const fs::path& parent) {
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(scratch_prefix, 0) != 0) continue;
    const std::string rest = name.substr(std::char_traits<char>::length(scratch_prefix));
    char* stop = nullptr;
    const long pid = std::strtol(rest.c_str(), &stop, 10);
    if (pid <= 0 || stop == rest.c_str() || *stop != '-') continue;
    if (pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code rm;
    fs::remove_all(it->path(), rm);
  }
}

}  // namespace

std::string default_scratch_parent() {
  if (const char* t = std::getenv("TMPDIR"); writable_dir(t)) return t;
  if (writable_dir("/var/tmp")) return "/var/tmp";
  return "/tmp";
}

bool interrupted() noexcept { return interrupt_flag != 0; }

struct scratch_state::impl {
  std::string dir;
  std::unique_ptr<storage::event_log> log;
  std::unique_ptr<storage::projection_store> store;
  std::unique_ptr<actors::stored_row_store> rows;
  std::unique_ptr<projections::projection_set> set;

  ~impl() {
    // Close before removing: RocksDB holds files open until then.
    set.reset();
    rows.reset();
    store.reset();
    log.reset();
    if (!dir.empty()) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }
};

scratch_state::scratch_state(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
scratch_state::~scratch_state() = default;

expected<std::unique_ptr<scratch_state>> scratch_state::create(const options& o) {
  install_interrupt_handlers();
  const fs::path parent = o.parent.empty() ? fs::path(default_scratch_parent()) : fs::path(o.parent);
  std::error_code ec;
  if (!fs::is_directory(parent, ec)) {
    return make_error(errc::io, "scratch dir parent '" + parent.string() + "' is not a directory (--scratch DIR)");
  }
  sweep_stale(parent);
  std::string tmpl = (parent / (std::string(scratch_prefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return make_error(errc::io, "cannot create a scratch dir in '" + parent.string() + "': " +
                                    std::error_code(errno, std::generic_category()).message() + " (--scratch DIR)");
  }
  auto p = std::make_unique<impl>();
  p->dir = tmpl;  // removed by ~impl from here on, whatever fails below

  std::vector<std::unique_ptr<projections::projection>> units;
  std::vector<std::string> names;
  for (auto& u : projections::all_projections()) {
    bool wanted = o.only.empty();
    for (const auto& n : o.only) wanted = wanted || n == u->name();
    if (!wanted) continue;
    names.emplace_back(u->name());
    units.push_back(std::move(u));
  }
  storage::log_options lo;
  lo.data_dir = p->dir;
  lo.sync = storage::durability::os;  // scratch: nothing here needs to survive a crash
  lo.block_cache_bytes = o.cache_bytes;
  lo.projection_families = names;
  auto log = storage::event_log::open(lo);
  if (!log) return make_error(errc::io, "cannot open the scratch state in '" + p->dir + "': " + log.error().message);
  p->log = std::move(*log);
  auto store = storage::projection_store::open(*p->log, names);
  if (!store) return make_error(errc::io, "scratch state in '" + p->dir + "': " + store.error().message);
  p->store = std::move(*store);
  p->rows = std::make_unique<actors::stored_row_store>(*p->store);
  p->set = std::make_unique<projections::projection_set>(o.settings, std::move(units), *p->rows);
  if (auto st = p->set->open(); !st) return make_error(errc::io, "scratch state: " + st.error().message);
  return std::unique_ptr<scratch_state>(new scratch_state(std::move(p)));
}

projections::projection_set& scratch_state::set() noexcept { return *impl_->set; }
const projections::row_reader& scratch_state::rows(std::size_t i) const { return impl_->rows->rows(i); }
const std::string& scratch_state::dir() const noexcept { return impl_->dir; }

}  // namespace sn::tools
