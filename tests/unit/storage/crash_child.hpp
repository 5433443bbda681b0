// A child process of the storage tests: appends acknowledged batches to a
// data dir until killed, and reports each acknowledgement on a pipe.
// Started by re-executing the test binary (/proc/self/exe) with
// `--storage-crash-child DIR FD ORIGIN BATCH`, so the child runs in a fresh
// process image (forking a process with RocksDB threads is not safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <sys/types.h>

namespace sn::storage::test {

constexpr const char* crash_child_flag = "--storage-crash-child";

/// Entry point of the child (argv as main's). Returns the exit code.
int crash_child_main(int argc, char** argv);

/// The parent's handle of one child.
class appender_process {
public:
  appender_process(const std::string& data_dir, const std::string& origin, std::size_t batch);
  ~appender_process();  // kills the child if still running
  appender_process(const appender_process&) = delete;
  appender_process& operator=(const appender_process&) = delete;

  /// Blocks until the child has acknowledged seq >= `seq` (returns the highest
  /// acknowledged seq seen) or the deadline passes / the child exits (returns
  /// what was acknowledged so far).
  std::uint64_t wait_acked(std::uint64_t seq, std::chrono::milliseconds timeout);
  /// SIGKILLs the child, reaps it, and returns the highest seq it acknowledged
  /// (acknowledgements still in the pipe count: they were acknowledged).
  std::uint64_t kill9();
  std::uint64_t acked() const { return acked_; }

private:
  bool read_one(int timeout_ms);
  pid_t pid_ = -1;
  int fd_ = -1;
  std::uint64_t acked_ = 0;
};

} // namespace sn::storage::test
