// Scale benchmark (not a test; issue 12 item 6): what a node costs as its
// store's history grows. Real storenode processes on loopback
// (tests/integration/node_process.hpp), one generated history, every figure
// and its baseline in the same run.
//
//   bench_scale [--events N] [--node PATH] [--baseline PATH] [--baseline-events M]
//               [--jemalloc PATH|auto] [--dir DIR] [--keep-dir] [--log DIR] ...
//
// 1. History: a store (issue 9: POS1 created it and enrolled POS2 and
//    BACKOFFICE; keys made for each, every chain signed like the log writer
//    signs) and N events (default 10,000,000) of the replay bench's mix
//    (tests/bench/retail/replay_mix.hpp: 3 origins, correctly chained and
//    sealed), 10,000 events per business day by default (a busy shop's year
//    is a few million), written straight into a data dir with
//    storage::event_log in batches of 10,000 with durability os. It is never
//    opened by a node: each node gets a copy (SST files hard-linked).
// 2. In this process, on the same log: a decode-only pass (envelope + typed
//    payload, exactly what the fold decodes: the rebuild's limit and ratio);
//    on the first 100,000 events (--breakdown-events) the
//    projection set folding into memory rows (fold logic + LtHash, no
//    RocksDB), each projection alone into memory rows (how the work splits
//    between projections: the two fold threads take a projection each) and
//    into RocksDB column families (the node's fold minus the actor): where a
//    rebuild's time goes; then events one flush each (the live path's
//    committed batches of one sale).
// 3. Node A on a copy: first start (folds N events before serving), then a
//    restart with its projections folded: start-up (fork to /healthz = 200,
//    polled every 5 ms), HTTP latency of sale by receipt, stock by SKU, one
//    day's sales page (limit 100) and /v1/digest, then VmRSS ("serving
//    RSS"). POST /v1/projections/all/rebuild: events/s against the
//    decode-only pass.
// 4. An empty node B with --peer A catches up: events/s from B's fork until
//    B's /v1/digest projections equal A's; B's VmRSS sampled every 100 ms.
// 5. Live replication (a sale POSTed on A, visible by receipt on B) and
//    POST /v1/sales throughput with 8 keep-alive clients on A.
// 6. --baseline PATH (a storenode of another commit): steps 3-5 for that
//    binary and for the --node binary on the same history of
//    min(N, --baseline-events) events (the pre-change node holds every view
//    in memory: ~0.6 GB per million events), ratios printed.
// 7. --jemalloc: serving RSS and catch-up again with LD_PRELOAD of jemalloc.
//
// The last line is exactly
//   rss_mb=… startup_s=… rebuild_evps=… digest_ms=… catchup_evps=… catchup_peak_mb=…
// for the --node binary on N events (digest_ms: p99 of /v1/digest).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdarg>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "actors/projection_actor.hpp"
#include "actors/projection_rows.hpp"
#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection.hpp"
#include "actors/projections/projection_set.hpp"
#include "events/civil_date.hpp"
#include "node/genesis.hpp"
#include "node/identity.hpp"
#include "trust/signature.hpp"
#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"
#include "tests/bench/node/bench_support.hpp"
#include "actors/staff/pin.hpp"
#include "tests/bench/retail/replay_mix.hpp"

using namespace sn::bench;
using sn::testing::node_process;
namespace fs = std::filesystem;

namespace {

/// Events per append while writing the history (append_events_max is 100,000).
constexpr std::size_t write_batch_events = 10000;
/// Events per read while decoding or folding in this process (the projection actor's chunk).
constexpr std::size_t read_chunk_events = 4096;
constexpr std::size_t events_per_day_default = 10000;
/// Events folded one per flush after the breakdown's bulk fold (the live path's batches).
std::size_t live_flush_events = 2000;
/// Breakdown: the second fold into RocksDB writes once this many rows are pending instead of
/// after every chunk (an experiment, not the node's way: docs/benchmarks.md, "Figures at 10 M
/// events with jemalloc; writes spanning chunks tried").
std::size_t breakdown_write_rows = 131072;
/// History ends at this HLC wall time (2026-11-18), whatever N: the nodes' own sales follow it.
constexpr std::uint64_t history_end_ms = 1795000000000ULL;

/// A failed step: unwinds to main so that every node is killed and every scratch dir removed.
struct bench_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void fail(const std::string& what) { throw bench_error(what); }

struct settings {
  std::size_t events = 10'000'000;
  std::string node = STORENODE_PATH;
  std::string baseline;
  std::size_t baseline_events = 1'000'000;
  std::size_t breakdown_events = 100'000;
  std::size_t events_per_day = events_per_day_default;
  std::string jemalloc;
  std::string dir;
  bool keep_dir = false;
  bool breakdown_only = false;
  std::string log;
  int samples = 1000;
  int live_sales = 300;
  double live_rate = 20;
  double load_seconds = 10;
  int clients = 8;
  int cache_mb = 0;
  int cashiers = 0;
  bool card_details = false;
};

double secs_since(clock_type::time_point t0) { return ms_since(t0) / 1000; }

double thread_cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stdout, fmt, ap);
  va_end(ap);
  std::fflush(stdout);
}

double mb(long kb) { return kb / 1024.0; }

// --- scratch space -------------------------------------------------------------------

/// The run's scratch dir under --dir (default the temp dir): removed at the
/// end unless --keep-dir.
class scratch {
 public:
  scratch(const std::string& parent, bool keep) : keep_(keep) {
    std::string tmpl = (parent.empty() ? fs::temp_directory_path().string() : parent) + "/bench-scale-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) fail("cannot create a dir under " + tmpl);
    path_ = tmpl;
  }
  ~scratch() {
    if (keep_) {
      std::printf("kept %s\n", path_.c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool keep_;
};

/// Copies a closed data dir: SST files (immutable) hard-linked, the rest copied.
void copy_data_dir(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  if (fs::exists(from / "identity")) {
    // The creating device's keys (node A runs as that device); modes kept (0700 / 0600).
    fs::create_directories(to / "identity");
    fs::permissions(to / "identity", fs::perms::owner_all, fs::perm_options::replace);
    for (const auto& entry : fs::directory_iterator(from / "identity")) {
      std::error_code ec;
      fs::copy_file(entry.path(), to / "identity" / entry.path().filename(), fs::copy_options::overwrite_existing, ec);
      if (ec) fail("copy " + entry.path().string() + ": " + ec.message());
    }
  }
  for (const auto& entry : fs::directory_iterator(from)) {
    if (!entry.is_regular_file()) continue;
    const auto target = to / entry.path().filename();
    std::error_code ec;
    if (entry.path().extension() == ".sst") {
      fs::create_hard_link(entry.path(), target, ec);
      if (!ec) continue;
    }
    fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing, ec);
    if (ec) fail("copy " + entry.path().string() + ": " + ec.message());
  }
}

/// Bytes of the files under `p`. A running node deletes files meanwhile
/// (compactions): one gone between listing and size reads as nothing.
std::uintmax_t dir_bytes(const fs::path& p) {
  std::uintmax_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fe;
    if (it->is_regular_file(fe)) {
      const auto size = it->file_size(fe);
      if (!fe) n += size;
    }
  }
  return n;
}

// --- the history ------------------------------------------------------------------------

/// What the queries need to know of a generated history (saved next to it as mix.json).
struct history {
  fs::path dir;
  std::size_t events = 0;
  std::uint64_t sales[sn::bench::replay_mix::origin_count] = {0, 0, 0};
  std::int64_t first_day = 0, last_day = 0;  ///< days since the epoch (UTC)
  double bytes = 0;                          ///< encoded event bytes
  int cashiers = 0;                          ///< per origin (0: nothing attributed)
  bool card_details = false;                 ///< card payments carry the terminal's fields
};

void save(const history& h) {
  json j{{"events", h.events},
         {"sales", {h.sales[0], h.sales[1], h.sales[2]}},
         {"first_day", h.first_day},
         {"last_day", h.last_day},
         {"bytes", h.bytes},
         {"cashiers", h.cashiers},
         {"card_details", h.card_details}};
  std::ofstream(h.dir / "mix.json") << j.dump();
}

history load_history(const fs::path& dir) {
  std::ifstream in(dir / "mix.json");
  auto j = json::parse(in, nullptr, false);
  if (!j.is_object()) fail(dir.string() + "/mix.json missing: --log takes a history this bench wrote (--keep-dir)");
  history h;
  h.dir = dir;
  h.events = j["events"];
  for (int o = 0; o < 3; ++o) h.sales[o] = j["sales"][o];
  h.first_day = j["first_day"];
  h.last_day = j["last_day"];
  h.bytes = j["bytes"];
  h.cashiers = j.value("cashiers", 0);  // histories from before the option: none
  h.card_details = j.value("card_details", false);
  return h;
}

/// The device that created the generated store: node A runs as it (its keys are in the history's identity/).
constexpr const char* creator_device = "POS1";

/// The store's members and their keys: the creator's in `dir`/identity, the others' in `dir`/../keys/ID.
struct store_keys {
  std::string store_id;
  std::vector<std::string> ids;
  std::vector<sn::node::device_identity> keys;
  std::size_t index(std::string_view id) const {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == id) return i;
    }
    fail("no keys for origin " + std::string(id));
  }
};

