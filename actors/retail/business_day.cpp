#include "actors/retail/business_day.hpp"

#include <cstdio>

#include "events/civil_date.hpp"

namespace sn::retail {
namespace {

constexpr std::int64_t ms_per_day = 86400000;

} // namespace

std::int32_t business_day(std::uint64_t wall_ms, const store_settings& s) noexcept {
  const std::int64_t local = static_cast<std::int64_t>(wall_ms) + std::int64_t{s.utc_offset_minutes} * 60000;
  const std::int64_t q = local / ms_per_day;
  return static_cast<std::int32_t>(local % ms_per_day < 0 ? q - 1 : q);
}

std::string day_to_string(std::int32_t day) {
  const civil_date c = civil_from_days(day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month, c.day);
  return buf;
}

std::optional<std::int32_t> day_from_string(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto num = [&](std::size_t from, std::size_t n) -> int {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  const int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  const civil_date c = civil_from_days(days);
  if (c.year != y || c.month != static_cast<unsigned>(m) || c.day != static_cast<unsigned>(d)) return std::nullopt;  // 2026-02-30
  return static_cast<std::int32_t>(days);
}

} // namespace sn::retail
