// Paging at the HTTP edge: `limit` and `cursor` query parameters to a
// projections::page_request, and a page's `next_cursor` field.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/projections/paging.hpp"
#include "node/api_error.hpp"

namespace sn::node {

/// limit: 1..page_limit_max (absent: page_limit_default); cursor: one a
/// previous page returned. Refusals: 400 invalid_parameter naming the parameter.
api_result<projections::page_request> parse_page(std::optional<std::string_view> limit,
                                                  std::optional<std::string_view> cursor);

/// Adds "next_cursor" (string, or null on the last page) and "truncated"
/// (true when another page follows) to a list reply.
void put_paging(nlohmann::json& reply, const std::string& next_key);

} // namespace sn::node
