// Backups of a data dir: RocksDB's own Checkpoint (table files hard-linked,
// MANIFEST and WAL tail copied), a consistent copy that opens as a data dir.
//
// Contract
// - Only the process that holds a data dir's lock can checkpoint it
//   correctly. A RocksDB secondary (what storectl opens while a node runs)
//   "succeeds" at Checkpoint but cannot stop the writer from flushing and
//   deleting the WAL it read: measured with RocksDB 7.8, a checkpoint taken from
//   a secondary after the primary flushed held none of 100 synced writes. So:
//   * a running node checkpoints itself: event_log::checkpoint(dir), reached
//     over HTTP (POST /v1/backup, docs/api.md) by `storectl backup`;
//   * a data dir that no process holds is checkpointed by
//     checkpoint_data_dir() below, which takes the lock for the duration (a
//     node started meanwhile is refused with "in use" and may retry).
// - The target must not exist (errc::exists); its parent must
//   (errc::not_found); it may not lie inside the data dir. A failed checkpoint
//   leaves no target (RocksDB builds `dir`.tmp and renames it).
// - Hard links share table files with the source (RocksDB never rewrites a
//   table file in place, so neither side can change the other's); on another
//   file system the files are copied. A hard-linked copy on the same disk is
//   no protection against that disk's loss: copy it off the machine
//   (docs/operations.md, "Backup and restore").
#pragma once

#include <string>
#include <string_view>

#include "events/expected.hpp"
#include "storage/event_log.hpp"

namespace sn::storage {

/// Meta key where a node records its HTTP address (host:port as configured,
/// e.g. "127.0.0.1:8080") at each start, so that `storectl backup --data DIR`
/// can find the node that holds DIR.
constexpr const char* meta_http_address = "http.address";

/// Checkpoints the data dir `data_dir`, which no process may hold: takes its
/// lock (errc::locked when a node runs on it: ask that node instead), opens
/// every column family it has (whatever this build knows of), checkpoints
/// into `to`, and closes. Opening as the writer may let RocksDB replay its WAL
/// into a table file, as a node's start would; no event changes.
/// errc::not_found when `data_dir` holds no RocksDB database.
expected<checkpoint_result> checkpoint_data_dir(const std::string& data_dir, const std::string& to);

} // namespace sn::storage