/// The signatures the log writer would attach to `batch` (docs/protocol.md 1.7): each
/// origin's last event of the batch and every signature_interval-th seq.
std::vector<sn::trust::origin_signature> sign_batch(const std::vector<sn::event>& batch, const store_keys& k) {
  std::map<std::string, std::size_t> last;
  for (std::size_t i = 0; i < batch.size(); ++i) last[batch[i].origin.value()] = i;
  std::vector<sn::trust::origin_signature> out;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& e = batch[i];
    if (!sn::trust::signs_seq(e.seq.value(), last[e.origin.value()] == i)) continue;
    sn::trust::secret_key secret{};
    const auto& id = k.keys[k.index(e.origin.value())];
    std::copy(id.signing_secret.begin(), id.signing_secret.end(), secret.begin());
    out.push_back({e.origin.value(), e.seq.value(), sn::trust::sign(secret, k.store_id, e.origin.value(), e.seq.value(), e.hash)});
  }
  return out;
}

/// The genesis of the store (store.created, POS1 enrolled by itself) and the
/// enrollment of the mix's other origins, as POS1's first events. `with_admin`:
/// and the harness admin (node_process::test_admin_pin), as a node's
/// STORENODE_ADMIN_PIN adds it: a store with staff (the mix's cashiers) bootstraps none.
std::vector<sn::event> store_genesis(const store_keys& k, std::uint64_t wall_ms, bool with_admin) {
  sn::node::genesis_input in;
  in.store_id = k.store_id;
  in.name = "bench";
  in.device_id = creator_device;
  in.priority = 2;
  in.signing_key_hex = k.keys[0].signing_public_hex();
  in.curve_key_hex = k.keys[0].curve_public_hex();
  in.wall_ms = wall_ms;
  in.term = 1;
  auto out = sn::node::genesis_events(in);
  for (std::size_t i = 1; i < k.ids.size(); ++i) {
    const auto& prev = out.back();
    sn::event e = sn::make_event(sn::device_id{creator_device}, sn::origin_seq{prev.seq.value() + 1},
                                 sn::hlc_timestamp::from_parts(prev.hlc.wall_ms() + 1, 0), sn::term_id{1},
                                 sn::device_enrolled{k.ids[i], k.keys[i].signing_public_hex(),
                                                     k.keys[i].curve_public_hex(), static_cast<std::int32_t>(i == 1 ? 1 : 0), "admin"});
    e.prev_hash = prev.hash;
    sn::seal(e);
    out.push_back(std::move(e));
  }
  if (with_admin) {
    const auto hash = sn::staff::hash_pin(sn::testing::node_process::test_admin_pin);
    if (!hash) fail("the harness admin's PIN could not be hashed");
    const auto& prev = out.back();
    sn::event e = sn::make_event(sn::device_id{creator_device}, sn::origin_seq{prev.seq.value() + 1},
                                 sn::hlc_timestamp::from_parts(prev.hlc.wall_ms() + 1, 0), sn::term_id{1},
                                 sn::staff_added{"admin", "admin", "admin", *hash, true, "", ""});
    e.prev_hash = prev.hash;
    sn::seal(e);
    out.push_back(std::move(e));
  }
  return out;
}

