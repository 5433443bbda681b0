#include "storage/projection_store.hpp"

#include <algorithm>

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/errc.hpp"
#include "storage/event_log.hpp"
#include "storage/rocks_config.hpp"

namespace sn::storage {

namespace {
// Above every key a family holds: row keys never start with 16 bytes 0xff
// (reserved keys are 0xff plus at most two bytes).
const std::string key_space_end(16, '\xff');
} // namespace

struct projection_store::impl {
  rocks::db_handle* h = nullptr;
  std::string data_dir;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  std::vector<std::string> names;
  rocksdb::WriteBatch wb;  // writer thread only
};

struct projection_store::read_view::state {
  rocksdb::DB* db = nullptr;
  const rocksdb::Snapshot* snap = nullptr;
  ~state() {
    if (db && snap) db->ReleaseSnapshot(snap);
  }
};

projection_store::read_view::~read_view() = default;

projection_store::projection_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
projection_store::~projection_store() = default;

expected<std::unique_ptr<projection_store>> projection_store::open(event_log& log, const std::vector<std::string>& names) {
  auto p = std::make_unique<impl>();
  p->h = &log.db_handle_internal();
  p->data_dir = log.options().data_dir;
  for (const auto& n : names) {
    const std::size_t i = p->h->find(rocks::projection_cf_name(n));
    if (i == p->h->cfs.size()) {
      return make_error(errc::not_found, "projection family '" + n + "' is not open in " + p->data_dir);
    }
    p->families.push_back(p->h->cfs[i]);
    p->names.push_back(n);
  }
  return std::unique_ptr<projection_store>(new projection_store(std::move(p)));
}

std::size_t projection_store::size() const noexcept { return impl_->families.size(); }
const std::string& projection_store::name(std::size_t family) const { return impl_->names.at(family); }

std::unique_ptr<projection_store::read_view> projection_store::snapshot() const {
  std::unique_ptr<read_view> v(new read_view());
  v->s_ = std::make_unique<read_view::state>();
  v->s_->db = impl_->h->db.get();
  v->s_->snap = v->s_->db->GetSnapshot();
  return v;
}

std::optional<std::string> projection_store::get(std::size_t family, std::string_view key, const read_view* at) const {
  rocksdb::ReadOptions ro;
  if (at) ro.snapshot = at->s_->snap;
  std::string value;
  auto s = impl_->h->db->Get(ro, impl_->families[family], rocksdb::Slice(key.data(), key.size()), &value);
  if (!s.ok()) return std::nullopt;  // NotFound, or an I/O error the caller cannot do better with
  return value;
}

void projection_store::get_many(std::size_t family, const std::vector<std::string_view>& keys,
                                std::vector<std::optional<std::string>>& out, const read_view* at) const {
  out.assign(keys.size(), std::nullopt);
  if (keys.empty()) return;
  rocksdb::ReadOptions ro;
  if (at) ro.snapshot = at->s_->snap;
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const auto k : keys) slices.emplace_back(k.data(), k.size());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  impl_->h->db->MultiGet(ro, impl_->families[family], keys.size(), slices.data(), values.data(), statuses.data(),
                         /*sorted_input=*/false);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].ok()) out[i].emplace(values[i].data(), values[i].size());
  }
}

void projection_store::scan(std::size_t family, std::string_view prefix, std::string_view from,
                            const std::function<bool(std::string_view, std::string_view)>& fn,
                            const read_view* at) const {
  rocksdb::ReadOptions ro;
  if (at) ro.snapshot = at->s_->snap;
  std::unique_ptr<rocksdb::Iterator> it(impl_->h->db->NewIterator(ro, impl_->families[family]));
  const std::string_view start = from > prefix ? from : prefix;
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    const auto k = it->key();
    const std::string_view key(k.data(), k.size());
    if (key.substr(0, prefix.size()) != prefix) break;
    const auto v = it->value();
    if (!fn(key, std::string_view(v.data(), v.size()))) break;
  }
}

status projection_store::write_all(std::vector<write_ref>& writes) {
  std::sort(writes.begin(), writes.end(), [](const write_ref& a, const write_ref& b) {
    return a.family != b.family ? a.family < b.family : a.key < b.key;
  });
  auto& wb = impl_->wb;
  wb.Clear();
  for (const write_ref& w : writes) {
    auto* cf = impl_->families.at(w.family);
    const rocksdb::Slice key(w.key.data(), w.key.size());
    if (w.value) {
      wb.Put(cf, key, rocksdb::Slice(w.value->data(), w.value->size()));
    } else {
      wb.Delete(cf, key);
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;
  auto s = impl_->h->db->Write(wo, &wb);
  if (!s.ok()) return rocks::to_error(s, "cannot write projection rows to", impl_->data_dir);
  return status::ok();
}

status projection_store::clear(std::size_t family) {
  auto* cf = impl_->families.at(family);
  // Synced: the range delete is durable before any table file goes (below),
  // so a crash cannot leave some of the family's old rows without the others.
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = impl_->h->db->DeleteRange(wo, cf, "", key_space_end);
  if (!s.ok()) return rocks::to_error(s, "cannot clear projection " + impl_->names[family] + " in", impl_->data_dir);
  // The table files below level 0 hold nothing but deleted rows now: dropped
  // at once, their disk space comes back now and no compaction reads them
  // again to drop their rows (a rebuild of a large store otherwise rewrote
  // its old rows through every level beside the new ones). Level 0 files and
  // the memtable are left to the range delete. A failure here costs only
  // that compaction work.
  const rocksdb::Slice begin(""), end(key_space_end);
  (void)rocksdb::DeleteFilesInRange(impl_->h->db.get(), cf, &begin, &end, /*include_end=*/false);
  return status::ok();
}

} // namespace sn::storage
