// The node's RocksDB event log: the source of truth (ARCHITECTURE.md §4).
//
// Contract
// - Column families: "log" (position u64 BE -> event bytes), "index"
//   ((origin, seq) -> position, stored as runs of consecutive seqs at
//   consecutive positions: storage/keys.hpp), "heads" (origin -> seq u64 BE + hash),
//   "meta" (device id, term, vote, ...), "projections" (name -> state +
//   checkpoint position), "idempotency" (command key -> stored reply),
//   "signatures" ((origin, seq) -> the origin's 64-byte Ed25519 signature of
//   that event: trust/signature.hpp, docs/protocol.md 1.7).
// - Signatures given to append (append_options::signatures) are written in
//   the same WriteBatch as the events, each only when the log holds its
//   (origin, seq) once the batch is applied (appended now or held before).
//   The log does not verify them: the caller (the log writer for its own,
//   sync's gate for others') did.
// - append() is atomic: one WriteBatch, synced when durability == fsync, so an
//   event it reports appended survives kill -9 and power loss (os: survives
//   kill -9 only). It accepts an event only if it is the next seq of its
//   origin, its hash verifies and its prev_hash equals the hash of the event
//   the log holds before it. The identical event again is a duplicate (no-op);
//   a different event at a held (origin, seq) is a fork and refused.
// - Thread safety: one writer (the log-writer actor) calls append/put_*;
//   readers may call the const read functions from any thread concurrently.
// - A second process on the same data dir is refused (errc::locked).
// - open_mode::read_only opens a RocksDB secondary instance (a scratch dir
//   under the temp dir, removed as soon as it is open) that never writes the data dir, so tools
//   can read the data dir of a running node. It sees the log as of open (or of
//   the last catch_up()). Writes return errc::read_only.
// - checkpoint(dir) writes an openable, consistent copy of the whole data dir
//   (RocksDB Checkpoint: table files hard-linked when on the same file system)
//   while appends go on; any thread. Only the process that holds the data dir
//   (read_write) can: a secondary cannot stop the writer deleting files
//   (storage/checkpoint.hpp says why, and how a tool backs up a closed one).
// - Positions are dense: 1, 2, 3 ... in append order, so size() == last position.
// - The writer keeps heads, each origin's last index run and the last position
//   in memory (loaded at open): append reads nothing from RocksDB except to
//   tell a duplicate from a fork when a seq the log already holds comes again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.hpp"
#include "events/expected.hpp"
#include "events/types.hpp"
#include "storage/io_stats.hpp"
#include "storage/options.hpp"
#include "trust/signature.hpp"

