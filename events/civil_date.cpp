#include "events/civil_date.hpp"

#include <cstdio>

namespace sn {

std::string format_day(std::int64_t days) {
  const civil_date c = civil_from_days(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month, c.day);
  return buf;
}

std::optional<std::int64_t> parse_day(std::string_view t) noexcept {
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
  if (c.year != y || c.month != static_cast<unsigned>(m) || c.day != static_cast<unsigned>(d)) {
    return std::nullopt;  // 2026-02-30
  }
  return days;
}

}  // namespace sn
