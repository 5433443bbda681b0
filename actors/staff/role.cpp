#include "actors/staff/role.hpp"

namespace sn::staff {

const char* to_string(role r) noexcept {
  switch (r) {
    case role::cashier: return "cashier";
    case role::supervisor: return "supervisor";
    case role::manager: return "manager";
    case role::admin: return "admin";
  }
  return "unknown";
}

std::optional<role> role_from_string(std::string_view s) noexcept {
  for (role r : {role::cashier, role::supervisor, role::manager, role::admin}) {
    if (s == to_string(r)) return r;
  }
  return std::nullopt;
}

}  // namespace sn::staff
