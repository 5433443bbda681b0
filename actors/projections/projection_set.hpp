// The projection set: fans every committed event out to each projection,
// keeps each projection's applied log position and the digest of its rows,
// and writes a fold batch — rows, digest buckets and positions of every
// projection — in one atomic write, so each projection is exactly-once by
// construction: a restart resumes after the position its rows reflect.
//
// Contract
// - apply(pos, e): e is the event at log position pos (positions are dense:
//   1, 2, 3 ...). It is folded into every projection that is not paused and
//   whose position is pos - 1; a projection further behind (rebuilding,
//   resumed) skips it and is caught up by the caller reading the log from
//   its position (behind()). Log order keeps each origin's seq order.
// - flush() makes every apply() since the last flush durable at once. On a
//   failed write the set drops its caches and reloads positions and digests
//   from the store: nothing is half applied, the caller folds again from
//   lowest_position().
// - Digests: per projection, an LtHash16 multiset hash of its (key, value)
//   rows in 256 buckets by key (lthash.hpp); total = sum of the buckets.
//   Equal rows <=> equal digest (up to the hash's security). Kept in memory
//   and in the projection's reserved rows, updated in the same write: a small
//   batch journals its element changes, a large one (or a full journal)
//   rewrites the changed buckets (digest_journal.hpp).
// - flush_deferred() then settle(): flush() in two halves for bulk folds, the
//   write running beside the next chunk's fold; positions published to
//   queries are written_position(), never ahead of the store.
// - rebuild(i) drops projection i's rows, digest and position: from then it
//   is behind and the caller folds it again from position 1.
// - Not thread-safe: owned by the projection actor. Queries read the store's
//   rows directly (other threads), never the set.
#pragma once

#include <bitset>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/projections/digest_journal.hpp"
#include "actors/projections/fold_workers.hpp"
#include "actors/projections/lthash.hpp"
#include "actors/projections/projection.hpp"
#include "actors/projections/row_overlay.hpp"
#include "events/expected.hpp"

namespace sn::projections {

/// The durable rows of every projection of a set (a RocksDB column family
/// each in the node: actors/projection_rows.hpp; memory in tests).
class row_store {
 public:
  virtual ~row_store() = default;
  /// Rows of projection `i` (index in the set's order), read-only.
  virtual const row_reader& rows(std::size_t i) const = 0;
  /// One row write, by reference: the bytes are the set's (its overlays'
  /// rows, its own reserved rows) and stay valid until write_all returns.
  struct write {
    std::size_t projection = 0;
    std::string_view key;
    const std::string* value = nullptr;  ///< null: delete
  };
  /// Every write at once, atomically. A key appears at most once per
  /// projection (the set writes each changed row once), so order does not matter.
  virtual status write_all(const std::vector<write>& writes) = 0;
  /// Drops every row of projection `i` (its reserved rows too).
  virtual status clear(std::size_t i) = 0;
  /// True when write_all may run on one thread while rows(i) are read on
  /// another (RocksDB); a deferred write then runs beside the next fold.
  virtual bool writes_beside_reads() const noexcept { return false; }
};

/// A projection's bookkeeping, as /v1/projections shows it.
struct projection_info {
  std::string name;
  std::uint64_t position = 0;  ///< log position of the last event folded (durable after flush)
  std::uint64_t applied = 0;
  std::uint64_t skipped_unknown = 0;
  std::uint64_t parked = 0;
  bool paused = false;
};



class projection_set {
 public:
  projection_set(retail::store_settings settings, std::vector<std::unique_ptr<projection>> units, row_store& store);

  /// Loads positions, counters and digests from the store.
  status open();

  std::size_t size() const noexcept { return units_.size(); }
  std::optional<std::size_t> index_of(std::string_view name) const;
  const projection_info& info(std::size_t i) const { return units_[i].info; }
  /// Lowest position of the projections that are not paused (every event
  /// after it still has to be folded into one of them); max when all paused.
  std::uint64_t lowest_position() const;
  /// True when projection i is not paused and below `head` (the log's last position).
  bool behind(std::size_t i, std::uint64_t head) const { return !units_[i].info.paused && units_[i].info.position < head; }

