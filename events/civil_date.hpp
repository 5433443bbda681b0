// Civil (proleptic Gregorian) dates <-> days since 1970-01-01, after Howard
// Hinnant's algorithms. Pure and independent of the C library's time zone
// state, so formatting and business days never read the environment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sn {

struct civil_date {
  std::int64_t year = 1970;
  unsigned month = 1;  ///< 1..12
  unsigned day = 1;    ///< 1..31
};

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr civil_date civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  civil_date c;
  c.year = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  if (c.month <= 2) ++c.year;
  return c;
}

constexpr bool is_leap_year(std::int64_t y) noexcept { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

/// Day of the week of a day number: 0 = Sunday .. 6 = Saturday.
constexpr unsigned weekday_from_days(std::int64_t z) noexcept {
  return static_cast<unsigned>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

/// "YYYY-MM-DD" of a day number (days since 1970-01-01).
std::string format_day(std::int64_t days);
/// The day number of a strict "YYYY-MM-DD" that names a real calendar date
/// in the years 1970..9999, else nullopt ("2026-02-30", "2026-1-01" fail).
std::optional<std::int64_t> parse_day(std::string_view text) noexcept;

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(weekday_from_days(0) == 4);  // 1970-01-01 was a Thursday
static_assert(weekday_from_days(-1) == 3);
static_assert(weekday_from_days(-4) == 0);
static_assert(weekday_from_days(-5) == 6);
static_assert(civil_from_days(20417).year == 2025);

} // namespace sn
