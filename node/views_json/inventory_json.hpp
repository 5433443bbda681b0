// JSON of the inventory projection's query results (docs/api.md: GET
// /v1/inventory[?low=1], GET /v1/inventory/{sku}): the shapes retail::views
// returned, plus paging fields on the list.
#pragma once

#include <nlohmann/json.hpp>

#include "actors/projections/inventory.hpp"

namespace sn::node {

/// {"sku","name","on_hand","oversold","low_stock","low_stock_threshold","received_qty","sold_qty",
///  "returned_qty","adjusted_qty","count_adjusted_qty","last_count":{"counted_qty","expected_qty","device","time"}|null}
nlohmann::json inventory_item_json(const projections::inventory::item& it);

/// {"items":[...],"count":<whole list>,"oversold_count":<whole list>,"next_cursor","truncated"}
nlohmann::json inventory_json(const projections::inventory::item_page& page);

}  // namespace sn::node
