// storectl replay: the projections rebuilt from a data dir's log into a
// temporary state (tools/scratch_state.hpp), as a node holding the same
// events has them.
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "actors/projections/projection_set.hpp"
#include "tools/commands.hpp"
#include "tools/data_dir.hpp"
#include "tools/replay.hpp"
#include "tools/time_spec.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

struct replay_cli {
  std::string data;
  std::string until;
  std::optional<std::uint64_t> until_pos;
  std::string projection;
  std::string out;
  std::string scratch;
  std::string time_zone;
  std::int32_t utc_offset_minutes = 0;
  std::string progress = "auto";
  bool json = false;
};

std::string rate_text(std::uint64_t n, double secs) {
  const double rate = secs > 0 ? static_cast<double>(n) / secs : 0.0;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3f s, %s events/s", secs, group_thousands(static_cast<std::uint64_t>(rate)).c_str());
  return buf;
}

status write_out(const std::string& dir, const scratch_state& state, const json& digests) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(errc::io, "cannot create --out dir '" + dir + "': " + ec.message());
  for (std::size_t i = 0; i < projection_names().size(); ++i) {
    const std::string& name = projection_names()[i];
    const std::string path = (fs::path(dir) / (name + ".json")).string();
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) return make_error(errc::io, "cannot write " + path);
    auto st = write_view(f, state.rows(i), name, 2);
    std::fputs("\n", f);
    const bool closed = std::fclose(f) == 0;
    if (!st || !closed) return make_error(errc::io, "cannot write " + path);
  }
  std::ofstream f(fs::path(dir) / "digests.json");
  f << digests.dump(2) << "\n";
  if (!f) return make_error(errc::io, "cannot write digests.json in '" + dir + "'");
  return status::ok();
}

json projections_json(const projections::projection_set& set) {
  json out = json::object();
  for (std::size_t i = 0; i < set.size(); ++i) {
    const auto& info = set.info(i);
    out[info.name] = {{"position", info.position},
                      {"applied", info.applied},
                      {"skipped_unknown", info.skipped_unknown},
                      {"parked", info.parked}};
  }
  return out;
}

