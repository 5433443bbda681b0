// storectl audit verify | audit log, and storectl elections.
#include <nlohmann/json.hpp>

#include "events/event_type.hpp"
#include "storage/audit.hpp"
#include "tools/commands.hpp"
#include "tools/data_dir.hpp"
#include "tools/scratch_state.hpp"
#include "tools/replay.hpp"
#include "tools/time_spec.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;

/// Pages of a node's list read at most (1000 rows each).
constexpr std::size_t node_pages_max = 10000;

// ---- audit verify ----------------------------------------------------------

int run_verify(const std::string& dir, bool as_json, cli_context& ctx) {
  auto log = open_data_dir(dir);
  if (!log) return report_error(log.error());
  auto rep = storage::audit_log(**log);
  if (!rep) return report_error(make_error(errc::bad_data_dir, "audit of '" + dir + "' failed: " + rep.error().message));
  if (as_json) {
    json findings = json::array();
    for (const auto& f : rep->findings) {
      findings.push_back({{"kind", storage::to_string(f.kind)},
                          {"origin", f.origin},
                          {"seq", f.seq.value()},
                          {"position", f.position.value()},
                          {"message", f.message}});
    }
    json out = {{"data_dir", dir},
                {"clean", rep->clean()},
                {"events", rep->events},
                {"index_entries", rep->index_entries},
                {"origins", rep->origins},
                {"findings", findings},
                {"findings_dropped", rep->findings_dropped},
                {"store_id", rep->store_id},
                {"signatures_checked", rep->signatures_checked},
                {"signatures_valid", rep->signatures_valid},
                {"unenrolled", rep->unenrolled}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    const palette p = ctx.out_palette();
    for (const auto& f : rep->findings) {
      std::string where = f.origin.empty() ? std::string("?") : f.origin;
      where += ":" + (f.seq.value() == 0 ? std::string("?") : std::to_string(f.seq.value()));
      std::printf("%s%-15s%s origin %s seq %s position %s: %s\n", p.red(), storage::to_string(f.kind), p.reset(),
                  f.origin.empty() ? "?" : f.origin.c_str(),
                  f.seq.value() == 0 ? "?" : std::to_string(f.seq.value()).c_str(),
                  f.position.value() == 0 ? "-" : std::to_string(f.position.value()).c_str(), f.message.c_str());
    }
    if (rep->findings_dropped > 0) {
      std::printf("... and %s more finding(s) not listed\n", group_thousands(rep->findings_dropped).c_str());
    }
    std::string origins;
    for (const auto& [o, s] : rep->origins) origins += " " + o + ":" + std::to_string(s);
    // Origin signatures (docs/protocol.md 1.7): what was checked, and who could not be.
    if (rep->store_id.empty()) {
      std::printf("signatures: not checked (this log holds no store genesis)\n");
    } else {
      std::string unenrolled;
      for (const auto& [o, s] : rep->unenrolled) unenrolled += " " + o + ":1.." + std::to_string(s);
      std::printf("signatures: store %s, %s of %s stored signatures valid%s%s\n", rep->store_id.c_str(),
                  group_thousands(rep->signatures_valid).c_str(), group_thousands(rep->signatures_checked).c_str(),
                  unenrolled.empty() ? "" : "; origins no enrollment names (admitted unsigned):",
                  unenrolled.c_str());
    }
    if (rep->clean()) {
      std::printf("%sclean%s: %s events, %s index entries, every chain verified%s; heads%s\n", p.green(), p.reset(),
                  group_thousands(rep->events).c_str(), group_thousands(rep->index_entries).c_str(),
                  rep->store_id.empty() ? "" : ", every enrolled origin signed", origins.c_str());
    } else {
      std::printf("%sPROBLEMS FOUND%s: %s finding(s) in %s events\n", p.red(), p.reset(),
                  group_thousands(rep->findings.size() + rep->findings_dropped).c_str(),
                  group_thousands(rep->events).c_str());
    }
  }
  return rep->clean() ? exit_ok : exit_problem;
}

// ---- audit log and elections -----------------------------------------------

struct log_cli {
  std::string node, data;
  std::string device, op, status, since, until;
  std::optional<std::uint64_t> term;
  bool json = false;
};

// The rows of GET /v1/audit or /v1/elections: a JSON array, or the views'
// {"entries":[...]} / {"elections":[...]} object.
json rows_of(const json& reply, const char* key) {
  if (reply.is_array()) return reply;
  if (reply.is_object() && reply.contains(key) && reply[key].is_array()) return reply[key];
  return json::array();
}

std::uint64_t row_ms(const json& r) {
  if (r.contains("hlc") && r["hlc"].is_number_unsigned()) return hlc_timestamp(r["hlc"].get<std::uint64_t>()).wall_ms();
  if (r.contains("time") && r["time"].is_string()) {
    auto t = parse_time(r["time"].get<std::string>(), 0);
    if (t) return *t;
  }
  return 0;
}

bool mentions(const json& r, const std::string& device, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (!r.contains(k)) continue;
    const json& v = r[k];
    if (v.is_string()) {
      const std::string s = v.get<std::string>();
      if (s == device || s.rfind(device + ":", 0) == 0) return true;
    } else if (v.is_array()) {
      for (const auto& x : v) {
        if (x.is_string() && x.get<std::string>() == device) return true;
      }
    }
  }
  return false;
}

