// bench_broker: the peer transport against raw ZeroMQ, measured in the same run
// (the machines are noisy; only same-run ratios mean much, LIMITS.md).
//
//   1. throughput of 200-byte messages: raw PUSH->PULL vs transport send (DEALER->ROUTER
//      through the hand-off queue and the I/O threads), messages/s and ratio;
//   2. throughput of 200 KB batches (1000 events of 200 B framed as one message):
//      raw PUSH->PULL vs transport send, events/s and ratio;
//   3. round trip: raw DEALER<->ROUTER echo vs transport request/reply
//      (send -> peer's callback answers with send), p50/p99.
//
// Usage: bench_broker [scale]   (scale 1 = default sizes; 0.1 for a quick run)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "broker/transport.hpp"
#include "tests/support/free_port.hpp"

using namespace sn::broker;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Raw PUSH->PULL over tcp loopback: `n` messages of `bytes`; returns messages/s.
double raw_push_pull(std::size_t n, std::size_t bytes) {
  zmq::context_t ctx(1);
  zmq::socket_t pull(ctx, zmq::socket_type::pull);
  pull.set(zmq::sockopt::linger, 0);
  auto addr = "tcp://127.0.0.1:" + std::to_string(sn::test::free_tcp_port());
  pull.bind(addr);
  std::string payload(bytes, 'x');
  auto t0 = clock_type::now();
  std::thread sender([&] {
    // Default (infinite) linger: closing the socket must not discard queued messages.
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.connect(addr);
    for (std::size_t i = 0; i < n; ++i) push.send(zmq::buffer(payload), zmq::send_flags::none);
  });
  zmq::message_t m;
  std::size_t got = 0;
  for (; got < n; ++got) (void)pull.recv(m);
  double s = seconds_since(t0);
  sender.join();
  return static_cast<double>(n) / s;
}

/// Two transports; A sends `n` bodies of `bytes` to B; returns messages/s measured
/// from the first send to B's callback seeing the last one.
double transport_send(std::size_t n, std::size_t bytes, transport_stats* b_stats) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  std::atomic<std::size_t> got{0};
  std::mutex m;
  std::condition_variable cv;
  transport_options ob;
  ob.bind = b_addr;
  ob.peers = {a_addr};  // configured: A's frames count at once (a learned sender must first prove itself)
  ob.direct_hwm = 1'000'000;  // a bulk sender without flow control: let ZeroMQ queue it all
  auto b = transport::start(ob, [&](inbound&&) {
    if (got.fetch_add(1) + 1 == n) {
      std::lock_guard<std::mutex> l(m);
      cv.notify_all();
    }
  });
  transport_options oa;
  oa.bind = a_addr;
  oa.peers = {b_addr};
  oa.direct_hwm = 1'000'000;
  auto a = transport::start(oa, [](inbound&&) {});
  if (!a || !b) {
    std::fprintf(stderr, "start failed\n");
    std::exit(1);
  }
  // Warm up the connection so the measurement excludes the TCP/ZMTP handshake.
  (*a)->send(b_addr, 1, "warm");
  while (got.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  got = 0;
  std::string payload(bytes, 'x');
  auto t0 = clock_type::now();
  for (std::size_t i = 0; i < n; ++i) {
    // The hand-off queue is bounded: a full queue means "try again later".
    while (!(*a)->send(b_addr, 2, payload)) std::this_thread::yield();
  }
  {
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return got.load() >= n; });
  }
  double s = seconds_since(t0);
  if (b_stats) *b_stats = (*b)->stats();
  return static_cast<double>(n) / s;
}

struct percentiles {
  double p50_us, p99_us;
};

percentiles summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

