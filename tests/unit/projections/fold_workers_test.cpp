// fold_workers: every index of a run exactly once, on more than one thread,
// run after run (helpers parked in between), and a clean stop.
#include "actors/projections/fold_workers.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sn::projections {
namespace {

TEST(fold_workers, every_index_runs_exactly_once_in_each_of_many_runs) {
  fold_workers w(2);
  ASSERT_EQ(w.helpers(), 2u);
  for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 8u, 64u}) {
    for (int round = 0; round < 200; ++round) {
      std::vector<std::atomic<int>> calls(n);
      w.run(n, [&](std::size_t i) { calls[i].fetch_add(1); });
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(calls[i].load(), 1) << "n=" << n << " round=" << round << " i=" << i;
    }
  }
}

TEST(fold_workers, a_run_uses_the_helpers_and_returns_only_when_all_calls_returned) {
  fold_workers w(1);
  std::mutex m;
  std::set<std::thread::id> threads;
  std::atomic<int> finished{0};
  // Each call waits until another call has started, so one thread alone
  // could never finish: the run needs its helper.
  std::atomic<int> started{0};
  w.run(2, [&](std::size_t) {
    started.fetch_add(1);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    {
      std::lock_guard<std::mutex> lock(m);
      threads.insert(std::this_thread::get_id());
    }
    finished.fetch_add(1);
  });
  EXPECT_EQ(finished.load(), 2);  // nothing still running after run() returned
  EXPECT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 1u);
}

TEST(fold_workers, no_helpers_runs_on_the_caller) {
  fold_workers w(0);
  std::set<std::thread::id> threads;
  w.run(5, [&](std::size_t) { threads.insert(std::this_thread::get_id()); });
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

}  // namespace
}  // namespace sn::projections
