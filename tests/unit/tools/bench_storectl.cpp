// Figures for docs/benchmarks.md ("storectl"); not a test.
//
//   bench_storectl [EVENTS=1000000] [RUNS=5] [DATA_DIR]
//
// 1. Builds a data dir of EVENTS events (3 tills' sales and back-office stock
//    receipts, chained, appended through storage::event_log in batches of 1000)
//    unless DATA_DIR already holds one.
// 2. Tail: runs `storectl events tail --data DIR --from 1` (every event, human
//    lines; and --json) reading its stdout through a pipe: time to the first
//    line and events/s to the end. Also the default tail (last 20 lines).
// 3. Replay: `storectl replay --data DIR --json --progress never|always`,
//    alternating, RUNS each; the fold time the replay reports itself (so process
//    start and RocksDB open are excluded) and wall time; median of each.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "storage/event_log.hpp"

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;

struct child_output {
  double first_line_s = 0;
  double total_s = 0;
  std::uint64_t lines = 0;
  std::string text;  // kept only when asked
};

child_output run(const std::vector<std::string>& args, bool keep) {
  std::vector<std::string> argv{STORECTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) std::abort();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  const auto start = clock_type::now();
  pid_t pid = -1;
  if (posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ) != 0) std::abort();
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  child_output r;
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(out[0], buf.data(), buf.size());
    if (n <= 0) break;
    const auto nl = static_cast<std::uint64_t>(std::count(buf.data(), buf.data() + n, '\n'));
    if (r.lines == 0 && nl > 0) r.first_line_s = std::chrono::duration<double>(clock_type::now() - start).count();
    r.lines += nl;
    if (keep) r.text.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  r.total_s = std::chrono::duration<double>(clock_type::now() - start).count();
  return r;
}

void build(const std::string& dir, std::uint64_t count) {
  sn::storage::log_options o;
  o.data_dir = dir;
  o.sync = sn::storage::durability::os;
  auto log = sn::storage::event_log::open(o);
  if (!log) {
    std::fprintf(stderr, "open: %s\n", log.error().to_string().c_str());
    std::exit(2);
  }
  std::map<std::string, std::pair<std::uint64_t, sn::hash256>> heads;
  const char* origins[] = {"POS1", "POS2", "POS3", "BO"};
  std::vector<sn::event> batch;
  std::uint64_t ms = 1'795'478'400'000ull;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string origin = origins[i % 4];
    auto& [seq, prev] = heads[origin];
    ++ms;
    sn::event e;
    if (origin == "BO") {
      e = sn::make_event(sn::device_id{origin}, sn::origin_seq{++seq}, sn::hlc_timestamp::from_parts(ms, 0),
                         sn::term_id{1}, sn::stock_received{"SKU-" + std::to_string(i % 500), 12, "PO-" + std::to_string(i)});
    } else {
      sn::sale_completed s;
      s.receipt = origin + "-" + std::to_string(seq + 1);
      for (int l = 0; l < 3; ++l) {
        s.lines.push_back(sn::sale_line{"SKU-" + std::to_string((i + l) % 500), 1 + l, 250, 0, 2000, 41});
      }
      s.gross_cents = s.total_cents = 1500;
      s.payments.push_back(sn::payment{"card", 1500});
      e = sn::make_event(sn::device_id{origin}, sn::origin_seq{++seq}, sn::hlc_timestamp::from_parts(ms, 0),
                         sn::term_id{1}, s);
    }
    e.prev_hash = prev;
    sn::seal(e);
    prev = e.hash;
    batch.push_back(std::move(e));
    if (batch.size() == 1000 || i + 1 == count) {
      auto r = (*log)->append(batch);
      if (!r || r->appended != batch.size()) {
        std::fprintf(stderr, "append failed\n");
        std::exit(2);
      }
      batch.clear();
    }
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  const std::uint64_t count = argc > 1 ? std::stoull(argv[1]) : 1'000'000;
  const int runs = argc > 2 ? std::stoi(argv[2]) : 5;
  std::string dir = argc > 3 ? argv[3] : (std::filesystem::temp_directory_path() / "sn-bench-storectl").string();
  if (!std::filesystem::exists(dir + "/CURRENT")) {
    std::printf("building %llu events in %s ...\n", static_cast<unsigned long long>(count), dir.c_str());
    const auto t0 = clock_type::now();
    build(dir, count);
    std::printf("  built in %.1f s\n", std::chrono::duration<double>(clock_type::now() - t0).count());
  }

  for (const bool as_json : {false, true}) {
    std::vector<double> first, rate;
    std::uint64_t lines = 0;
    for (int i = 0; i < runs; ++i) {
      std::vector<std::string> args{"events", "tail", "--data", dir, "--from", "1"};
      if (as_json) args.push_back("--json");
      auto r = run(args, false);
      first.push_back(r.first_line_s * 1000);
      rate.push_back(static_cast<double>(r.lines) / r.total_s);
      lines = r.lines;
    }
    std::printf("tail --from 1%s: %llu lines; time to first line median %.1f ms; %.0f events/s (median of %d)\n",
                as_json ? " --json" : "", static_cast<unsigned long long>(lines), median(first), median(rate), runs);
  }
  {
    std::vector<double> first;
    for (int i = 0; i < runs; ++i) first.push_back(run({"events", "tail", "--data", dir}, false).first_line_s * 1000);
    std::printf("tail (last 20): time to first line median %.1f ms\n", median(first));
  }

  std::vector<double> off_fold, on_fold, off_wall, on_wall;
  for (int i = 0; i < runs; ++i) {
    for (const bool on : {false, true}) {
      auto r = run({"replay", "--data", dir, "--json", "--progress", on ? "always" : "never"}, true);
      auto j = nlohmann::json::parse(r.text);
      (on ? on_fold : off_fold).push_back(j["seconds"].get<double>());
      (on ? on_wall : off_wall).push_back(r.total_s);
    }
  }
  const double off = median(off_fold), on = median(on_fold);
  std::printf("replay %llu events: progress off %.3f s (%.0f ev/s), on %.3f s (%.0f ev/s): overhead %+.2f%% "
              "(wall: off %.3f s, on %.3f s; median of %d, alternating)\n",
              static_cast<unsigned long long>(count), off, count / off, on, count / on, (on / off - 1) * 100,
              median(off_wall), median(on_wall), runs);
  return 0;
}
