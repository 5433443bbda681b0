#include "storage/rocks_config.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>

#include <rocksdb/cache.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_buffer_manager.h>

#include "storage/errc.hpp"

namespace sn::storage::rocks {

namespace {

/// Drops RocksDB's info log. Used by read-only (secondary) opens, whose
/// scratch dir is removed right after open so that a tool killed or exiting
/// without destructors leaves nothing behind under /tmp.
class null_logger : public rocksdb::Logger {
public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

// Bounded RocksDB info logs: a node runs for months.
constexpr std::size_t info_log_file_bytes_max = 8 << 20;
constexpr std::size_t info_log_files_max = 4;
constexpr int background_jobs_max = 2;  // the target machines have 2 cores
constexpr double bloom_bits_per_key = 10.0;
// Share of a projection family's write buffer given to its memtable bloom.
constexpr double memtable_bloom_ratio = 0.05;
} // namespace

/// Counts, per column family, the table files flushes and compactions write
/// (RocksDB calls it on its background threads, once per flush or
/// compaction: a mutex is cheap at that rate).
class io_listener : public rocksdb::EventListener {
 public:
  void OnTableFileCreated(const rocksdb::TableFileCreationInfo& info) override {
    if (!info.status.ok() || info.reason != rocksdb::TableFileCreationReason::kFlush) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto& f = by_family_[info.cf_name];
    ++f.flushes;
    f.flushed_bytes += info.file_size;
  }
  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo& info) override {
    if (!info.status.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto& f = by_family_[info.cf_name];
    ++f.compactions;
    f.compaction_read_bytes += info.stats.total_input_bytes;
    f.compaction_written_bytes += info.stats.total_output_bytes;
    f.compaction_cpu_us += info.stats.cpu_micros;
  }
  /// The counters of `name` (zero when nothing happened to it yet).
  family_io of(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_family_.find(name);
    family_io f = it == by_family_.end() ? family_io{} : it->second;
    f.name = name;
    return f;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, family_io> by_family_;
};

storage_io io_of(const db_handle& h) {
  storage_io out;
  if (!h.db) return out;
  const auto prop = [&](rocksdb::ColumnFamilyHandle* cf, const std::string& name) {
    std::uint64_t v = 0;
    return h.db->GetIntProperty(cf, name, &v) ? v : 0;
  };
  for (std::size_t i = 0; i < h.cfs.size(); ++i) {
    family_io f = h.io ? h.io->of(h.names[i]) : family_io{};
    f.name = h.names[i];
    f.sst_bytes = prop(h.cfs[i], rocksdb::DB::Properties::kTotalSstFilesSize);
    f.pending_compaction_bytes = prop(h.cfs[i], rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
    out.families.push_back(std::move(f));
  }
  std::uint64_t v = 0;
  if (h.db->GetIntProperty(rocksdb::DB::Properties::kNumRunningCompactions, &v)) out.compactions_running = v;
  if (h.db->GetIntProperty(rocksdb::DB::Properties::kNumRunningFlushes, &v)) out.flushes_running = v;
  return out;
}

const char* cf_name(std::size_t i) noexcept {
  static const char* const names[cf_count] = {"default", "log", "index", "heads", "meta", "projections", "idempotency"};
  return i < cf_count ? names[i] : "?";
}

/// WAL kept before memtables are flushed (restart and secondary-open cost).
constexpr std::uint64_t wal_total_bytes_max = 64ull << 20;

rocksdb::DBOptions db_options(const log_options& o) {
  rocksdb::DBOptions d;
  d.create_if_missing = o.mode == open_mode::read_write;
  d.create_missing_column_families = o.mode == open_mode::read_write;
  d.max_background_jobs = background_jobs_max;
  d.max_log_file_size = info_log_file_bytes_max;
  d.keep_log_file_num = info_log_files_max;
  d.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // A torn last WAL record after kill -9 is dropped; everything before it (every
  // acknowledged, synced batch) is recovered.
  d.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Bound the WAL: past this RocksDB flushes the memtables it pins, so a
  // restart and a tool's read-only open replay at most this much WAL.
  d.max_total_wal_size = wal_total_bytes_max;
  // The secondary must keep every table file open so that the primary's
  // compactions cannot delete a file under it.
  if (o.mode == open_mode::read_only) {
    d.max_open_files = -1;
    d.info_log = std::make_shared<null_logger>();
  }
  return d;
}

std::string projection_cf_name(std::string_view name) { return "p." + std::string(name); }

std::size_t db_handle::find(std::string_view name) const {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  return cfs.size();
}

/// Memtable size per column family; the WriteBufferManager caps their sum.
constexpr std::size_t write_buffer_bytes = 8 << 20;
/// A projection family's L1 target and table file size (RocksDB's defaults:
/// 256 MB and 64 MB).
constexpr std::uint64_t projection_level1_bytes = 64ull << 20;
constexpr std::uint64_t projection_file_bytes = 16ull << 20;
constexpr int projection_l0_slowdown_files = 48;  // RocksDB's default: 20
constexpr int projection_l0_stop_files = 72;      // RocksDB's default: 36

std::vector<rocksdb::ColumnFamilyDescriptor> cf_descriptors(const log_options& o,
                                                            const std::vector<std::string>& existing,
                                                            std::shared_ptr<rocksdb::Cache> cache) {
  if (!cache) cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  rocksdb::BlockBasedTableOptions plain;
  plain.block_cache = cache;
  // Index and filter blocks live in the block cache, so the node's memory
  // budget bounds them whatever the store's age (outside it, every open table
  // file keeps its whole index and bloom filter in memory: RSS grew with the
  // history). Both are partitioned (a two-level index, filter partitions of
  // metadata_block_size) so that a miss loads one ~4 KiB partition, not a
  // whole file's filter; the top levels stay pinned, and so do the index and
  // filter partitions of L0 files (the newest, most read).
  plain.cache_index_and_filter_blocks = true;
  plain.cache_index_and_filter_blocks_with_high_priority = true;
  plain.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  plain.metadata_cache_options.top_level_index_pinning = rocksdb::PinningTier::kAll;
  plain.metadata_cache_options.partition_pinning = rocksdb::PinningTier::kFlushedAndSimilar;
  plain.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kFlushedAndSimilar;
  rocksdb::BlockBasedTableOptions with_bloom = plain;
  // Point lookups (meta, idempotency keys) benefit; the log and the index are
  // read by iterators (the index by SeekForPrev), which blooms do not help.
  with_bloom.filter_policy.reset(rocksdb::NewBloomFilterPolicy(bloom_bits_per_key));
  with_bloom.partition_filters = true;
  with_bloom.optimize_filters_for_memory = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> out;
  for (std::size_t i = 0; i < cf_count; ++i) {
    rocksdb::ColumnFamilyOptions c;
    c.table_factory.reset(rocksdb::NewBlockBasedTableFactory((i == cf_meta || i == cf_idempotency) ? with_bloom : plain));
    c.write_buffer_size = write_buffer_bytes;
    out.emplace_back(cf_name(i), c);
  }
  // Origin signatures: point lookups and short per-origin scans.
  const bool signatures_exist = std::find(existing.begin(), existing.end(), signatures_cf_name) != existing.end();
  if ((o.mode == open_mode::read_write && o.signatures_family) || signatures_exist) {
    rocksdb::ColumnFamilyOptions c;
    c.table_factory.reset(rocksdb::NewBlockBasedTableFactory(plain));
    c.write_buffer_size = write_buffer_bytes;
    out.emplace_back(signatures_cf_name, c);
  }
  // Projection rows: point lookups (a receipt, a sku) and prefix scans.
  const auto projection_family = [&](const std::string& name) {
    rocksdb::ColumnFamilyOptions c;
    c.table_factory.reset(rocksdb::NewBlockBasedTableFactory(with_bloom));
    c.write_buffer_size = write_buffer_bytes;
    // A fold reads every row it is about to write, most of them new (a
    // receipt, its index rows): a whole-key bloom over the memtable answers
    // such a miss without a skip-list search (bench_scale breakdown).
    c.memtable_prefix_bloom_size_ratio = memtable_bloom_ratio;
    c.memtable_whole_key_filtering = true;
    c.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(2));
    // Compaction is a quarter to a third of a bulk fold's CPU (bench_scale,
    // CPU by thread): a fold rewrites its aggregate rows every chunk. L0 and
    // L1 are rewritten most and hold little, so they are not compressed; a
    // smaller L1 (RocksDB's 256 MB default is 8 times what L0 gathers before
    // it compacts) keeps an L0 compaction from rewriting a whole large L1.
    // Existing files keep their compression; both apply as files are rewritten.
    c.compression_per_level.assign(static_cast<std::size_t>(c.num_levels), rocksdb::kSnappyCompression);
    c.compression_per_level[0] = rocksdb::kNoCompression;
    c.compression_per_level[1] = rocksdb::kNoCompression;
    c.max_bytes_for_level_base = projection_level1_bytes;
    c.target_file_size_base = projection_file_bytes;
    // A bulk fold flushes level-0 files faster than one compaction thread
    // merges them into level 1 (each L0 compaction rewrites the whole small
    // L1: new rows land all over the key space). RocksDB's default slows
    // every write of the database (the log's too) from 20 such files: a
    // first start over 10 M events hit it 101 times, slowed to ~10 MB/s,
    // and live sales right after a catch-up can wait behind it
    // (docs/benchmarks.md, "Sales as tills write them now"). A fold's reads
    // probe each L0 file's bloom filter, so the limits are raised, not removed.
    c.level0_slowdown_writes_trigger = projection_l0_slowdown_files;
    c.level0_stop_writes_trigger = projection_l0_stop_files;
    out.emplace_back(name, c);
  };
  for (const auto& p : o.projection_families) projection_family(projection_cf_name(p));
  for (const auto& name : existing) {
    const bool listed = std::any_of(out.begin(), out.end(), [&](const auto& d) { return d.name == name; });
    if (!listed) projection_family(name);
  }
  return out;
}

namespace {
sn::status open_with(const log_options& o, const std::string& secondary_dir, db_handle& out) {
  std::vector<std::string> existing;
  rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), o.data_dir, &existing).PermitUncheckedError();
  auto cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  auto descriptors = cf_descriptors(o, existing, cache);
  auto d = db_options(o);
  // Memtables are charged to the block cache: one budget for both (at most
  // half of it in write buffers before RocksDB flushes the largest).
  d.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(o.block_cache_bytes / 2, cache);
  std::shared_ptr<io_listener> io;
  if (secondary_dir.empty()) {
    io = std::make_shared<io_listener>();
    d.listeners.push_back(io);
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = secondary_dir.empty()
      ? rocksdb::DB::Open(d, o.data_dir, descriptors, &out.cfs, &raw)
      : rocksdb::DB::OpenAsSecondary(d, o.data_dir, secondary_dir, descriptors, &out.cfs, &raw);
  if (!s.ok()) return to_error(s, secondary_dir.empty() ? "cannot open" : "cannot open read-only", o.data_dir);
  out.db.reset(raw);
  out.io = std::move(io);
  out.names.clear();
  for (const auto& desc : descriptors) out.names.push_back(desc.name);
  return sn::status::ok();
}
} // namespace

sn::error to_error(const rocksdb::Status& s, std::string_view what, const std::string& data_dir) {
  const std::string text = s.ToString();
  if (s.IsIOError() && (text.find("lock") != std::string::npos || text.find("LOCK") != std::string::npos)) {
    return make_error(errc::locked, "data dir " + data_dir + " is in use by another storenode process (" + text + ")");
  }
  if (s.IsCorruption()) return make_error(errc::corrupt, std::string(what) + " " + data_dir + ": " + text);
  if (s.IsInvalidArgument()) return make_error(errc::invalid_argument, std::string(what) + " " + data_dir + ": " + text);
  if (s.IsNotFound()) return make_error(errc::not_found, std::string(what) + " " + data_dir + ": " + text);
  return make_error(errc::io, std::string(what) + " " + data_dir + ": " + text);
}

db_handle::~db_handle() { close(); }

void db_handle::close() {
  if (!db) return;
  for (auto* h : cfs) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  cfs.clear();
  names.clear();
  db->Close().PermitUncheckedError();
  db.reset();
  io.reset();
}

sn::status open_read_write(const log_options& o, db_handle& out) {
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) return make_error(errc::io, "cannot create data dir " + o.data_dir + ": " + ec.message());
  // Compactions (the LOW pool) run at the lowest CPU priority, nice 19: on a
  // 2-core till a compaction otherwise takes the CPU that a sale's durable
  // write and its 201 wait for (docs/benchmarks.md, live p99 at 10 M events).
  // Flushes (the HIGH pool) keep normal priority: memtables must drain or
  // writes stall. When the foreground saturates the CPU, compactions fall
  // behind until RocksDB's L0 triggers slow the writes down, which gives them
  // the CPU back. Per process and idempotent.
  rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow)
      .PermitUncheckedError();
  return open_with(o, {}, out);
}

