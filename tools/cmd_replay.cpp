// storectl replay and storectl diff: projections rebuilt from a log in memory.
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "node/zoneinfo.hpp"
#include "tools/commands.hpp"
#include "tools/data_dir.hpp"
#include "tools/replay.hpp"
#include "tools/time_spec.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

/// Events of one side `diff` names individually (the rest as a range).
constexpr std::uint64_t diff_events_listed_max = 20;

struct replay_cli {
  std::string data;
  std::string until;
  std::optional<std::uint64_t> until_pos;
  std::string projection;
  std::string out;
  std::string time_zone;
  std::int32_t utc_offset_minutes = 0;
  std::string progress = "auto";
  bool json = false;
};

/// The store's zone for the days of schema 1 sales and returns (newer ones
/// carry their day): --time-zone NAME from the system tzdata, the deprecated
/// --utc-offset MIN, else UTC. The options exclude each other.
expected<sn::time_zone> store_zone(const std::string& name, std::int32_t utc_offset_minutes) {
  if (utc_offset_minutes != 0) return sn::time_zone::fixed(utc_offset_minutes);
  if (name.empty()) return sn::time_zone::utc();
  auto z = node::load_time_zone(name);
  if (!z) return make_error(errc::usage, "--time-zone: " + z.error().message);
  return z;
}

std::string rate_text(std::uint64_t n, double secs) {
  const double rate = secs > 0 ? static_cast<double>(n) / secs : 0.0;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3f s, %s events/s", secs, group_thousands(static_cast<std::uint64_t>(rate)).c_str());
  return buf;
}

status write_out(const std::string& dir, const retail::views& v, const json& digests) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(errc::io, "cannot create --out dir '" + dir + "': " + ec.message());
  for (const char* name : retail::projection_names) {
    std::ofstream f(fs::path(dir) / (std::string(name) + ".json"));
    f << projection_view(v, name)->dump(2) << "\n";
    if (!f) return make_error(errc::io, "cannot write " + (fs::path(dir) / name).string() + ".json");
  }
  std::ofstream f(fs::path(dir) / "digests.json");
  f << digests.dump(2) << "\n";
  if (!f) return make_error(errc::io, "cannot write digests.json in '" + dir + "'");
  return status::ok();
}

bool inside(const std::string& child, const std::string& parent) {
  std::error_code ec;
  auto c = fs::weakly_canonical(child, ec);
  auto p = fs::weakly_canonical(parent, ec);
  auto [pe, ce] = std::mismatch(p.begin(), p.end(), c.begin(), c.end());
  return pe == p.end();
}

