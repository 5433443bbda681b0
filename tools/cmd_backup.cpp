// storectl backup: a consistent copy of a data dir (RocksDB checkpoint), also
// while a node runs on it.
//
// Only the process holding a data dir can checkpoint it correctly
// (storage/checkpoint.hpp: a checkpoint from a read-only secondary can miss
// acknowledged events). So:
//   1. --node URL given: the node at URL takes the checkpoint (POST /v1/backup).
//   2. Otherwise storectl tries to take the data dir's lock and checkpoint it
//      itself (no node runs on it).
//   3. The lock is held: a node runs on it. storectl reads the HTTP address
//      that node recorded in the data dir (meta http.address) and asks it.
// Then storectl opens the copy read-only and reports what it holds.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "storage/checkpoint.hpp"
#include "storage/errc.hpp"
#include "tools/commands.hpp"
#include "tools/data_dir.hpp"

namespace sn::tools {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

/// How long storectl waits for a node's checkpoint (flush + links; a copy
/// across file systems of a large store can take minutes).
constexpr std::chrono::seconds node_backup_timeout{600};

struct backup_cli {
  std::string data, to, node;
  bool json = false;
};

/// What was done, for the report.
struct backup_done {
  std::uint64_t position = 0;  ///< every event up to here was acknowledged before the backup began
  std::uint64_t elapsed_ms = 0;
  std::string by;              ///< "storectl" or the node's URL
};

/// A URL to reach the node from this machine at its recorded address: a
/// wildcard bind host (0.0.0.0, ::) is reached on loopback.
std::string url_of_recorded(const std::string& address) {
  std::string a = address;
  if (a.rfind("0.0.0.0:", 0) == 0) a = "127.0.0.1:" + a.substr(8);
  if (a.rfind("[::]:", 0) == 0) a = "[::1]:" + a.substr(5);
  if (!a.empty() && a.front() == ':') a = "127.0.0.1" + a;
  return "http://" + a;
}

expected<backup_done> ask_node(const std::string& url, const std::string& target, const std::string& data) {
  auto c = node_client::make(url);
  if (!c) return c.error();
  auto r = c->post("/v1/backup", json{{"to", target}}, node_backup_timeout);
  if (!r) return r.error();
  backup_done d;
  d.position = r->value("position", std::uint64_t{0});
  d.elapsed_ms = r->value("elapsed_ms", std::uint64_t{0});
  d.by = c->url();
  // --node and --data named different nodes' dirs? The copy is the node's.
  const std::string node_dir = r->value("data_dir", std::string());
  std::error_code ec;
  if (!node_dir.empty() && !data.empty() && !fs::equivalent(node_dir, data, ec)) {
    return make_error(errc::usage, "the node at " + c->url() + " holds the data dir " + node_dir + ", not " + data +
                                       "; its backup is in " + target + " (remove it if it is not what you wanted)");
  }
  return d;
}

expected<backup_done> take_backup(const backup_cli& o, const std::string& target) {
  if (!o.node.empty()) return ask_node(o.node, target, o.data);
  auto own = storage::checkpoint_data_dir(o.data, target);
  if (own) return backup_done{own->position.value(), own->elapsed_ms, "storectl"};
  if (own.error().code != static_cast<int>(storage::errc::locked)) {
    return make_error(own.error().code == static_cast<int>(storage::errc::exists) ? errc::usage : errc::bad_data_dir,
                      "backup of '" + o.data + "' failed: " + own.error().message);
  }
  // A node holds the data dir: it takes the checkpoint.
  auto log = open_data_dir(o.data);
  if (!log) return log.error();
  const auto address = (*log)->get_meta(storage::meta_http_address);
  log->reset();
  if (!address || address->empty()) {
    return make_error(errc::usage, "data dir '" + o.data +
                                       "' is in use by a running node that did not record its HTTP address; "
                                       "give it with --node URL");
  }
  return ask_node(url_of_recorded(*address), target, o.data);
}

int run_backup(const backup_cli& o, cli_context& ctx) {
  if (!looks_like_data_dir(o.data)) {
    auto e = open_data_dir(o.data);  // for its clear message
    return report_error(e ? make_error(errc::bad_data_dir, "'" + o.data + "' is not a storenode data dir") : e.error());
  }
  std::error_code ec;
  const std::string target = fs::absolute(o.to, ec).lexically_normal().string();
  if (ec || o.to.empty()) return report_error(make_error(errc::usage, "--to '" + o.to + "' is not a usable path"));
  if (fs::exists(fs::symlink_status(target, ec))) {
    return report_error(make_error(errc::usage, "backup target " + target +
                                                    " already exists; give a directory that does not exist yet"));
  }
  auto done = take_backup(o, target);
  if (!done) return report_error(done.error());

  // The proof: the copy opens as a data dir and holds what it should.
  auto copy = open_data_dir(target);
  if (!copy) return report_error(copy.error());
  const std::uint64_t events = (*copy)->size();
  const auto versions = (*copy)->versions();
  if (events < done->position) {
    return report_error(make_error(errc::bad_data_dir, "the backup in " + target + " holds " + std::to_string(events) +
                                                           " events, fewer than the " + std::to_string(done->position) +
                                                           " the source held when it began"));
  }
  if (o.json) {
    json v = json::object();
    for (const auto& [origin, seq] : versions) v[origin] = seq;
    std::printf("%s\n", json{{"data_dir", o.data},
                              {"to", target},
                              {"by", done->by},
                              {"events", events},
                              {"position_at_start", done->position},
                              {"elapsed_ms", done->elapsed_ms},
                              {"versions", v}}
                            .dump()
                            .c_str());
  } else {
    const palette p = ctx.out_palette();
    std::string heads;
    for (const auto& [origin, seq] : versions) heads += " " + origin + ":" + std::to_string(seq);
    std::printf("%sbackup%s of %s in %s: %s events (all %s acknowledged before it began), taken by %s in %s ms; "
                "heads%s\n",
                p.green(), p.reset(), o.data.c_str(), target.c_str(), group_thousands(events).c_str(),
                group_thousands(done->position).c_str(), done->by.c_str(),
                group_thousands(done->elapsed_ms).c_str(), heads.c_str());
  }
  return exit_ok;
}

} // namespace

