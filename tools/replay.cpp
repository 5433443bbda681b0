#include "tools/replay.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "actors/projections/audit.hpp"
#include "actors/projections/catalog.hpp"
#include "actors/projections/daily.hpp"
#include "actors/projections/devices.hpp"
#include "actors/projections/elections.hpp"
#include "actors/projections/inventory.hpp"
#include "actors/projections/sales.hpp"
#include "actors/projections/staff.hpp"
#include "events/codec.hpp"
#include "node/views_json/audit_json.hpp"
#include "node/views_json/catalog_json.hpp"
#include "node/views_json/daily_json.hpp"
#include "node/views_json/devices_json.hpp"
#include "node/views_json/elections_json.hpp"
#include "node/views_json/inventory_json.hpp"
#include "node/views_json/sales_json.hpp"
#include "node/views_json/staff_json.hpp"
#include "node/zoneinfo.hpp"
#include "tools/data_dir.hpp"
#include "tools/errc.hpp"

namespace sn::tools {

namespace pj = sn::projections;
using json = nlohmann::json;

namespace {

std::uint64_t parked_sum(const pj::projection_set& set) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < set.size(); ++i) n += set.info(i).parked;
  return n;
}

/// One page of a list view: the node's JSON of it, the array's key in it,
/// and the row key the next page starts at ("" = last page).
struct view_page {
  json body;
  const char* list_key = nullptr;
  std::string next;
};

std::optional<view_page> list_page(const pj::row_reader& rows, const std::string& name, const pj::page_request& req) {
  if (name == "catalog") {
    auto p = pj::catalog::list_products(rows, req);
    return view_page{node::products_json(p), "products", p.next};
  }
  if (name == "inventory") {
    auto p = pj::inventory::list_items(rows, false, req);
    return view_page{node::inventory_json(p), "items", p.next};
  }
  if (name == "sales") {
    auto l = pj::sales::list(rows, pj::sales::filter{}, req);
    return view_page{node::sales_list_json(l), "sales", l.sales.next};
  }
  if (name == "devices") {
    auto l = pj::devices::list(rows, req);
    return view_page{node::devices_json(l), "devices", l.devices.next};
  }
  if (name == "elections") {
    auto p = pj::elections::list(rows, req);
    return view_page{node::elections_json(p), "elections", p.next};
  }
  if (name == "audit") {
    auto p = pj::audit::list(rows, retail::audit_filter{}, req);
    return view_page{node::audit_json(p), "entries", p.next};
  }
  if (name == "staff") {
    // GET /v1/staff's JSON: no PIN hash (staff_info has none), though the
    // rows hold them.
    auto p = pj::staff::list(rows, req);
    return view_page{node::staff_list_json(p), "staff", p.next};
  }
  return std::nullopt;
}

/// `text` with every line after the first indented by `by` spaces.
std::string indented(const std::string& text, int by) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out.append(static_cast<std::size_t>(by), ' ');
  }
  return out;
}

} // namespace

expected<replay_result> replay_log(const storage::event_log& log, const replay_options& o, scratch_state& state) {
  replay_result r;
  pj::projection_set& set = state.set();
  const std::uint64_t last = log.last_position().value();
  const std::uint64_t end = o.until_position ? std::min(*o.until_position, last) : last;
  const auto start = std::chrono::steady_clock::now();
  std::optional<sn::error> failure;
  const auto flush = [&]() -> bool {
    if (auto st = set.flush(); !st) {
      failure = make_error(errc::io, "writing the scratch state in '" + state.dir() + "': " + st.error().message);
      return false;
    }
    return true;
  };
  if (end > 0) {
    auto st = log.scan(log_position(1), log_position(end + 1), [&](log_position pos, std::string_view bytes) {
      if (interrupted()) {
        failure = make_error(errc::interrupted, "interrupted; the scratch state is removed");
        return false;
      }
      ++r.scanned;
      r.last_position = pos.value();
      if (o.on_progress && r.scanned % progress_interval_events == 0) o.on_progress(r.scanned, end);
      auto e = decode(bytes);
      if (!e) {
        failure = make_error(errc::bad_data_dir, "event at position " + std::to_string(pos.value()) +
                                                     " does not decode: " + e.error().message +
                                                     " (run storectl audit verify)");
        return false;
      }
      if (o.until_ms && e->hlc.wall_ms() > *o.until_ms) return true;
      if (!o.only_types.empty() &&
          std::find(o.only_types.begin(), o.only_types.end(), e->type) == o.only_types.end()) {
        return true;
      }
      // Scratch positions are dense over the events kept (the set folds
      // position n after n - 1): digests depend on rows only, not positions.
      const std::uint64_t parked_before = parked_sum(set);
      set.apply(++r.folded, *e, false);
      if (parked_sum(set) != parked_before) ++r.parked;
      if (r.folded % fold_batch_events == 0 && !flush()) return false;
      return true;
    });
    if (!st) return make_error(errc::bad_data_dir, "reading the log: " + st.error().message);
    if (failure) return *failure;
  }
  if (!flush()) return *failure;
  set.take_conflicts();
  if (set.size() > 0) r.skipped_unknown = set.info(0).skipped_unknown;  // every projection is shown every event
  if (o.on_progress) o.on_progress(r.scanned, end);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

bool path_inside(const std::string& child, const std::string& parent) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto c = fs::weakly_canonical(child, ec);
  const auto p = fs::weakly_canonical(parent, ec);
  auto [pe, ce] = std::mismatch(p.begin(), p.end(), c.begin(), c.end());
  (void)ce;
  return pe == p.end();
}

