#include "node/query_service.hpp"

#include <charconv>
#include <chrono>

#include "actors/fold_progress.hpp"
#include "actors/projection_rows.hpp"
#include "actors/projections/audit.hpp"
#include "actors/projections/catalog.hpp"
#include "actors/projections/daily.hpp"
#include "actors/projections/devices.hpp"
#include "actors/projections/digest_rows.hpp"
#include "actors/projections/elections.hpp"
#include "actors/projections/inventory.hpp"
#include "actors/projections/lthash.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/row_codec.hpp"
#include "actors/projections/sales.hpp"
#include "actors/projections/staff.hpp"
#include "events/json.hpp"
#include "events/time_text.hpp"
#include "node/views_json/audit_json.hpp"
#include "node/views_json/catalog_json.hpp"
#include "node/views_json/daily_json.hpp"
#include "node/views_json/devices_json.hpp"
#include "node/views_json/elections_json.hpp"
#include "node/views_json/inventory_json.hpp"
#include "node/views_json/paging_json.hpp"
#include "node/views_json/sales_json.hpp"
#include "node/views_json/staff_json.hpp"
#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"

namespace sn::node {

using nlohmann::json;
namespace pj = sn::projections;

namespace {

/// How long a query waits for its projection to fold what the log held when
/// it came in (normally well under a millisecond).
constexpr auto fold_wait = std::chrono::seconds(2);

api_result<pj::page_request> page_of(const param_lookup& q) {
  auto limit = q("limit");
  auto cursor = q("cursor");
  return parse_page(limit ? std::optional<std::string_view>(*limit) : std::nullopt,
                    cursor ? std::optional<std::string_view>(*cursor) : std::nullopt);
}

bool truthy(const std::optional<std::string>& v) { return v && *v != "0" && *v != "false"; }

/// A time parameter: milliseconds since the epoch, RFC 3339 or relative to
/// now ("-2h", events/time_text.hpp), as storectl accepts them.
api_result<std::optional<std::uint64_t>> ms_param(const param_lookup& q, const char* name) {
  auto v = q(name);
  if (!v) return std::optional<std::uint64_t>{};
  std::uint64_t out = 0;
  const auto* end = v->data() + v->size();
  const auto r = std::from_chars(v->data(), end, out);
  if (r.ec == std::errc() && r.ptr == end) return std::optional<std::uint64_t>{out};
  const auto now = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  if (auto ms = parse_time_text(*v, now)) return std::optional<std::uint64_t>{*ms};
  return api_error{400, "invalid_parameter",
                   std::string(name) +
                       " must be milliseconds since the epoch, RFC 3339 (2026-11-25T18:00:00Z) or relative (-2h, -1d)"};
}

}  // namespace

struct query_service::reader {
  std::unique_ptr<storage::projection_store::read_view> snap;
  std::unique_ptr<actors::stored_rows> rows;
  std::size_t index = 0;
};

query_service::query_service(const storage::projection_store& rows, actors::fold_progress& progress,
                             const storage::event_log& log)
    : rows_(rows), progress_(progress), log_(log) {}

std::unique_ptr<query_service::reader> query_service::read(std::string_view name) const {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_.name(i) != name) continue;
    progress_.wait_for(i, log_.last_position().value(), fold_wait);
    auto r = std::make_unique<reader>();
    r->index = i;
    r->snap = rows_.snapshot();
    r->rows = std::make_unique<actors::stored_rows>(rows_, i, r->snap.get());
    return r;
  }
  return nullptr;  // a projection of this build is always open (node.cpp opens all_projections())
}

api_result<json> query_service::products(const param_lookup& q) const {
  auto page = page_of(q);
  if (!page) return page.error();
  auto r = read("catalog");
  return products_json(pj::catalog::list_products(*r->rows, *page));
}

api_result<json> query_service::product(const std::string& sku) const {
  auto r = read("catalog");
  auto p = pj::catalog::find_product(*r->rows, sku);
  if (!p) return api_error{404, "unknown_sku", "no product with sku " + sku};
  return product_json(*p);
}

api_result<json> query_service::inventory(const param_lookup& q) const {
  auto page = page_of(q);
  if (!page) return page.error();
  auto r = read("inventory");
  return inventory_json(pj::inventory::list_items(*r->rows, truthy(q("low")), *page));
}

api_result<json> query_service::inventory_item(const std::string& sku) const {
  auto r = read("inventory");
  auto it = pj::inventory::find_item(*r->rows, sku);
  if (!it) return api_error{404, "unknown_sku", "no product or stock movement with sku " + sku};
  return inventory_item_json(*it);
}

api_result<json> query_service::sales(const param_lookup& q) const {
  auto page = page_of(q);
  if (!page) return page.error();
  auto r = read("sales");
  pj::sales::filter f;
  f.day = q("day");
  f.device = q("device");
  f.staff = q("staff");
  if (f.staff && f.device) {
    return api_error{400, "invalid_parameter", "staff cannot be combined with device (filter by staff and day)"};
  }
  return sales_list_json(pj::sales::list(*r->rows, f, *page));
}

api_result<json> query_service::sale(const std::string& receipt) const {
  auto r = read("sales");
  auto s = pj::sales::sale(*r->rows, receipt);
  if (!s) return api_error{404, "unknown_receipt", "no sale with receipt " + receipt};
  return sale_json(*s);
}

api_result<json> query_service::daily_report(const param_lookup& q) const {
  auto r = read("daily");
  return daily_report_json(pj::daily::report(*r->rows, q("day"), q("device"), q("staff")));
}

