#include "tools/replay.hpp"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "tools/errc.hpp"

namespace sn::tools {

expected<replay_result> replay_log(const storage::event_log& log, const replay_options& o) {
  replay_result r;
  r.views = std::make_unique<retail::views>(o.settings);
  const std::uint64_t last = log.last_position().value();
  const std::uint64_t end = o.until_position ? std::min(*o.until_position, last) : last;
  const auto start = std::chrono::steady_clock::now();
  sn::error decode_error;
  bool failed = false;
  if (end > 0) {
    auto st = log.scan(log_position(1), log_position(end + 1), [&](log_position pos, std::string_view bytes) {
      ++r.scanned;
      r.last_position = pos.value();
      if (o.on_progress && r.scanned % progress_interval_events == 0) o.on_progress(r.scanned, end);
      auto e = decode(bytes);
      if (!e) {
        decode_error = make_error(errc::bad_data_dir, "event at position " + std::to_string(pos.value()) +
                                                          " does not decode: " + e.error().message +
                                                          " (run storectl audit verify)");
        failed = true;
        return false;
      }
      if (o.until_ms && e->hlc.wall_ms() > *o.until_ms) return true;
      if (!o.only_types.empty() &&
          std::find(o.only_types.begin(), o.only_types.end(), e->type) == o.only_types.end()) {
        return true;
      }
      r.views->apply(*e);
      ++r.folded;
      return true;
    });
    if (!st) return make_error(errc::bad_data_dir, "reading the log: " + st.error().message);
    if (failed) return decode_error;
  }
  if (o.on_progress) o.on_progress(r.scanned, end);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::optional<nlohmann::json> projection_view(const retail::views& v, const std::string& name) {
  if (name == "catalog") return v.products();
  if (name == "inventory") return v.inventory(false);
  if (name == "sales") return v.sales(std::nullopt, std::nullopt);
  if (name == "daily") return v.daily_report(std::nullopt, std::nullopt);
  if (name == "devices") return v.devices();
  if (name == "elections") return v.elections();
  if (name == "audit") return v.audit(retail::audit_filter{});
  return std::nullopt;
}

std::string projection_name_list() {
  std::string s;
  for (const char* n : retail::projection_names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

} // namespace sn::tools