namespace sn::storage {

namespace rocks {
struct db_handle;
}

/// Most events one append() takes (the log-writer batches below this).
constexpr std::size_t append_events_max = 100000;

/// What append() did with one event of the batch.
enum class append_outcome : std::uint8_t {
  appended = 0,   ///< now durable at the reported position
  duplicate = 1,  ///< already held, identical: nothing written
  gap = 2,        ///< seq is beyond head+1 for its origin: refused
  fork = 3,       ///< a different event holds that (origin, seq): refused
  bad_hash = 4,   ///< hash does not verify or prev_hash does not chain: refused
  too_large = 5,  ///< encoded size over event_bytes_max: refused
  invalid = 6,    ///< malformed envelope (origin not a valid device id, seq 0): refused
  own_origin = 7, ///< replicated event under this node's own origin (append_options::local_origin): refused
};
/// Header-inline so that code using only the enum (the pure sync core) need not link storage.
inline const char* to_string(append_outcome o) noexcept {
  switch (o) {
    case append_outcome::appended: return "appended";
    case append_outcome::duplicate: return "duplicate";
    case append_outcome::gap: return "gap";
    case append_outcome::fork: return "fork";
    case append_outcome::bad_hash: return "bad_hash";
    case append_outcome::too_large: return "too_large";
    case append_outcome::invalid: return "invalid";
    case append_outcome::own_origin: return "own_origin";
  }
  return "unknown";
}


struct append_result {
  std::vector<append_outcome> outcomes;  ///< one per input event, same order
  std::vector<log_position> positions;   ///< position per input event (0 unless appended)
  std::size_t appended = 0;
};

/// An event with where it sits in this log.
struct stored_event {
  log_position position;
  event ev;
};

/// An event's bytes with where it sits in this log (no decode).
struct stored_bytes {
  log_position position;
  std::string bytes;
};

/// Highest contiguous seq and its hash, per origin.
struct origin_head {
  origin_seq seq;
  hash256 hash{};
};
using version_vector = std::map<std::string, std::uint64_t>;  ///< origin -> highest contiguous seq

/// What checkpoint() copied.
struct checkpoint_result {
  /// The log's last position when the checkpoint began: every event at or
  /// below it (every append acknowledged before the call) is in the copy.
  log_position position;
  /// Wall time the checkpoint took, milliseconds.
  std::uint64_t elapsed_ms = 0;
};

/// Per-call options of append().
struct append_options {
  /// The first `sealed_here` events of the batch were sealed (sn::seal) by
  /// this process from these very structs (the log-writer's own events on the
  /// group-commit path): their hash is not recomputed, because re-hashing
  /// them checks nothing but memory and costs about as much as the RocksDB
  /// put. Seq, prev_hash chaining, size, duplicate and fork checks still
  /// apply to them. Every other event (sync, tools) is fully verified.
  /// Default 0: verify all.
  std::size_t sealed_here = 0;
  /// This node's own device id. Only this process creates events of its own
  /// origin: an event of that origin past the first `sealed_here` (one that
  /// came from elsewhere, e.g. a peer) is refused with
  /// append_outcome::own_origin, whatever its chain, so the writer's own head
  /// and the log can never disagree. Empty: no such check (tools, tests).
  std::string_view local_origin;
  /// Signatures to store with the batch (see the contract); nullptr: none.
  const std::vector<trust::origin_signature>* signatures = nullptr;
};

/// A key/value written atomically with an append (e.g. an idempotency record).
/// With a non-empty range [events_from, events_to) of the batch, it is written
/// only when every event of that range is appended: a command's idempotency
/// record never outlives events that were refused.
struct side_write {
  std::string key;
  std::string value;
  std::size_t events_from = 0;
  std::size_t events_to = 0;
};

/// What RocksDB holds in memory, in bytes (RocksDB's own estimates). The
/// block cache is the node's budget (log_options::block_cache_bytes,
/// storage.cache_mb): it holds data, index and filter blocks, and the
/// memtables are charged to it (memtables is their size, within it).
/// table_readers is what open table files keep outside it.
struct memory_usage {
  std::uint64_t budget = 0;
  std::uint64_t block_cache = 0;
  std::uint64_t block_cache_pinned = 0;
  std::uint64_t memtables = 0;
  std::uint64_t table_readers = 0;
};

class event_log {
public:
  /// Opens (creating if needed) the log under options.data_dir.
  static expected<std::unique_ptr<event_log>> open(const log_options& options);
  ~event_log();
  event_log(const event_log&) = delete;
  event_log& operator=(const event_log&) = delete;

  // --- writing (one writer thread) ---------------------------------------

  /// Appends a batch in one atomic, durable-per-policy write; see the contract.
  /// `idempotency` records are written in the same batch (also when every
  /// event is refused, unless a record names an event range: side_write). An error (not an outcome) means nothing of the batch
  /// is stored: the write failed, the log is read-only (errc::read_only), or
  /// the batch has more than append_events_max events (errc::invalid_argument).
  expected<append_result> append(const std::vector<event>& batch,
                                 const std::vector<side_write>& idempotency = {},
                                 const append_options& options = {});

  /// Device-local metadata (never replicated): device id, term, vote, boot id.
  /// Synced under `durability::fsync` (a term or vote must survive a crash).
  status put_meta(std::string_view key, std::string_view value);
  /// The same without waiting for the disk: for device-local notes whose
  /// last second may be lost to a power cut (the sync journal). A crash of
  /// the process alone loses nothing (the WAL write is done).
  status put_meta_unsynced(std::string_view key, std::string_view value);
  /// Projection state and the log position it reflects, in one write.
  status save_projection(std::string_view name, std::string_view state, log_position checkpoint);

  // --- reading (any thread) ----------------------------------------------