  void apply(std::uint64_t pos, const event& e, bool detect_conflicts);
  /// A positioned event of a chunk.
  struct positioned {
    std::uint64_t pos = 0;
    const event* e = nullptr;
  };
  /// apply() of every event of a chunk, in order. A chunk of at least
  /// parallel_chunk_min events is folded projection by projection, each
  /// first reading the rows its folds will read in one batch
  /// (projection::rows_to_read, row_overlay::read_ahead); with
  /// fold_threads() > 1 the projections fold on that many threads (each
  /// projection on one: its overlay, digest and rows are its own). The parked
  /// events and conflicts are merged in the order apply() would have found
  /// them: the outcome is the same, byte for byte.
  void apply_chunk(const std::vector<positioned>& events, bool detect_conflicts);
  /// Threads apply_chunk() and flush() may use (1: the caller's only; default).
  /// The helpers (n - 1 of them) are started here and parked between jobs
  /// (fold_workers.hpp); they end with the set.
  void set_fold_threads(std::size_t n);
  std::size_t fold_threads() const noexcept { return fold_threads_; }
  static constexpr std::size_t parallel_chunk_min = 64;
  /// A flush shares its digest work over the threads from this many changed
  /// rows (a catch-up chunk, a coalesced backlog). Below it waking a helper
  /// costs about what it saves, and a node saturated by sales needs CPU
  /// more than it needs a shorter flush.
  static constexpr std::size_t parallel_flush_rows_min = 512;
  status flush();
  /// flush() for bulk folds (start-up, catch-up and rebuild chunks): the
  /// batch's changed rows are copied and committed in memory (the overlays
  /// keep them cached, so folding goes on over them), and their digest
  /// update and write are left to the next apply_chunk() — which runs them
  /// on one fold thread beside the projections' folds when the store allows
  /// it (writes_beside_reads) — or to the next settle(), whichever comes
  /// first. Until that write is done, written_position(i) is the position
  /// before it. A failed deferred write is returned by the settle() (or
  /// flush(), flush_deferred(), rebuild()) that follows it, with the set back
  /// at what is durable, as after a failed flush(): nothing is folded twice.
  /// A set destroyed with a deferred write not done drops it, as a crash
  /// would: the next start folds those events again from the log.
  status flush_deferred();
  /// Finishes a deferred write (doing it now if apply_chunk() has not).
  status settle();
  /// The position of projection i's rows in the store (info(i).position
  /// once nothing is deferred).
  std::uint64_t written_position(std::size_t i) const { return units_[i].written; }
  /// Rows changed since the last flush (a batch-size hint for the caller).
  std::size_t pending_rows() const;
  /// Store writes done (flushes and deferred writes that wrote rows): events
  /// folded per write is how many folds one write shares (a metric).
  std::uint64_t writes() const noexcept { return writes_; }
  /// Rows (puts and deletes, the set's own rows included) those writes held.
  std::uint64_t rows_written() const noexcept { return rows_written_; }
  /// Rows the folds read from the store, not from the overlays' caches (a metric).
  std::uint64_t rows_read_below() const noexcept;

  void pause(std::size_t i) { units_[i].info.paused = true; }
  void resume(std::size_t i) { units_[i].info.paused = false; }
  status rebuild(std::size_t i);

  /// Hex of BLAKE2b-256 over the projection's total LtHash (a short,
  /// comparable form), and of one bucket.
  std::string digest_hex(std::size_t i) const;
  std::string bucket_hex(std::size_t i, std::uint8_t bucket) const;

  std::vector<retail::register_conflict> take_conflicts();
  std::uint64_t conflicts_dropped() const noexcept { return conflicts_dropped_; }
  const std::vector<retail::parked_event>& parked_events() const noexcept { return parked_list_; }
  const retail::store_settings& settings() const noexcept { return settings_; }

