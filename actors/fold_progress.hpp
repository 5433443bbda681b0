// How far each projection has folded the log, shared between the projection
// actor (writes) and the HTTP threads (read). Queries run on HTTP threads
// straight against the projections' rows; before reading, a query waits until
// its projection has folded every event the log held when the request came
// in — so a client that got 201 for a sale reads that sale back (read your
// writes), as when queries went through the projection actor's mailbox. A
// paused or rebuilding projection is not waited for: it answers what it has
// (/v1/projections says it is behind).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace sn::actors {

class fold_progress {
 public:
  explicit fold_progress(std::size_t projections) : slots_(projections) {}

  std::size_t size() const noexcept { return slots_.size(); }
  std::uint64_t position(std::size_t i) const noexcept { return slots_[i].position.load(std::memory_order_acquire); }
  /// Paused, or catching up after a rebuild or resume: queries do not wait.
  bool behind(std::size_t i) const noexcept { return slots_[i].behind.load(std::memory_order_acquire); }

  /// Projection actor: positions made durable; wakes waiting queries.
  void advance(std::size_t i, std::uint64_t position, bool behind) {
    slots_[i].position.store(position, std::memory_order_release);
    slots_[i].behind.store(behind, std::memory_order_release);
    hurried_.store(false, std::memory_order_release);  // the next wait hurries the next write
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }

  /// Called by a query that has to wait (on its own thread): the projection
  /// actor writes what it has folded now rather than at its next live write
  /// (projection_actor.cpp, live_write_interval). Once per published write:
  /// a burst of waiting queries sends one. Set before queries run.
  void set_hurry(std::function<void()> hurry) { hurry_ = std::move(hurry); }

  /// Waits until projection i has folded `position` (or is behind, or the
  /// timeout passes). True when it has.
  bool wait_for(std::size_t i, std::uint64_t position, std::chrono::milliseconds timeout) {
    const auto ready = [&] { return behind(i) || this->position(i) >= position; };
    if (ready()) return true;
    if (hurry_ && !hurried_.exchange(true, std::memory_order_acq_rel)) hurry_();
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, ready);
  }

 private:
  struct slot {
    std::atomic<std::uint64_t> position{0};
    std::atomic<bool> behind{false};
  };
  std::vector<slot> slots_;
  std::function<void()> hurry_;
  std::atomic<bool> hurried_{false};  ///< hurry_ called since the last advance()
  std::mutex mu_;
  std::condition_variable cv_;
};

} // namespace sn::actors
