#include "node/api_error.hpp"

#include <nlohmann/json.hpp>

namespace sn::node {

std::string error_json(const std::string& code, const std::string& message) {
  // Messages may quote client bytes: replace invalid UTF-8 rather than throw.
  return nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sn::node