/// Writes a store's genesis and N events of the replay mix into a new event log at `dir`.
/// `signed_store` false: the mix alone, in a data dir a build from before issue 9 opens
/// (no genesis, no signatures family): the pre-change baseline's history.
/// `cashiers`, `card_details`: replay_mix_options (events as tills write them since
/// staff sign-in and card fields; not for a build that predates them).
history generate(const fs::path& dir, std::size_t n, std::size_t events_per_day, bool signed_store = true,
                 int cashiers = 0, bool card_details = false) {
  sn::bench::replay_mix_options mo;
  mo.cashiers_per_origin = cashiers;
  mo.card_details = card_details;
  mo.spacing_ms = std::max<std::uint64_t>(1, 86'400'000 / std::max<std::size_t>(1, events_per_day));
  mo.first_wall_ms = history_end_ms - mo.spacing_ms * (n + 2100);
  mo.zone = sn::time_zone::fixed(0);  // the nodes' default store.time_zone (UTC)
  sn::bench::replay_mix mix(n, mo);
  store_keys keys;
  keys.store_id = sn::node::random_store_id();
  for (int o = 0; signed_store && o < sn::bench::replay_mix::origin_count; ++o) {
    const std::string id = sn::bench::replay_mix::origin(o);
    const fs::path key_dir = id == creator_device ? dir : dir.parent_path() / "keys" / id;
    fs::create_directories(key_dir);
    auto made = sn::node::load_or_create_identity(key_dir.string());
    if (!made) fail("keys of " + id + ": " + made.error().to_string());
    keys.ids.push_back(id);
    keys.keys.push_back(std::move(*made));
  }
  if (signed_store && keys.ids[0] != creator_device) fail("the mix's first origin is not the creator");
  sn::storage::log_options o;
  o.data_dir = dir.string();
  o.sync = sn::storage::durability::os;
  o.signatures_family = signed_store;
  auto log = sn::storage::event_log::open(o);
  if (!log) fail("open " + dir.string() + ": " + log.error().to_string());
  std::size_t genesis_events = 0;  // the store's own events before the mix
  if (signed_store) {
    auto genesis = store_genesis(keys, mo.first_wall_ms - 60'000, cashiers > 0);
    genesis_events = genesis.size();
    mix.continue_origin(0, genesis.back().seq.value(), genesis.back().hash);
    const auto sigs = sign_batch(genesis, keys);
    sn::storage::append_options ao;
    ao.sealed_here = genesis.size();
    ao.signatures = &sigs;
    auto r = (*log)->append(genesis, {}, ao);
    if (!r || r->appended != genesis.size()) fail("the store's genesis was not appended");
    if (auto st = (*log)->put_meta("store.id", keys.store_id); !st) fail("meta store.id: " + st.error().to_string());
  }
  history h;
  h.dir = dir;
  h.cashiers = cashiers;
  h.card_details = card_details;
  h.first_day = mo.zone.local_day(static_cast<std::int64_t>(mo.first_wall_ms));
  const auto t0 = clock_type::now();
  std::vector<sn::event> batch;
  batch.reserve(write_batch_events);
  auto next_report = t0 + std::chrono::seconds(10);
  while (!mix.done()) {
    batch.clear();
    while (!mix.done() && batch.size() < write_batch_events) {
      batch.push_back(mix.next());
      h.bytes += static_cast<double>(sn::encode(batch.back()).size());
    }
    const auto sigs = signed_store ? sign_batch(batch, keys) : std::vector<sn::trust::origin_signature>{};
    sn::storage::append_options ao;
    ao.sealed_here = batch.size();  // sealed just now: no second hash
    if (signed_store) ao.signatures = &sigs;
    auto r = (*log)->append(batch, {}, ao);
    if (!r) fail("append: " + r.error().to_string());
    if (r->appended != batch.size()) fail("append refused events of the generated history");
    if (clock_type::now() > next_report) {
      std::fprintf(stderr, "  generating: %zu / %zu events\n", mix.emitted(), n);
      next_report += std::chrono::seconds(10);
    }
  }
  log->reset();  // closed: every node gets a copy
  h.events = mix.emitted() + genesis_events;
  for (int o = 0; o < 3; ++o) h.sales[o] = mix.sales(o);
  h.last_day = mo.zone.local_day(static_cast<std::int64_t>(mix.last_wall_ms()));
  save(h);
  const double s = secs_since(t0);
  say("history: %zu events (%.0f B mean), %" PRIu64
      " sales, days %s .. %s, %d cashier(s) per origin, card fields %s, written in %.1f s (%.0f ev/s); "
      "data dir %.0f MB\n",
      h.events, h.bytes / h.events, h.sales[0] + h.sales[1] + h.sales[2], sn::format_day(h.first_day).c_str(),
      sn::format_day(h.last_day).c_str(), h.cashiers, h.card_details ? "yes" : "no", s, h.events / s,
      dir_bytes(dir) / 1e6);
  return h;
}

/// True when `binary --help` offers --join (a build with stores, issue 9).
bool knows_stores(const std::string& binary) {
  const std::string cmd = "'" + binary + "' --help 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return true;
  std::string out;
  char buf[4096];
  while (std::size_t got = std::fread(buf, 1, sizeof buf, p)) out.append(buf, got);
  ::pclose(p);
  return out.find("--join") != std::string::npos;
}

// --- in-process passes over the log ---------------------------------------------------------

struct pass_rate {
  std::size_t events = 0;
  double wall_s = 0, cpu_s = 0;
  std::size_t rows = 0;  ///< rows changed (written) by a fold, summed over its flushes
  std::size_t reads = 0;  ///< rows the fold read from below its caches
  double wall_evps() const { return events / wall_s; }
  double cpu_evps() const { return events / cpu_s; }
};

sn::retail::store_settings store_settings() { return sn::retail::store_settings{sn::time_zone::fixed(0)}; }

/// Reads the log in chunks and decodes every payload as the projection set does (nothing applied).
pass_rate decode_only(const fs::path& dir, std::size_t limit) {
  sn::storage::log_options o;
  o.data_dir = dir.string();
  o.mode = sn::storage::open_mode::read_only;
  auto log = sn::storage::event_log::open(o);
  if (!log) fail("open " + dir.string() + ": " + log.error().to_string());
  const auto settings = store_settings();
  pass_rate r;
  std::size_t bad = 0;
  const auto t0 = clock_type::now();
  const double c0 = thread_cpu_now();
  std::uint64_t next = 1;
  while (r.events < limit) {
    auto chunk = (*log)->read_from(sn::log_position{next}, std::min(read_chunk_events, limit - r.events));
    if (chunk.empty()) break;
    for (const auto& se : chunk) {
      if (!sn::projections::decode_payload(se.ev, settings)) ++bad;
    }
    r.events += chunk.size();
    next = chunk.back().position.value() + 1;
  }
  r.wall_s = secs_since(t0);
  r.cpu_s = thread_cpu_now() - c0;
  if (bad) fail(std::to_string(bad) + " payloads did not decode");
  return r;
}

/// Folds the first `limit` events through the projection set into `store` in chunks of
/// read_chunk_events, writing after every chunk (as the projection actor does) or, with
/// write_rows > 0, once that many rows are folded and not written.
pass_rate fold(const sn::storage::event_log& log, sn::projections::projection_set& set, std::size_t limit,
               std::size_t write_rows = 0) {
  pass_rate r;
  const auto t0 = clock_type::now();
  const double c0 = thread_cpu_now();
  const std::uint64_t reads0 = set.rows_read_below();
  std::uint64_t next = 1;
  auto write = [&] {
    r.rows += set.pending_rows();
    if (auto s = set.flush(); !s) fail("flush: " + s.error().to_string());
    set.take_conflicts();
  };
  while (r.events < limit) {
    auto chunk = log.read_from(sn::log_position{next}, std::min(read_chunk_events, limit - r.events));
    if (chunk.empty()) break;
    std::vector<sn::projections::projection_set::positioned> positioned;
    positioned.reserve(chunk.size());
    for (const auto& se : chunk) positioned.push_back({se.position.value(), &se.ev});
    set.apply_chunk(positioned, false);  // as the node folds a chunk (one thread here)
    r.events += chunk.size();
    if (set.pending_rows() >= write_rows) write();
    next = chunk.back().position.value() + 1;
  }
  write();
  r.wall_s = secs_since(t0);
  r.cpu_s = thread_cpu_now() - c0;
  r.reads = set.rows_read_below() - reads0;
  return r;
}

/// Folds up to live_flush_events events from `from` with one flush per `per_flush` events
/// (the live path's committed batches, coalesced while the projection actor's mailbox
/// holds more) and prints the cost per event. Returns the position after the last.
std::uint64_t live_flushes(const sn::storage::event_log& log, sn::projections::projection_set& set, std::uint64_t from,
                           std::size_t per_flush, const char* what) {
  const auto t0 = clock_type::now();
  const double c0 = thread_cpu_now();
  auto events = log.read_from(sn::log_position{from}, live_flush_events);
  std::size_t folded = 0;
  const std::uint64_t writes0 = set.writes(), rows0 = set.rows_written();
  for (const auto& se : events) {
    set.apply(se.position.value(), se.ev, false);
    if (++folded % per_flush == 0 || folded == events.size()) {
      if (auto s = set.flush(); !s) fail("flush: " + s.error().to_string());
    }
  }
  if (events.empty()) return from;
  const double cpu_s = thread_cpu_now() - c0, wall_ms = ms_since(t0);
  const double rows = double(set.rows_written() - rows0), writes = double(set.writes() - writes0);
  say("%zu event(s) per flush %s, %zu events: %.0f µs CPU, %.0f µs wall per event; %.1f rows per write, "
      "%.1f per event\n",
      per_flush, what, events.size(), 1e6 * cpu_s / events.size(), 1e3 * wall_ms / events.size(),
      writes > 0 ? rows / writes : 0.0, rows / events.size());
  return events.back().position.value() + 1;
}

std::vector<std::string> projection_names() {
  std::vector<std::string> names;
  for (const auto& p : sn::projections::all_projections()) names.emplace_back(p->name());
  return names;
}

/// Rows per write of the floor's write pass: about what a chunk's flush writes
/// (5.6-7.7 rows per event, by layout, x 4,096 events).
constexpr std::size_t floor_batch_rows = 32768;

/// A writable log with every projection family, unsynced: the breakdown's folds into RocksDB rows.
sn::storage::log_options projection_log_options(const fs::path& dir) {
  sn::storage::log_options o;
  o.data_dir = dir.string();
  o.sync = sn::storage::durability::os;
  o.projection_families = projection_names();
  return o;
}

struct held_row {
  std::size_t family = 0;
  std::string key, value;
};
struct floor_cost {
  double digest_us = 0;  ///< CPU per row: bucket, seed, element hash, added into its bucket and the total
  double write_us = 0;   ///< CPU per row: put into a RocksDB write batch and written (memtable, WAL)
};

/// What each held row costs at least once, whatever the fold: its digest
/// element (as a row created by a flush is digested) and its write into a
/// fresh projection column family, in batches as a chunk's flush writes them.
floor_cost measure_floor(const std::vector<held_row>& held, const fs::path& dir) {
  floor_cost out;
  if (held.empty()) return out;
  const auto names = projection_names();
  {
    std::vector<sn::projections::digest_buckets> digests(names.size());
    const double c0 = thread_cpu_now();
    for (const held_row& r : held) digests[r.family].change(r.key, std::nullopt, r.value);
    out.digest_us = 1e6 * (thread_cpu_now() - c0) / held.size();
  }
  {
    auto log = sn::storage::event_log::open(projection_log_options(dir));
    if (!log) fail("open " + dir.string() + ": " + log.error().to_string());
    auto store = sn::storage::projection_store::open(**log, names);
    if (!store) fail("projection store: " + store.error().to_string());
    std::vector<sn::storage::projection_store::write_ref> batch;
    const double c0 = thread_cpu_now();
    for (std::size_t i = 0; i < held.size(); ++i) {
      batch.push_back(sn::storage::projection_store::write_ref{held[i].family, held[i].key, &held[i].value});
      if (batch.size() == floor_batch_rows || i + 1 == held.size()) {
        if (auto s = (*store)->write_all(batch); !s) fail("floor write: " + s.error().to_string());
        batch.clear();
      }
    }
    out.write_us = 1e6 * (thread_cpu_now() - c0) / held.size();
  }
  fs::remove_all(dir);
  return out;
}

/// Where a rebuild's time goes, on the first `limit` events: the set folding
/// into memory rows (decode + fold logic + LtHash) and into RocksDB column
/// families (the node's rows; its projection actor adds only messaging).
void breakdown(const fs::path& pristine, const fs::path& scratch_dir, std::size_t limit, const pass_rate& decode) {
  const fs::path copy = scratch_dir / "breakdown";
  copy_data_dir(pristine, copy);
  const sn::storage::log_options o = projection_log_options(copy);
  auto log = sn::storage::event_log::open(o);
  if (!log) fail("open " + copy.string() + ": " + log.error().to_string());
  pass_rate in_memory, in_rocksdb;
  std::vector<held_row> held;  // every row (the set's own included) after the fold into memory rows
  {
    sn::projections::memory_row_store rows(projection_names().size());
    sn::projections::projection_set set(store_settings(), sn::projections::all_projections(), rows);
    if (auto s = set.open(); !s) fail("projection set: " + s.error().to_string());
    in_memory = fold(**log, set, limit);
    // Every row the fold leaves is digested and written at least once,
    // however a fold is organised: the floor of this row layout.
    for (std::size_t i = 0; i < projection_names().size(); ++i) {
      for (const auto& [k, v] : rows.family(i).all()) held.push_back(held_row{i, k, v});
    }
  }
  const floor_cost layout_floor = measure_floor(held, scratch_dir / "floor");
  // Each projection alone (the others paused), into memory rows: how the
  // fold's work splits between projections — what limits folding them on
  // two threads, each projection on one.
  const auto names = projection_names();
  std::vector<pass_rate> alone(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    sn::projections::memory_row_store rows(names.size());
    sn::projections::projection_set set(store_settings(), sn::projections::all_projections(), rows);
    if (auto s = set.open(); !s) fail("projection set: " + s.error().to_string());
    for (std::size_t j = 0; j < names.size(); ++j) {
      if (j != i) set.pause(j);
    }
    alone[i] = fold(**log, set, limit);
  }
  {
    auto store = sn::storage::projection_store::open(**log, projection_names());
    if (!store) fail("projection store: " + store.error().to_string());
    sn::actors::stored_row_store rows(**store);
    sn::projections::projection_set set(store_settings(), sn::projections::all_projections(), rows);
    if (auto s = set.open(); !s) fail("projection set: " + s.error().to_string());
    in_rocksdb = fold(**log, set, limit);
    // The live path: one flush per committed batch of one event. First right after the bulk
    // fold (the row overlays' caches hold up to their bound, as on a node that has been
    // folding), then the next events on a set opened afresh over the same rows (empty caches).
    std::uint64_t next = limit + 1;
    for (std::size_t per_flush : {1, 4, 16}) next = live_flushes(**log, set, next, per_flush, "after the bulk fold (caches full)");
    sn::projections::projection_set fresh(store_settings(), sn::projections::all_projections(), rows);
    if (auto s = fresh.open(); !s) fail("projection set: " + s.error().to_string());
    live_flushes(**log, fresh, next, 1, "on a set opened afresh (caches empty)");
  }
  log->reset();
  fs::remove_all(copy);
  // The same fold into RocksDB rows on a fresh copy, written once breakdown_write_rows rows are
  // pending instead of after every chunk: what writes spanning chunks would save.
  pass_rate in_rocksdb_bulk;
  {
    copy_data_dir(pristine, copy);
    auto bulk_log = sn::storage::event_log::open(o);
    if (!bulk_log) fail("open " + copy.string() + ": " + bulk_log.error().to_string());
    auto store = sn::storage::projection_store::open(**bulk_log, projection_names());
    if (!store) fail("projection store: " + store.error().to_string());
    sn::actors::stored_row_store rows(**store);
    sn::projections::projection_set set(store_settings(), sn::projections::all_projections(), rows);
    if (auto s = set.open(); !s) fail("projection set: " + s.error().to_string());
    in_rocksdb_bulk = fold(**bulk_log, set, limit, breakdown_write_rows);
  }
  fs::remove_all(copy);
  say("\nWhere a fold's time goes (this process, one thread, first %zu events):\n\n", in_memory.events);
  say("| pass | wall ev/s | CPU ev/s | CPU µs/event |\n|---|---:|---:|---:|\n");
  auto row = [](const char* what, const pass_rate& p) {
    say("| %s | %.0f | %.0f | %.2f |\n", what, p.wall_evps(), p.cpu_evps(), 1e6 * p.cpu_s / p.events);
  };
  row("read + decode only (whole log)", decode);
  row("read + decode + fold into memory rows (7 projections, LtHash)", in_memory);
  row("read + decode + fold into RocksDB rows, a write per chunk (the node's fold, no actor)", in_rocksdb);
  const std::string bulk_what = "read + decode + fold into RocksDB rows, a write per " +
                                std::to_string(breakdown_write_rows) + " rows";
  row(bulk_what.c_str(), in_rocksdb_bulk);
  const double per_event_decode = decode.cpu_s / decode.events, per_event_mem = in_memory.cpu_s / in_memory.events,
               per_event_rocks = in_rocksdb.cpu_s / in_rocksdb.events;
  say("rows written per event (per chunk of %zu, after the chunk's own overwrites): %.1f; rows read below the "
      "caches per event: %.2f\n",
      read_chunk_events, double(in_memory.rows) / in_memory.events, double(in_rocksdb.reads) / in_rocksdb.events);
  const double held_per_event = double(held.size()) / in_memory.events;
  const double floor_us = 1e6 * per_event_decode + held_per_event * (layout_floor.digest_us + layout_floor.write_us);
  say("rows held after the fold: %.1f per event. Each is digested and written at least once by any fold: "
      "%.2f µs to digest a row (bucket, seed, element, add), %.2f µs to write it (a batch of %zu rows, "
      "compaction not counted)\n",
      held_per_event, layout_floor.digest_us, layout_floor.write_us, floor_batch_rows);
  {
    // Which rows they are: projection and row kind (a key's first byte; each
    // projection's header documents its kinds), the largest first.
    std::map<std::string, std::size_t> kinds;
    for (const held_row& h : held) {
      if (h.key.empty() || h.key[0] == sn::projections::reserved_key_byte) continue;
      kinds[names[h.family] + " '" + h.key.substr(0, 1) + "'"]++;
    }
    std::vector<std::pair<std::size_t, std::string>> by_size;
    for (const auto& [k, n] : kinds) by_size.emplace_back(n, k);
    std::sort(by_size.rbegin(), by_size.rend());
    std::string line;
    for (const auto& [n, k] : by_size) {
      if (double(n) / in_memory.events < 0.005) break;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s%s %.2f", line.empty() ? "" : ", ", k.c_str(), double(n) / in_memory.events);
      line += buf;
    }
    say("held rows per event by projection and row kind: %s\n", line.c_str());
  }
  say("floor of this row layout (decode + held rows x (digest + write), no fold logic, no compaction): %.1f µs "
      "per event = %.0f ev/s on one core, %.0f ev/s on %u\n",
      floor_us, 1e6 / floor_us, std::thread::hardware_concurrency() * 1e6 / floor_us,
      std::thread::hardware_concurrency());
  say("CPU per event: decode %.2f µs, fold logic + LtHash %.2f µs, RocksDB rows (reads, batch, write) %.2f µs\n",
      1e6 * per_event_decode, 1e6 * (per_event_mem - per_event_decode), 1e6 * (per_event_rocks - per_event_mem));
  say("written every %zu rows: %.1f rows written per event, %.2f µs CPU per event (%.2fx the rate of a write per "
      "chunk)\n",
      breakdown_write_rows, double(in_rocksdb_bulk.rows) / in_rocksdb_bulk.events,
      1e6 * in_rocksdb_bulk.cpu_s / in_rocksdb_bulk.events, in_rocksdb.cpu_s / in_rocksdb.events /
                                                                (in_rocksdb_bulk.cpu_s / in_rocksdb_bulk.events));
  say("\nEach projection alone (the others paused; into memory rows; decode subtracted):\n\n");
  say("| projection | CPU µs/event | share | rows written per event |\n|---|---:|---:|---:|\n");
  double sum = 0;
  for (const auto& a : alone) sum += std::max(0.0, a.cpu_s / a.events - per_event_decode);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double us = std::max(0.0, alone[i].cpu_s / alone[i].events - per_event_decode);
    say("| %s | %.2f | %.0f %% | %.1f |\n", names[i].c_str(), 1e6 * us, sum > 0 ? 100 * us / sum : 0.0,
        double(alone[i].rows) / alone[i].events);
  }
}

