// storectl projections [status|rebuild|pause|resume] and storectl master set:
// operations on a running node.
#include <nlohmann/json.hpp>

#include "tools/commands.hpp"

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

// GET /v1/projections: {"<name>": {"checkpoint","position","lag","applied",
// "skipped_unknown","parked","parked_events":[...],"paused"}, ...} (the node
// runs one projection actor, "retail_views", over every retail view).
// Returns the number of parked events.
std::uint64_t print_projections(const json& st, const palette& p) {
  std::vector<std::pair<std::string, json>> rows;
  const json* list = st.is_object() && st.contains("projections") ? &st["projections"] : &st;
  if (list->is_object()) {
    for (auto it = list->begin(); it != list->end(); ++it) {
      if (it.value().is_object()) rows.emplace_back(it.key(), it.value());
    }
  } else if (list->is_array()) {
    for (const auto& r : *list) rows.emplace_back(r.value("name", std::string("?")), r);
  }
  std::uint64_t parked = 0;
  std::printf("%s%-14s %-8s %-12s %-8s %-12s %-8s %s%s\n", p.bold(), "PROJECTION", "STATE", "CHECKPOINT", "LAG", "APPLIED",
              "SKIPPED", "PARKED", p.reset());
  for (const auto& [name, r] : rows) {
    const bool paused = r.contains("paused") && r["paused"].is_boolean() && r["paused"].get<bool>();
    const std::string state = r.contains("state") && r["state"].is_string() ? r["state"].get<std::string>()
                                                                             : (paused ? "paused" : "running");
    const std::uint64_t n = r.value("parked", std::uint64_t{0});
    parked += n;
    std::printf("%-14s %s%-8s%s %-12s %-8s %-12s %-8s %s%s%s\n", name.c_str(), state == "running" ? p.green() : p.yellow(),
                state.c_str(), p.reset(), cell(r, "checkpoint").c_str(), cell(r, "lag").c_str(), cell(r, "applied").c_str(),
                cell(r, "skipped_unknown").c_str(), n > 0 ? p.red() : "", std::to_string(n).c_str(), n > 0 ? p.reset() : "");
    if (r.contains("parked_events") && r["parked_events"].is_array()) {
      for (const auto& e : r["parked_events"]) {
        std::printf("  %sparked%s %s:%s type %s: %s\n", p.red(), p.reset(), cell(e, "origin").c_str(),
                    cell(e, "seq").c_str(), cell(e, "type").c_str(), cell(e, "reason").c_str());
      }
    }
  }
  return parked;
}

int run_projections(const std::string& action, const projections_options& o, cli_context& ctx) {
  auto node = node_of(o.node);
  if (!node) return report_error(node.error());
  if (action == "status") {
    auto st = node->get("/v1/projections");
    if (!st) return report_error(st.error());
    std::uint64_t parked = 0;
    if (o.json) {
      std::printf("%s\n", st->dump().c_str());
      for (const auto& [name, r] : st->items()) {
        if (r.is_object()) parked += r.value("parked", std::uint64_t{0});
      }
    } else {
      parked = print_projections(*st, ctx.out_palette());
    }
    return parked > 0 ? exit_problem : exit_ok;
  }
  auto r = node->post("/v1/projections/" + url_encode(o.name) + "/" + action, json::object());
  if (!r) return report_error(r.error());
  if (o.json) std::printf("%s\n", r->dump().c_str());
  else std::printf("%s: %s requested on %s\n", o.name.c_str(), action.c_str(), node->url().c_str());
  return exit_ok;
}

} // namespace

void add_projections_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<projections_options>();
  auto* cmd = app.add_subcommand("projections", "a node's projections: status, rebuild, pause, resume");
  cmd->footer(R"(
Without an action: status (checkpoint, lag, applied, events skipped as unknown,
parked events). An event that makes a projection fail is parked: counted,
listed here, and the projection goes on. Exit 1 when events are parked.

Examples:
  storectl projections
  storectl projections status --json | jq .retail_views.lag
  storectl projections rebuild retail_views
  storectl projections pause all && storectl projections resume all)");
  cmd->add_option("--node", o->node, "the node's HTTP address (default $STORECTL_NODE or http://127.0.0.1:8080)")
      ->type_name("URL");
  cmd->add_flag("--json", o->json, "print the node's JSON reply");
  cmd->require_subcommand(0, 1);
  auto* st = cmd->add_subcommand("status", "checkpoint, lag, skipped and parked events (the default)");
  st->callback([o, &ctx] { ctx.exit_code = run_projections("status", *o, ctx); });
  for (const char* action : {"rebuild", "pause", "resume"}) {
    auto* sub = cmd->add_subcommand(action, std::string(action) + " one projection");
    sub->add_option("name", o->name, "the projection as `storectl projections` lists it (retail_views), or all")
        ->required();
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
