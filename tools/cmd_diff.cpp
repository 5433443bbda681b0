// storectl diff A B: two nodes or data dirs compared projection by
// projection; where digests differ it descends into the buckets that differ
// and names the keys (tools/digest_diff.hpp), and it names the events one
// side holds that the other lacks (version vectors).
#include <set>

#include <nlohmann/json.hpp>

#include "actors/projections/digest_rows.hpp"
#include "tools/commands.hpp"
#include "tools/digest_diff.hpp"
#include "tools/replay.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;

/// Events of one side `diff` names individually (the rest as a range).
constexpr std::uint64_t diff_events_listed_max = 20;
/// --keys at most (the output stays readable and the descent bounded).
constexpr std::size_t diff_keys_option_max = 10000;

struct diff_cli {
  std::string a, b;
  std::string time_zone;
  std::int32_t utc_offset = 0;
  std::string scratch;
  std::size_t keys = diff_keys_listed_max;
  bool json = false;
};

struct side {
  std::string name;                         ///< as given
  std::optional<node_client> node;          ///< node side
  replayed_dir dir;                         ///< data dir side: its log and scratch state
  std::unique_ptr<digest_source> source;    ///< bucket digests and rows of either
  std::map<std::string, std::string> digests;
  std::map<std::string, std::uint64_t> versions;
};

bool looks_like_url(const std::string& s) {
  if (s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0) return true;
  const auto colon = s.rfind(':');
  return colon != std::string::npos && s.find('/') == std::string::npos && colon + 1 < s.size() &&
         s.find_first_not_of("0123456789", colon + 1) == std::string::npos;
}

status load_node_side(side& s) {
  auto c = node_client::make(s.name);
  if (!c) return c.error();
  s.node = *c;
  auto d = c->get("/v1/digest");
  if (!d) return d.error();
  const json* pj = d->contains("projections") ? &(*d)["projections"] : nullptr;
  if (pj == nullptr || !pj->is_object()) return make_error(errc::bad_reply, "GET /v1/digest: no \"projections\" object");
  for (auto it = pj->begin(); it != pj->end(); ++it) {
    if (it.value().is_string()) s.digests[it.key()] = it.value().get<std::string>();
  }
  if (d->contains("version_vector") && (*d)["version_vector"].is_object()) {
    for (auto it = (*d)["version_vector"].begin(); it != (*d)["version_vector"].end(); ++it) {
      if (it.value().is_number_unsigned()) s.versions[it.key()] = it.value().get<std::uint64_t>();
    }
  }
  s.source = node_digest_source(*c);
  return status::ok();
}

