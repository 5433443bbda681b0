// The one permission table (issue 10, ARCHITECTURE.md §9): every route of the
// HTTP API with the least role that may use it, and whether a person below
// that role may still run it with an approver's PIN. docs/api.md "Permissions"
// shows the same table; tests/unit/node/permissions_test.cpp fails when the
// two differ, and tests/integration/permissions_test.cpp tries every row with
// no token, each role and an approver.
//
// A request that matches no row is answered 404 `unknown_route` before
// anything else runs, so a route cannot be added to node/http_api.cpp without
// a row here (it would be unreachable).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/staff/role.hpp"

namespace sn::node {

struct route_rule {
  const char* method;   ///< GET, POST, PUT, DELETE
  const char* path;     ///< as docs/api.md writes it: /v1/products/{sku}/price
  bool open = false;    ///< no token needed (GET /healthz, POST /v1/sessions)
  staff::role least = staff::role::cashier;  ///< when not open
  bool approvable = false;  ///< a lower role may run it with an approver (commands only)
  const char* what = "";    ///< one line for the docs
};

/// Every route, in the order of docs/api.md's table.
const std::vector<route_rule>& permission_table();

/// The row of `method` `path` (a request path without its query); nullptr
/// when none matches. HEAD is looked up as GET.
const route_rule* find_route(std::string_view method, std::string_view path);

/// The least role that may add, change or remove a staff member whose role
/// is (or becomes) `target`: a manager manages cashiers and supervisors; an
/// admin manages anyone.
staff::role least_role_to_manage(staff::role target) noexcept;

}  // namespace sn::node
