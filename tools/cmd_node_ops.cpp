// storectl projections [status|rebuild|pause|resume] and storectl master set:
// operations on a running node.
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/commands.hpp"
#include "tools/replay.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;

struct projections_options {
  std::string node;
  std::string name;
  bool json = false;
};

expected<node_client> node_of(const std::string& url) {
  return node_client::make(url.empty() ? default_node_url() : url);
}

std::string cell(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "-";
  if (j[key].is_string()) return j[key].get<std::string>();
  if (j[key].is_boolean()) return j[key].get<bool>() ? "yes" : "no";
  if (j[key].is_array()) return std::to_string(j[key].size());
  return j[key].dump();
}

bool flag(const json& j, const char* key) { return j.is_object() && j.contains(key) && j[key].is_boolean() && j[key].get<bool>(); }

/// The per-projection objects of GET /v1/projections: {"projections": {name:
/// {position, lag, applied, skipped_unknown, parked, paused, catching_up,
/// digest}}, "parked_events": [...], "conflicts_recorded", "write_failures"}.
std::vector<std::pair<std::string, json>> projection_rows(const json& st) {
  std::vector<std::pair<std::string, json>> rows;
  const json* list = st.is_object() && st.contains("projections") ? &st["projections"] : &st;
  if (!list->is_object()) return rows;
  for (auto it = list->begin(); it != list->end(); ++it) {
    if (it.value().is_object()) rows.emplace_back(it.key(), it.value());
  }
  return rows;
}

/// Events parked by any projection (each projection counts the events it parked).
std::uint64_t parked_total(const json& st) {
  std::uint64_t n = 0;
  for (const auto& [name, r] : projection_rows(st)) n += r.value("parked", std::uint64_t{0});
  return n;
}

/// A projection's state: paused, catching up (rebuilding, resumed, or
/// folding the log's tail), else running.
std::string state_of(const json& r) {
  if (flag(r, "paused")) return "paused";
  if (flag(r, "catching_up")) return "catching_up";
  return "running";
}

void print_projections(const json& st, const palette& p) {
  std::printf("%s%-11s %-12s %-12s %-8s %-12s %-8s %-7s %s%s\n", p.bold(), "PROJECTION", "STATE", "POSITION", "LAG",
              "APPLIED", "SKIPPED", "PARKED", "DIGEST", p.reset());
  for (const auto& [name, r] : projection_rows(st)) {
    const std::string state = state_of(r);
    const std::uint64_t n = r.value("parked", std::uint64_t{0});
    const std::string digest = cell(r, "digest");
    std::printf("%-11s %s%-12s%s %-12s %-8s %-12s %-8s %s%-7s%s %s\n", name.c_str(),
                state == "running" ? p.green() : p.yellow(), state.c_str(), p.reset(), cell(r, "position").c_str(),
                cell(r, "lag").c_str(), cell(r, "applied").c_str(), cell(r, "skipped_unknown").c_str(),
                n > 0 ? p.red() : "", std::to_string(n).c_str(), n > 0 ? p.reset() : "",
                digest.substr(0, 16).c_str());
  }
  if (st.is_object() && st.contains("parked_events") && st["parked_events"].is_array()) {
    for (const auto& e : st["parked_events"]) {
      std::printf("%sparked%s %s:%s type %s: %s\n", p.red(), p.reset(), cell(e, "origin").c_str(), cell(e, "seq").c_str(),
                  cell(e, "type").c_str(), cell(e, "reason").c_str());
    }
  }
  if (st.is_object() && st.value("write_failures", std::uint64_t{0}) > 0) {
    std::printf("%swrite failures%s %s (the projection actor folds again from what is durable)\n", p.yellow(),
                p.reset(), cell(st, "write_failures").c_str());
  }
}

int run_projections(const std::string& action, projections_options o, cli_context& ctx) {
  if (o.name == "retail_views") {
    // The one projection of earlier builds: scripts that name it mean every one.
    std::fprintf(stderr, "storectl: retail_views is now split into %s: doing it for all\n",
                 projection_name_list().c_str());
    o.name = "all";
  }
  if (action != "status" && o.name != "all" && !known_projection(o.name)) {
    return report_error(make_error(errc::usage, "'" + o.name + "' is not a projection: " + projection_name_list() +
                                                    ", or all"));
  }
  auto node = node_of(o.node);
  if (!node) return report_error(node.error());
  if (action == "status") {
    auto st = node->get("/v1/projections");
    if (!st) return report_error(st.error());
    if (o.json) std::printf("%s\n", st->dump().c_str());
    else print_projections(*st, ctx.out_palette());
    return parked_total(*st) > 0 ? exit_problem : exit_ok;
  }
  auto r = node->post("/v1/projections/" + url_encode(o.name) + "/" + action, json::object());
  if (!r) return report_error(r.error());
  if (o.json) std::printf("%s\n", r->dump().c_str());
  else if (action == "rebuild" && r->contains("events")) {
    std::printf("%s: rebuilt on %s (%s events folded)\n", o.name.c_str(), node->url().c_str(), cell(*r, "events").c_str());
  } else {
    std::printf("%s: %s requested on %s\n", o.name.c_str(), action.c_str(), node->url().c_str());
  }
  return exit_ok;
}

