#include "tests/unit/storage/crash_child.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/event_log.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage::test {

namespace {
// The child stops on its own after this many batches if nobody kills it.
constexpr std::size_t child_batches_max = 100000;
} // namespace

int crash_child_main(int argc, char** argv) {
  if (argc != 6) return 2;
  const std::string dir = argv[2];
  const int fd = std::atoi(argv[3]);
  const std::string origin = argv[4];
  const std::size_t batch = std::strtoul(argv[5], nullptr, 10);
  auto log = event_log::open(rw_options(dir));
  if (!log) return 3;
  auto h = (*log)->head(device_id{origin});
  chain c(origin, h ? h->seq.value() + 1 : 1, h ? h->hash : hash256{});
  for (std::size_t i = 0; i < child_batches_max; ++i) {
    auto r = (*log)->append(c.take(batch));
    if (!r || r->appended != batch) return 4;
    const std::uint64_t acked = c.next_seq() - 1;
    // 8 bytes < PIPE_BUF: the write is atomic, the parent never sees half of it.
    if (::write(fd, &acked, sizeof acked) != sizeof acked) return 5;
  }
  return 0;
}

appender_process::appender_process(const std::string& data_dir, const std::string& origin, std::size_t batch) {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  const std::string fd_arg = std::to_string(fds[1]);
  const std::string batch_arg = std::to_string(batch);
  std::vector<std::string> args{"/proc/self/exe", crash_child_flag, data_dir, fd_arg, origin, batch_arg};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  pid_ = ::fork();
  if (pid_ < 0) std::abort();
  if (pid_ == 0) {
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  fd_ = fds[0];
}

appender_process::~appender_process() {
  if (pid_ > 0) kill9();
  if (fd_ >= 0) ::close(fd_);
}

bool appender_process::read_one(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  int n = ::poll(&p, 1, timeout_ms);
  if (n <= 0) return false;
  std::uint64_t v = 0;
  ssize_t got = ::read(fd_, &v, sizeof v);
  if (got != sizeof v) return false;  // EOF: the child exited
  acked_ = v;
  return true;
}

std::uint64_t appender_process::wait_acked(std::uint64_t seq, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (acked_ < seq) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 || !read_one(static_cast<int>(left))) break;
  }
  return acked_;
}

std::uint64_t appender_process::kill9() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  while (read_one(0)) {
  }
  return acked_;
}

} // namespace sn::storage::test
