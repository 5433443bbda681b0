#include "tests/sim/support/sim_network.hpp"

#include <memory>

namespace sn::sim {

void event_queue::at(std::uint64_t time_ms, action a) {
  if (time_ms < now_ms_) time_ms = now_ms_;  // never schedule into the past
  q_.push(item{time_ms, order_++, std::move(a)});
}

bool event_queue::run_until(std::uint64_t until_ms) {
  while (!q_.empty() && q_.top().time_ms <= until_ms) {
    item it = std::move(const_cast<item&>(q_.top()));  // popped right away
    q_.pop();
    now_ms_ = it.time_ms;
    it.a();
  }
  if (now_ms_ < until_ms) now_ms_ = until_ms;
  return !q_.empty();
}

sim_network::sim_network(std::size_t nodes, event_queue& q, std::mt19937_64& rng, network_faults faults,
                         deliver_fn deliver)
    : n_(nodes), q_(q), rng_(rng), faults_(faults), deliver_(std::move(deliver)), up_(nodes * nodes, true) {}

void sim_network::send(std::size_t from, std::size_t to, std::uint8_t type, std::string body) {
  ++sent_;
  bytes_ += body.size();
  if (!link_up(from, to) || std::bernoulli_distribution(faults_.loss)(rng_)) {
    ++dropped_;
    return;
  }
  auto shared = std::make_shared<const std::string>(std::move(body));
  schedule(from, to, type, shared);
  if (std::bernoulli_distribution(faults_.duplicate)(rng_)) {
    ++duplicated_;
    schedule(from, to, type, shared);
  }
}

void sim_network::schedule(std::size_t from, std::size_t to, std::uint8_t type,
                           std::shared_ptr<const std::string> body) {
  const std::uint64_t delay =
      std::uniform_int_distribution<std::uint64_t>(faults_.delay_min_ms, faults_.delay_max_ms)(rng_);
  q_.at(q_.now() + delay, [this, from, to, type, body] {
    if (!link_up(from, to)) {
      ++dropped_;
      return;
    }
    deliver_(from, to, type, *body);
  });
}

void sim_network::set_link(std::size_t a, std::size_t b, bool up) {
  up_[a * n_ + b] = up;
  up_[b * n_ + a] = up;
}

void sim_network::heal_all() { std::fill(up_.begin(), up_.end(), true); }

void sim_network::partition(const std::vector<bool>& side) {
  for (std::size_t a = 0; a < n_; ++a) {
    for (std::size_t b = 0; b < n_; ++b) up_[a * n_ + b] = side[a] == side[b];
  }
}

} // namespace sn::sim
