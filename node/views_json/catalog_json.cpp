#include "node/views_json/catalog_json.hpp"

#include "node/views_json/paging_json.hpp"

namespace sn::node {

using nlohmann::json;

json product_json(const projections::catalog::product& p) {
  return json{{"sku", p.sku},
              {"name", p.name},
              {"barcode", p.barcode},
              {"price_cents", p.price_cents},
              {"tax_rate_bp", p.tax_rate_bp},
              {"low_stock_threshold", p.low_stock_threshold},
              {"active", p.active},
              {"updated_at", p.updated_at.to_rfc3339()}};
}

json products_json(const projections::page<projections::catalog::product>& page) {
  json arr = json::array();
  for (const auto& p : page.items) arr.push_back(product_json(p));
  json reply{{"products", std::move(arr)}, {"count", page.total}};
  put_paging(reply, page.next);
  return reply;
}

}  // namespace sn::node
