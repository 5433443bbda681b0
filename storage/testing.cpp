#include "storage/testing.hpp"

#include <rocksdb/write_batch.h>

#include "storage/errc.hpp"
#include "storage/rocks_config.hpp"

namespace sn::storage::testing {

namespace {

expected<std::size_t> cf_by_name(std::string_view name) {
  for (std::size_t i = 1; i < rocks::cf_count; ++i) {
    if (name == rocks::cf_name(i)) return i;
  }
  return make_error(errc::invalid_argument, "no column family " + std::string(name));
}

template <class Fn>
status with_db(const std::string& data_dir, std::string_view cf, Fn&& fn) {
  auto idx = cf_by_name(cf);
  if (!idx) return idx.error();
  log_options o;
  o.data_dir = data_dir;
  rocks::db_handle h;
  if (auto st = rocks::open_read_write(o, h); !st) return st;
  auto s = fn(*h.db, h.cfs[*idx]);
  if (!s.ok()) return rocks::to_error(s, "raw access to", data_dir);
  return status::ok();
}

} // namespace

status raw_put(const std::string& data_dir, std::string_view cf, std::string_view key, std::string_view value) {
  return with_db(data_dir, cf, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return db.Put(wo, h, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
  });
}

status raw_delete(const std::string& data_dir, std::string_view cf, std::string_view key) {
  return with_db(data_dir, cf, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return db.Delete(wo, h, rocksdb::Slice(key.data(), key.size()));
  });
}

expected<std::string> raw_get(const std::string& data_dir, std::string_view cf, std::string_view key) {
  std::string out;
  auto st = with_db(data_dir, cf, [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    return db.Get(rocksdb::ReadOptions(), h, rocksdb::Slice(key.data(), key.size()), &out);
  });
  if (!st) return st.error();
  return out;
}

struct raw_writer::impl {
  log_options opts;
  rocks::db_handle h;
  rocksdb::WriteBatch wb;
};

raw_writer::raw_writer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
raw_writer::~raw_writer() = default;

expected<std::unique_ptr<raw_writer>> raw_writer::open(const log_options& o) {
  auto p = std::make_unique<impl>();
  p->opts = o;
  if (auto st = rocks::open_read_write(o, p->h); !st) return st.error();
  return std::unique_ptr<raw_writer>(new raw_writer(std::move(p)));
}

status raw_writer::write(const std::vector<std::pair<std::string_view, std::string_view>>& kvs, bool sync) {
  impl& m = *impl_;
  m.wb.Clear();
  for (const auto& [k, v] : kvs) {
    auto s = m.wb.Put(m.h.cfs[rocks::cf_log], rocksdb::Slice(k.data(), k.size()), rocksdb::Slice(v.data(), v.size()));
    if (!s.ok()) return rocks::to_error(s, "raw batch for", m.opts.data_dir);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = m.h.db->Write(wo, &m.wb);
  if (!s.ok()) return rocks::to_error(s, "raw write to", m.opts.data_dir);
  return status::ok();
}

} // namespace sn::storage::testing
