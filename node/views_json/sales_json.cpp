#include "node/views_json/sales_json.hpp"

#include "actors/retail/business_day.hpp"
#include "events/hlc.hpp"
#include "node/command_reply.hpp"
#include "node/views_json/paging_json.hpp"

namespace sn::node {

using nlohmann::json;

namespace {
std::string time_of(std::uint64_t hlc) { return hlc_timestamp{hlc}.to_rfc3339(); }
}  // namespace

json sale_json(const projections::sales::sale_detail& d) {
  json lines = json::array();
  for (const auto& l : d.lines) {
    lines.push_back(json{{"sku", l.sku},
                         {"qty", l.qty},
                         {"unit_price_cents", l.unit_price_cents},
                         {"discount_cents", l.discount_cents},
                         {"tax_rate_bp", l.tax_rate_bp},
                         {"tax_cents", l.tax_cents},
                         {"total_cents", l.qty * l.unit_price_cents - l.discount_cents},
                         {"returned_qty", l.returned_qty}});
  }
  json pays = json::array();
  for (std::size_t m = 0; m < projections::pay_method_count; ++m) {
    if (d.paid[m] != 0) {
      pays.push_back(json{{"method", projections::to_string(static_cast<projections::pay_method>(m))},
                          {"amount_cents", d.paid[m]}});
    }
  }
  json j{{"receipt", d.receipt},
         {"device", d.device},
         {"time", time_of(d.hlc)},
         {"day", retail::day_to_string(d.day)},
         {"lines", std::move(lines)},
         {"gross_cents", d.gross_cents},
         {"discount_cents", d.discount_cents},
         {"tax_cents", d.tax_cents},
         {"total_cents", d.total_cents},
         {"payments", std::move(pays)},
         {"change_cents", d.change_cents},
         {"voided", d.voided},
         {"refunded_cents", d.refunded_cents},
         {"returns", d.return_ids},
         {"staff_id", d.staff_id}};
  j["cards"] = cards_json(d.cards);
  if (d.void_) {
    j["void"] = json{{"reason", d.void_->reason}, {"device", d.void_->device}, {"time", time_of(d.void_->hlc)}};
  }
  return j;
}

json sales_list_json(const projections::sales::sales_list& l) {
  json arr = json::array();
  for (const auto& s : l.sales.items) {
    arr.push_back(json{{"receipt", s.receipt},
                       {"device", s.device},
                       {"time", time_of(s.hlc)},
                       {"day", retail::day_to_string(s.day)},
                       {"items", s.items},
                       {"total_cents", s.total_cents},
                       {"voided", s.voided},
                       {"refunded_cents", s.refunded_cents},
                       {"staff_id", s.staff_id}});
  }
  json prods = json::array();
  for (const auto& p : l.by_product) prods.push_back(json{{"sku", p.sku}, {"qty", p.qty}, {"net_cents", p.net_cents}});
  json j{{"sales", std::move(arr)}, {"count", l.sales.total}, {"by_product", std::move(prods)}};
  put_paging(j, l.sales.next);
  return j;
}

}  // namespace sn::node
