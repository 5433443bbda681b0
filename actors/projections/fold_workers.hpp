// The helper threads a projection set folds on (projection_set::apply_chunk
// and flush): started once and parked on a condition variable between jobs,
// so a live fold batch that is worth sharing out does not pay for starting a
// thread (or a fresh malloc arena) every time.
//
// Contract
// - run(n, fn) calls fn(i) exactly once for every i in [0, n), on the
//   caller's thread and the helpers, and returns when every call has
//   returned. fn must not throw. Calls for different i may run at once.
// - One run at a time: run is called from the set's owner only.
// - The destructor stops and joins the helpers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sn::projections {

class fold_workers {
 public:
  /// `helpers` threads besides the caller's.
  explicit fold_workers(std::size_t helpers);
  ~fold_workers();
  fold_workers(const fold_workers&) = delete;
  fold_workers& operator=(const fold_workers&) = delete;

  std::size_t helpers() const noexcept { return threads_.size(); }
  void run(std::size_t n, const std::function<void(std::size_t)>& fn);

 private:
  void helper();
  void work(const std::function<void(std::size_t)>& fn, std::size_t n);

  std::mutex m_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t n_ = 0;
  std::atomic<std::size_t> next_{0};
  std::uint64_t generation_ = 0;
  std::size_t busy_ = 0;  // helpers still inside the current job
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

} // namespace sn::projections
