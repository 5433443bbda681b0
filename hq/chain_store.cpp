#include "hq/chain_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

namespace sn::hq {

struct chain_store::impl {
  std::unique_ptr<rocksdb::DB> db;
  std::string dir;
};

chain_store::chain_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
chain_store::~chain_store() = default;

expected<std::unique_ptr<chain_store>> chain_store::open(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return sn::error{"hq", 1, "cannot create data dir " + data_dir + ": " + ec.message()};
  rocksdb::Options o;
  o.create_if_missing = true;
  o.max_background_jobs = 2;
  o.IncreaseParallelism(2);
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(o, data_dir, &db);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return sn::error{"hq", 2, "data dir " + data_dir + " is in use by another storenode-hq process"};
    }
    return sn::error{"hq", 1, "cannot open " + data_dir + ": " + s.ToString()};
  }
  auto p = std::make_unique<impl>();
  p->db.reset(db);
  p->dir = data_dir;
  return std::unique_ptr<chain_store>(new chain_store(std::move(p)));
}

std::optional<std::string> chain_store::get(const std::string& key) const {
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), key, &v);
  if (!s.ok()) return std::nullopt;
  return v;
}

void chain_store::scan(std::string_view prefix,
                       const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  const rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    if (!fn(std::string_view(it->key().data(), it->key().size()), std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
}

status chain_store::write(const std::map<std::string, std::string>& rows) {
  if (rows.empty()) return status::ok();
  rocksdb::WriteBatch batch;
  for (const auto& [k, v] : rows) batch.Put(k, v);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = impl_->db->Write(wo, &batch);
  if (!s.ok()) return sn::error{"hq", 3, "write to " + impl_->dir + " failed: " + s.ToString()};
  return status::ok();
}

} // namespace sn::hq
