// Test support for the transport tests: a node that records what it is
// delivered, and polling with a deadline (never a fixed sleep).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/transport.hpp"

namespace sn::broker::test {

using namespace std::chrono_literals;

inline constexpr auto deadline = 10s;

/// Polls `pred` every 5 ms until true or the deadline passes.
template <class Pred>
inline bool wait_for(Pred pred, std::chrono::milliseconds limit = deadline) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

/// Collects what a transport delivers (on its I/O thread).
struct inbox {
  std::mutex m;
  std::vector<inbound> got;
  void operator()(inbound&& in) {
    std::lock_guard<std::mutex> l(m);
    got.push_back(std::move(in));
  }
  std::size_t count(message_type t) {
    std::lock_guard<std::mutex> l(m);
    std::size_t n = 0;
    for (auto& i : got) n += i.type == t;
    return n;
  }
  std::optional<inbound> first(message_type t) {
    std::lock_guard<std::mutex> l(m);
    for (auto& i : got)
      if (i.type == t) return i;
    return std::nullopt;
  }
  std::vector<inbound> all(message_type t) {
    std::lock_guard<std::mutex> l(m);
    std::vector<inbound> out;
    for (auto& i : got)
      if (i.type == t) out.push_back(i);
    return out;
  }
};

struct node {
  std::string address;
  std::shared_ptr<inbox> box = std::make_shared<inbox>();
  std::unique_ptr<transport> t;
};

inline transport_options options_for(const std::string& address, std::vector<std::string> peers = {}) {
  transport_options o;
  o.bind = address;
  o.peers = std::move(peers);
  return o;
}

inline node start_node(transport_options o) {
  node n;
  n.address = o.bind;
  auto box = n.box;
  auto r = transport::start(std::move(o), [box](inbound&& in) { (*box)(std::move(in)); });
  if (!r)
    ADD_FAILURE() << r.error().to_string();
  else
    n.t = std::move(*r);
  return n;
}

inline node start_node(const std::string& address, std::vector<std::string> peers = {}) {
  return start_node(options_for(address, std::move(peers)));
}

/// Publishes from `from` until `to` has heard type `t` (PUB/SUB joins late).
inline bool publish_until_heard(node& from, node& to, message_type t, const std::string& body) {
  return wait_for([&] {
    from.t->publish(t, body);
    return to.box->count(t) > 0;
  });
}

}  // namespace sn::broker::test
