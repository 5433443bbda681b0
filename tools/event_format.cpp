#include "tools/event_format.hpp"

#include <cstdio>
#include <optional>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "events/device.hpp"
#include "events/election.hpp"
#include "events/json.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"
#include "tools/event_filter.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;

// Longest summary printed on one line; the rest is cut with "..." so a line
// stays greppable and a huge unknown payload cannot flood a terminal.
constexpr std::size_t summary_chars_max = 160;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::int64_t num(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<std::int64_t>();
}

std::string money(const json& j, const char* key) { return format_cents(num(j, key)); }

std::string signed_num(std::int64_t v) { return (v > 0 ? "+" : "") + std::to_string(v); }

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string summarise_known(const std::string& type, const json& p) {
  if (type == "product.upserted") {
    std::string s = "sku=" + str(p, "sku") + " name=" + quoted(str(p, "name")) + " price=" + money(p, "price_cents");
    if (p.contains("tax_rate_bp")) s += " tax=" + format_cents(num(p, "tax_rate_bp")) + "%";
    if (p.contains("active") && p["active"].is_boolean() && !p["active"].get<bool>()) s += " inactive";
    return s;
  }
  if (type == "price.changed") return "sku=" + str(p, "sku") + " price=" + money(p, "price_cents");
  if (type == "product.deactivated") return "sku=" + str(p, "sku");
  if (type == "stock.received") {
    std::string s = "sku=" + str(p, "sku") + " qty=" + signed_num(num(p, "qty"));
    if (!str(p, "supplier_ref").empty()) s += " supplier=" + str(p, "supplier_ref");
    return s;
  }
  if (type == "stock.adjusted") {
    return "sku=" + str(p, "sku") + " delta=" + signed_num(num(p, "delta")) + " reason=" + str(p, "reason");
  }
  if (type == "stock.counted") {
    return "sku=" + str(p, "sku") + " counted=" + std::to_string(num(p, "counted_qty")) +
           " expected=" + std::to_string(num(p, "expected_qty"));
  }
  if (type == "sale.completed") {
    std::int64_t items = 0;
    std::size_t lines = 0;
    if (p.contains("lines") && p["lines"].is_array()) {
      lines = p["lines"].size();
      for (const auto& l : p["lines"]) items += num(l, "qty");
    }
    std::string s = "receipt=" + str(p, "receipt") + " lines=" + std::to_string(lines) +
                    " items=" + std::to_string(items) + " total=" + money(p, "total_cents");
    if (p.contains("payments") && p["payments"].is_array() && !p["payments"].empty()) {
      s += " paid=";
      bool first = true;
      for (const auto& pay : p["payments"]) {
        if (!first) s += ",";
        s += str(pay, "method") + ":" + money(pay, "amount_cents");
        first = false;
      }
    }
    return s;
  }
  if (type == "sale.returned") {
    return "return=" + str(p, "return_id") + " receipt=" + str(p, "receipt") + " refund=" + money(p, "refund_cents") +
           " method=" + str(p, "method");
  }
  if (type == "sale.voided") return "receipt=" + str(p, "receipt") + " reason=" + quoted(str(p, "reason"));
  if (type == "day.closed") {
    return "day=" + str(p, "day") + " net=" + money(p, "net_cents") +
           " transactions=" + std::to_string(num(p, "transactions"));
  }
  if (type == "device.registered" || type == "device.updated") {
    return "device=" + str(p, "device_id") + " name=" + quoted(str(p, "name")) +
           " priority=" + std::to_string(num(p, "priority"));
  }
  if (type == "master.changed") {
    std::string prev = str(p, "previous_master");
    return (prev.empty() ? "-" : prev) + " -> " + str(p, "new_master") + " term=" + std::to_string(num(p, "term")) +
           " reason=" + str(p, "reason");
  }
  if (type == "conflict.resolved") {
    return str(p, "register_name") + "[" + str(p, "key") + "] winner=" + str(p, "winner") +
           " loser=" + str(p, "loser") + " method=" + str(p, "method");
  }
  return {};
}

// Who did it (issue 10): " staff=ID" and " approver=ID" when set, after
// the type's own summary (JSON and typed forms alike).
std::string attribution(const std::string& staff, const std::string& approver) {
  std::string s;
  if (!staff.empty()) s += " staff=" + staff;
  if (!approver.empty()) s += " approver=" + approver;
  return s;
}

