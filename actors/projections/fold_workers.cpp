#include "actors/projections/fold_workers.hpp"

#include <pthread.h>

namespace sn::projections {

fold_workers::fold_workers(std::size_t helpers) {
  threads_.reserve(helpers);
  for (std::size_t t = 0; t < helpers; ++t) threads_.emplace_back([this] {
      ::pthread_setname_np(::pthread_self(), "sn.fold");  // top -H, the benches' CPU by thread
      helper();
    });
}

fold_workers::~fold_workers() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void fold_workers::work(const std::function<void(std::size_t)>& fn, std::size_t n) {
  for (std::size_t i = next_.fetch_add(1); i < n; i = next_.fetch_add(1)) fn(i);
}

void fold_workers::helper() {
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(std::size_t)>* job = nullptr;
    std::size_t n = 0;
    {
      std::unique_lock<std::mutex> lock(m_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      n = n_;
    }
    work(*job, n);
    std::lock_guard<std::mutex> lock(m_);
    if (--busy_ == 0) done_.notify_one();
  }
}

void fold_workers::run(std::size_t n, const std::function<void(std::size_t)>& fn) {
  if (threads_.empty() || n <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(m_);
    job_ = &fn;
    n_ = n;
    next_.store(0);
    busy_ = threads_.size();
    ++generation_;
  }
  wake_.notify_all();
  work(fn, n);
  std::unique_lock<std::mutex> lock(m_);
  done_.wait(lock, [&] { return busy_ == 0; });
  job_ = nullptr;
}

} // namespace sn::projections
