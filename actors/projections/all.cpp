// Every projection of this build, in the set's fixed order (the order of
// digests, column families and /v1/projections).
#include "actors/projections/audit.hpp"
#include "actors/projections/catalog.hpp"
#include "actors/projections/daily.hpp"
#include "actors/projections/devices.hpp"
#include "actors/projections/elections.hpp"
#include "actors/projections/inventory.hpp"
#include "actors/projections/projection.hpp"
#include "actors/projections/sales.hpp"
#include "actors/projections/staff.hpp"

namespace sn::projections {

std::vector<std::unique_ptr<projection>> all_projections() {
  std::vector<std::unique_ptr<projection>> v;
  v.push_back(std::make_unique<catalog_projection>());
  v.push_back(std::make_unique<inventory_projection>());
  v.push_back(std::make_unique<sales_projection>());
  v.push_back(std::make_unique<daily_projection>());
  v.push_back(std::make_unique<devices_projection>());
  v.push_back(std::make_unique<elections_projection>());
  v.push_back(std::make_unique<audit_projection>());
  v.push_back(std::make_unique<staff_projection>());
  return v;
}

} // namespace sn::projections