 private:
  struct unit {
    std::unique_ptr<projection> p;
    std::unique_ptr<row_overlay> rows;
    projection_info info;
    digest_buckets digest;
    // The stored digest's journal (digest_journal.hpp): buckets changed since
    // the last checkpoint, entry numbers held, records held.
    std::bitset<digest_bucket_count> unsaved;
    std::uint64_t journal_first = 1;
    std::uint64_t journal_next = 1;
    std::size_t journal_changes = 0;
    bool touched = false;  // applied anything since the last flush
    std::uint64_t written = 0;  // position of the rows in the store
  };
  /// A changed row: pointers into an overlay (flush) or into a deferred
  /// write's copies; its digest bucket and LtHash seeds once computed.
  struct change_ref {
    std::size_t unit = 0;
    const std::string* key = nullptr;
    const std::optional<std::string>* was = nullptr;
    const std::optional<std::string>* now = nullptr;
    std::uint8_t bucket = 0;
    lthash_seed old_seed{}, new_seed{};
  };
  /// A flush_deferred() batch: copies of its changed rows and of the touched
  /// projections' bookkeeping, done by run_deferred().
  struct deferred_write {
    bool prepared = false;  // waiting for run_deferred()
    bool ran = false;       // run_deferred() done; settle() not yet
    struct owned_change {
      std::size_t unit = 0;
      std::string key;
      std::optional<std::string> was, now;
    };
    std::vector<owned_change> changes;
    std::vector<std::optional<projection_info>> infos;  // per unit: set when touched
    std::deque<std::string> owned;
    std::vector<digest_change> made;
    std::vector<row_store::write> writes;
    status result = status::ok();
  };
  deferred_write deferred_;
  /// The digest update and write of the deferred batch (any one thread).
  void run_deferred();
  status load(unit& u, std::size_t i);

  retail::store_settings settings_;
  row_store& store_;
  std::vector<unit> units_;
  std::vector<retail::register_conflict> conflicts_;
  std::uint64_t conflicts_dropped_ = 0;
  std::uint64_t writes_ = 0;
  std::uint64_t rows_written_ = 0;
  std::vector<retail::parked_event> parked_list_;
  std::vector<row_store::write> scratch_;
  std::deque<std::string> owned_;  // one flush's reserved-row keys and values (stable addresses)
  std::vector<digest_change> made_;  // one flush's journal records of one projection (reused)
  std::size_t fold_threads_ = 1;
  std::unique_ptr<fold_workers> workers_;  // fold_threads_ - 1 helpers; none when 1
  /// Runs fn(i) for every projection i on up to fold_threads_ threads.
  void for_each_unit_parallel(const std::function<void(std::size_t)>& fn);
  /// What follows a projection's row writes: its digest journal entry or
  /// checkpoint, short digest and position (`made`: the journal's records,
  /// `journal`: whether they still fit it).
  void finish_unit(std::size_t i, const projection_info& info, const std::bitset<digest_bucket_count>& changed,
                   bool journal, const std::vector<digest_change>& made, std::vector<row_store::write>& out,
                   std::deque<std::string>& owned);
  /// A flush's writes: every touched projection's changed rows, its digest
  /// updated (element removals and additions), then finish_unit(). `shared`:
  /// the digest work is shared out over the fold threads by row and by
  /// bucket, not by projection (one projection — sales — changes most rows).
  void flush_rows(std::vector<row_store::write>& out, bool shared);
  /// flush_rows() past the collection of the changes (`first[i]`: where unit
  /// i's start in `all`; `infos[i]`: the bookkeeping written for unit i, null
  /// when it was not touched).
  void digest_and_list(std::vector<change_ref>& all, const std::vector<std::size_t>& first, bool shared,
                       const std::vector<const projection_info*>& infos, std::vector<row_store::write>& out,
                       std::deque<std::string>& owned, std::vector<digest_change>& made);
};

/// The payload of `e` decoded and upcast (monostate for an unknown type);
/// an error when a known type's payload does not decode.
expected<payload> decode_payload(const event& e, const retail::store_settings& settings);

} // namespace sn::projections