sn::status open_secondary(const log_options& o, const std::string& secondary_dir, db_handle& out) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(o.data_dir) / "CURRENT", ec)) {
    return make_error(errc::not_found, "no event log in " + o.data_dir + " (no RocksDB CURRENT file)");
  }
  log_options ro = o;
  ro.mode = open_mode::read_only;
  if (auto st = open_with(ro, secondary_dir, out); !st) return st;
  // OpenAsSecondary reads the MANIFEST only; this replays the WAL tail the
  // primary has not flushed yet, so the view includes every acknowledged event.
  auto s = out.db->TryCatchUpWithPrimary();
  if (!s.ok()) {
    out.close();
    return to_error(s, "cannot catch up with", o.data_dir);
  }
  return status::ok();
}

sn::expected<std::string> checkpoint_target(const std::string& dir, const std::string& data_dir) {
  namespace fs = std::filesystem;
  if (dir.empty()) return make_error(errc::invalid_argument, "no checkpoint directory given");
  std::error_code ec;
  fs::path target = fs::absolute(fs::path(dir), ec).lexically_normal();
  if (ec) return make_error(errc::invalid_argument, "checkpoint directory " + dir + ": " + ec.message());
  if (!target.has_filename()) target = target.parent_path();  // "/backups/x/" -> "/backups/x"
  if (fs::exists(fs::symlink_status(target, ec))) {
    return make_error(errc::exists, "checkpoint directory " + target.string() + " already exists (give a new one)");
  }
  if (!fs::is_directory(target.parent_path(), ec)) {
    return make_error(errc::not_found,
                      "the parent of checkpoint directory " + target.string() + " is not an existing directory");
  }
  // Inside the data dir? Compare the real paths (symlinks resolved) of the
  // target's parent and of the data dir.
  const fs::path data = fs::weakly_canonical(fs::path(data_dir), ec);
  const fs::path parent = fs::weakly_canonical(target.parent_path(), ec);
  const auto [d_end, p_it] = std::mismatch(data.begin(), data.end(), parent.begin(), parent.end());
  if (!data.empty() && d_end == data.end()) {
    return make_error(errc::invalid_argument,
                      "checkpoint directory " + target.string() + " is inside the data dir " + data_dir);
  }
  return target.string();
}

sn::status create_checkpoint(rocksdb::DB& db, const std::string& target, const std::string& data_dir) {
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(&db, &raw);
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush = 0: always flush the memtables first, so the copy
  // holds table files (hard links) and a short WAL, and the projections
  // family (written outside the WAL) is in it too.
  if (s.ok()) s = cp->CreateCheckpoint(target, /*log_size_for_flush=*/0);
  if (!s.ok()) return to_error(s, "cannot checkpoint into " + target + " the data dir", data_dir);
  return status::ok();
}

} // namespace sn::storage::rocks