api_result<json> query_service::devices(const param_lookup& q) const {
  auto page = page_of(q);
  if (!page) return page.error();
  auto r = read("devices");
  return devices_json(pj::devices::list(*r->rows, *page));
}

api_result<json> query_service::device(const std::string& id) const {
  auto r = read("devices");
  auto d = pj::devices::find(*r->rows, id);
  if (!d) return api_error{404, "unknown_device", "no device " + id};
  return device_json(*d);
}

api_result<json> query_service::staff_list(const param_lookup& q) const {
  auto page = page_of(q);
  if (!page) return page.error();
  auto r = read("staff");
  return staff_list_json(pj::staff::list(*r->rows, *page));
}

api_result<json> query_service::staff_member(const std::string& id) const {
  auto r = read("staff");
  auto s = pj::staff::find(*r->rows, id);
  if (!s) return api_error{404, "unknown_staff", "no staff " + id};
  return staff_json(*s);
}

std::optional<pj::staff::staff_credentials> query_service::staff_credentials(const std::string& id) const {
  auto r = read("staff");
  return pj::staff::credentials_of(*r->rows, id);
}

std::size_t query_service::staff_count() const {
  auto r = read("staff");
  return pj::staff::count(*r->rows);
}

api_result<json> query_service::elections(const param_lookup& q) const {
  auto page = page_of(q);
  if (!page) return page.error();
  pj::elections::filter f;
  f.device = q("device");
  f.reason = q("reason");
  auto since = ms_param(q, "since");
  if (!since) return since.error();
  auto until = ms_param(q, "until");
  if (!until) return until.error();
  f.since_ms = *since;
  f.until_ms = *until;
  auto r = read("elections");
  return elections_json(pj::elections::list(*r->rows, f, *page));
}

api_result<json> query_service::audit(const param_lookup& q) const {
  auto page = page_of(q);
  if (!page) return page.error();
  retail::audit_filter f;
  f.device = q("device");
  f.op = q("op");
  auto since = ms_param(q, "since");
  if (!since) return since.error();
  auto until = ms_param(q, "until");
  if (!until) return until.error();
  f.since_ms = *since;
  f.until_ms = *until;
  const auto status = q("status");
  if (status && !audit_status_known(*status)) {
    return api_error{400, "invalid_parameter", "status must be resolved, ok or failed"};
  }
  if (status && *status != "resolved") {
    // Conflict resolutions are all "resolved": none matches another status.
    json none{{"entries", json::array()}, {"count", 0}};
    put_paging(none, {});
    return none;
  }
  auto r = read("audit");
  json out = audit_json(pj::audit::list(*r->rows, f, *page));
  for (json& row : out["entries"]) with_attribution(row);
  return out;
}

bool query_service::audit_status_known(std::string_view status) {
  return status == "resolved" || status == "ok" || status == "failed";
}

// A conflict resolution judged two writes: each is an event the log holds.
void query_service::with_attribution(json& row) const {
  attribute_audit_row(row, [this](const std::string& origin, std::uint64_t seq) -> std::optional<event> {
    auto ev = log_.get(device_id{origin}, origin_seq{seq});
    if (!ev) return std::nullopt;
    return std::move(ev->ev);
  });
}

json query_service::digests() const {
  json d = json::object(), positions = json::object();
  // As every query: the digests cover what the log held when asked.
  const std::uint64_t head = log_.last_position().value();
  for (std::size_t i = 0; i < rows_.size(); ++i) progress_.wait_for(i, head, fold_wait);
  auto snap = rows_.snapshot();
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    d[rows_.name(i)] = pj::stored_digest_hex(actors::stored_rows(rows_, i, snap.get()));
    std::uint64_t position = 0;
    if (auto p = rows_.get(i, pj::reserved::position, snap.get())) position = pj::row_in(*p).u64();
    positions[rows_.name(i)] = position;
  }
  return json{{"projections", std::move(d)}, {"positions", std::move(positions)}};
}

api_result<json> query_service::buckets(const std::string& projection) const {
  auto r = read(projection);
  if (!r) return api_error{404, "unknown_projection", "no projection " + projection};
  return json{{"projection", projection},
              {"digest", pj::stored_digest_hex(*r->rows)},
              {"buckets", pj::stored_bucket_hexes(*r->rows)}};
}

api_result<json> query_service::bucket_rows(const std::string& projection, const std::string& bucket,
                                            const param_lookup& q) const {
  std::size_t b = 0;
  const auto res = std::from_chars(bucket.data(), bucket.data() + bucket.size(), b);
  if (res.ec != std::errc() || res.ptr != bucket.data() + bucket.size() || b >= pj::digest_bucket_count) {
    return api_error{400, "invalid_parameter", "bucket must be 0 to " + std::to_string(pj::digest_bucket_count - 1)};
  }
  auto page = page_of(q);
  if (!page) return page.error();
  auto r = read(projection);
  if (!r) return api_error{404, "unknown_projection", "no projection " + projection};
  const auto bucket_id = static_cast<std::uint8_t>(b);
  auto listed = pj::bucket_rows(*r->rows, bucket_id, *page);
  json rows = json::array();
  for (const auto& row : listed.items) {
    rows.push_back(json{{"key", pj::hex_of(row.key)}, {"value_hash", row.value_hash_hex()}});
  }
  json out{{"projection", projection},
           {"bucket", b},
           {"digest", pj::stored_bucket_hex(*r->rows, bucket_id)},
           {"rows", std::move(rows)}};
  put_paging(out, listed.next);
  return out;
}

}  // namespace sn::node