  std::optional<std::string> get_meta(std::string_view key) const;
  /// (state, checkpoint) or nullopt when never saved.
  std::optional<std::pair<std::string, log_position>> load_projection(std::string_view name) const;
  std::optional<std::string> get_idempotency(std::string_view key) const;

  /// Position of the newest event; 0 when empty.
  log_position last_position() const;
  /// Events with position >= from, at most `limit` of them, in position order.
  std::vector<stored_event> read_from(log_position from, std::size_t limit) const;
  /// Same, without decoding (for sync batches and tools).
  std::vector<stored_bytes> read_bytes_from(log_position from, std::size_t limit) const;
  /// Streams every event with from <= position < to (to == 0: to the end) to
  /// `fn`; stops early when fn returns false. The fastest full scan (replay).
  status scan(log_position from, log_position to,
              const std::function<bool(log_position, std::string_view bytes)>& fn) const;
  /// Events of one origin with seq >= from, at most `limit`, in seq order.
  std::vector<stored_event> read_origin(const device_id& origin, origin_seq from, std::size_t limit) const;
  std::vector<stored_bytes> read_origin_bytes(const device_id& origin, origin_seq from, std::size_t limit) const;
  std::optional<stored_event> get(const device_id& origin, origin_seq seq) const;
  std::optional<origin_head> head(const device_id& origin) const;
  std::map<std::string, origin_head> heads() const;
  version_vector versions() const;
  /// Total events held.
  std::uint64_t size() const;

  /// Stored signatures of `origin` with from <= seq <= to, ascending, at most `limit`.
  std::vector<trust::origin_signature> signatures(const device_id& origin, origin_seq from, origin_seq to,
                                                  std::size_t limit) const;
  /// The stored signature of `origin` with the lowest seq >= from; nullopt when none.
  std::optional<trust::origin_signature> signature_at_or_after(const device_id& origin, origin_seq from) const;
  /// Streams every stored signature (origin, then seq order) to `fn`; stops
  /// early when fn returns false. Entries that do not parse are skipped and
  /// reported as errc::corrupt after the walk.
  status scan_signatures(const std::function<bool(const trust::origin_signature&)>& fn) const;

  const log_options& options() const noexcept;
  /// RocksDB's memory now (any thread; a few property reads).
  memory_usage memory() const;
  /// Per column family: table files on disk, compaction debt, and what
  /// flushes and compactions wrote since this open (io_stats.hpp).
  storage_io io() const;

  // --- raw access for the audit and tools (any thread) ---------------------

  /// Position the index holds for (origin, seq); nullopt when it has none.
  std::optional<log_position> index_position(const device_id& origin, origin_seq seq) const;
  /// Streams every (origin, seq) -> position the index holds, in key order
  /// (origin, then seq; runs expanded), to `fn`; stops early when fn returns
  /// false. Entries that do not parse are skipped and reported as
  /// errc::corrupt after the walk, with their count.
  status scan_index(const std::function<bool(std::string_view origin, origin_seq seq, log_position pos)>& fn) const;
  /// The heads column family as stored (read_write: the same as heads()).
  /// Values that do not parse come back with seq 0.
  std::map<std::string, origin_head> stored_heads() const;
  /// Writes a consistent copy of the whole data dir (every column family, as
  /// of one point between the call and its return) to `dir`, which must not
  /// exist (errc::exists) and whose parent must (errc::not_found); a relative
  /// `dir` is taken from the current directory. Memtables are flushed first,
  /// then table files are hard-linked (copied across file systems), the
  /// MANIFEST and the live WAL tail copied, and the directory is renamed
  /// into place from `dir`.tmp and fsynced: a crash leaves no half `dir`.
  /// The copy opens as a data dir (the node's, storectl's). Any thread; runs
  /// concurrently with append (RocksDB holds file deletions meanwhile);
  /// checkpoints are serialised. read_only: errc::read_only.
  expected<checkpoint_result> checkpoint(const std::string& dir) const;

  /// read_only: catches up with the writing process (RocksDB secondary) so
  /// later reads see what it appended since. read_write: no-op.
  status catch_up();

private:
  friend class projection_store;  // reads and writes the projection families of this DB
  rocks::db_handle& db_handle_internal() noexcept;
  struct impl;
  explicit event_log(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sn::storage