percentiles raw_round_trip(std::size_t n) {
  zmq::context_t ctx(1);
  auto addr = "tcp://127.0.0.1:" + std::to_string(sn::test::free_tcp_port());
  zmq::socket_t router(ctx, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.bind(addr);
  std::thread echo([&] {
    for (std::size_t i = 0; i < n + 1; ++i) {
      zmq::message_t id, body;
      (void)router.recv(id);
      (void)router.recv(body);
      router.send(id, zmq::send_flags::sndmore);
      router.send(body, zmq::send_flags::none);
    }
  });
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(addr);
  std::string payload(200, 'x');
  std::vector<double> us;
  us.reserve(n);
  for (std::size_t i = 0; i < n + 1; ++i) {
    auto t0 = clock_type::now();
    dealer.send(zmq::buffer(payload), zmq::send_flags::none);
    zmq::message_t r;
    (void)dealer.recv(r);
    if (i > 0) us.push_back(seconds_since(t0) * 1e6);  // the first includes the handshake
  }
  echo.join();
  return summarize(us);
}

percentiles transport_round_trip(std::size_t n) {
  auto a_addr = sn::test::free_node_address();
  auto b_addr = sn::test::free_node_address();
  transport* b_raw = nullptr;
  std::mutex m;
  std::condition_variable cv;
  std::size_t replies = 0;
  transport_options ob;
  ob.bind = b_addr;
  ob.peers = {a_addr};  // configured: A's frames count at once (a learned sender must first prove itself)
  auto b = transport::start(ob, [&](inbound&& in) { b_raw->send(in.peer, 2, std::move(in.body)); });
  b_raw = b->get();
  transport_options oa;
  oa.bind = a_addr;
  oa.peers = {b_addr};
  auto a = transport::start(oa, [&](inbound&&) {
    std::lock_guard<std::mutex> l(m);
    ++replies;
    cv.notify_all();
  });
  std::string payload(200, 'x');
  std::vector<double> us;
  us.reserve(n);
  for (std::size_t i = 0; i < n + 1; ++i) {
    auto t0 = clock_type::now();
    (*a)->send(b_addr, 1, payload);
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return replies == i + 1; });
    if (i > 0) us.push_back(seconds_since(t0) * 1e6);
  }
  return summarize(us);
}

} // namespace

int main(int argc, char** argv) {
  double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
  if (scale <= 0) scale = 1.0;
  auto scaled = [&](std::size_t n) { return std::max<std::size_t>(100, static_cast<std::size_t>(n * scale)); };
  const std::size_t small_n = scaled(500'000);
  const std::size_t batch_n = scaled(2'000);
  const std::size_t events_per_batch = 1000;
  const std::size_t rtt_n = scaled(20'000);

  std::printf("bench_broker: scale %.2f (ZeroMQ %d.%d.%d, tcp loopback)\n", scale, ZMQ_VERSION_MAJOR,
              ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH);

  double raw_small = raw_push_pull(small_n, 200);
  transport_stats st{};
  double tr_small = transport_send(small_n, 200, &st);
  std::printf("200 B messages x %zu: raw PUSH/PULL %.0f msg/s, transport send %.0f msg/s, ratio %.2f "
              "(dropped at B: %llu)\n",
              small_n, raw_small, tr_small, tr_small / raw_small,
              static_cast<unsigned long long>(st.dropped_malformed + st.dropped_oversized));

  double raw_batch = raw_push_pull(batch_n, 200 * events_per_batch) * events_per_batch;
  double tr_batch = transport_send(batch_n, 200 * events_per_batch, nullptr) * events_per_batch;
  std::printf("200 KB batches (1000 events) x %zu: raw PUSH/PULL %.0f ev/s, transport send %.0f ev/s, ratio %.2f\n",
              batch_n, raw_batch, tr_batch, tr_batch / raw_batch);

  auto raw_rtt = raw_round_trip(rtt_n);
  auto tr_rtt = transport_round_trip(rtt_n);
  std::printf("round trip 200 B x %zu: raw DEALER/ROUTER p50 %.0f us p99 %.0f us; transport send/reply p50 %.0f us "
              "p99 %.0f us\n",
              rtt_n, raw_rtt.p50_us, raw_rtt.p99_us, tr_rtt.p50_us, tr_rtt.p99_us);
  return 0;
}