std::string cut(std::string s) {
  if (s.size() > summary_chars_max) {
    s.resize(summary_chars_max - 3);
    s += "...";
  }
  return s;
}

// The same summaries from the typed payload: the data-dir path prints these
// without building the event's JSON (about 10x faster; a test keeps the two
// forms identical for every type).
std::string summary_of(const product_upserted& p) {
  std::string s = "sku=" + p.sku + " name=" + quoted(p.name) + " price=" + format_cents(p.price_cents) +
                  " tax=" + format_cents(p.tax_rate_bp) + "%";
  if (!p.active) s += " inactive";
  return s;
}
std::string summary_of(const price_changed& p) { return "sku=" + p.sku + " price=" + format_cents(p.price_cents); }
std::string summary_of(const product_deactivated& p) { return "sku=" + p.sku; }
std::string summary_of(const stock_received& p) {
  std::string s = "sku=" + p.sku + " qty=" + signed_num(p.qty);
  if (!p.supplier_ref.empty()) s += " supplier=" + p.supplier_ref;
  return s;
}
std::string summary_of(const stock_adjusted& p) {
  return "sku=" + p.sku + " delta=" + signed_num(p.delta) + " reason=" + p.reason;
}
std::string summary_of(const stock_counted& p) {
  return "sku=" + p.sku + " counted=" + std::to_string(p.counted_qty) + " expected=" + std::to_string(p.expected_qty);
}
std::string summary_of(const sale_completed& p) {
  std::int64_t items = 0;
  for (const auto& l : p.lines) items += l.qty;
  std::string s = "receipt=" + p.receipt + " lines=" + std::to_string(p.lines.size()) + " items=" + std::to_string(items) +
                  " total=" + format_cents(p.total_cents);
  if (!p.payments.empty()) {
    s += " paid=";
    bool first = true;
    for (const auto& pay : p.payments) {
      if (!first) s += ",";
      s += pay.method + ":" + format_cents(pay.amount_cents);
      first = false;
    }
  }
  return s;
}
std::string summary_of(const sale_returned& p) {
  return "return=" + p.return_id + " receipt=" + p.receipt + " refund=" + format_cents(p.refund_cents) +
         " method=" + p.method;
}
std::string summary_of(const sale_voided& p) { return "receipt=" + p.receipt + " reason=" + quoted(p.reason); }
std::string summary_of(const day_closed& p) {
  return "day=" + p.day + " net=" + format_cents(p.net_cents) + " transactions=" + std::to_string(p.transactions);
}
std::string summary_of(const device_registered& p) {
  return "device=" + p.device_id + " name=" + quoted(p.name) + " priority=" + std::to_string(p.priority);
}
std::string summary_of(const device_updated& p) {
  return "device=" + p.device_id + " name=" + quoted(p.name) + " priority=" + std::to_string(p.priority);
}
std::string summary_of(const store_created& p) { return "store=" + p.store_id + " name=" + quoted(p.name); }
std::string summary_of(const device_enrolled& p) {
  return "device=" + p.device_id + " priority=" + std::to_string(p.priority) +
         " approved_by=" + (p.approved_by.empty() ? "-" : p.approved_by) + " signing_key=" + p.signing_key.substr(0, 16);
}
std::string summary_of(const device_keys_rotated& p) {
  return "device=" + p.device_id + " approved_by=" + (p.approved_by.empty() ? "-" : p.approved_by) +
         " signing_key=" + p.signing_key.substr(0, 16) + " curve_key=" + p.curve_key.substr(0, 16);
}
std::string summary_of(const device_revoked& p) {
  return "device=" + p.device_id + " reason=" + quoted(p.reason) + " approved_by=" + p.approved_by;
}
std::string summary_of(const master_changed& p) {
  return (p.previous_master.empty() ? "-" : p.previous_master) + " -> " + p.new_master +
         " term=" + std::to_string(p.term) + " reason=" + p.reason;
}
std::string summary_of(const conflict_resolved& p) {
  return p.register_name + "[" + p.key + "] winner=" + p.winner + " loser=" + p.loser + " method=" + p.method;
}

template <class P, class = void>
struct has_staff : std::false_type {};
template <class P>
struct has_staff<P, std::void_t<decltype(P::staff_id), decltype(P::approver_id)>> : std::true_type {};

template <class Payload>
std::optional<std::string> typed(const event& e) {
  auto p = payload_of<Payload>(e);
  if (!p) return std::nullopt;
  std::string s = summary_of(*p);
  if constexpr (has_staff<Payload>::value) s += attribution(p->staff_id, p->approver_id);
  return s;
}