// --- nodes -----------------------------------------------------------------------------------

/// Whether process `pid` has a library whose path contains `name` mapped.
bool maps_library(pid_t pid, const char* name) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find(name) != std::string::npos) return true;
  }
  return false;
}

/// Samples a reading every `every` on its own thread and keeps its first
/// value and its maximum (a process's VmRSS, a data dir's size).
class max_sampler {
 public:
  max_sampler(std::function<std::uint64_t()> read, std::chrono::milliseconds every) : read_(std::move(read)) {
    first_ = read_();
    max_ = first_;
    thread_ = std::thread([this, every] {
      while (!stop_) {
        const std::uint64_t v = read_();
        if (v > max_) max_ = v;
        std::this_thread::sleep_for(every);
      }
    });
  }
  ~max_sampler() { stop(); }
  /// Stops sampling; the maximum.
  std::uint64_t stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return max_;
  }
  std::uint64_t first() const { return first_; }
  std::uint64_t max() const { return max_; }

 private:
  std::function<std::uint64_t()> read_;
  std::uint64_t first_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> max_{0};
  std::thread thread_;
};

/// LD_PRELOAD for the processes started while it lives (children inherit the environment).
class preload {
 public:
  explicit preload(const std::string& lib) : on_(!lib.empty()) {
    if (on_) ::setenv("LD_PRELOAD", lib.c_str(), 1);
  }
  ~preload() {
    if (on_) ::unsetenv("LD_PRELOAD");
  }

 private:
  bool on_;
};

json status_of(client& c) { return c.get_json("/v1/status"); }

long projection_lag(const json& status) {
  if (!status.is_object() || !status.contains("projections") || !status["projections"].contains("lag")) return -1;
  return status["projections"]["lag"].get<long>();
}

std::uint64_t vv_total(const json& status) {
  std::uint64_t n = 0;
  if (status.is_object() && status.contains("version_vector"))
    for (auto& [k, v] : status["version_vector"].items()) n += v.get<std::uint64_t>();
  return n;
}

/// True when `status`'s version vector holds at least `want` for every origin of `want`.
bool holds(const json& status, const json& want) {
  if (!status.is_object() || !status.contains("version_vector")) return false;
  const auto& vv = status["version_vector"];
  for (auto& [origin, seq] : want.items()) {
    if (!vv.contains(origin) || vv[origin].get<std::uint64_t>() < seq.get<std::uint64_t>()) return false;
  }
  return true;
}

/// Polls `cond` every `every` until it holds; fails after `timeout` or when `n` exits.
void wait_for(node_process& n, const std::string& what, std::chrono::seconds timeout, std::chrono::milliseconds every,
              const std::function<bool()>& cond) {
  const auto deadline = clock_type::now() + timeout;
  while (!cond()) {
    if (n.exited()) fail(n.options().device_id + " exited while waiting for " + what + ":\n" + n.log_text());
    if (clock_type::now() > deadline) fail(what + ": not within " + std::to_string(timeout.count()) + " s");
    std::this_thread::sleep_for(every);
  }
}

/// Lines of a node's log that say what its start-up did.
void print_startup_lines(const node_process& n) {
  std::istringstream in(n.log_text());
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("folded at start-up") != std::string::npos || line.find(" opened ") != std::string::npos ||
        line.find("rebuil") != std::string::npos || line.find("restored") != std::string::npos) {
      say("    [%s log] %s\n", n.options().device_id.c_str(), line.c_str());
    }
  }
}

struct latency {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t failed = 0;
};

latency summarize(const std::vector<double>& v, std::size_t failed) {
  return latency{percentile(v, 50), percentile(v, 99), percentile(v, 100), failed};
}

