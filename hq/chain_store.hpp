// storenode-hq's RocksDB: the chain views' rows (hq/rows.hpp) in one
// column family. The only file of hq/ that includes RocksDB (in its .cpp),
// as storage/ is for the node (ARCHITECTURE.md §2).
//
// Contract
// - write() applies one batch atomically and durably (WriteBatch, fsync): the
//   views and the per-(store, origin) high-water marks it carries never
//   disagree, whatever crash comes.
// - A second process on the same data dir is refused (RocksDB's lock).
// - Thread safety: one writer (the ingest thread); get() and scan() may run
//   on any thread concurrently (the HTTP workers).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/expected.hpp"

namespace sn::hq {

class chain_store {
public:
  static expected<std::unique_ptr<chain_store>> open(const std::string& data_dir);
  ~chain_store();
  chain_store(const chain_store&) = delete;
  chain_store& operator=(const chain_store&) = delete;

  std::optional<std::string> get(const std::string& key) const;
  /// Every row whose key starts with `prefix`, in key order, until fn returns false.
  void scan(std::string_view prefix, const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  [[nodiscard]] status write(const std::map<std::string, std::string>& rows);

private:
  struct impl;
  explicit chain_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sn::hq
