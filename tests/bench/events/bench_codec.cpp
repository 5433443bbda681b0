// Codec throughput on one core: encode, hash, decode of the envelope, decode
// of envelope + sale payload, against msgpack-c's own unpack of the same
// bytes as the baseline. Usage: bench_codec [events=100000] [runs=5]
// Prints the median of `runs` runs of each measurement (events/s).
#include <msgpack.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

// Sales of 1-5 lines, 2 payments: the bulk of a shop's log.
std::vector<sn::event> make_events(std::size_t n) {
  std::vector<sn::event> out;
  out.reserve(n);
  sn::hash256 prev{};
  for (std::size_t i = 0; i < n; ++i) {
    sn::sale_completed s;
    char receipt[32];
    std::snprintf(receipt, sizeof receipt, "POS1-%06zu", i + 1);
    s.receipt = receipt;
    const std::size_t lines = 1 + i % 5;
    for (std::size_t k = 0; k < lines; ++k) {
      s.lines.push_back({"SKU-" + std::to_string((i * 7 + k) % 5000), static_cast<std::int64_t>(1 + k % 3),
                         static_cast<std::int64_t>(99 + (i + k) % 4000), static_cast<std::int64_t>(k == 0 ? 10 : 0),
                         2000, static_cast<std::int64_t>(17 + k)});
      s.gross_cents += s.lines.back().qty * s.lines.back().unit_price_cents;
    }
    s.total_cents = s.gross_cents - 10;
    s.payments = {{"card", s.total_cents - 500}, {"cash", 1000}};
    s.change_cents = 500;
    sn::event e = sn::make_event(sn::device_id{"POS1"}, sn::origin_seq{i + 1},
                                 sn::hlc_timestamp::from_parts(1795615387123ULL + i, 0), sn::term_id{3}, s);
    e.prev_hash = prev;
    sn::seal(e);
    prev = e.hash;
    out.push_back(std::move(e));
  }
  return out;
}

// Runs `body(i)` for every i in [0, n) `passes` times; returns events/s.
double rate(std::size_t n, int passes, const std::function<void(std::size_t)>& body) {
  const auto t0 = clock_type::now();
  for (int p = 0; p < passes; ++p) {
    for (std::size_t i = 0; i < n; ++i) body(i);
  }
  const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
  return static_cast<double>(n) * passes / s;
}

double median_rate(int runs, std::size_t n, int passes, const std::function<void(std::size_t)>& body) {
  std::vector<double> r;
  for (int k = 0; k < runs; ++k) r.push_back(rate(n, passes, body));
  std::sort(r.begin(), r.end());
  return r[r.size() / 2];
}

bool always_reference(msgpack::type::object_type, std::size_t, void*) { return true; }

volatile std::uint64_t sink;

} // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  const int passes = 3;
  const std::vector<sn::event> events = make_events(n);
  std::vector<std::string> bytes;
  std::size_t total_bytes = 0;
  for (const auto& e : events) {
    bytes.push_back(sn::encode(e));
    total_bytes += bytes.back().size();
  }
  std::printf("bench_codec: %zu sale.completed events (1-5 lines, 2 payments), mean %.0f B, median of %d runs x %d passes\n",
              n, static_cast<double>(total_bytes) / n, runs, passes);

  std::string out;
  const double enc = median_rate(runs, n, passes, [&](std::size_t i) {
    out.clear();
    sn::encode(events[i], out);
    sink = out.size();
  });
  std::vector<sn::sale_completed> sales;
  for (const auto& e : events) sales.push_back(*sn::payload_of<sn::sale_completed>(e));
  const double enc_full = median_rate(runs, n, passes, [&](std::size_t i) {
    sn::event e = sn::make_event(events[i].origin, events[i].seq, events[i].hlc, events[i].term, sales[i]);
    e.prev_hash = events[i].prev_hash;
    out.clear();
    sn::encode(e, out);
    sink = out.size();
  });
  const double hash = median_rate(runs, n, passes, [&](std::size_t i) { sink = sn::compute_hash(events[i])[0]; });

  const double raw_handle = median_rate(runs, n, passes, [&](std::size_t i) {
    msgpack::object_handle oh = msgpack::unpack(bytes[i].data(), bytes[i].size());
    sink = oh.get().via.array.size;
  });
  msgpack::zone zone;
  const double raw_zone = median_rate(runs, n, passes, [&](std::size_t i) {
    std::size_t off = 0;
    msgpack::object o =
        msgpack::unpack(zone, bytes[i].data(), bytes[i].size(), off, always_reference, nullptr, msgpack::unpack_limit());
    sink = o.via.array.size;
    zone.clear();
  });
  const double dec = median_rate(runs, n, passes, [&](std::size_t i) {
    auto e = sn::decode(bytes[i]);
    sink = e->seq.value();
  });
  const double dec_verify = median_rate(runs, n, passes, [&](std::size_t i) {
    auto e = sn::decode(bytes[i]);
    sink = static_cast<bool>(sn::verify_hash(*e));
  });
  const double raw_handle_payload = median_rate(runs, n, passes, [&](std::size_t i) {
    msgpack::object_handle oh = msgpack::unpack(bytes[i].data(), bytes[i].size());
    const msgpack::object& p = oh.get().via.array.ptr[7];
    msgpack::object_handle ph = msgpack::unpack(p.via.bin.ptr, p.via.bin.size);
    sink = ph.get().via.array.size;
  });
  const double dec_payload = median_rate(runs, n, passes, [&](std::size_t i) {
    auto e = sn::decode(bytes[i]);
    auto s = sn::payload_of<sn::sale_completed>(*e);
    sink = s->lines.size();
  });

  auto line = [](const char* what, double r, double base, const char* base_name) {
    if (base > 0) {
      std::printf("  %-44s %10.0f ev/s  (%.2fx %s)\n", what, r, r / base, base_name);
    } else {
      std::printf("  %-44s %10.0f ev/s\n", what, r);
    }
  };
  line("encode envelope (event -> bytes)", enc, 0, "");
  line("encode payload + envelope (struct -> bytes)", enc_full, 0, "");
  line("compute_hash (BLAKE2b-256, canonical bytes)", hash, 0, "");
  line("raw msgpack::unpack -> object_handle", raw_handle, 0, "");
  line("raw msgpack::unpack, reused zone, referenced", raw_zone, 0, "");
  line("sn::decode envelope", dec, raw_handle, "raw object_handle");
  line("sn::decode envelope + verify_hash", dec_verify, raw_handle, "raw object_handle");
  line("raw unpack envelope + payload (object_handle)", raw_handle_payload, 0, "");
  line("sn::decode + payload_of<sale_completed>", dec_payload, raw_handle_payload, "raw envelope+payload");
  std::printf("  decode vs fastest raw unpack (reused zone): %.2fx\n", dec / raw_zone);
  return 0;
}