std::string name_choices() {
  std::string s;
  for (const auto& n : projection_names()) s += n + ",";
  return s + "all";
}

} // namespace

void add_projections_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<projections_options>();
  auto* cmd = app.add_subcommand("projections", "a node's projections: status, rebuild, pause, resume");
  cmd->footer(R"(
One row per projection (catalog, inventory, sales, daily, devices, elections,
audit): state (running, paused, catching_up), the log position it has folded,
lag behind the log, events applied, skipped as unknown, parked, and its digest.
An event that makes a projection fail is parked: counted, listed here, and the
projection goes on. Exit 1 when events are parked.

rebuild NAME drops that projection's rows and folds the log again (the reply
comes once it has caught up); pause stops folding it (events queue in the log),
resume catches it up. NAME is a projection or all.

Examples:
  storectl projections
  storectl projections status --json | jq '.projections.sales.lag'
  storectl projections rebuild catalog
  storectl projections pause all && storectl projections resume all)");
  cmd->add_option("--node", o->node, "the node's HTTP address (default $STORECTL_NODE or http://127.0.0.1:8080)")
      ->type_name("URL");
  cmd->add_flag("--json", o->json, "print the node's JSON reply");
  cmd->require_subcommand(0, 1);
  auto* st = cmd->add_subcommand("status", "position, lag, applied, skipped and parked events per projection (the default)");
  st->callback([o, &ctx] { ctx.exit_code = run_projections("status", *o, ctx); });
  const std::vector<std::pair<std::string, std::string>> what = {
      {"rebuild", "drop one projection's rows (or all) and fold the log again"},
      {"pause", "stop folding one projection (or all)"},
      {"resume", "resume folding one projection (or all); it catches up from the log"},
  };
  for (const auto& [action, help] : what) {
    auto* sub = cmd->add_subcommand(action, help);
    // The choices in the type name let the bash completion offer them.
    sub->add_option("name", o->name, "the projection, or all")->required()->type_name("NAME:{" + name_choices() + "}");
    std::string a = action;
    sub->callback([o, a, &ctx] { ctx.exit_code = run_projections(a, *o, ctx); });
  }
  cmd->callback([cmd, o, &ctx] {
    if (!cmd->get_subcommands().empty()) return;
    ctx.exit_code = run_projections("status", *o, ctx);
  });
}

void add_master_command(CLI::App& app, cli_context& ctx) {
  struct master_options {
    std::string node, device;
    bool json = false;
  };
  auto o = std::make_shared<master_options>();
  auto* cmd = app.add_subcommand("master", "manual master override");
  cmd->require_subcommand(1);
  auto* set = cmd->add_subcommand("set", "make a device the store's master (recorded as reason \"manual\")");
  set->footer(R"(
The node forwards the request to the election; the change shows up as a
master.changed event (storectl elections) and in storectl status.

Examples:
  storectl master set BO
  storectl master set POS2 --node http://127.0.0.1:8081 --json)");
  set->add_option("device", o->device, "the device id to make master")->required()->type_name("ID");
  set->add_option("--node", o->node, "the node's HTTP address (default $STORECTL_NODE or http://127.0.0.1:8080)")
      ->type_name("URL");
  set->add_flag("--json", o->json, "print the node's JSON reply");
  set->callback([o, &ctx] {
    if (!valid_device_id(o->device)) {
      ctx.exit_code = report_error(make_error(errc::usage, "'" + o->device + "' is not a device id"));
      return;
    }
    auto node = node_of(o->node);
    if (!node) {
      ctx.exit_code = report_error(node.error());
      return;
    }
    auto r = node->post("/v1/master", json{{"device_id", o->device}});
    if (!r) {
      ctx.exit_code = report_error(r.error());
      return;
    }
    if (o->json) std::printf("%s\n", r->dump().c_str());
    else std::printf("master override to %s accepted by %s\n", o->device.c_str(), node->url().c_str());
    ctx.exit_code = exit_ok;
  });
}

} // namespace sn::tools