/// What one binary did on one history.
struct figures {
  std::string label;
  double first_start_s = -1, first_fold_s = -1, first_rss_mb = -1, first_hwm_mb = -1;
  double stop_s = -1;
  double upgrade_start_s = -1, upgrade_fold_s = -1;
  double startup_s = -1, serving_rss_mb = -1, serving_hwm_mb = -1;
  latency by_receipt, by_sku, day_page, till_day, digest;
  double rebuild_s = -1, rebuild_evps = -1, rebuild_cpu_s = -1, rebuild_hwm_mb = -1;
  double catchup_vv_s = -1, catchup_equal_s = -1, catchup_first_event_s = -1, catchup_evps = -1;
  double catchup_peak_mb = -1, catchup_rss_after_mb = -1, catchup_cpu_b = -1, catchup_cpu_a = -1;
  std::string catchup_until = "equal digests";
  latency live_ack, live_visible;
  double sales_per_s = -1;
  latency post;
  double post_node_cpu = -1;
};

/// Which steps a run takes.
struct steps {
  bool rebuild = true;
  bool digests = true;  ///< catch-up ends at equal /v1/digest (false: version vectors and projection lag)
  bool queries = true;
  bool digest_queries = true;  ///< time /v1/digest (a pre-change node serialises every view per request: seconds)
  /// After the first start: a start as after an upgrade whose build writes a
  /// new sales row layout (the layout record set back), timed to /healthz
  /// and to sales folded again (a pre-change binary records no layouts).
  bool upgrade_start = true;
  std::string jemalloc;        ///< also: serving RSS and catch-up under this LD_PRELOAD
};

class store_run {
 public:
  store_run(const settings& s, const history& h, const fs::path& dir, std::string binary, std::string label)
      : s_(s), h_(h), dir_(dir), binary_(std::move(binary)), enrolls_(knows_stores(binary_)) {
    f_.label = std::move(label);
    fs::create_directories(dir_);
  }

  figures run(const steps& st) {
    say("\n=== %s: %s on %zu events (load average %s) ===\n", f_.label.c_str(), binary_.c_str(), h_.events,
        load_average().c_str());
    copy_data_dir(h_.dir, dir_ / "a");
    node_process a(dir_ / "a", options(creator_device, 2, {}));
    a.use_binary(binary_);
    first_start(a);
    if (st.upgrade_start) upgrade_start(a);
    restart(a, f_, "");
    // storenode links jemalloc (node/CMakeLists.txt, STORENODE_JEMALLOC):
    // then an LD_PRELOAD pass would measure jemalloc twice.
    const bool linked_jemalloc = maps_library(a.pid(), "libjemalloc");
    say("allocator: %s\n", linked_jemalloc ? "jemalloc (linked into the binary)" : "glibc malloc");
    if (linked_jemalloc && !st.jemalloc.empty()) {
      say("  no LD_PRELOAD pass: to measure glibc against it, build with -DSTORENODE_JEMALLOC=OFF and pass that "
          "binary as --node or --baseline\n");
    }
    const std::string preload = linked_jemalloc ? std::string() : st.jemalloc;
    if (st.queries) queries(a, f_, st.digest_queries);
    serving_rss(a, f_);
    if (!preload.empty()) {
      figures je;
      restart(a, je, preload);
      if (st.queries) queries(a, je, st.digest_queries);
      serving_rss(a, je);
      say("  jemalloc vs glibc, serving RSS: %.1f MB vs %.1f MB (start-up %.2f s vs %.2f s)\n", je.serving_rss_mb,
          f_.serving_rss_mb, je.startup_s, f_.startup_s);
      jemalloc_serving_rss_mb = je.serving_rss_mb;
      restart(a, je, "");  // the rest of the run with the default allocator
    }
    if (st.rebuild) rebuild(a);
    node_process b(dir_ / "b", options("B1", 1, {a.bind()}));
    b.use_binary(binary_);
    if (enrolls_) b.sponsor = &a;  // joins A's store with a code from A's admin
    catch_up(a, b, f_, st.digests, "");
    if (!preload.empty()) {
      figures je;
      node_process b2(dir_ / "b2", options("B2", 0, {a.bind()}));
      b2.use_binary(binary_);
      if (enrolls_) b2.sponsor = &a;
      catch_up(a, b2, je, st.digests, preload);
      b2.stop();
      fs::remove_all(dir_ / "b2");
      jemalloc_catchup_peak_mb = je.catchup_peak_mb;
      jemalloc_catchup_evps = je.catchup_evps;
      say("  jemalloc vs glibc, catch-up: peak %.1f MB vs %.1f MB, %.0f ev/s vs %.0f ev/s\n", je.catchup_peak_mb,
          f_.catchup_peak_mb, je.catchup_evps, f_.catchup_evps);
    }
    live(a, b);
    throughput(a);
    b.stop();
    a.stop();
    return f_;
  }

  double jemalloc_serving_rss_mb = -1, jemalloc_catchup_peak_mb = -1, jemalloc_catchup_evps = -1;

 private:
  sn::testing::node_options options(const std::string& id, int priority, std::vector<std::string> peers) const {
    sn::testing::node_options o;
    o.device_id = id;
    o.priority = priority;
    o.peers = std::move(peers);
    o.enroll_if_fresh = enrolls_;  // a binary from before issue 9 knows no stores: it starts as given
    if (s_.cache_mb > 0) o.extra_args = {"--storage.cache-mb", std::to_string(s_.cache_mb)};
    return o;
  }

  /// Fork to /healthz answering, polled every 5 ms; a node folding N events may take minutes.
  double start_and_time(node_process& n) {
    const auto t0 = clock_type::now();
    if (!n.start(false)) fail("cannot start " + n.options().device_id);
    wait_for(n, n.options().device_id + " answering /healthz", std::chrono::hours(2), std::chrono::milliseconds(5),
             [&] { return n.healthy(); });
    return secs_since(t0);
  }

  void wait_folded(node_process& n, client& c) {
    wait_for(n, n.options().device_id + "'s projections folding the log", std::chrono::hours(2),
             std::chrono::milliseconds(20), [&] {
               auto st = status_of(c);
               return vv_total(st) >= h_.events && projection_lag(st) == 0;
             });
  }

  void first_start(node_process& a) {
    const auto t0 = clock_type::now();
    f_.first_start_s = start_and_time(a);
    client c(a.http_port());
    wait_folded(a, c);
    f_.first_fold_s = secs_since(t0);
    f_.first_rss_mb = mb(proc_status_kb(a.pid(), "VmRSS"));
    f_.first_hwm_mb = mb(proc_status_kb(a.pid(), "VmHWM"));
    say("first start on the fresh log (projections empty): /healthz after %.2f s, projections folded after %.2f s "
        "(%.0f ev/s); VmRSS %.1f MB, VmHWM %.1f MB\n",
        f_.first_start_s, f_.first_fold_s, h_.events / f_.first_fold_s, f_.first_rss_mb, f_.first_hwm_mb);
    print_startup_lines(a);
    const auto t1 = clock_type::now();
    if (!a.stop(std::chrono::minutes(5))) say("  (A did not exit within 5 minutes of SIGTERM: killed)\n");
    f_.stop_s = secs_since(t1);
    say("stop (SIGTERM to exit): %.2f s\n", f_.stop_s);
  }

