#include "web/assets.hpp"

namespace sn::web {

const asset* find_asset(std::string_view name) {
  for (const auto& a : embedded_assets()) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

}  // namespace sn::web