int run_replay(const replay_cli& o, cli_context& ctx) {
  replay_options ro;
  auto zone = store_zone(o.time_zone, o.utc_offset_minutes);
  if (!zone) return report_error(zone.error());
  ro.settings.zone = *zone;
  if (!o.until.empty()) {
    auto t = parse_time(o.until, wall_now_ms());
    if (!t) return report_error(make_error(errc::usage, "--until: " + t.error().message));
    ro.until_ms = *t;
  }
  ro.until_position = o.until_pos;
  if (!o.projection.empty()) {
    bool known = false;
    for (const char* n : retail::projection_names) known = known || o.projection == n;
    if (!known) {
      return report_error(make_error(errc::usage, "--projection '" + o.projection + "' is not one of " +
                                                      projection_name_list()));
    }
  }
  if (!o.out.empty() && inside(o.out, o.data)) {
    return report_error(make_error(errc::usage, "--out must not be inside the data dir: replay never writes the live state"));
  }
  auto log = open_data_dir(o.data);
  if (!log) return report_error(log.error());
  const bool bar_on = o.progress == "always" || (o.progress == "auto" && is_terminal(stderr) && !o.json);
  progress_bar bar(bar_on, (*log)->last_position().value(), "replay");
  if (bar_on) ro.on_progress = [&bar](std::uint64_t done, std::uint64_t) { bar.update(done); };
  auto r = replay_log(**log, ro);
  bar.finish();
  if (!r) return report_error(r.error());
  json digests = json::object();
  for (const auto& [name, h] : r->views->digests()) digests[name] = to_hex(h);
  if (!o.out.empty()) {
    auto st = write_out(o.out, *r->views, digests);
    if (!st) return report_error(st.error());
  }
  const double rate = r->seconds > 0 ? static_cast<double>(r->scanned) / r->seconds : 0.0;
  if (o.json) {
    json out = {{"data_dir", o.data},
                {"events_scanned", r->scanned},
                {"events_folded", r->folded},
                {"last_position", r->last_position},
                {"applied", r->views->applied()},
                {"skipped_unknown", r->views->skipped_unknown()},
                {"parked", r->views->parked()},
                {"seconds", r->seconds},
                {"events_per_second", rate},
                {"digests", digests}};
    if (ro.until_ms) out["until"] = format_time(*ro.until_ms);
    if (ro.until_position) out["until_position"] = *ro.until_position;
    if (!o.projection.empty()) out["view"] = *projection_view(*r->views, o.projection);
    std::printf("%s\n", out.dump().c_str());
    return exit_ok;
  }
  const palette p = ctx.out_palette();
  if (!o.projection.empty()) {
    std::printf("%s\n", projection_view(*r->views, o.projection)->dump(2).c_str());
  } else {
    std::printf("%s%-12s %s%s\n", p.bold(), "PROJECTION", "DIGEST (BLAKE2b-256)", p.reset());
    for (auto it = digests.begin(); it != digests.end(); ++it) {
      std::printf("%-12s %s\n", it.key().c_str(), it.value().get<std::string>().c_str());
    }
  }
  // The summary goes to stderr when a view was printed, so stdout stays pure JSON for jq.
  std::FILE* info = o.projection.empty() ? stdout : stderr;
  std::fprintf(info, "replayed %s events (positions 1..%s%s): applied %s, skipped unknown %s, parked %s; %s\n",
               group_thousands(r->scanned).c_str(), group_thousands(r->last_position).c_str(),
               ro.until_ms ? (", until " + format_time(*ro.until_ms)).c_str() : "",
               group_thousands(r->views->applied()).c_str(), group_thousands(r->views->skipped_unknown()).c_str(),
               group_thousands(r->views->parked()).c_str(), rate_text(r->scanned, r->seconds).c_str());
  if (!o.out.empty()) std::fprintf(info, "views written to %s\n", o.out.c_str());
  return exit_ok;
}

// ---- diff ------------------------------------------------------------------

struct side {
  std::string name;  ///< as given
  std::unique_ptr<storage::event_log> log;  ///< data dir side
  std::optional<node_client> node;          ///< node side
  std::map<std::string, std::string> digests;
  std::map<std::string, std::uint64_t> versions;
  std::uint64_t lag = 0;  ///< node side: projection lag when asked
};

bool looks_like_url(const std::string& s) {
  if (s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0) return true;
  const auto colon = s.rfind(':');
  return colon != std::string::npos && s.find('/') == std::string::npos && colon + 1 < s.size() &&
         s.find_first_not_of("0123456789", colon + 1) == std::string::npos;
}

status load_side(side& s, const sn::time_zone& zone) {
  if (looks_like_url(s.name)) {
    auto c = node_client::make(s.name);
    if (!c) return c.error();
    s.node = *c;
    auto d = c->get("/v1/digest");
    if (!d) return d.error();
    const json* pj = d->contains("projections") ? &(*d)["projections"] : d->contains("digests") ? &(*d)["digests"] : nullptr;
    if (pj == nullptr || !pj->is_object()) return make_error(errc::bad_reply, "GET /v1/digest: no \"projections\" object");
    for (auto it = pj->begin(); it != pj->end(); ++it) {
      if (it.value().is_string()) s.digests[it.key()] = it.value().get<std::string>();
    }
    if (d->contains("version_vector") && (*d)["version_vector"].is_object()) {
      for (auto it = (*d)["version_vector"].begin(); it != (*d)["version_vector"].end(); ++it) {
        s.versions[it.key()] = it.value().get<std::uint64_t>();
      }
    }
    return status::ok();
  }
  auto log = open_data_dir(s.name);
  if (!log) return log.error();
  s.log = std::move(*log);
  replay_options ro;
  ro.settings.zone = zone;
  auto r = replay_log(*s.log, ro);
  if (!r) return r.error();
  for (const auto& [name, h] : r->views->digests()) s.digests[name] = to_hex(h);
  s.versions = s.log->versions();
  return status::ok();
}

