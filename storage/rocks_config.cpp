#include "storage/rocks_config.hpp"

#include <filesystem>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

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
} // namespace

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

std::vector<rocksdb::ColumnFamilyDescriptor> cf_descriptors(const log_options& o) {
  auto cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  rocksdb::BlockBasedTableOptions plain;
  plain.block_cache = cache;
  rocksdb::BlockBasedTableOptions with_bloom = plain;
  // Point lookups (meta, idempotency keys) benefit; the log and the index are
  // read by iterators (the index by SeekForPrev), which blooms do not help.
  with_bloom.filter_policy.reset(rocksdb::NewBloomFilterPolicy(bloom_bits_per_key));

  std::vector<rocksdb::ColumnFamilyDescriptor> out;
  for (std::size_t i = 0; i < cf_count; ++i) {
    rocksdb::ColumnFamilyOptions c;
    c.table_factory.reset(rocksdb::NewBlockBasedTableFactory((i == cf_meta || i == cf_idempotency) ? with_bloom : plain));
    out.emplace_back(cf_name(i), c);
  }
  return out;
}

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
  db->Close().PermitUncheckedError();
  db.reset();
}

sn::status open_read_write(const log_options& o, db_handle& out) {
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) return make_error(errc::io, "cannot create data dir " + o.data_dir + ": " + ec.message());
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options(o), o.data_dir, cf_descriptors(o), &out.cfs, &raw);
  if (!s.ok()) return to_error(s, "cannot open", o.data_dir);
  out.db.reset(raw);
  return status::ok();
}

sn::status open_secondary(const log_options& o, const std::string& secondary_dir, db_handle& out) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(o.data_dir) / "CURRENT", ec)) {
    return make_error(errc::not_found, "no event log in " + o.data_dir + " (no RocksDB CURRENT file)");
  }
  log_options ro = o;
  ro.mode = open_mode::read_only;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::OpenAsSecondary(db_options(ro), o.data_dir, secondary_dir, cf_descriptors(ro), &out.cfs, &raw);
  if (!s.ok()) return to_error(s, "cannot open read-only", o.data_dir);
  out.db.reset(raw);
  // OpenAsSecondary reads the MANIFEST only; this replays the WAL tail the
  // primary has not flushed yet, so the view includes every acknowledged event.
  s = out.db->TryCatchUpWithPrimary();
  if (!s.ok()) {
    out.close();
    return to_error(s, "cannot catch up with", o.data_dir);
  }
  return status::ok();
}

} // namespace sn::storage::rocks
