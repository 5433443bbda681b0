#include "node/views_json/paging_json.hpp"

#include <charconv>

#include "actors/projections/row_codec.hpp"

namespace sn::node {

api_result<projections::page_request> parse_page(std::optional<std::string_view> limit,
                                                  std::optional<std::string_view> cursor) {
  projections::page_request r;
  if (limit) {
    std::size_t n = 0;
    const auto* end = limit->data() + limit->size();
    const auto res = std::from_chars(limit->data(), end, n);
    if (res.ec != std::errc() || res.ptr != end || n == 0 || n > projections::page_limit_max) {
      return api_error{400, "invalid_parameter",
                       "limit must be a whole number from 1 to " + std::to_string(projections::page_limit_max)};
    }
    r.limit = n;
  }
  if (cursor && !cursor->empty()) {
    auto key = projections::decode_cursor(*cursor);
    if (!key) return api_error{400, "invalid_parameter", "cursor is not one this node returned"};
    r.from = std::move(*key);
  }
  return r;
}

void put_paging(nlohmann::json& reply, const std::string& next_key) {
  reply["next_cursor"] = next_key.empty() ? nlohmann::json(nullptr) : nlohmann::json(projections::encode_cursor(next_key));
  reply["truncated"] = !next_key.empty();
}

} // namespace sn::node
