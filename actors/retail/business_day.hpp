// Business days: days since 1970-01-01 in the store's zone, from an HLC
// (never from a clock read). The command side stamps the day into sales and
// returns; the fold reads the stamped day (events/upcast.hpp derives it for
// older events the same way). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/retail/types.hpp"
#include "events/hlc.hpp"

namespace sn::retail {

/// Day number (days since 1970-01-01) of wall time `wall_ms` (UTC) in the
/// store's time zone, daylight saving included.
std::int32_t business_day(std::uint64_t wall_ms, const store_settings& s) noexcept;
inline std::int32_t business_day(hlc_timestamp ts, const store_settings& s) noexcept {
  return business_day(ts.wall_ms(), s);
}
/// "YYYY-MM-DD".
std::string day_to_string(std::int32_t day);
/// Strict "YYYY-MM-DD" of a real calendar date (years 1970..9999), else nullopt.
std::optional<std::int32_t> day_from_string(std::string_view text);

} // namespace sn::retail