expected<sn::time_zone> store_zone(const std::string& name, std::int32_t utc_offset_minutes) {
  if (utc_offset_minutes != 0) return sn::time_zone::fixed(utc_offset_minutes);
  if (name.empty()) return sn::time_zone::utc();
  auto z = node::load_time_zone(name);
  if (!z) return make_error(errc::usage, "--time-zone: " + z.error().message);
  return z;
}

expected<replayed_dir> replay_data_dir(const std::string& dir, const replay_options& o,
                                       const scratch_state::options& so) {
  replayed_dir r;
  auto log = open_data_dir(dir);
  if (!log) return log.error();
  r.log = std::move(*log);
  const std::string parent = so.parent.empty() ? default_scratch_parent() : so.parent;
  if (path_inside(parent, dir)) {
    return make_error(errc::usage, "the scratch state must not go inside the data dir '" + dir +
                                       "' (--scratch DIR, or TMPDIR): replay never writes a data dir");
  }
  auto state = scratch_state::create(so);
  if (!state) return state.error();
  r.state = std::move(*state);
  auto folded = replay_log(*r.log, o, *r.state);
  if (!folded) return folded.error();
  r.result = *folded;
  return r;
}

const std::vector<std::string>& projection_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& p : pj::all_projections()) v.emplace_back(p->name());
    return v;
  }();
  return names;
}

std::string projection_name_list() {
  std::string s;
  for (const auto& n : projection_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

bool known_projection(const std::string& name) {
  const auto& n = projection_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

void for_each_list_item(const pj::row_reader& rows, const std::string& name,
                        const std::function<bool(const json&)>& fn) {
  pj::page_request req;
  req.limit = pj::page_limit_max;
  for (;;) {
    auto page = list_page(rows, name, req);
    if (!page) return;
    for (const auto& item : page->body[page->list_key]) {
      if (!fn(item)) return;
    }
    if (page->next.empty()) return;
    req.from = page->next;
  }
}

status write_view(std::FILE* out, const pj::row_reader& rows, const std::string& name, int indent) {
  const bool pretty = indent >= 0;
  if (name == "daily") {
    const std::string text = node::daily_report_json(pj::daily::report(rows, std::nullopt, std::nullopt)).dump(indent);
    std::fputs(text.c_str(), out);
  } else {
    pj::page_request req;
    req.limit = pj::page_limit_max;
    auto first = list_page(rows, name, req);
    if (!first) return make_error(errc::usage, "no projection '" + name + "'");
    // The object without its list, as if it were the only page; then the list.
    json head = first->body;
    head.erase(first->list_key);
    if (head.contains("next_cursor")) head["next_cursor"] = nullptr;
    if (head.contains("truncated")) head["truncated"] = false;
    std::string text = head.dump(indent);
    text.resize(text.size() - (pretty && !head.empty() ? 2 : 1));  // drop "}" (pretty: "\n}")
    if (text.size() == 1 && pretty) text = "{";  // an object of no other fields
    std::fputs(text.c_str(), out);
    std::fprintf(out, "%s%s\"%s\":%s[", head.empty() ? "" : ",", pretty ? "\n  " : "", first->list_key,
                 pretty ? " " : "");
    bool any = false;
    view_page page = std::move(*first);
    for (;;) {
      for (const auto& item : page.body[page.list_key]) {
        std::fputs(any ? "," : "", out);
        if (pretty) std::fputs("\n    ", out);
        std::fputs(pretty ? indented(item.dump(indent), 4).c_str() : item.dump().c_str(), out);
        any = true;
      }
      if (page.next.empty()) break;
      req.from = page.next;
      auto next = list_page(rows, name, req);
      // The first page made `name` a list view, so the next is one too.
      if (!next) return make_error(errc::io, "the " + name + " view stopped being a list while it was written");
      page = std::move(*next);
    }
    std::fputs(pretty && any ? "\n  ]" : "]", out);
    std::fputs(pretty ? "\n}" : "}", out);
  }
  if (std::ferror(out)) return make_error(errc::io, "writing the " + name + " view failed");
  return status::ok();
}

} // namespace sn::tools