int run_replay(const replay_cli& o, cli_context& ctx) {
  replay_options ro;
  scratch_state::options so;
  auto zone = store_zone(o.time_zone, o.utc_offset_minutes);
  if (!zone) return report_error(zone.error());
  so.settings.zone = *zone;
  so.parent = o.scratch;
  if (!o.until.empty()) {
    auto t = parse_time(o.until, wall_now_ms());
    if (!t) return report_error(make_error(errc::usage, "--until: " + t.error().message));
    ro.until_ms = *t;
  }
  ro.until_position = o.until_pos;
  if (!o.projection.empty() && !known_projection(o.projection)) {
    return report_error(
        make_error(errc::usage, "--projection '" + o.projection + "' is not one of " + projection_name_list()));
  }
  if (!o.out.empty() && path_inside(o.out, o.data)) {
    return report_error(make_error(errc::usage, "--out must not be inside the data dir: replay never writes the live state"));
  }
  if (!looks_like_data_dir(o.data)) {
    auto log = open_data_dir(o.data);  // the precise message: missing, not a dir, no CURRENT
    if (!log) return report_error(log.error());
  }
  const bool bar_on = o.progress == "always" || (o.progress == "auto" && is_terminal(stderr) && !o.json);
  std::unique_ptr<progress_bar> bar;
  if (bar_on) {
    ro.on_progress = [&bar, &o](std::uint64_t done, std::uint64_t total) {
      if (!bar) bar = std::make_unique<progress_bar>(true, total, "replay");
      bar->update(done);
    };
  }
  auto r = replay_data_dir(o.data, ro, so);
  if (bar) bar->finish();
  if (!r) return report_error(r.error());
  const auto& set = r->state->set();
  const replay_result& res = r->result;
  json digests = json::object();
  for (std::size_t i = 0; i < set.size(); ++i) digests[set.info(i).name] = set.digest_hex(i);
  if (!o.out.empty()) {
    auto st = write_out(o.out, *r->state, digests);
    if (!st) return report_error(st.error());
  }
  const double rate = res.seconds > 0 ? static_cast<double>(res.scanned) / res.seconds : 0.0;
  const std::uint64_t applied = res.folded - res.skipped_unknown - res.parked;
  const std::size_t view_index = o.projection.empty() ? 0 : *set.index_of(o.projection);
  if (o.json) {
    json out = {{"data_dir", o.data},
                {"events_scanned", res.scanned},
                {"events_folded", res.folded},
                {"last_position", res.last_position},
                {"applied", applied},
                {"skipped_unknown", res.skipped_unknown},
                {"parked", res.parked},
                {"seconds", res.seconds},
                {"events_per_second", rate},
                {"digests", digests},
                {"projections", projections_json(set)}};
    if (ro.until_ms) out["until"] = format_time(*ro.until_ms);
    if (ro.until_position) out["until_position"] = *ro.until_position;
    std::string text = out.dump();
    if (o.projection.empty()) {
      std::printf("%s\n", text.c_str());
      return exit_ok;
    }
    // The view is streamed page by page into the object's "view" field.
    text.pop_back();
    std::printf("%s,\"view\":", text.c_str());
    if (auto st = write_view(stdout, r->state->rows(view_index), o.projection, -1); !st) return report_error(st.error());
    std::printf("}\n");
    return exit_ok;
  }
  const palette p = ctx.out_palette();
  if (!o.projection.empty()) {
    if (auto st = write_view(stdout, r->state->rows(view_index), o.projection, 2); !st) return report_error(st.error());
    std::printf("\n");
  } else {
    std::printf("%s%-12s %s%s\n", p.bold(), "PROJECTION", "DIGEST (BLAKE2b-256 of the LtHash16)", p.reset());
    for (auto it = digests.begin(); it != digests.end(); ++it) {
      std::printf("%-12s %s\n", it.key().c_str(), it.value().get<std::string>().c_str());
    }
  }
  // The summary goes to stderr when a view was printed, so stdout stays pure JSON for jq.
  std::fflush(stdout);
  std::FILE* info = o.projection.empty() ? stdout : stderr;
  std::fprintf(info, "replayed %s events (positions 1..%s%s): applied %s, skipped unknown %s, parked %s; %s\n",
               group_thousands(res.scanned).c_str(), group_thousands(res.last_position).c_str(),
               ro.until_ms ? (", until " + format_time(*ro.until_ms)).c_str() : "", group_thousands(applied).c_str(),
               group_thousands(res.skipped_unknown).c_str(), group_thousands(res.parked).c_str(),
               rate_text(res.scanned, res.seconds).c_str());
  if (!o.out.empty()) std::fprintf(info, "views written to %s\n", o.out.c_str());
  return exit_ok;
}

std::string projection_choices() {
  std::string s;
  for (const auto& n : projection_names()) s += (s.empty() ? "" : ",") + n;
  return s;
}

} // namespace

void add_replay_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<replay_cli>();
  auto* cmd = app.add_subcommand("replay", "rebuild the projections from a data dir's log, into a temporary state");
  cmd->footer(R"(
Reads the log read-only and folds it through the node's projections into a
temporary RocksDB under --scratch DIR (default $TMPDIR, else /var/tmp),
removed when storectl ends (also on Ctrl-C): the node's live state is never
touched and a large log is folded on disk, not in memory. The digests are
those a node holding the same events shows in GET /v1/digest. With --out the
views are also written as JSON files there.

Point in time: --until T keeps events whose HLC time is <= T (what had
happened by then, including events synced later); --until-pos N keeps what
this node held at log position N.

Examples:
  storectl replay --data /var/lib/storenode
  storectl replay --data /var/lib/storenode --until 2026-11-24T18:00:00+01:00 --projection inventory
  storectl replay --data /var/lib/storenode --until -1d --projection daily --json | jq .view
  storectl replay --data /var/lib/storenode --until-pos 120000 --out /tmp/views-120000)");
  cmd->add_option("--data", o->data, "the data dir (opened read-only)")->required()->type_name("DIR");
  auto* until = cmd->add_option("--until", o->until, "only events at or before T (RFC 3339 or relative)")->type_name("T");
  cmd->add_option("--until-pos", o->until_pos, "only events at log positions <= N")->type_name("N")->excludes(until);
  // The choices in the type name let the bash completion offer them.
  cmd->add_option("--projection", o->projection, "print this view instead of the digests")
      ->type_name("NAME:{" + projection_choices() + "}");
  cmd->add_option("--out", o->out, "also write every view and digests.json to DIR (not inside --data)")
      ->type_name("DIR");
  cmd->add_option("--scratch", o->scratch,
                  "where the temporary state goes (default $TMPDIR, else /var/tmp; not inside --data)")
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

} // namespace sn::tools