// Loads the rows from a node or by folding a data dir's master.changed /
// conflict.resolved events, then applies every filter here (the node may
// apply them too; doing it again is harmless and keeps both paths alike).
expected<json> load_rows(const log_cli& o, bool elections, std::optional<std::uint64_t> since_ms,
                         std::optional<std::uint64_t> until_ms) {
  json rows;
  if (!o.data.empty() && !o.node.empty()) return make_error(errc::usage, "give either --node or --data, not both");
  if (!o.data.empty()) {
    // The one projection folded into a scratch state from its one event type
    // (it ignores every other), rendered as the node renders it.
    const std::string name = elections ? "elections" : "audit";
    replay_options ro;
    ro.only_types = {static_cast<std::uint16_t>(elections ? event_type::master_changed : event_type::conflict_resolved)};
    scratch_state::options so;
    so.only = {name};
    auto r = replay_data_dir(o.data, ro, so);
    if (!r) return r.error();
    rows = json::array();
    for_each_list_item(r->state->rows(0), name, [&rows](const json& item) {
      rows.push_back(item);
      return true;
    });
  } else {
    auto c = node_client::make(o.node.empty() ? default_node_url() : o.node);
    if (!c) return c.error();
    std::string q = elections ? "/v1/elections?" : "/v1/audit?";
    if (!o.device.empty()) q += "device=" + url_encode(o.device) + "&";
    if (!o.op.empty() && !elections) q += "op=" + url_encode(o.op) + "&";
    if (!o.status.empty() && !elections) q += "status=" + url_encode(o.status) + "&";
    // The node takes times as milliseconds since the epoch (node/http_api.cpp).
    if (since_ms && !elections) q += "since=" + std::to_string(*since_ms) + "&";
    if (until_ms && !elections) q += "until=" + std::to_string(*until_ms) + "&";
    q.pop_back();
    // Lists page (limit, cursor): follow next_cursor to the end.
    rows = json::array();
    std::string cursor;
    for (std::size_t pages = 0; pages < node_pages_max; ++pages) {
      const std::string page_q =
          cursor.empty() ? q : q + (q.find('?') == std::string::npos ? "?" : "&") + "cursor=" + url_encode(cursor);
      auto reply = c->get(page_q);
      if (!reply) return reply.error();
      for (auto& r : rows_of(*reply, elections ? "elections" : "entries")) rows.push_back(std::move(r));
      if (!reply->is_object() || !reply->contains("next_cursor") || !(*reply)["next_cursor"].is_string()) break;
      const std::string next = (*reply)["next_cursor"].get<std::string>();
      if (next.empty() || next == cursor) break;
      cursor = next;
    }
  }
  json out = json::array();
  for (auto& r : rows) {
    const std::uint64_t ms = row_ms(r);
    if (since_ms && ms < *since_ms) continue;
    if (until_ms && ms > *until_ms) continue;
    if (elections) {
      if (!o.device.empty() && !mentions(r, o.device, {"new_master", "previous_master", "participants", "recorded_by"})) continue;
      if (!o.op.empty() && r.value("reason", "") != o.op) continue;
      if (o.term && r.value("term", std::uint64_t{0}) != *o.term) continue;
    } else {
      if (!o.device.empty() && !mentions(r, o.device, {"device", "device_id", "winner", "loser"})) continue;
      if (!o.op.empty() && r.value("operation", "") != o.op) continue;
      if (!o.status.empty() && r.value("status", "") != o.status) continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string s(const json& r, const char* k) {
  if (!r.contains(k) || r[k].is_null()) return "-";
  return r[k].is_string() ? r[k].get<std::string>() : r[k].dump();
}

int run_rows(const log_cli& o, bool elections, cli_context& ctx) {
  std::optional<std::uint64_t> since_ms, until_ms;
  const auto now = wall_now_ms();
  if (!o.since.empty()) {
    auto t = parse_time(o.since, now);
    if (!t) return report_error(make_error(errc::usage, "--since: " + t.error().message));
    since_ms = *t;
  }
  if (!o.until.empty()) {
    auto t = parse_time(o.until, now);
    if (!t) return report_error(make_error(errc::usage, "--until: " + t.error().message));
    until_ms = *t;
  }
  if (!o.device.empty() && !valid_device_id(o.device)) {
    return report_error(make_error(errc::usage, "--device '" + o.device + "' is not a device id"));
  }
  if (!elections && !o.op.empty() && o.op != "conflict_resolution" && o.op != "push" && o.op != "pull") {
    return report_error(make_error(errc::usage, "--op '" + o.op + "': expected conflict_resolution, push or pull"));
  }
  if (!elections && !o.status.empty() && o.status != "resolved" && o.status != "ok" && o.status != "failed") {
    return report_error(make_error(errc::usage, "--status '" + o.status + "': expected resolved, ok or failed"));
  }
  if (elections && !o.op.empty() && o.op != "startup" && o.op != "failure" && o.op != "shutdown" &&
      o.op != "manual" && o.op != "split_brain") {
    return report_error(
        make_error(errc::usage, "--reason '" + o.op + "': expected startup, failure, shutdown, manual or split_brain"));
  }
  auto rows = load_rows(o, elections, since_ms, until_ms);
  if (!rows) return report_error(rows.error());
  if (o.json) {
    for (const auto& r : *rows) std::printf("%s\n", r.dump().c_str());
    return exit_ok;
  }
  const palette p = ctx.out_palette();
  if (elections) {
    std::printf("%s%-24s %-5s %-12s    %-12s %-12s %-12s %s%s\n", p.bold(), "TIME (UTC)", "TERM", "PREVIOUS", "NEW",
                "REASON", "RECORDED BY", "PARTICIPANTS", p.reset());
    for (const auto& r : *rows) {
      std::string parts;
      if (r.contains("participants") && r["participants"].is_array()) {
        for (const auto& x : r["participants"]) parts += (parts.empty() ? "" : ",") + x.get<std::string>();
      }
      std::printf("%-24s %-5s %-12s -> %s%-12s%s %-12s %-12s %s\n", s(r, "time").c_str(), s(r, "term").c_str(),
                  s(r, "previous_master").c_str(), p.magenta(), s(r, "new_master").c_str(), p.reset(),
                  s(r, "reason").c_str(), s(r, "recorded_by").c_str(), parts.c_str());
    }
  } else {
    std::printf("%s%-24s %-12s %-20s %-9s %-24s %-14s %-14s %-12s %s%s\n", p.bold(), "TIME (UTC)", "DEVICE",
                "OPERATION", "STATUS", "REGISTER[KEY]", "WINNER", "LOSER", "STAFF", "OLD -> NEW", p.reset());
    for (const auto& r : *rows) {
      std::string reg = s(r, "register") + "[" + s(r, "key") + "]";
      // Sync rows: the peer and the count in place of register and winner.
      if (r.contains("peer")) reg = s(r, "peer") + " (" + s(r, "count") + " events)";
      std::string staff = s(r, "staff_id");
      if (r.contains("approver_id") && r["approver_id"].is_string()) staff += "+" + s(r, "approver_id");
      std::printf("%-24s %-12s %-20s %-9s %-24s %-14s %-14s %-12s %s -> %s\n", s(r, "time").c_str(),
                  s(r, "device").c_str(), s(r, "operation").c_str(), s(r, "status").c_str(), reg.c_str(),
                  s(r, "winner").c_str(), s(r, "loser").c_str(), staff.c_str(), s(r, "old_value").c_str(),
                  s(r, "new_value").c_str());
    }
  }
  std::fflush(stdout);  // the count goes to stderr, after the rows, so a pipe gets rows only
  std::fprintf(stderr, "%zu %s\n", rows->size(), elections ? "election(s)" : "audit log entr(y/ies)");
  return exit_ok;
}

void add_row_options(CLI::App& cmd, log_cli& o, bool elections) {
  cmd.add_option("--node", o.node, "a running node's HTTP address (default $STORECTL_NODE or http://127.0.0.1:8080)")
      ->type_name("URL");
  cmd.add_option("--data", o.data, "read a data dir directly (read-only)")->type_name("DIR");
  cmd.add_option("--device", o.device,
                 elections ? "only elections this device took part in" : "only entries recorded by or about this device")
      ->type_name("ID");
  if (elections) {
    cmd.add_option("--reason", o.op, "startup, failure, shutdown, manual or split_brain");
    cmd.add_option("--term", o.term, "only this term")->type_name("N");
  } else {
    cmd.add_option("--op", o.op, "operation: conflict_resolution (push, pull)");
    cmd.add_option("--status", o.status, "resolved (conflict resolutions), ok or failed (sync rounds)");
  }
  cmd.add_option("--since", o.since, "at or after T (RFC 3339 or relative: -15m, -1d)")->type_name("T");
  cmd.add_option("--until", o.until, "at or before T")->type_name("T");
  cmd.add_flag("--json", o.json, "one JSON object per line");
}

} // namespace

void add_audit_command(CLI::App& app, cli_context& ctx) {
  auto* cmd = app.add_subcommand("audit", "verify a log's hash chains; print the sync audit log");
  cmd->require_subcommand(1);
  struct verify_cli {
    std::string data;
    bool json = false;
  };
  auto v = std::make_shared<verify_cli>();
  auto* verify = cmd->add_subcommand("verify", "prove a data dir's log complete and untampered");
  verify->footer(R"(
Checks every origin's hash chain, seq continuity, the (origin, seq) index and
the heads. Each finding names its kind (tamper, gap, fork, index_mismatch,
undecodable, head_mismatch), origin, seq and log position. Safe on the data
dir of a running node (read-only).
Exit 0 clean, 1 problem found, 2 could not read.

Examples:
  storectl audit verify --data /var/lib/storenode
  storectl audit verify --data /var/lib/storenode --json | jq '.findings[] | select(.kind=="tamper")')");
  verify->add_option("--data", v->data, "the data dir")->required()->type_name("DIR");
  verify->add_flag("--json", v->json, "one JSON object with every finding");
  verify->callback([v, &ctx] { ctx.exit_code = run_verify(v->data, v->json, ctx); });

  auto l = std::make_shared<log_cli>();
  auto* log = cmd->add_subcommand("log", "the sync audit log (conflict resolutions the master recorded)");
  log->footer(R"(
Examples:
  storectl audit log
  storectl audit log --device POS2 --since -1d
  storectl audit log --data /var/lib/storenode --op conflict_resolution --json | jq .key)");
  add_row_options(*log, *l, false);
  log->callback([l, &ctx] { ctx.exit_code = run_rows(*l, false, ctx); });
}

void add_elections_command(CLI::App& app, cli_context& ctx) {
  auto l = std::make_shared<log_cli>();
  auto* cmd = app.add_subcommand("elections", "the master-election log (every role change, with its reason)");
  cmd->footer(R"(
Newest first. From a node, or from a data dir's master.changed events.

Examples:
  storectl elections
  storectl elections --reason failure --since -7d
  storectl elections --data /var/lib/storenode --device POS1 --json)");
  add_row_options(*cmd, *l, true);
  cmd->callback([l, &ctx] { ctx.exit_code = run_rows(*l, true, ctx); });
}

} // namespace sn::tools
