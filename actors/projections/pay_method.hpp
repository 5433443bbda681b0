// Payment methods as the sales and daily projections fold them: three
// buckets (an unknown method string of a newer build counts as "other"), as
// retail::views does. Their number is part of the row layouts of both.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sn::projections {

enum class pay_method : std::uint8_t { cash = 0, card = 1, other = 2 };
constexpr std::size_t pay_method_count = 3;

/// Amounts per method, indexed by pay_method.
using method_amounts = std::array<std::int64_t, pay_method_count>;

inline const char* to_string(pay_method m) noexcept {
  switch (m) {
    case pay_method::cash:
      return "cash";
    case pay_method::card:
      return "card";
    case pay_method::other:
      return "other";
  }
  return "other";
}

inline pay_method method_or_other(std::string_view s) noexcept {
  if (s == "cash") return pay_method::cash;
  if (s == "card") return pay_method::card;
  return pay_method::other;
}

}  // namespace sn::projections
