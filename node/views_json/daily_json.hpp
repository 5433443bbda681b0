// The HTTP JSON of the daily projection's report (docs/api.md, the shape
// retail::views gave): GET /v1/reports/daily.
#pragma once

#include <nlohmann/json.hpp>

#include "actors/projections/daily.hpp"

namespace sn::node {

/// {"day","device"?,"gross_cents","discounts_cents","tax_cents","returns_cents","net_cents",
///  "by_method":{"cash","card","other"},"transactions","returns","voids",
///  "devices":{"<id>":{...same figures...,"closed":{Z figures,"time"}|null}}}
nlohmann::json daily_report_json(const projections::daily::report_result& r);

}  // namespace sn::node
