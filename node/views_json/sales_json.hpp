// The HTTP JSON of the sales projection's queries (docs/api.md, the shapes
// retail::views gave): GET /v1/sales/{receipt} and GET /v1/sales.
#pragma once

#include <nlohmann/json.hpp>

#include "actors/projections/sales.hpp"

namespace sn::node {

/// {"receipt","device","time","day","lines":[...],"gross_cents",...,"returns":[ids],"void"?:{...}}
nlohmann::json sale_json(const projections::sales::sale_detail& d);

/// {"sales":[...],"count","by_product":[...]} plus "next_cursor" and
/// "truncated" (another page follows) from put_paging().
nlohmann::json sales_list_json(const projections::sales::sales_list& l);

}  // namespace sn::node
