#include "tools/event_format.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "events/json.hpp"

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
  std::string s = p.is_object() ? summarise_known(type, p) : std::string{};
  if (s.empty()) s = p.dump();  // unknown type: the generic rendering, compact
  if (s.size() > summary_chars_max) {
    s.resize(summary_chars_max - 3);
    s += "...";
  }
  return s;
}

std::string format_event_line(const json& ev, const palette& p) {
  const std::string type = str(ev, "type");
  const std::string ref = str(ev, "origin") + ":" + std::to_string(num(ev, "seq"));
  char head[160];
  std::snprintf(head, sizeof head, "%8lld  %-24s  %-16s t%-4lld ", static_cast<long long>(num(ev, "position")),
                str(ev, "time").c_str(), ref.c_str(), static_cast<long long>(num(ev, "term")));
  char type_col[64];
  std::snprintf(type_col, sizeof type_col, "%-20s", type.c_str());
  std::string line = head;
  line += p.for_type(type);
  line += type_col;
  line += p.reset();
  line += " ";
  line += summarise_payload(ev);
  return line;
}

std::string format_event_header(const palette& p) {
  char head[160];
  std::snprintf(head, sizeof head, "%8s  %-24s  %-16s %-5s %-20s %s", "POSITION", "TIME (UTC)", "ORIGIN:SEQ", "TERM",
                "TYPE", "SUMMARY");
  return std::string(p.bold()) + head + p.reset();
}

} // namespace sn::tools
