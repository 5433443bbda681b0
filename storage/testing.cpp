#include "storage/testing.hpp"

#include <optional>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "storage/errc.hpp"
#include "storage/keys.hpp"
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

namespace {

/// The index run of `origin` covering `seq`, if any.
std::optional<keys::index_run> covering_run(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* index, std::string_view origin,
                                            std::uint64_t seq) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), index));
  it->SeekForPrev(keys::index_key(origin, seq));
  if (!it->Valid()) return std::nullopt;
  auto r = keys::parse_run(std::string_view(it->key().data(), it->key().size()),
                           std::string_view(it->value().data(), it->value().size()));
  if (!r || r->origin != origin || !r->run.covers(seq)) return std::nullopt;
  return r->run;
}

/// Removes `seq` from the run covering it (keeping the seqs around it), and
/// when `new_position` is set maps it there instead.
rocksdb::Status rewrite_index(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* index, rocksdb::ColumnFamilyHandle* log,
                              std::string_view origin, std::uint64_t seq, std::optional<std::uint64_t> new_position,
                              bool delete_event) {
  rocksdb::WriteBatch wb;
  auto run = covering_run(db, index, origin, seq);
  if (run) {
    wb.Delete(index, keys::index_key(origin, run->first_seq)).PermitUncheckedError();
    if (seq > run->first_seq) {
      wb.Put(index, keys::index_key(origin, run->first_seq), keys::run_value(run->first_position, seq - run->first_seq))
          .PermitUncheckedError();
    }
    const std::uint64_t after = run->first_seq + run->count - (seq + 1);
    if (after > 0) {
      wb.Put(index, keys::index_key(origin, seq + 1), keys::run_value(run->position_of(seq + 1), after))
          .PermitUncheckedError();
    }
    if (delete_event) wb.Delete(log, keys::position_key(run->position_of(seq))).PermitUncheckedError();
  } else if (delete_event) {
    return rocksdb::Status::NotFound("no index entry for the event");
  }
  if (new_position) {
    wb.Put(index, keys::index_key(origin, seq), keys::run_value(*new_position, 1)).PermitUncheckedError();
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return db.Write(wo, &wb);
}

} // namespace

expected<std::uint64_t> position_of(const std::string& data_dir, std::string_view origin, std::uint64_t seq) {
  std::optional<keys::index_run> run;
  auto st = with_db(data_dir, "index", [&](rocksdb::DB& db, rocksdb::ColumnFamilyHandle* h) {
    run = covering_run(db, h, origin, seq);
    return rocksdb::Status::OK();
  });
  if (!st) return st.error();
  if (!run) return make_error(errc::not_found, "no index entry for " + std::string(origin) + ":" + std::to_string(seq));
  return run->position_of(seq);
}

expected<std::string> get_event_bytes(const std::string& data_dir, std::uint64_t position) {
  return raw_get(data_dir, "log", keys::position_key(position));
}

status put_event_bytes(const std::string& data_dir, std::uint64_t position, std::string_view bytes) {
  return raw_put(data_dir, "log", keys::position_key(position), bytes);
}

status delete_event(const std::string& data_dir, std::string_view origin, std::uint64_t seq) {
  log_options o;
  o.data_dir = data_dir;
  rocks::db_handle h;
  if (auto st = rocks::open_read_write(o, h); !st) return st;
  auto s = rewrite_index(*h.db, h.cfs[rocks::cf_index], h.cfs[rocks::cf_log], origin, seq, std::nullopt, true);
  if (!s.ok()) return rocks::to_error(s, "delete_event in", data_dir);
  return status::ok();
}

status repoint_index(const std::string& data_dir, std::string_view origin, std::uint64_t seq, std::uint64_t position) {
  log_options o;
  o.data_dir = data_dir;
  rocks::db_handle h;
  if (auto st = rocks::open_read_write(o, h); !st) return st;
  auto s = rewrite_index(*h.db, h.cfs[rocks::cf_index], h.cfs[rocks::cf_log], origin, seq, position, false);
  if (!s.ok()) return rocks::to_error(s, "repoint_index in", data_dir);
  return status::ok();
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