// The events `a` holds that `b` lacks, per origin, as ranges plus named events.
json missing_from(const side& a, const side& b) {
  json out = json::array();
  for (const auto& [origin, seq] : a.versions) {
    auto it = b.versions.find(origin);
    const std::uint64_t have = it == b.versions.end() ? 0 : it->second;
    if (seq <= have) continue;
    json r = {{"origin", origin}, {"from_seq", have + 1}, {"to_seq", seq}, {"count", seq - have}};
    json named = json::array();
    for (std::uint64_t q = have + 1; q <= seq && named.size() < diff_events_listed_max; ++q) {
      json ev = {{"ref", origin + ":" + std::to_string(q)}};
      if (a.log) {
        if (auto se = a.log->get(device_id(origin), origin_seq(q))) {
          ev["position"] = se->position.value();
          ev["type"] = type_name_of(se->ev.type);
          ev["time"] = se->ev.hlc.to_rfc3339();
        }
      }
      named.push_back(ev);
    }
    r["events"] = named;
    out.push_back(r);
  }
  return out;
}

int run_diff(const std::string& a_name, const std::string& b_name, const std::string& time_zone,
             std::int32_t utc_offset, bool as_json, cli_context& ctx) {
  auto zone = store_zone(time_zone, utc_offset);
  if (!zone) return report_error(zone.error());
  side a, b;
  a.name = a_name;
  b.name = b_name;
  for (side* s : {&a, &b}) {
    auto st = load_side(*s, *zone);
    if (!st) return report_error(sn::error{st.error().domain, st.error().code, s->name + ": " + st.error().message});
  }
  std::set<std::string> names;
  for (const auto& [n, d] : a.digests) names.insert(n);
  for (const auto& [n, d] : b.digests) names.insert(n);
  json projections = json::object();
  bool differ = false;
  for (const auto& n : names) {
    const auto ia = a.digests.find(n), ib = b.digests.find(n);
    std::string state = ia == a.digests.end()   ? "only_b"
                        : ib == b.digests.end() ? "only_a"
                        : ia->second == ib->second ? "same"
                                                   : "differs";
    differ = differ || state != "same";
    projections[n] = {{"state", state},
                      {"a", ia == a.digests.end() ? json(nullptr) : json(ia->second)},
                      {"b", ib == b.digests.end() ? json(nullptr) : json(ib->second)}};
  }
  json a_only = missing_from(a, b), b_only = missing_from(b, a);
  const bool same_events = a_only.empty() && b_only.empty();
  differ = differ || !same_events;
  if (as_json) {
    json out = {{"a", a.name},          {"b", b.name},         {"identical", !differ}, {"projections", projections},
                {"a_only", a_only},     {"b_only", b_only},    {"same_events", same_events}};
    std::printf("%s\n", out.dump().c_str());
    return differ ? exit_problem : exit_ok;
  }
  const palette p = ctx.out_palette();
  std::printf("A = %s\nB = %s\n", a.name.c_str(), b.name.c_str());
  std::printf("%s%-12s %-8s %-18s %-18s%s\n", p.bold(), "PROJECTION", "STATE", "A DIGEST", "B DIGEST", p.reset());
  for (auto it = projections.begin(); it != projections.end(); ++it) {
    const auto& v = it.value();
    const std::string st = v["state"];
    auto shortd = [](const json& d) { return d.is_string() ? d.get<std::string>().substr(0, 16) : std::string("-"); };
    std::printf("%-12s %s%-8s%s %-18s %-18s\n", it.key().c_str(), st == "same" ? p.green() : p.red(), st.c_str(),
                p.reset(), shortd(v["a"]).c_str(), shortd(v["b"]).c_str());
  }
  auto print_missing = [&](const json& list, const char* has, const char* lacks) {
    for (const auto& r : list) {
      std::printf("%s has %s:%llu..%llu (%llu event(s)) that %s lacks\n", has, r["origin"].get<std::string>().c_str(),
                  static_cast<unsigned long long>(r["from_seq"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(r["to_seq"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(r["count"].get<std::uint64_t>()), lacks);
      for (const auto& ev : r["events"]) {
        std::printf("  %-20s %-20s %s\n", ev["ref"].get<std::string>().c_str(), ev.value("type", "").c_str(),
                    ev.value("time", "").c_str());
      }
      if (r["count"].get<std::uint64_t>() > r["events"].size()) std::printf("  ...\n");
    }
  };
  print_missing(a_only, "A", "B");
  print_missing(b_only, "B", "A");
  if (!differ) {
    std::printf("%sidentical%s: same events, same projection digests\n", p.green(), p.reset());
  } else if (same_events) {
    std::printf("%sthe same version vectors fold to different projections%s: run storectl audit verify on a data "
                "dir (a damaged log keeps its heads), check both use the same store settings (--time-zone) and "
                "build; a node's projections may lag its log (storectl projections) or need a rebuild "
                "(storectl projections rebuild all)\n",
                p.yellow(), p.reset());
  }
  return differ ? exit_problem : exit_ok;
}

} // namespace

void add_replay_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<replay_cli>();
  auto* cmd = app.add_subcommand("replay", "rebuild the projections from a data dir's log, in memory");
  cmd->footer(R"(
Reads the log read-only and folds it into fresh projections in memory (with
--out also written as JSON files there): the node's live state is never
touched. Point in time: --until T keeps events whose HLC time is <= T (what
had happened by then, including events synced later); --until-pos N keeps
what this node held at log position N.

Examples:
  storectl replay --data /var/lib/storenode
  storectl replay --data /var/lib/storenode --until 2026-11-24T18:00:00+01:00 --projection inventory
  storectl replay --data /var/lib/storenode --until -1d --projection daily --json | jq .view
  storectl replay --data /var/lib/storenode --until-pos 120000 --out /tmp/views-120000)");
  cmd->add_option("--data", o->data, "the data dir (opened read-only)")->required()->type_name("DIR");
  auto* until = cmd->add_option("--until", o->until, "only events at or before T (RFC 3339 or relative)")->type_name("T");
  cmd->add_option("--until-pos", o->until_pos, "only events at log positions <= N")->type_name("N")->excludes(until);
  cmd->add_option("--projection", o->projection, "print this view instead of the digests: " + projection_name_list())
      ->type_name("NAME");
  cmd->add_option("--out", o->out, "also write every view and digests.json to DIR (not inside --data)")
      ->type_name("DIR");
  auto* tz = cmd->add_option("--time-zone", o->time_zone,
                             "the store's store.time_zone (storenode.toml; default UTC): the business day of sales "
                             "recorded before days were stamped into them")
                 ->type_name("NAME");
  cmd->add_option("--utc-offset", o->utc_offset_minutes,
                  "deprecated, for stores still on store.utc_offset_minutes: that fixed offset in minutes")
      ->type_name("MIN")
      ->check(CLI::Range(-720, 840))
      ->excludes(tz);
  cmd->add_option("--progress", o->progress, "progress bar on stderr: auto (on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  cmd->add_flag("--json", o->json, "one JSON object: counts, rate, digests (and the view with --projection)");
  cmd->callback([o, &ctx] { ctx.exit_code = run_replay(*o, ctx); });
}

void add_diff_command(CLI::App& app, cli_context& ctx) {
  struct diff_cli {
    std::string a, b;
    std::string time_zone;
    std::int32_t utc_offset = 0;
    bool json = false;
  };
  auto o = std::make_shared<diff_cli>();
  auto* cmd = app.add_subcommand("diff", "compare two nodes or data dirs projection by projection");
  cmd->footer(R"(
A and B are each a node (http://HOST:PORT) or a data dir (replayed in memory).
Where they differ it names, per origin, the events one side has that the other
lacks (from the version vectors). Exit 0 identical, 1 different, 2 unreadable.

Examples:
  storectl diff http://127.0.0.1:8080 http://127.0.0.1:8081
  storectl diff /var/lib/storenode /mnt/backup/storenode --json | jq .a_only)");
  cmd->add_option("A", o->a, "a node URL or a data dir")->required();
  cmd->add_option("B", o->b, "a node URL or a data dir")->required();
  auto* tz = cmd->add_option("--time-zone", o->time_zone, "the store's store.time_zone, for replaying a data dir")
                 ->type_name("NAME");
  cmd->add_option("--utc-offset", o->utc_offset, "deprecated: the store's fixed store.utc_offset_minutes")
      ->type_name("MIN")
      ->check(CLI::Range(-720, 840))
      ->excludes(tz);
  cmd->add_flag("--json", o->json, "one JSON object");
  cmd->callback([o, &ctx] { ctx.exit_code = run_diff(o->a, o->b, o->time_zone, o->utc_offset, o->json, ctx); });
}

} // namespace sn::tools