std::optional<std::string> summarise_typed(const event& e) {
  if (!is_known_event_type(e.type)) return std::nullopt;
  switch (static_cast<event_type>(e.type)) {
    case event_type::product_upserted: return typed<product_upserted>(e);
    case event_type::price_changed: return typed<price_changed>(e);
    case event_type::product_deactivated: return typed<product_deactivated>(e);
    case event_type::stock_received: return typed<stock_received>(e);
    case event_type::stock_adjusted: return typed<stock_adjusted>(e);
    case event_type::stock_counted: return typed<stock_counted>(e);
    case event_type::sale_completed: return typed<sale_completed>(e);
    case event_type::sale_returned: return typed<sale_returned>(e);
    case event_type::sale_voided: return typed<sale_voided>(e);
    case event_type::day_closed: return typed<day_closed>(e);
    case event_type::device_registered: return typed<device_registered>(e);
    case event_type::device_updated: return typed<device_updated>(e);
    case event_type::store_created: return typed<store_created>(e);
    case event_type::device_enrolled: return typed<device_enrolled>(e);
    case event_type::device_revoked: return typed<device_revoked>(e);
    case event_type::device_keys_rotated: return typed<device_keys_rotated>(e);
    case event_type::master_changed: return typed<master_changed>(e);
    case event_type::conflict_resolved: return typed<conflict_resolved>(e);
    // Staff events print their generic rendering (payload_to_json: every
    // field but the PIN hash), the same on both paths (summarise_payload).
    case event_type::staff_added:
    case event_type::staff_updated:
    case event_type::staff_removed:
    case event_type::staff_signed_in:
    case event_type::staff_sign_in_failed:
    case event_type::staff_signed_out: return std::nullopt;
  }
  return std::nullopt;
}

std::string line_of(std::uint64_t position, const std::string& time, const std::string& ref, std::uint64_t term,
                    const std::string& type, const std::string& summary, const palette& p) {
  char head[160];
  std::snprintf(head, sizeof head, "%8llu  %-24s  %-16s t%-4llu ", static_cast<unsigned long long>(position),
                time.c_str(), ref.c_str(), static_cast<unsigned long long>(term));
  char type_col[64];
  std::snprintf(type_col, sizeof type_col, "%-20s", type.c_str());
  std::string line = head;
  line += p.for_type(type);
  line += type_col;
  line += p.reset();
  line += " ";
  line += summary;
  return line;
}

} // namespace

json event_json(const event& e, std::uint64_t position) {
  json j = event_to_json(e);
  j["position"] = position;
  return j;
}

std::string summarise_payload(const json& ev) {
  const std::string type = str(ev, "type");
  static const json empty = json::object();
  const json& p = ev.contains("payload") ? ev["payload"] : empty;
  // A payload that did not decode as its type comes as the generic rendering
  // with "$error": print that, not a summary of empty fields.
  const bool typed_payload = p.is_object() && !p.contains("$error");
  std::string s = typed_payload ? summarise_known(type, p) : std::string{};
  if (!s.empty()) s += attribution(str(p, "staff_id"), str(p, "approver_id"));
  if (s.empty()) s = p.dump();  // unknown type: the generic rendering, compact
  return cut(std::move(s));
}

std::string summarise_event(const event& e) {
  if (auto s = summarise_typed(e)) return cut(std::move(*s));
  return cut(payload_to_json(e).dump());
}

std::string format_event_line(const json& ev, const palette& p) {
  return line_of(static_cast<std::uint64_t>(num(ev, "position")), str(ev, "time"),
                 str(ev, "origin") + ":" + std::to_string(num(ev, "seq")), static_cast<std::uint64_t>(num(ev, "term")),
                 str(ev, "type"), summarise_payload(ev), p);
}

std::string format_event_line(const event& e, std::uint64_t position, const palette& p) {
  return line_of(position, e.hlc.to_rfc3339(), event_ref(e), e.term.value(), type_name_of(e.type), summarise_event(e), p);
}

std::string format_event_header(const palette& p) {
  char head[160];
  std::snprintf(head, sizeof head, "%8s  %-24s  %-16s %-5s %-20s %s", "POSITION", "TIME (UTC)", "ORIGIN:SEQ", "TERM",
                "TYPE", "SUMMARY");
  return std::string(p.bold()) + head + p.reset();
}

} // namespace sn::tools
