// storectl status [--store]
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "tools/commands.hpp"
#include "tools/time_spec.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;

/// Peers `status --store` asks (bounds the table and the time it takes).
constexpr std::size_t store_peers_max = 64;

struct status_options {
  std::string node;
  bool json = false;
  bool store = false;
};

std::string text(const json& j, const char* key, const char* dflt = "-") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return dflt;
  if (j[key].is_string()) return j[key].get<std::string>().empty() ? dflt : j[key].get<std::string>();
  if (j[key].is_boolean()) return j[key].get<bool>() ? "yes" : "no";
  return j[key].dump();
}

std::string fmt_ratio(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::uint64_t number(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<std::uint64_t>();
}

std::string ago(std::uint64_t ms_epoch) {
  if (ms_epoch == 0) return "never";
  const std::uint64_t now = wall_now_ms();
  if (ms_epoch > now) return format_time(ms_epoch);
  const std::uint64_t d = (now - ms_epoch) / 1000;
  if (d < 120) return std::to_string(d) + "s ago";
  if (d < 7200) return std::to_string(d / 60) + "m ago";
  if (d < 172800) return std::to_string(d / 3600) + "h ago";
  return std::to_string(d / 86400) + "d ago";
}

// last_seen_ms in the peer table is an age (ms since last heard).
std::string age_ms(std::uint64_t ms) {
  if (ms < 10000) return std::to_string(ms) + "ms";
  return std::to_string(ms / 1000) + "s";
}

std::string versions_text(const json& vv) {
  if (!vv.is_object() || vv.empty()) return "-";
  std::string s;
  for (auto it = vv.begin(); it != vv.end(); ++it) {
    if (!s.empty()) s += " ";
    s += it.key() + ":" + it.value().dump();
  }
  return s;
}

// Problems a monitoring script cares about: exit 1 when any is present.
std::vector<std::string> problems_of(const json& st) {
  std::vector<std::string> out;
  const json& sync = st.contains("sync") ? st["sync"] : json::object();
  if (text(sync, "status", "") == "error") out.push_back("sync error: " + text(sync, "last_error"));
  const json& pr = st.contains("projections") ? st["projections"] : json::object();
  if (number(pr, "parked") > 0) out.push_back(std::to_string(number(pr, "parked")) + " event(s) parked by projections");
  if (pr.contains("paused") && pr["paused"].is_boolean() && pr["paused"].get<bool>()) {
    out.push_back("projections paused (storectl projections; storectl projections resume all)");
  }
  return out;
}

void print_status(const json& st, const palette& p) {
  const std::string role = text(st, "role");
  const char* role_colour = role == "master" ? p.green() : p.cyan();
  std::printf("%sdevice%s       %s  %s%s%s  term %s  master %s\n", p.bold(), p.reset(), text(st, "device_id").c_str(),
              role_colour, role.c_str(), p.reset(), text(st, "term").c_str(), text(st, "master").c_str());
  std::printf("%sevents%s       %s held, position %s\n", p.bold(), p.reset(),
              group_thousands(number(st, "events_total")).c_str(), group_thousands(number(st, "position")).c_str());
  std::printf("%sversions%s     %s\n", p.bold(), p.reset(),
              versions_text(st.contains("version_vector") ? st["version_vector"] : json()).c_str());
  if (st.contains("sync")) {
    const json& s = st["sync"];
    std::printf("%ssync%s         %s, %s pending, last sync %s, last error %s\n", p.bold(), p.reset(),
                text(s, "status").c_str(), text(s, "pending_changes", "0").c_str(), ago(number(s, "last_sync_ms")).c_str(),
                text(s, "last_error").c_str());
  }
  if (st.contains("projections")) {
    // /v1/status: the slowest projection's position and lag; paused,
    // catching_up: any projection; parked: the most any one parked; count.
    const json& pr = st["projections"];
    std::printf("%sprojections%s  %s at position %s, lag %s, paused %s, catching up %s, parked %s\n", p.bold(), p.reset(),
                text(pr, "count").c_str(), text(pr, "position").c_str(),
                text(pr, "lag", "0").c_str(), text(pr, "paused", "no").c_str(), text(pr, "catching_up", "no").c_str(),
                text(pr, "parked", "0").c_str());
  }
  if (st.contains("storage") && st["storage"].is_object()) {
    // RocksDB's memory (issue 12): the block cache against the budget
    // (storage.cache_mb), memtables within it, table readers outside it.
    const json& m = st["storage"];
    const auto mib = [&](const char* k) { return static_cast<double>(number(m, k)) / (1 << 20); };
    std::printf("%smemory%s       cache %.1f of %.0f MiB (%.1f pinned), memtables %.1f MiB, table readers %.1f MiB\n",
                p.bold(), p.reset(), mib("block_cache_bytes"), mib("cache_budget_bytes"), mib("block_cache_pinned_bytes"),
                mib("memtable_bytes"), mib("table_reader_bytes"));
    if (m.contains("disk_bytes")) {
      // Its disk and what it wrote since the node started (docs/api.md).
      const json& wa = m.contains("write_amplification") ? m["write_amplification"] : json();
      std::printf("%sdisk%s         %.1f MiB, compaction debt %.1f MiB; since start %.1f MiB flushed, %.1f MiB by "
                  "compactions (write amplification %s)\n",
                  p.bold(), p.reset(), mib("disk_bytes"), mib("pending_compaction_bytes"), mib("flushed_bytes"),
                  mib("compaction_written_bytes"), wa.is_number() ? fmt_ratio(wa.get<double>()).c_str() : "-");
    }
  }
  if (st.contains("peers") && st["peers"].is_array() && !st["peers"].empty()) {
    std::printf("%speers%s\n", p.bold(), p.reset());
    std::printf("  %-16s %-8s %-6s %-8s %-6s %-10s %s\n", "DEVICE", "ROLE", "ALIVE", "PRIORITY", "TERM", "LAST SEEN",
                "ADDRESS");
    for (const auto& peer : st["peers"]) {
      const bool alive = peer.value("alive", false);
      std::printf("  %-16s %-8s %s%-6s%s %-8s %-6s %-10s %s\n", text(peer, "device_id").c_str(), text(peer, "role").c_str(),
                  alive ? p.green() : p.red(), alive ? "yes" : "no", p.reset(), text(peer, "priority").c_str(),
                  text(peer, "term").c_str(), age_ms(number(peer, "last_seen_ms")).c_str(),
                  text(peer, "address").c_str());
    }
  }
  for (const auto& prob : problems_of(st)) std::printf("%sproblem%s      %s\n", p.red(), p.reset(), prob.c_str());
}

int run_store(const node_client& first, const json& st, const status_options& o, const palette& p) {
  // One row per device: this node, then each peer that publishes its HTTP address.
  struct row {
    std::string device, url;
    json status;
    std::string error;
  };
  std::vector<row> rows;
  rows.push_back({st.value("device_id", std::string("?")), first.url(), st, ""});
  if (st.contains("peers") && st["peers"].is_array()) {
    for (const auto& peer : st["peers"]) {
      if (rows.size() > store_peers_max) break;
      row r{peer.value("device_id", std::string("?")), peer.value("http", std::string{}), json(), ""};
      if (r.url.empty()) {
        r.error = "no HTTP address known";
      } else if (auto c = node_client::make(r.url); !c) {
        r.error = c.error().message;
      } else if (auto s = c->get("/v1/status"); !s) {
        r.error = s.error().message;
      } else {
        r.status = *s;
      }
      rows.push_back(std::move(r));
    }
  }
  // Store-wide checks: every device reachable, one master agreed by all, same versions.
  std::vector<std::string> problems;
  std::set<std::string> masters, claimed;
  std::set<std::string> vvs;
  for (const auto& r : rows) {
    if (!r.error.empty()) {
      problems.push_back(r.device + " unreachable: " + r.error);
      continue;
    }
    masters.insert(text(r.status, "master"));
    if (text(r.status, "role") == "master") claimed.insert(r.device);
    vvs.insert(r.status.contains("version_vector") ? r.status["version_vector"].dump() : "{}");
    for (const auto& prob : problems_of(r.status)) problems.push_back(r.device + ": " + prob);
  }
  if (masters.size() > 1) problems.push_back("devices disagree on the master");
  if (claimed.size() > 1) problems.push_back("more than one device claims to be master");
  if (claimed.empty()) problems.push_back("no device is master");
  const bool converged = vvs.size() <= 1;
  if (o.json) {
    json out = json::object();
    out["devices"] = json::array();
    for (const auto& r : rows) {
      json d = {{"device_id", r.device}, {"http", r.url}};
      if (r.error.empty()) d["status"] = r.status;
      else d["error"] = r.error;
      out["devices"].push_back(d);
    }
    out["converged"] = converged;
    out["problems"] = problems;
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("%s%-16s %-8s %-5s %-16s %-12s %-8s %-12s %-6s %s%s\n", p.bold(), "DEVICE", "ROLE", "TERM", "MASTER",
                "EVENTS", "PENDING", "LAST SYNC", "LAG", "SYNC", p.reset());
    for (const auto& r : rows) {
      if (!r.error.empty()) {
        std::printf("%-16s %sunreachable%s: %s\n", r.device.c_str(), p.red(), p.reset(), r.error.c_str());
        continue;
      }
      const json& s = r.status;
      const json& sync = s.contains("sync") ? s["sync"] : json::object();
      const json& pr = s.contains("projections") ? s["projections"] : json::object();
      std::printf("%-16s %-8s %-5s %-16s %-12s %-8s %-12s %-6s %s\n", r.device.c_str(), text(s, "role").c_str(),
                  text(s, "term").c_str(), text(s, "master").c_str(), group_thousands(number(s, "events_total")).c_str(),
                  text(sync, "pending_changes", "0").c_str(), ago(number(sync, "last_sync_ms")).c_str(),
                  text(pr, "lag", "0").c_str(), text(sync, "status").c_str());
    }
    std::printf("%s\n", converged ? "version vectors: identical on every reachable device"
                                  : "version vectors: differ (sync in progress or stuck; see storectl diff)");
    for (const auto& prob : problems) std::printf("%sproblem%s  %s\n", p.red(), p.reset(), prob.c_str());
  }
  return problems.empty() ? exit_ok : exit_problem;
}

int run_status(const status_options& o, cli_context& ctx) {
  auto node = node_client::make(o.node.empty() ? default_node_url() : o.node);
  if (!node) return report_error(node.error());
  auto st = node->get("/v1/status");
  if (!st) return report_error(st.error());
  if (o.store) return run_store(*node, *st, o, ctx.out_palette());
  if (o.json) std::printf("%s\n", st->dump().c_str());
  else print_status(*st, ctx.out_palette());
  return problems_of(*st).empty() ? exit_ok : exit_problem;
}

} // namespace

void add_status_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<status_options>();
  auto* cmd = app.add_subcommand("status", "a node's role, term, events, versions, sync, projections and peers");
  cmd->footer(R"(
Exit 0 healthy; 1 a problem (sync error, parked events, paused projection; with
--store also an unreachable device, no master or two masters); 2 unreachable.

Examples:
  storectl status
  storectl status --node http://127.0.0.1:8081 --json | jq .version_vector
  storectl status --store)");
  cmd->add_option("--node", o->node, "the node's HTTP address (default $STORECTL_NODE or http://127.0.0.1:8080)")
      ->type_name("URL");
  cmd->add_flag("--json", o->json, "the status as one JSON object");
  cmd->add_flag("--store", o->store, "ask every peer too and print one table for the store");
  cmd->callback([o, &ctx] { ctx.exit_code = run_status(*o, ctx); });
}

} // namespace sn::tools
