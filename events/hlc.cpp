#include "events/hlc.hpp"

#include "events/civil_date.hpp"

#include <algorithm>
#include <cstdio>

namespace sn {
namespace {

// Largest wall time the 48-bit field holds; larger inputs are clamped so the
// packed integer never wraps (year ~10889, only reachable with a broken clock).
constexpr std::uint64_t wall_ms_max = (std::uint64_t{1} << (64 - hlc_timestamp::logical_bits)) - 1;

// Builds (wall, logical) and carries a logical overflow into the wall part:
// when the counter would pass logical_max the clock moves 1 ms ahead of the
// wall clock instead, which keeps it strictly monotonic.
hlc_timestamp make(std::uint64_t wall_ms, std::uint64_t logical) {
  if (logical > hlc_timestamp::logical_max) {
    wall_ms += 1;
    logical = 0;
  }
  return hlc_timestamp::from_parts(std::min(wall_ms, wall_ms_max), logical);
}

} // namespace

std::string hlc_timestamp::to_rfc3339() const {
  const std::uint64_t ms = wall_ms();
  const auto days = static_cast<std::int64_t>(ms / 86400000);
  const std::uint64_t in_day = ms % 86400000;
  const civil_date c = civil_from_days(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<long long>(c.year), c.month, c.day,
                static_cast<unsigned>(in_day / 3600000), static_cast<unsigned>(in_day / 60000 % 60),
                static_cast<unsigned>(in_day / 1000 % 60), static_cast<unsigned>(in_day % 1000));
  return buf;
}

hlc_timestamp hybrid_logical_clock::now(std::uint64_t wall_ms) noexcept {
  const std::uint64_t l = last_.wall_ms();
  last_ = wall_ms > l ? make(wall_ms, 0) : make(l, last_.logical() + 1);
  return last_;
}

hlc_timestamp hybrid_logical_clock::observe(hlc_timestamp remote, std::uint64_t wall_ms) noexcept {
  const std::uint64_t l = last_.wall_ms();
  const std::uint64_t r = remote.wall_ms();
  const std::uint64_t w = std::max({l, r, wall_ms});
  std::uint64_t c = 0;
  if (w == l && w == r) {
    c = std::max(last_.logical(), remote.logical()) + 1;
  } else if (w == l) {
    c = last_.logical() + 1;
  } else if (w == r) {
    c = remote.logical() + 1;
  }
  last_ = make(w, c);
  return last_;
}

bool hybrid_logical_clock::observe_within(hlc_timestamp remote, std::uint64_t wall_ms,
                                          std::uint64_t max_skew_ms) noexcept {
  if (too_far_ahead(remote, wall_ms, max_skew_ms)) return false;
  observe(remote, wall_ms);
  return true;
}

void hybrid_logical_clock::restore(hlc_timestamp last) noexcept { last_ = last; }

} // namespace sn
