// Staff roles (issue 10): cashier < supervisor < manager < admin. A role may
// do what every lower role may (node/permissions.cpp decides what each may).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sn::staff {

/// Explicit, ordered values: a higher value may do everything a lower one may.
enum class role : std::uint8_t {
  cashier = 1,
  supervisor = 2,
  manager = 3,
  admin = 4,
};

/// "cashier", ...
const char* to_string(role r) noexcept;
/// Inverse of to_string; nullopt for any other word.
std::optional<role> role_from_string(std::string_view s) noexcept;
/// True when `have` may do what needs `need`.
constexpr bool at_least(role have, role need) noexcept {
  return static_cast<std::uint8_t>(have) >= static_cast<std::uint8_t>(need);
}

}  // namespace sn::staff
