#include "node/views_json/daily_json.hpp"

#include "actors/retail/business_day.hpp"
#include "events/hlc.hpp"

namespace sn::node {

using nlohmann::json;

namespace {

json figures_json(const projections::daily::figures& f) {
  json by_method = json::object();
  for (std::size_t m = 0; m < projections::pay_method_count; ++m) {
    by_method[projections::to_string(static_cast<projections::pay_method>(m))] = f.by_method[m];
  }
  return json{{"gross_cents", f.gross_cents},
              {"discounts_cents", f.discounts_cents},
              {"tax_cents", f.report_tax_cents()},
              {"returns_cents", f.returns_cents},
              {"net_cents", f.net_cents()},
              {"by_method", std::move(by_method)},
              {"transactions", f.transactions},
              {"returns", f.returns},
              {"voids", f.voids}};
}

json closure_json(const projections::daily::closure& c) {
  json by_method = json::object();
  for (const auto& [m, amount] : c.by_method) by_method[m] = amount;
  return json{{"gross_cents", c.gross_cents},   {"discounts_cents", c.discounts_cents},
              {"tax_cents", c.tax_cents},       {"returns_cents", c.returns_cents},
              {"net_cents", c.net_cents},       {"by_method", std::move(by_method)},
              {"transactions", c.transactions}, {"time", hlc_timestamp{c.hlc}.to_rfc3339()}};
}

}  // namespace

json daily_report_json(const projections::daily::report_result& r) {
  json j = figures_json(r.total);
  j["day"] = r.day ? json(retail::day_to_string(*r.day)) : json(nullptr);
  if (r.device) j["device"] = *r.device;
  if (r.staff) j["staff"] = *r.staff;
  json devs = json::object();
  for (const auto& d : r.devices) {
    json dj = figures_json(d.f);
    dj["closed"] = d.closed ? closure_json(*d.closed) : json(nullptr);
    devs[d.device] = std::move(dj);
  }
  j["devices"] = std::move(devs);
  json by_staff = json::object();
  for (const auto& [who, f] : r.by_staff) by_staff[who] = figures_json(f);
  j["by_staff"] = std::move(by_staff);
  return j;
}

}  // namespace sn::node
