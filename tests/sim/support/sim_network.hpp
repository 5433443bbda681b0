// A seeded simulated clock, event queue and network for deterministic
// simulations (ARCHITECTURE.md §3). Same seed, same run: all randomness comes
// from one std::mt19937_64 and ties in time are broken by insertion order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace sn::sim {

/// Discrete-event queue over simulated milliseconds.
class event_queue {
public:
  using action = std::function<void()>;
  void at(std::uint64_t time_ms, action a);
  /// Runs every action due at or before `until_ms`, in (time, insertion) order;
  /// now() follows the action being run. Returns false when the queue is empty.
  bool run_until(std::uint64_t until_ms);
  std::uint64_t now() const noexcept { return now_ms_; }
  std::size_t size() const noexcept { return q_.size(); }

private:
  struct item {
    std::uint64_t time_ms;
    std::uint64_t order;
    action a;
  };
  struct later {
    bool operator()(const item& x, const item& y) const {
      return x.time_ms != y.time_ms ? x.time_ms > y.time_ms : x.order > y.order;
    }
  };
  std::priority_queue<item, std::vector<item>, later> q_;
  std::uint64_t order_ = 0;
  std::uint64_t now_ms_ = 0;
};

/// Fault model of the simulated network.
struct network_faults {
  double loss = 0.0;                ///< probability a message is dropped
  double duplicate = 0.0;           ///< probability a delivered message is delivered twice
  std::uint64_t delay_min_ms = 1;   ///< one-way delay, uniform in [min, max]: reorders messages
  std::uint64_t delay_max_ms = 20;
};

/// Point-to-point links between `nodes` nodes, each up or down (partitions).
/// A message is dropped if its link is down when sent or when due.
class sim_network {
public:
  using deliver_fn = std::function<void(std::size_t from, std::size_t to, std::uint8_t type, const std::string& body)>;

  sim_network(std::size_t nodes, event_queue& q, std::mt19937_64& rng, network_faults faults, deliver_fn deliver);

  void send(std::size_t from, std::size_t to, std::uint8_t type, std::string body);
  void set_link(std::size_t a, std::size_t b, bool up);  ///< both directions
  bool link_up(std::size_t a, std::size_t b) const { return up_[a * n_ + b]; }
  void heal_all();
  /// Splits the nodes into two sides; links across are cut, links within are up.
  void partition(const std::vector<bool>& side);
  void set_faults(network_faults f) { faults_ = f; }

  std::uint64_t sent() const noexcept { return sent_; }
  std::uint64_t dropped() const noexcept { return dropped_; }
  std::uint64_t duplicated() const noexcept { return duplicated_; }
  std::uint64_t bytes() const noexcept { return bytes_; }

private:
  void schedule(std::size_t from, std::size_t to, std::uint8_t type, std::shared_ptr<const std::string> body);

  std::size_t n_;
  event_queue& q_;
  std::mt19937_64& rng_;
  network_faults faults_;
  deliver_fn deliver_;
  std::vector<bool> up_;
  std::uint64_t sent_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t bytes_ = 0;
};

} // namespace sn::sim
