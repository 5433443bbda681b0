// RocksDB configuration of the event log, shared by event_log.cpp, the test
// helpers (testing.cpp) and the raw baseline of the storage benchmark, so that
// the baseline runs with exactly the options the log runs with.
// Internal to storage/: includes RocksDB headers (ARCHITECTURE.md §2).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include "events/expected.hpp"
#include "storage/io_stats.hpp"
#include "storage/options.hpp"

namespace sn::storage::rocks {

/// Column family names, in the order of cf_descriptors(): index 0 is RocksDB's
/// mandatory "default" (unused), then the six of event_log.hpp.
enum cf : std::size_t { cf_default = 0, cf_log, cf_index, cf_heads, cf_meta, cf_projections, cf_idempotency, cf_count };
const char* cf_name(std::size_t i) noexcept;

/// Database-wide options for `mode` (the secondary needs max_open_files = -1).
rocksdb::DBOptions db_options(const log_options& o);
/// One descriptor per column family, in `cf` order, sharing one block cache,
/// then one per projection family of `o` ("p.<name>"), then (`existing`) any
/// other family the data dir already holds (a newer build's projection).
std::vector<rocksdb::ColumnFamilyDescriptor> cf_descriptors(const log_options& o,
                                                            const std::vector<std::string>& existing = {},
                                                            std::shared_ptr<rocksdb::Cache> cache = nullptr);
/// The origin signatures' family (event_log.hpp). Not in the `cf` enum: a data
/// dir written by an older build lacks it, and a read-only open of such a dir
/// cannot create it (cf_descriptors lists it then only when it exists).
inline constexpr const char* signatures_cf_name = "signatures";
/// "p.<name>": the column family of projection `name`.
std::string projection_cf_name(std::string_view name);

/// Maps a RocksDB status to a storage error; lock failures become
/// errc::locked with a message naming the data dir.
sn::error to_error(const rocksdb::Status& s, std::string_view what, const std::string& data_dir);

class io_listener;

/// Owns a DB and its column family handles; destroys them in the right order.
struct db_handle {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  std::vector<std::string> names;  ///< family name per handle, same order
  /// Counts what flushes and compactions write (read-write opens only).
  std::shared_ptr<io_listener> io;
  /// Index in cfs of a family, or cfs.size() when not open.
  std::size_t find(std::string_view name) const;
  db_handle() = default;
  db_handle(const db_handle&) = delete;
  db_handle& operator=(const db_handle&) = delete;
  ~db_handle();
  void close();
};

/// Per family: table files on disk and compaction debt (RocksDB's
/// properties), and what flushes and compactions wrote since the open
/// (RocksDB's event listener; zero for a secondary, which writes nothing).
storage_io io_of(const db_handle& h);

/// Opens `data_dir` read-write with every column family (creating them).
sn::status open_read_write(const log_options& o, db_handle& out);
/// Opens `data_dir` as a secondary instance whose scratch files live in
/// `secondary_dir`; never writes the data dir.
sn::status open_secondary(const log_options& o, const std::string& secondary_dir, db_handle& out);

/// The absolute, normalised form of a checkpoint target `dir`, after the
/// checks every checkpoint makes: `dir` does not exist (errc::exists), its
/// parent does (errc::not_found), and it is not inside `data_dir`
/// (errc::invalid_argument: RocksDB would find a stranger in its directory).
sn::expected<std::string> checkpoint_target(const std::string& dir, const std::string& data_dir);
/// RocksDB's Checkpoint of `db` into `target` (from checkpoint_target): flush,
/// hard links (copies across file systems), MANIFEST and WAL tail copied,
/// `target`.tmp renamed into place. `db` must be the primary (read-write).
sn::status create_checkpoint(rocksdb::DB& db, const std::string& target, const std::string& data_dir);

} // namespace sn::storage::rocks
