#include "storage/checkpoint.hpp"

#include <chrono>
#include <filesystem>
#include <memory>

#include <rocksdb/db.h>

#include "storage/errc.hpp"
#include "storage/keys.hpp"
#include "storage/rocks_config.hpp"

namespace sn::storage {

expected<checkpoint_result> checkpoint_data_dir(const std::string& data_dir, const std::string& to) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(data_dir) / "CURRENT", ec)) {
    return make_error(errc::not_found, "no event log in " + data_dir + " (no RocksDB CURRENT file)");
  }
  auto target = rocks::checkpoint_target(to, data_dir);
  if (!target) return target.error();
  const auto t0 = std::chrono::steady_clock::now();

  log_options o;
  o.data_dir = data_dir;
  o.block_cache_bytes = 8 << 20;  // reads one key
  rocksdb::DBOptions db = rocks::db_options(o);
  db.create_if_missing = false;
  db.create_missing_column_families = false;
  // Every family the data dir has, including ones a newer build added: the
  // open fails unless all are named. Known ones keep their options.
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(db, data_dir, &names);
  if (!s.ok()) return rocks::to_error(s, "cannot list the column families of", data_dir);
  const auto known = rocks::cf_descriptors(o);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& name : names) {
    rocksdb::ColumnFamilyOptions cf_opts;
    for (const auto& k : known) {
      if (k.name == name) cf_opts = k.options;
    }
    cfs.emplace_back(name, cf_opts);
  }
  rocks::db_handle h;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(db, data_dir, cfs, &h.cfs, &raw);
  if (!s.ok()) return rocks::to_error(s, "cannot open", data_dir);
  h.db.reset(raw);

  checkpoint_result r;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] != rocks::cf_name(rocks::cf_log)) continue;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h.cfs[i]));
    it->SeekToLast();
    if (it->Valid() && it->key().size() == keys::u64_bytes) {
      r.position = log_position{keys::get_u64_be(std::string_view(it->key().data(), it->key().size()))};
    }
  }
  if (auto st = rocks::create_checkpoint(*h.db, *target, data_dir); !st) return st.error();
  h.close();
  r.elapsed_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  return r;
}

} // namespace sn::storage