  /// A start as after an upgrade to a build with a new sales row layout: the
  /// layout record of A's data dir set back to 1 (as node_test does), so A
  /// folds sales again from the log. The node serves while it does
  /// (projections.fold_before_serving_events_max): /healthz, then every
  /// projection caught up.
  void upgrade_start(node_process& a) {
    {
      sn::storage::log_options lo;
      lo.data_dir = (dir_ / "a").string();
      auto log = sn::storage::event_log::open(lo);
      if (!log) fail("cannot open A's log to set its sales layout back: " + log.error().to_string());
      if (!(*log)->put_meta("projections.layout.sales", "1")) fail("cannot set A's sales layout back");
    }
    const std::size_t log_mark = a.log_text().size();
    const auto t0 = clock_type::now();
    f_.upgrade_start_s = start_and_time(a);
    client c(a.http_port());
    wait_folded(a, c);
    f_.upgrade_fold_s = secs_since(t0);
    say("start after an upgrade that refolds sales: /healthz after %.3f s, sales folded again after %.2f s "
        "(%.0f ev/s); VmHWM %.1f MB\n",
        f_.upgrade_start_s, f_.upgrade_fold_s, h_.events / f_.upgrade_fold_s, mb(proc_status_kb(a.pid(), "VmHWM")));
    std::istringstream in(a.log_text().substr(log_mark));
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(" opened ") != std::string::npos || line.find("caught up") != std::string::npos) {
        say("    [A log] %s\n", line.c_str());
      }
    }
    if (!a.stop(std::chrono::minutes(5))) say("  (A did not exit within 5 minutes of SIGTERM: killed)\n");
  }

  void restart(node_process& a, figures& f, const std::string& preload_lib) {
    if (a.pid() > 0 && !a.stop(std::chrono::minutes(5)))
      say("  (A did not exit within 5 minutes of SIGTERM: killed)\n");
    const std::size_t log_mark = a.log_text().size();
    {
      preload p(preload_lib);
      f.startup_s = start_and_time(a);
    }
    client c(a.http_port());
    wait_folded(a, c);
    say("restart%s with projections folded: /healthz after %.3f s (target <= 2 s); VmRSS then %.1f MB\n",
        preload_lib.empty() ? "" : (" under LD_PRELOAD=" + preload_lib).c_str(), f.startup_s,
        mb(proc_status_kb(a.pid(), "VmRSS")));
    std::istringstream in(a.log_text().substr(log_mark));
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("folded at start-up") != std::string::npos || line.find(" opened ") != std::string::npos) {
        say("    [A1 log] %s\n", line.c_str());
      }
    }
  }

  void queries(node_process& a, figures& f, bool digest) {
    client c(a.http_port());
    std::mt19937_64 rng(7);
    auto pick = [&](std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng); };
    auto timed = [&](const std::function<std::string()>& path, latency& out, const char* what) {
      std::vector<double> v;
      std::size_t failed = 0;
      std::string last_failure;
      for (int i = 0; i < s_.samples; ++i) {
        const std::string p = path();
        const auto t0 = clock_type::now();
        auto r = c.get(p);
        const double ms = ms_since(t0);
        if (r && r->status == 200) {
          v.push_back(ms);
        } else {
          ++failed;
          last_failure = p + " -> " +
                         (r ? std::to_string(r->status) + " " + r->body.substr(0, 200) : httplib::to_string(r.error()));
        }
      }
      out = summarize(v, failed);
      say("| %s | %zu | %.3f ms | %.3f ms | %.3f ms | %zu |\n", what, v.size(), out.p50, out.p99, out.max, failed);
      if (failed) say("    last failure: %s\n", last_failure.c_str());
    };
    say("\nHTTP queries, %d each, sequential on one keep-alive connection, right after start-up:\n\n", s_.samples);
    say("| query | answered 200 | p50 | p99 | max | failed |\n|---|---:|---:|---:|---:|---:|\n");
    timed(
        [&] {
          int o = 0;
          while (h_.sales[o = static_cast<int>(pick(3))] == 0) {
          }
          return "/v1/sales/" + sn::bench::replay_mix::receipt_name(o, 1 + pick(h_.sales[o]));
        },
        f.by_receipt, "GET /v1/sales/{receipt} (target p99 <= 2 ms)");
    timed([&] { return "/v1/inventory/" + sn::bench::replay_mix::sku_name(static_cast<int>(pick(2000))); }, f.by_sku,
          "GET /v1/inventory/{sku} (target p99 <= 2 ms)");
    timed(
        [&] {
          const auto day = h_.first_day + static_cast<std::int64_t>(pick(h_.last_day - h_.first_day + 1));
          return "/v1/sales?day=" + sn::format_day(day) + "&limit=100";
        },
        f.day_page, "GET /v1/sales?day=D&limit=100 (target p99 <= 20 ms)");
    // One till's day: its by_product sums the till's receipts of that day (no target).
    timed(
        [&] {
          const auto day = h_.first_day + static_cast<std::int64_t>(pick(h_.last_day - h_.first_day + 1));
          return "/v1/sales?day=" + sn::format_day(day) + "&device=" +
                 sn::bench::replay_mix::origin(static_cast<int>(pick(3))) + "&limit=100";
        },
        f.till_day, "GET /v1/sales?day=D&device=T&limit=100 (no target)");
    if (digest) timed([] { return std::string("/v1/digest"); }, f.digest, "GET /v1/digest (target <= 5 ms)");
  }

  void serving_rss(node_process& a, figures& f) {
    f.serving_rss_mb = mb(proc_status_kb(a.pid(), "VmRSS"));
    f.serving_hwm_mb = mb(proc_status_kb(a.pid(), "VmHWM"));
    say("serving RSS (after start-up and the queries): VmRSS %.1f MB, VmHWM %.1f MB (target <= 150 MB)\n",
        f.serving_rss_mb, f.serving_hwm_mb);
    say_storage_memory(a);
  }

  /// The node's RocksDB memory (/v1/status "storage"): what of the RSS the budget holds.
  static void say_storage_memory(node_process& a) {
    client c(a.http_port());
    const json st = status_of(c);
    if (!st.is_object() || !st.contains("storage")) return;
    const json& m = st["storage"];
    const auto field = [&](const char* k) { return m.contains(k) ? m[k].get<double>() / (1 << 20) : -1.0; };
    say("  RocksDB: block cache %.1f MB of a %.0f MB budget (%.1f MB pinned), memtables %.1f MB (charged to it), "
        "table readers outside it %.1f MB\n",
        field("block_cache_bytes"), field("cache_budget_bytes"), field("block_cache_pinned_bytes"),
        field("memtable_bytes"), field("table_reader_bytes"));
  }

  /// /v1/status "storage" of a node (null for a binary without it).
  static json storage_of(node_process& n) {
    client c(n.http_port());
    const json st = status_of(c);
    return st.is_object() && st.contains("storage") && st["storage"].contains("families") ? st["storage"] : json();
  }

  /// What RocksDB wrote between two /v1/status "storage" readings, per column
  /// family that flushed at least 1 MB: flushed, compacted (read / written),
  /// write amplification, compaction CPU, and the family's table files now.
  static void say_storage_writes(const json& before, const json& after, std::uint64_t events) {
    if (after.is_null()) return;
    const auto delta = [&](const std::string& fam, const char* k) {
      const double now = after["families"][fam].value(k, 0.0);
      const double was = before.is_null() || !before["families"].contains(fam) ? 0.0 : before["families"][fam].value(k, 0.0);
      return now - was;
    };
    double flushed = 0, written = 0, cpu = 0;
    std::string lines;
    for (const auto& [fam, f] : after["families"].items()) {
      const double fl = delta(fam, "flushed_bytes"), wr = delta(fam, "compaction_written_bytes");
      const double rd = delta(fam, "compaction_read_bytes"), c = delta(fam, "compaction_cpu_s");
      flushed += fl;
      written += wr;
      cpu += c;
      if (fl < (1 << 20)) continue;
      char buf[320];
      std::snprintf(buf, sizeof buf, "| %s | %.1f | %.1f / %.1f | %.2f | %.1f | %.1f |\n", fam.c_str(), fl / (1 << 20),
                    rd / (1 << 20), wr / (1 << 20), (fl + wr) / fl, c, f.value("sst_bytes", 0.0) / (1 << 20));
      lines += buf;
    }
    if (flushed <= 0) return;
    say("  RocksDB writes (/v1/status storage):\n\n| family | flushed MB | compaction read / written MB | write "
        "amplification | compaction CPU s | table files now MB |\n|---|---:|---:|---:|---:|---:|\n%s",
        lines.c_str());
    say("  all families: %.1f MB flushed, %.1f MB written by compactions, write amplification %.2f, compaction CPU "
        "%.1f s = %.2f µs per event\n",
        flushed / (1 << 20), written / (1 << 20), (flushed + written) / flushed, cpu, 1e6 * cpu / double(events));
  }

  void rebuild(node_process& a) {
    httplib::Client c("127.0.0.1", a.http_port());
    c.set_read_timeout(3 * 3600, 0);
    if (const std::string t = admin_token(a.http_port()); !t.empty()) c.set_bearer_token_auth(t.c_str());
    const json storage0 = storage_of(a);
    const double cpu0 = proc_cpu_seconds(a.pid());
    const auto threads0 = thread_cpu_by_name(a.pid());
    max_sampler disk([dir = a.data_dir()] { return std::uint64_t(dir_bytes(dir)); }, std::chrono::milliseconds(200));
    const auto t0 = clock_type::now();
    auto r = c.Post("/v1/projections/all/rebuild", "", "application/json");
    f_.rebuild_s = secs_since(t0);
    disk.stop();
    if (!r || r->status != 200) {
      say("rebuild: no 200 (%s): skipped\n",
          r ? (std::to_string(r->status) + " " + r->body).c_str() : httplib::to_string(r.error()).c_str());
      return;
    }
    f_.rebuild_cpu_s = proc_cpu_seconds(a.pid()) - cpu0;
    const auto events = json::parse(r->body, nullptr, false).value("events", std::uint64_t{0});
    f_.rebuild_evps = events / f_.rebuild_s;
    f_.rebuild_hwm_mb = mb(proc_status_kb(a.pid(), "VmHWM"));
    say("\nrebuild of every projection (POST /v1/projections/all/rebuild): %" PRIu64
        " events in %.2f s = %.0f ev/s (target >= 300,000); node CPU %.1f s (%.0f ev/s per CPU second); "
        "VmRSS after %.1f MB, VmHWM %.1f MB\n",
        events, f_.rebuild_s, f_.rebuild_evps, f_.rebuild_cpu_s, events / f_.rebuild_cpu_s,
        mb(proc_status_kb(a.pid(), "VmRSS")), f_.rebuild_hwm_mb);
    say("  node CPU by thread: %s\n", thread_cpu_delta(threads0, thread_cpu_by_name(a.pid())).c_str());
    const std::uint64_t disk_after = dir_bytes(a.data_dir());
    say("  data dir on disk (every 200 ms): %.1f MB before, peak %.1f MB, %.1f MB after\n", disk.first() / 1048576.0,
        std::max(disk.max(), disk_after) / 1048576.0, disk_after / 1048576.0);
    say_storage_writes(storage0, storage_of(a), events);
  }

  void catch_up(node_process& a, node_process& b, figures& f, bool digests, const std::string& preload_lib) {
    client ac(a.http_port());
    const json a_status = status_of(ac);
    const json a_vv = a_status["version_vector"];
    const double a_cpu0 = proc_cpu_seconds(a.pid());
    const auto t0 = clock_type::now();
    {
      preload p(preload_lib);
      if (!b.start(false)) fail("cannot start " + b.options().device_id);
    }
    max_sampler rss([pid = b.pid()] { return std::uint64_t(std::max(0L, proc_status_kb(pid, "VmRSS"))); },
                    std::chrono::milliseconds(100));
    const auto b_threads0 = thread_cpu_by_name(b.pid());
    client bc(b.http_port());
    json last;
    wait_for(b, b.options().device_id + " catching up", std::chrono::hours(2), std::chrono::milliseconds(100), [&] {
      last = status_of(bc);
      if (f.catchup_first_event_s < 0 && vv_total(last) > 0) f.catchup_first_event_s = secs_since(t0);
      if (f.catchup_vv_s < 0 && holds(last, a_vv)) {
        f.catchup_vv_s = secs_since(t0);
        f.catchup_cpu_b = proc_cpu_seconds(b.pid());
        f.catchup_cpu_a = proc_cpu_seconds(a.pid()) - a_cpu0;
      }
      if (f.catchup_vv_s < 0 || projection_lag(last) != 0) return false;
      if (!digests) return true;
      auto db = bc.get_json("/v1/digest"), da = ac.get_json("/v1/digest");
      return db.is_object() && da.is_object() && db.contains("projections") && db["projections"] == da["projections"];
    });
    const double done_s = secs_since(t0);
    f.catchup_equal_s = done_s;
    f.catchup_until = digests ? "equal digests" : "equal version vectors, projection lag 0";
    f.catchup_peak_mb = mb(std::max(static_cast<long>(rss.stop()), proc_status_kb(b.pid(), "VmHWM")));
    f.catchup_rss_after_mb = mb(proc_status_kb(b.pid(), "VmRSS"));
    const std::string b_threads = thread_cpu_delta(b_threads0, thread_cpu_by_name(b.pid()));
    f.catchup_evps = h_.events / done_s;
    say("\ncatch-up of an empty node%s from A (%zu events):\n\n",
        preload_lib.empty() ? "" : (" under LD_PRELOAD=" + preload_lib).c_str(), h_.events);
    say("| measurement | figure |\n|---|---:|\n");
    say("| B spawned → first event held | %.2f s |\n", f.catchup_first_event_s);
    say("| B spawned → B's version vector covers A's | %.2f s |\n", f.catchup_vv_s);
    say("| B spawned → %s | %.2f s |\n", f.catchup_until.c_str(), done_s);
    say("| **catch-up rate** (B spawned → %s; target >= 200,000) | **%.0f ev/s** |\n", f.catchup_until.c_str(),
        f.catchup_evps);
    say("| log only: first event → equal version vectors | %.0f ev/s |\n",
        h_.events / (f.catchup_vv_s - f.catchup_first_event_s));
    say("| CPU until version vectors equal: B / A | %.1f s / %.1f s |\n", f.catchup_cpu_b, f.catchup_cpu_a);
    say("| B peak RSS (VmRSS every 100 ms, VmHWM; target <= 250 MB) | %.1f MB |\n", f.catchup_peak_mb);
    say("| B VmRSS when caught up | %.1f MB |\n", f.catchup_rss_after_mb);
    say("B's CPU by thread, spawned → %s: %s\n", f.catchup_until.c_str(), b_threads.c_str());
    say_storage_writes(json(), storage_of(b), h_.events);  // B's counters start with B
    say("(load average %s)\n", load_average().c_str());
  }

  void live(node_process& a, node_process& b) {
    setup_shop(a, 5, 1'000'000);
    client ac(a.http_port()), bc(b.http_port());
    wait_for(b, "B receiving the shop set-up", std::chrono::minutes(5), std::chrono::milliseconds(20),
             [&] { return holds(status_of(bc), status_of(ac)["version_vector"]); });
    client poster(a.http_port()), poller(b.http_port());
    std::vector<double> ack, visible;
    timed_live_sales(poster, poller, s_.live_sales, s_.live_rate, 0, ack, visible,
                     [](const std::string& why) { fail(why); });
    f_.live_ack = summarize(ack, 0);
    f_.live_visible = summarize(visible, 0);
    say("\nlive replication, %d sales POSTed to A at %.0f/s, visible on B (GET /v1/sales/{receipt} = 200):\n\n",
        s_.live_sales, s_.live_rate);
    say("| measurement | p50 | p99 | max |\n|---|---:|---:|---:|\n");
    say("| POST on A → 201 | %.2f ms | %.2f ms | %.2f ms |\n", f_.live_ack.p50, f_.live_ack.p99, f_.live_ack.max);
    say("| POST on A → visible on B (target p99 <= 20 ms) | %.2f ms | %.2f ms | %.2f ms |\n", f_.live_visible.p50,
        f_.live_visible.p99, f_.live_visible.max);
  }

  void throughput(node_process& a) {
    std::atomic<bool> stop{false};
    std::mutex m;
    std::vector<double> lat;
    std::atomic<long> ok{0}, refused{0};
    std::vector<std::thread> threads;
    const double cpu0 = proc_cpu_seconds(a.pid());
    const auto t0 = clock_type::now();
    for (int t = 0; t < s_.clients; ++t) {
      threads.emplace_back([&, t] {
        client c(a.http_port());
        std::vector<double> mine;
        for (int i = 0; !stop; ++i) {
          const auto t1 = clock_type::now();
          auto r = c.post("/v1/sales", sale_body("SKU-" + std::to_string((t + i) % 5)));
          if (r && r->status == 201) {
            mine.push_back(ms_since(t1));
            ++ok;
          } else {
            ++refused;
          }
        }
        std::lock_guard<std::mutex> lock(m);
        lat.insert(lat.end(), mine.begin(), mine.end());
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(s_.load_seconds));
    stop = true;
    for (auto& th : threads) th.join();
    const double secs = secs_since(t0);
    f_.sales_per_s = ok / secs;
    f_.post = summarize(lat, static_cast<std::size_t>(refused.load()));
    f_.post_node_cpu = (proc_cpu_seconds(a.pid()) - cpu0) / secs;
    say("\nPOST /v1/sales, %d keep-alive clients for %.0f s on A (B replicating): %.0f sales/s, p50 %.2f ms, "
        "p99 %.2f ms, not 201: %ld; A used %.2f cores (load average %s)\n",
        s_.clients, s_.load_seconds, f_.sales_per_s, f_.post.p50, f_.post.p99, refused.load(), f_.post_node_cpu,
        load_average().c_str());
  }

  const settings& s_;
  const history& h_;
  fs::path dir_;
  std::string binary_;
  bool enrolls_ = true;  ///< the binary has stores and join codes (issue 9)
  figures f_;
};

void compare(const figures& n, const figures& b, std::size_t events) {
  say("\n=== same history (%zu events): %s vs %s ===\n\n", events, n.label.c_str(), b.label.c_str());
  say("| measurement | %s | %s | ratio |\n|---|---:|---:|---:|\n", n.label.c_str(), b.label.c_str());
  auto row = [](const char* what, double x, double y, const char* unit) {
    say("| %s | %.2f %s | %.2f %s | %.2f |\n", what, x, unit, y, unit, y != 0 ? x / y : 0.0);
  };
  row("first start: projections folded", n.first_fold_s, b.first_fold_s, "s");
  row("restart → /healthz", n.startup_s, b.startup_s, "s");
  row("serving VmRSS", n.serving_rss_mb, b.serving_rss_mb, "MB");
  row("GET /v1/sales/{receipt} p99", n.by_receipt.p99, b.by_receipt.p99, "ms");
  row("GET /v1/inventory/{sku} p99", n.by_sku.p99, b.by_sku.p99, "ms");
  row("catch-up (B spawned → caught up)", n.catchup_evps, b.catchup_evps, "ev/s");
  row("catch-up peak RSS", n.catchup_peak_mb, b.catchup_peak_mb, "MB");
  row("live: visible on B p50", n.live_visible.p50, b.live_visible.p50, "ms");
  row("live: visible on B p99", n.live_visible.p99, b.live_visible.p99, "ms");
  row("POST on A → 201 p99 (live)", n.live_ack.p99, b.live_ack.p99, "ms");
  row("POST /v1/sales with 8 clients", n.sales_per_s, b.sales_per_s, "sales/s");
  say("(catch-up ends at: %s for %s, %s for %s)\n", n.catchup_until.c_str(), n.label.c_str(), b.catchup_until.c_str(),
      b.label.c_str());
}

int run(const settings& s) {
  say("bench_scale: %zu events, node %s, baseline %s, load average %s\n", s.events, s.node.c_str(),
      s.baseline.empty() ? "(none)" : s.baseline.c_str(), load_average().c_str());
  // The nodes' own timings (start-up fold, rebuild) in their logs.
  ::setenv("STORENODE_TEST_LOG_LEVEL",
           std::getenv("STORENODE_TEST_LOG_LEVEL") ? std::getenv("STORENODE_TEST_LOG_LEVEL") : "info", 1);
  scratch dir(s.dir, s.keep_dir);
  say("scratch dir %s\n", dir.path().c_str());

  const history h = s.log.empty()
                        ? generate(dir.path() / "history", s.events, s.events_per_day, true, s.cashiers, s.card_details)
                        : load_history(s.log);
  if (!s.baseline.empty() && (s.cashiers != 0 || s.card_details || h.cashiers != 0 || h.card_details)) {
    // The baseline's history is the mix as before staff: the pair would compare two histories.
    fail("--baseline compares on the mix without staff; drop --cashiers and --card-details (or use such a --log)");
  }
  if (!s.log.empty()) {
    if ((s.cashiers != 0 || s.card_details) && (s.cashiers != h.cashiers || s.card_details != h.card_details)) {
      fail("--cashiers and --card-details describe a generated history; " + s.log + " was written with " +
           std::to_string(h.cashiers) + " cashier(s) per origin and card fields " + (h.card_details ? "on" : "off"));
    }
    say("history %s: %zu events, %d cashier(s) per origin, card fields %s\n", s.log.c_str(), h.events, h.cashiers,
        h.card_details ? "yes" : "no");
  }
  const std::size_t small_n = std::min(h.events, s.baseline_events);
  std::optional<history> small;
  const bool need_small = !s.baseline.empty() && small_n < h.events;
  if (need_small) small = generate(dir.path() / "history-small", small_n, s.events_per_day, true, s.cashiers, s.card_details);
  // The baseline's copy of the pair's history: the same mix, unsigned, in a data dir it can open.
  std::optional<history> old_format;
  if (!s.baseline.empty()) {
    old_format = generate(dir.path() / "history-baseline", small_n, s.events_per_day, /*signed_store=*/false);
  }

  say("\ndecode-only pass over the log (this process, one thread) ...\n");
  const pass_rate decode = decode_only(h.dir, h.events);
  say("decode only: %zu events in %.2f s: %.0f ev/s wall, %.0f ev/s CPU\n", decode.events, decode.wall_s,
      decode.wall_evps(), decode.cpu_evps());
  if (s.breakdown_events > 0) {
    breakdown(h.dir, dir.path(), std::min(s.breakdown_events, h.events), decode);
  }

  if (s.breakdown_only) return 0;

  steps main_steps;
  main_steps.jemalloc = s.jemalloc;
  store_run main_run(s, h, dir.path() / "node", s.node, "node");
  const figures f = main_run.run(main_steps);
  fs::remove_all(dir.path() / "node");

  std::optional<figures> node_small, base;
  if (!s.baseline.empty()) {
    steps pair_steps;
    pair_steps.rebuild = false;
    pair_steps.upgrade_start = false;
    if (small) {
      store_run r(s, *small, dir.path() / "node-small", s.node, "node");
      node_small = r.run(pair_steps);
      fs::remove_all(dir.path() / "node-small");
    }
    // A pre-change /v1/digest serialises every view (seconds per million events, per request).
    pair_steps.digests = false;
    pair_steps.digest_queries = false;
    store_run r(s, *old_format, dir.path() / "baseline", s.baseline, "baseline");
    base = r.run(pair_steps);
    fs::remove_all(dir.path() / "baseline");
  }

  say("\n=== summary: %s, %zu events (load average %s) ===\n\n", s.node.c_str(), h.events, load_average().c_str());
  say("| figure | measured | target |\n|---|---:|---|\n");
  say("| serving VmRSS (after start-up and %d queries of each kind) | %.1f MB | <= 150 MB |\n", s.samples,
      f.serving_rss_mb);
  if (main_run.jemalloc_serving_rss_mb >= 0) {
    say("| serving VmRSS under jemalloc | %.1f MB | <= 150 MB |\n", main_run.jemalloc_serving_rss_mb);
  }
  say("| start-up, projections folded (fork → /healthz) | %.3f s | <= 2 s |\n", f.startup_s);
  say("| first start, fresh projections: fork → /healthz, → folded | %.2f s, %.1f s (%.0f ev/s) | |\n",
      f.first_start_s, f.first_fold_s, h.events / f.first_fold_s);
  if (f.upgrade_start_s >= 0) {
    say("| start after an upgrade that refolds sales: fork → /healthz, → folded | %.3f s, %.1f s | <= 2 s to /healthz |\n",
        f.upgrade_start_s, f.upgrade_fold_s);
  }
  say("| rebuild of every projection | %.0f ev/s (%.2f × decode-only %.0f ev/s) | >= 300,000 ev/s |\n", f.rebuild_evps,
      f.rebuild_evps / decode.wall_evps(), decode.wall_evps());
  say("| GET /v1/digest p50 / p99 | %.3f / %.3f ms | <= 5 ms |\n", f.digest.p50, f.digest.p99);
  say("| GET /v1/sales/{receipt} p50 / p99 | %.3f / %.3f ms | <= 2 ms |\n", f.by_receipt.p50, f.by_receipt.p99);
  say("| GET /v1/inventory/{sku} p50 / p99 | %.3f / %.3f ms | <= 2 ms |\n", f.by_sku.p50, f.by_sku.p99);
  say("| GET /v1/sales?day=D&limit=100 p50 / p99 | %.3f / %.3f ms | <= 20 ms |\n", f.day_page.p50, f.day_page.p99);
  say("| GET /v1/sales?day=D&device=T&limit=100 p50 / p99 | %.3f / %.3f ms | |\n", f.till_day.p50, f.till_day.p99);
  say("| catch-up of an empty node (to equal digests) | %.0f ev/s | >= 200,000 ev/s |\n", f.catchup_evps);
  say("| catch-up peak RSS | %.1f MB | <= 250 MB |\n", f.catchup_peak_mb);
  if (main_run.jemalloc_catchup_peak_mb >= 0) {
    say("| catch-up under jemalloc: rate / peak RSS | %.0f ev/s / %.1f MB | |\n", main_run.jemalloc_catchup_evps,
        main_run.jemalloc_catchup_peak_mb);
  }
  say("| live replication visible p50 / p99 | %.2f / %.2f ms | p99 <= 20 ms |\n", f.live_visible.p50,
      f.live_visible.p99);
  say("| POST /v1/sales, %d clients | %.0f sales/s | not below the baseline's |\n", s.clients, f.sales_per_s);
  if (base) {
    const figures& n = node_small ? *node_small : f;
    compare(n, *base, small ? small->events : h.events);
  }
  say("rss_mb=%.1f startup_s=%.3f rebuild_evps=%.0f digest_ms=%.3f catchup_evps=%.0f catchup_peak_mb=%.1f\n",
      f.serving_rss_mb, f.startup_s, f.rebuild_evps, f.digest.p99, f.catchup_evps, f.catchup_peak_mb);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"bench_scale: what a node costs as its store's history grows (issue 12)"};
  app.add_option("--events", s.events, "events in the generated history (default 10,000,000)");
  app.add_option("--node", s.node, "storenode binary measured (default: this build's)");
  app.add_option("--baseline", s.baseline, "storenode binary of another commit, measured on the same history");
  app.add_option("--baseline-events", s.baseline_events,
                 "history of the baseline comparison: min(--events, this) events (default 1,000,000)");
  app.add_option("--breakdown-events", s.breakdown_events,
                 "events folded in this process to break a rebuild down (default 100,000; 0: skip)");
  app.add_flag("--breakdown-only", s.breakdown_only,
               "stop after the in-process passes (e.g. under valgrind --tool=callgrind)");
  app.add_option("--breakdown-write-rows", breakdown_write_rows,
                 "breakdown: rows pending before each write of the second fold into RocksDB (default 131072)");
  app.add_option("--live-flush-events", live_flush_events,
                 "breakdown: events folded one per flush after the bulk fold (default 2000)");
  app.add_option("--events-per-day", s.events_per_day, "events per business day of the history (default 10,000)");
  app.add_option("--cashiers", s.cashiers,
                 "cashiers per origin: every event a till writes names its cashier on shift, as since staff "
                 "sign-in (default 0: the mix as before it, nothing attributed)");
  app.add_flag("--card-details", s.card_details, "card payments carry the terminal's fields (brand, last4, ...)");
  app.add_option("--jemalloc", s.jemalloc,
                 "also measure serving RSS and catch-up with LD_PRELOAD of this library, when the node "
                 "does not link jemalloc itself (auto: /usr/lib/x86_64-linux-gnu/libjemalloc.so.2)");
  app.add_option("--dir", s.dir, "where the scratch dir goes (default: the temp dir)");
  app.add_flag("--keep-dir", s.keep_dir, "keep the scratch dir (histories, node data dirs and logs)");
  app.add_option("--log", s.log, "use this history (a kept scratch dir's history/) instead of generating one");
  app.add_option("--samples", s.samples, "requests timed per query kind (default 1000)");
  app.add_option("--live-sales", s.live_sales, "sales timed for live replication (default 300)");
  app.add_option("--live-rate", s.live_rate, "live sales per second (default 20)");
  app.add_option("--load-seconds", s.load_seconds, "seconds of the POST /v1/sales throughput run (default 10)");
  app.add_option("--clients", s.clients, "clients of the throughput run (default 8)");
  app.add_option("--cache-mb", s.cache_mb, "the nodes' storage.cache_mb (default: the node's default)");
  CLI11_PARSE(app, argc, argv);
  if (s.jemalloc == "auto") s.jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  if (!s.jemalloc.empty() && !fs::exists(s.jemalloc)) {
    std::fprintf(stderr, "bench_scale: %s not found (apt-get install libjemalloc-dev)\n", s.jemalloc.c_str());
    return 2;
  }
  for (const auto& b : {s.node, s.baseline}) {
    if (!b.empty() && ::access(b.c_str(), X_OK) != 0) {
      std::fprintf(stderr, "bench_scale: %s is not an executable\n", b.c_str());
      return 2;
    }
  }
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_scale: %s\n", e.what());
    return 1;
  }
}
