#include "actors/retail/business_day.hpp"

#include "events/civil_date.hpp"

namespace sn::retail {

std::int32_t business_day(std::uint64_t wall_ms, const store_settings& s) noexcept {
  return static_cast<std::int32_t>(s.zone.local_day(static_cast<std::int64_t>(wall_ms)));
}

std::string day_to_string(std::int32_t day) { return format_day(day); }

std::optional<std::int32_t> day_from_string(std::string_view text) {
  const auto d = parse_day(text);
  if (!d) return std::nullopt;
  return static_cast<std::int32_t>(*d);
}

}  // namespace sn::retail
