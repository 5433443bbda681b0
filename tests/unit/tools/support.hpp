// Helpers of the storectl tests: temp dirs, running the built storectl binary
// as a subprocess (pipes or a pseudo-terminal), and a data dir of a small
// store built through the real event log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events/event.hpp"

namespace sn::tools::test {

/// A fresh directory under the temp dir, removed with its contents.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Environment changes for a child: value nullopt removes the variable.
using env_changes = std::map<std::string, std::optional<std::string>>;

/// Runs storectl with `args` to completion (stdout and stderr captured via
/// pipes; NO_COLOR and STORECTL_NODE removed unless `env` sets them).
run_result run_storectl(const std::vector<std::string>& args, const env_changes& env = {});

/// Same, with stdout on a pseudo-terminal (as an operator's shell has it).
run_result run_storectl_on_tty(const std::vector<std::string>& args, const env_changes& env = {});

/// A storectl left running (tail --follow): read its stdout line by line.
class running_storectl {
public:
  explicit running_storectl(const std::vector<std::string>& args);
  ~running_storectl();  ///< SIGTERM, then reaps it
  /// The next stdout line, or nullopt if none arrived before the deadline.
  std::optional<std::string> next_line(std::chrono::milliseconds timeout);
  /// Everything on stderr so far (after it stopped).
  std::string stop_and_stderr();

private:
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string buffer_;
};

/// Milliseconds of the store's day the fixture is built around:
/// 2026-11-24T00:00:00Z.
constexpr std::uint64_t day0_ms = 1'795'478'400'000ull;
constexpr std::uint64_t hour_ms = 3'600'000ull;

/// One event of the sample store and where it landed.
struct placed_event {
  event ev;
  std::uint64_t position = 0;
};

/// A small store written through storage::event_log (so every chain and index
/// is exactly what a node writes): BO registers devices and products, receives
/// stock and becomes master; POS1 and POS2 sell. Events are appended in HLC
/// order, one per append. The story (times on 2026-11-24, UTC):
///   00:30 BO  master.changed (startup, term 1)     01:00 BO device.registered x2
///   01:30 BO  product.upserted SKU-A, SKU-B        02:00 BO stock.received SKU-A +10, SKU-B +5
///   10:00 POS1 sale.completed 3 x SKU-A            14:00 POS2 sale.completed 2 x SKU-A, 1 x SKU-B
///   16:00 BO  stock.adjusted SKU-B -1 (damage)     17:00 BO conflict.resolved product.price[SKU-A]
///   20:00 POS1 sale.completed 1 x SKU-A
/// So SKU-A on hand is 10 at 09:00, 7 at 12:00, 5 at 18:00 and 4 at the end.
struct sample_store {
  std::vector<placed_event> events;
  /// Writes the store into `data_dir` (created) and closes the log.
  static sample_store write(const std::string& data_dir);
  const placed_event& find(const std::string& origin, std::uint64_t seq) const;
};

/// The path of the storectl binary under test.
const char* storectl_path();

} // namespace sn::tools::test
