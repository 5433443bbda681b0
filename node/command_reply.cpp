#include "node/command_reply.hpp"

#include "node/command_errors.hpp"

namespace sn::node {

namespace {

using json = nlohmann::json;
using namespace sn::retail;

std::string time_of(hlc_timestamp t) { return t.to_rfc3339(); }

template <class... F> struct overloaded : F... { using F::operator()...; };
template <class... F> overloaded(F...) -> overloaded<F...>;

}  // namespace

json to_json(const product_row& p) {
  return json{{"sku", p.sku},
              {"name", p.name},
              {"barcode", p.barcode},
              {"price_cents", p.price_cents},
              {"tax_rate_bp", p.tax_rate_bp},
              {"low_stock_threshold", p.low_stock_threshold},
              {"active", p.active},
              {"updated_at", time_of(p.updated_at)}};
}

json cards_json(const std::vector<sale_row_card>& cards) {
  json out = json::array();
  for (const sale_row_card& c : cards) {
    out.push_back(json{{"brand", c.brand},
                       {"last4", c.last4},
                       {"auth_code", c.auth_code},
                       {"processor_ref", c.processor_ref},
                       {"amount_cents", c.amount_cents}});
  }
  return out;
}

json to_json(const sale_row& s) {
  json lines = json::array();
  for (const sale_row_line& l : s.lines) {
    lines.push_back(json{{"sku", l.sku},
                         {"qty", l.qty},
                         {"unit_price_cents", l.unit_price_cents},
                         {"discount_cents", l.discount_cents},
                         {"tax_rate_bp", l.tax_rate_bp},
                         {"tax_cents", l.tax_cents},
                         {"total_cents", l.total_cents},
                         {"returned_qty", l.returned_qty}});
  }
  json pays = json::array();
  for (const sale_row_payment& m : s.payments) pays.push_back(json{{"method", m.method}, {"amount_cents", m.amount_cents}});
  json j{{"receipt", s.receipt},
         {"device", s.device},
         {"time", time_of(s.time)},
         {"day", s.day},
         {"lines", std::move(lines)},
         {"gross_cents", s.gross_cents},
         {"discount_cents", s.discount_cents},
         {"tax_cents", s.tax_cents},
         {"total_cents", s.total_cents},
         {"payments", std::move(pays)},
         {"change_cents", s.change_cents},
         {"voided", s.voided},
         {"refunded_cents", s.refunded_cents},
         {"returns", s.returns}};
  j["cards"] = cards_json(s.cards);
  if (s.void_info) {
    j["void"] = json{{"reason", s.void_info->reason}, {"device", s.void_info->device}, {"time", time_of(s.void_info->time)}};
  }
  return j;
}

json to_json(const device_row& d) {
  return json{{"device_id", d.device_id},
              {"name", d.name},
              {"priority", d.priority},
              {"active", d.active},
              {"registered", d.registered},
              {"role", d.master ? "master" : "client"},
              {"last_event_time", d.last_event_time ? json(time_of(*d.last_event_time)) : json(nullptr)}};
}

namespace {
/// A staff member in a reply: never a PIN or its hash (staff_row has neither).
json staff_reply(const staff_row& r) {
  return json{{"staff_id", r.staff_id}, {"name", r.name}, {"role", r.role}, {"active", r.active}};
}
}  // namespace

json to_json(const command_result& result) {
  return std::visit(
      overloaded{
          [](const upsert_product_result& r) { return to_json(r.product); },
          [](const change_price_result& r) {
            return json{{"sku", r.sku}, {"price_cents", r.price_cents}, {"previous_price_cents", r.previous_price_cents}};
          },
          [](const deactivate_product_result& r) { return to_json(r.product); },
          [](const receive_stock_result& r) {
            return json{{"sku", r.sku}, {"qty", r.qty}, {"supplier_ref", r.supplier_ref}, {"on_hand", r.on_hand}};
          },
          [](const adjust_stock_result& r) {
            return json{{"sku", r.sku}, {"delta", r.delta}, {"reason", r.reason}, {"note", r.note}, {"on_hand", r.on_hand}};
          },
          [](const count_stock_result& r) {
            return json{{"sku", r.sku},
                        {"counted_qty", r.counted_qty},
                        {"expected_qty", r.expected_qty},
                        {"adjustment", r.adjustment},
                        {"on_hand", r.on_hand}};
          },
          [](const complete_sale_result& r) {
            json j = to_json(r.sale);
            j["paid_cents"] = r.paid_cents;
            return j;
          },
          [](const return_sale_result& r) {
            json lines = json::array();
            for (const return_line_result& l : r.lines) {
              lines.push_back(
                  json{{"sku", l.sku}, {"qty", l.qty}, {"refund_cents", l.refund_cents}, {"tax_cents", l.tax_cents}});
            }
            return json{{"return_id", r.return_id},       {"receipt", r.receipt}, {"lines", std::move(lines)},
                        {"refund_cents", r.refund_cents}, {"method", r.method},   {"day", r.day}};
          },
          [](const void_sale_result& r) { return json{{"receipt", r.receipt}, {"voided", true}, {"reason", r.reason}}; },
          [](const close_day_result& r) {
            json by_method = json::object();
            for (const method_amount& m : r.by_method) by_method[m.method] = m.amount_cents;
            return json{{"day", r.day},
                        {"device", r.device},
                        {"gross_cents", r.gross_cents},
                        {"discounts_cents", r.discounts_cents},
                        {"tax_cents", r.tax_cents},
                        {"returns_cents", r.returns_cents},
                        {"net_cents", r.net_cents},
                        {"by_method", std::move(by_method)},
                        {"transactions", r.transactions}};
          },
          [](const register_device_result& r) { return to_json(r.device); },
          [](const update_device_result& r) { return to_json(r.device); },
          [](const add_staff_result& r) { return staff_reply(r.staff); },
          [](const update_staff_result& r) {
            json j = staff_reply(r.staff);
            j["pin_changed"] = r.pin_changed;
            return j;
          },
          [](const remove_staff_result& r) { return json{{"staff_id", r.staff_id}, {"removed", true}}; },
      },
      result);
}

int http_status_of(const command_result& result) noexcept {
  return std::visit(overloaded{
                        [](const upsert_product_result& r) { return r.created ? 201 : 200; },
                        [](const receive_stock_result&) { return 201; },
                        [](const adjust_stock_result&) { return 201; },
                        [](const count_stock_result&) { return 201; },
                        [](const complete_sale_result&) { return 201; },
                        [](const return_sale_result&) { return 201; },
                        [](const close_day_result&) { return 201; },
                        [](const register_device_result&) { return 201; },
                        [](const add_staff_result&) { return 201; },
                        [](const auto&) { return 200; },
                    },
                    result);
}

http_reply render(const std::variant<command_result, rejected>& outcome, const attribution& by) {
  const auto* r = std::get_if<command_result>(&outcome);
  if (r == nullptr || std::holds_alternative<add_staff_result>(*r) || std::holds_alternative<update_staff_result>(*r) ||
      std::holds_alternative<remove_staff_result>(*r)) {
    return render(outcome);
  }
  json j = to_json(*r);
  j["staff_id"] = by.staff_id.empty() ? json(nullptr) : json(by.staff_id);
  j["approver_id"] = by.approver_id.empty() ? json(nullptr) : json(by.approver_id);
  return {http_status_of(*r), j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

http_reply render(const std::variant<command_result, rejected>& outcome) {
  if (const auto* r = std::get_if<command_result>(&outcome)) {
    return {http_status_of(*r), to_json(*r).dump(-1, ' ', false, json::error_handler_t::replace)};
  }
  const api_error e = to_api_error(std::get<rejected>(outcome));
  return {e.status, error_json(e.code, e.message)};
}

}  // namespace sn::node
