// Wakes the HTTP threads that stream events (SSE) when the log grows.
// Thread safety: publish() from the notifier actor, wait_beyond() from any
// number of HTTP threads, close() once at shutdown.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace sn::node {

class event_feed {
public:
  explicit event_feed(std::uint64_t position) : position_(position) {}

  /// The log now holds events up to `position`.
  void publish(std::uint64_t position) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (position > position_) position_ = position;
    }
    changed_.notify_all();
  }

  /// Blocks until the log holds an event after `position`, the feed closes, or
  /// `timeout` passes. Returns the newest position (== position on timeout);
  /// 0 with `closed` set once closed.
  std::uint64_t wait_beyond(std::uint64_t position, std::chrono::milliseconds timeout, bool& closed) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return closed_ || position_ > position; });
    closed = closed_;
    return position_;
  }

  std::uint64_t position() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return position_;
  }

  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    changed_.notify_all();
  }

private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t position_ = 0;
  bool closed_ = false;
};

} // namespace sn::node
