#include "node/permissions.hpp"

namespace sn::node {

namespace {

using staff::role;

route_rule open_route(const char* m, const char* p, const char* what) { return route_rule{m, p, true, role::cashier, false, what}; }
route_rule query(const char* m, const char* p, role r, const char* what) { return route_rule{m, p, false, r, false, what}; }
route_rule command(const char* m, const char* p, role r, const char* what) { return route_rule{m, p, false, r, true, what}; }

/// Matches `path` against a docs pattern: "{x}" matches one non-empty segment.
bool matches(std::string_view pattern, std::string_view path) {
  std::size_t i = 0, j = 0;
  while (i < pattern.size() && j < path.size()) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      const auto seg_end = path.find('/', j);
      const std::size_t end = seg_end == std::string_view::npos ? path.size() : seg_end;
      if (end == j) return false;
      i = close + 1;
      j = end;
      continue;
    }
    if (pattern[i] != path[j]) return false;
    ++i;
    ++j;
  }
  return i == pattern.size() && j == path.size();
}

}  // namespace

const std::vector<route_rule>& permission_table() {
  static const std::vector<route_rule> table = {
      open_route("GET", "/healthz", "liveness"),
      open_route("POST", "/v1/sessions", "sign in with staff id and PIN"),
      open_route("GET", "/", "the store console (web/)"),
      open_route("GET", "/console/{file}", "the console's scripts and styles"),
      open_route("GET", "/favicon.ico", "the console's icon"),
      query("GET", "/v1/sessions/current", role::cashier, "who is signed in"),
      query("DELETE", "/v1/sessions/current", role::cashier, "sign out"),
      query("GET", "/v1/status", role::cashier, "node and store status (the status bar)"),
      query("GET", "/v1/status/stream", role::cashier,
            "the status bar's live stream (SSE: status kinds, master.changed, conflict.resolved)"),
      query("GET", "/metrics", role::manager, "Prometheus metrics"),
      // Selling.
      command("POST", "/v1/sales", role::cashier, "sell (a price override or a discount over the limit needs a supervisor)"),
      command("POST", "/v1/returns", role::cashier, "return with a receipt (a refund over the limit needs a supervisor)"),
      command("POST", "/v1/sales/{receipt}/void", role::supervisor, "void a sale"),
      command("POST", "/v1/days/close", role::supervisor, "close the business day"),
      query("GET", "/v1/products", role::cashier, "list products"),
      query("GET", "/v1/products/{sku}", role::cashier, "one product"),
      query("GET", "/v1/inventory", role::cashier, "stock levels"),
      query("GET", "/v1/inventory/{sku}", role::cashier, "one product's stock"),
      query("GET", "/v1/sales/{receipt}", role::cashier, "one sale (to take a return)"),
      query("GET", "/v1/sales", role::cashier, "list sales (a cashier: only their own)"),
      // Stock.
      command("POST", "/v1/stock/receipts", role::supervisor, "receive stock"),
      command("POST", "/v1/stock/adjustments", role::supervisor, "adjust stock"),
      command("POST", "/v1/stock/counts", role::supervisor, "record a count"),
      // Catalog.
      command("POST", "/v1/products", role::manager, "create or replace a product"),
      command("POST", "/v1/products/{sku}/price", role::manager, "change a price"),
      command("POST", "/v1/products/{sku}/deactivate", role::manager, "stop selling a product"),
      // Staff.
      command("POST", "/v1/staff", role::manager, "add staff (managers and admins: admin)"),
      command("PUT", "/v1/staff/{id}", role::manager, "change staff (managers and admins: admin)"),
      command("DELETE", "/v1/staff/{id}", role::manager, "remove staff (managers and admins: admin)"),
      query("GET", "/v1/staff", role::manager, "list staff"),
      query("GET", "/v1/staff/{id}", role::manager, "one staff member"),
      // Reports and the store's operations.
      query("GET", "/v1/reports/daily", role::manager, "daily report"),
      query("GET", "/v1/audit", role::manager, "sync audit log"),
      query("GET", "/v1/events", role::manager, "the event log"),
      query("GET", "/v1/events/stream", role::manager, "the live event stream (SSE)"),
      query("GET", "/v1/elections", role::manager, "master elections"),
      query("GET", "/v1/digest", role::manager, "projection digests"),
      query("GET", "/v1/digest/{projection}", role::manager, "a projection's bucket digests"),
      query("GET", "/v1/digest/{projection}/buckets/{bucket}", role::manager, "one bucket's rows"),
      query("GET", "/v1/projections", role::manager, "projection status"),
      command("POST", "/v1/projections/{name}/rebuild", role::manager, "rebuild a projection"),
      command("POST", "/v1/projections/{name}/pause", role::manager, "pause a projection"),
      command("POST", "/v1/projections/{name}/resume", role::manager, "resume a projection"),
      query("GET", "/v1/sync/state", role::supervisor, "sync state of every device"),
      query("GET", "/v1/sync/state/{device}", role::supervisor, "sync state of one device"),
      command("POST", "/v1/sync/now", role::supervisor, "sync now"),
      query("GET", "/v1/devices", role::supervisor, "list devices"),
      query("GET", "/v1/devices/{id}", role::supervisor, "one device"),
      command("PUT", "/v1/devices/{id}", role::manager, "change a device's name, priority or active flag"),
      command("POST", "/v1/master", role::manager, "manual master override"),
      command("POST", "/v1/devices", role::admin, "register a device (the seed's registration; trust comes from enrollment)"),
      command("POST", "/v1/devices/{id}/enrollment", role::admin, "a one-time join code for a new device"),
      command("POST", "/v1/devices/{id}/revocation", role::admin, "revoke a device: its connections and later events are refused"),
      command("POST", "/v1/devices/{id}/keys/rotation", role::admin, "rotate this device's keys (served by device {id} only)"),
      command("POST", "/v1/backup", role::admin, "copy the data dir (the log holds PIN hashes)"),
  };
  return table;
}

const route_rule* find_route(std::string_view method, std::string_view path) {
  if (method == "HEAD") method = "GET";
  for (const auto& r : permission_table()) {
    if (method == r.method && matches(r.path, path)) return &r;
  }
  return nullptr;
}

staff::role least_role_to_manage(staff::role target) noexcept {
  return staff::at_least(target, role::manager) ? role::admin : role::manager;
}

}  // namespace sn::node