void add_backup_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<backup_cli>();
  auto* cmd = app.add_subcommand("backup", "a consistent copy of a data dir, also while the node runs");
  cmd->footer(R"(
Makes DIR2 a consistent copy of the data dir (a RocksDB checkpoint: table
files hard-linked when DIR2 is on the same file system, copied otherwise).
It holds every event acknowledged before the backup began, and opens as a
data dir: storectl reads it, a node starts on it.

While a node runs on the data dir, that node takes the checkpoint (POST
/v1/backup; storectl finds its HTTP address in the data dir, or use --node):
a read-only tool cannot stop the node deleting files mid-copy. With no node
running, storectl takes the data dir's lock for the few seconds it needs (a
node started meanwhile is refused as "in use" and may retry).

DIR2 must not exist; its parent must. On the same disk a backup shares its
files with the data dir: copy DIR2 off the machine (tar, rsync) to survive
the disk's loss. Restore: docs/operations.md, "Backup and restore".
Exit 0 done, 2 could not (the message says why).

Examples:
  storectl backup --data /var/lib/storenode --to /var/backups/storenode/2026-11-26
  storectl backup --data /var/lib/storenode --to /mnt/usb/pos1 --node http://127.0.0.1:8080 --json)");
  cmd->add_option("--data", o->data, "the data dir to back up")->required()->type_name("DIR");
  cmd->add_option("--to", o->to, "the backup directory to create (must not exist)")->required()->type_name("DIR");
  cmd->add_option("--node", o->node,
                  "the node running on --data (default: the address it recorded in the data dir)")
      ->type_name("URL");
  cmd->add_flag("--json", o->json, "one JSON object: where, by whom, events and versions held");
  cmd->callback([o, &ctx] { ctx.exit_code = run_backup(*o, ctx); });
}

} // namespace sn::tools