status load_dir_side(side& s, const diff_cli& o, const sn::time_zone& zone) {
  scratch_state::options so;
  so.settings.zone = zone;
  so.parent = o.scratch;
  auto r = replay_data_dir(s.name, replay_options{}, so);
  if (!r) return r.error();
  s.dir = std::move(*r);
  const auto& set = s.dir.state->set();
  for (std::size_t i = 0; i < set.size(); ++i) s.digests[set.info(i).name] = set.digest_hex(i);
  s.versions = s.dir.log->versions();
  scratch_state* state = s.dir.state.get();
  s.source = rows_digest_source([state](const std::string& p) -> const projections::row_reader* {
    auto i = state->set().index_of(p);
    return i ? &state->rows(*i) : nullptr;
  });
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
      if (a.dir.log) {
        if (auto se = a.dir.log->get(device_id(origin), origin_seq(q))) {
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

/// The keys of one differing projection, or why they could not be named.
json descent_json(side& a, side& b, const std::string& name, std::size_t keys_max) {
  auto d = descend(*a.source, *b.source, name, keys_max, [] { return interrupted(); });
  if (!d) return json{{"error", d.error().message}};
  json keys = json::array();
  for (const auto& k : d->keys) {
    keys.push_back({{"key_hex", projections::hex_of(k.key)},
                    {"key", k.text.empty() ? json(nullptr) : json(k.text)},
                    {"state", to_string(k.state)}});
  }
  return json{{"buckets_differing", d->buckets_differing},
              {"buckets_walked", d->buckets_walked},
              {"keys_differing", d->keys_differing},
              {"complete", d->complete()},
              {"keys", std::move(keys)}};
}

void print_keys(const std::string& name, const json& v, const palette& p) {
  if (!v.contains("descent")) return;
  const json& d = v["descent"];
  if (d.contains("error")) {
    std::printf("%s: %skeys not named%s: %s\n", name.c_str(), p.yellow(), p.reset(),
                d["error"].get<std::string>().c_str());
    return;
  }
  const std::uint64_t listed = d["keys"].size(), total = d["keys_differing"];
  std::printf("%s: %zu of 256 bucket(s) differ", name.c_str(), d["buckets_differing"].get<std::size_t>());
  if (!d["complete"].get<bool>()) std::printf(", %zu walked", d["buckets_walked"].get<std::size_t>());
  std::printf("; %llu key(s) differ%s\n", static_cast<unsigned long long>(total),
              d["complete"].get<bool>() ? "" : " in the buckets walked");
  for (const auto& k : d["keys"]) {
    const std::string st = k["state"];
    const char* label = st == "only_a" ? "only in A" : st == "only_b" ? "only in B" : "value differs";
    std::printf("  %s%-14s%s %s\n", p.red(), label, p.reset(),
                k["key"].is_string() ? k["key"].get<std::string>().c_str() : k["key_hex"].get<std::string>().c_str());
  }
  if (total > listed) std::printf("  ... and %llu more\n", static_cast<unsigned long long>(total - listed));
}

int run_diff(const diff_cli& o, cli_context& ctx) {
  auto zone = store_zone(o.time_zone, o.utc_offset);
  if (!zone) return report_error(zone.error());
  side a, b;
  a.name = o.a;
  b.name = o.b;
  for (side* s : {&a, &b}) {
    auto st = looks_like_url(s->name) ? load_node_side(*s) : load_dir_side(*s, o, *zone);
    if (!st) return report_error(sn::error{st.error().domain, st.error().code, s->name + ": " + st.error().message});
  }
  std::set<std::string> names;
  for (const auto& [n, d] : a.digests) names.insert(n);
  for (const auto& [n, d] : b.digests) names.insert(n);
  json projections = json::object();
  bool differ = false;
  for (const auto& n : names) {
    const auto ia = a.digests.find(n), ib = b.digests.find(n);
    std::string state = ia == a.digests.end()     ? "only_b"
                        : ib == b.digests.end()   ? "only_a"
                        : ia->second == ib->second ? "same"
                                                   : "differs";
    differ = differ || state != "same";
    projections[n] = {{"state", state},
                      {"a", ia == a.digests.end() ? json(nullptr) : json(ia->second)},
                      {"b", ib == b.digests.end() ? json(nullptr) : json(ib->second)}};
    if (state == "differs") projections[n]["descent"] = descent_json(a, b, n, o.keys);
    if (interrupted()) return report_error(make_error(errc::interrupted, "interrupted"));
  }
  json a_only = missing_from(a, b), b_only = missing_from(b, a);
  const bool same_events = a_only.empty() && b_only.empty();
  differ = differ || !same_events;
  if (o.json) {
    json out = {{"a", a.name},      {"b", b.name},      {"identical", !differ}, {"projections", projections},
                {"a_only", a_only}, {"b_only", b_only}, {"same_events", same_events}};
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
  for (auto it = projections.begin(); it != projections.end(); ++it) print_keys(it.key(), it.value(), p);
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

void add_diff_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<diff_cli>();
  auto* cmd = app.add_subcommand("diff", "compare two nodes or data dirs projection by projection, down to the keys");
  cmd->footer(R"(
A and B are each a node (http://HOST:PORT) or a data dir (replayed into a
temporary state as storectl replay does). The digests of every projection are
compared; for each that differs, diff compares its 256 bucket digests and
lists the rows of the buckets that differ on both sides, naming the keys
present on one side only or whose values differ ("product SKU-A", "figures
2026-11-24 POS1"; hex when a key does not parse), up to --keys per projection
with the count. From the version vectors it names, per origin, the events one
side has that the other lacks. Exit 0 identical, 1 different, 2 unreadable.

Examples:
  storectl diff http://127.0.0.1:8080 http://127.0.0.1:8081
  storectl diff http://127.0.0.1:8080 /mnt/backup/storenode --keys 10
  storectl diff /var/lib/storenode /mnt/backup/storenode --json | jq '.projections.catalog.descent.keys')");
  cmd->add_option("A", o->a, "a node URL or a data dir")->required();
  cmd->add_option("B", o->b, "a node URL or a data dir")->required();
  cmd->add_option("--keys", o->keys, "keys named per differing projection (default 50)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, diff_keys_option_max));
  cmd->add_option("--scratch", o->scratch, "where a data dir's temporary state goes (default $TMPDIR, else /var/tmp)")
      ->type_name("DIR");
  auto* tz = cmd->add_option("--time-zone", o->time_zone, "the store's store.time_zone, for replaying a data dir")
                 ->type_name("NAME");
  cmd->add_option("--utc-offset", o->utc_offset, "deprecated: the store's fixed store.utc_offset_minutes")
      ->type_name("MIN")
      ->check(CLI::Range(-720, 840))
      ->excludes(tz);
  cmd->add_flag("--json", o->json, "one JSON object");
  cmd->callback([o, &ctx] { ctx.exit_code = run_diff(*o, ctx); });
}

} // namespace sn::tools
