// JSON of the catalog projection's query results (docs/api.md: GET
// /v1/products, GET /v1/products/{sku}): the shapes retail::views returned,
// plus paging fields on the list.
#pragma once

#include <nlohmann/json.hpp>

#include "actors/projections/catalog.hpp"

namespace sn::node {

/// {"sku","name","barcode","price_cents","tax_rate_bp","low_stock_threshold","active","updated_at"}
nlohmann::json product_json(const projections::catalog::product& p);

/// {"products":[...],"count":<every product>,"next_cursor","truncated"}
nlohmann::json products_json(const projections::page<projections::catalog::product>& page);

}  // namespace sn::node
