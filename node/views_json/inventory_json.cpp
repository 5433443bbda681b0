#include "node/views_json/inventory_json.hpp"

#include "node/views_json/paging_json.hpp"

namespace sn::node {

using nlohmann::json;

json inventory_item_json(const projections::inventory::item& it) {
  json j{{"sku", it.sku},
         {"name", it.name},
         {"on_hand", it.on_hand},
         {"oversold", it.oversold()},
         {"low_stock", it.low_stock()},
         {"low_stock_threshold", it.low_stock_threshold},
         {"received_qty", it.received_qty},
         {"sold_qty", it.sold_qty},
         {"returned_qty", it.returned_qty},
         {"adjusted_qty", it.adjusted_qty},
         {"count_adjusted_qty", it.count_adjusted_qty},
         {"last_count", nullptr}};
  if (it.last_count) {
    j["last_count"] = json{{"counted_qty", it.last_count->counted_qty},
                           {"expected_qty", it.last_count->expected_qty},
                           {"device", it.last_count->device},
                           {"time", it.last_count->time.to_rfc3339()}};
  }
  return j;
}

json inventory_json(const projections::inventory::item_page& page) {
  json arr = json::array();
  for (const auto& it : page.items) arr.push_back(inventory_item_json(it));
  json reply{{"items", std::move(arr)}, {"count", page.total}, {"oversold_count", page.oversold_count}};
  put_paging(reply, page.next);
  return reply;
}

}  // namespace sn::node
