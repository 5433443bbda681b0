// Rows in a std::map: the row store of unit tests and the simulation, and the
// reference the RocksDB-backed store is compared with.
#pragma once

#include <map>
#include <vector>
#include <string>

#include "actors/projections/projection_set.hpp"
#include "actors/projections/rows.hpp"

namespace sn::projections {

class memory_rows final : public row_writer {
 public:
  std::optional<std::string> get(std::string_view key) const override {
    auto it = rows_.find(key);
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }
  void scan(std::string_view prefix, std::string_view from, const row_visitor& fn) const override {
    const std::string start = from > prefix ? std::string(from) : std::string(prefix);
    for (auto it = rows_.lower_bound(start); it != rows_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (!fn(it->first, it->second)) break;
    }
  }
  void put(std::string_view key, std::string value) override { rows_[std::string(key)] = std::move(value); }
  void erase(std::string_view key) override {
    if (auto it = rows_.find(key); it != rows_.end()) rows_.erase(it);
  }

  const std::map<std::string, std::string, std::less<>>& all() const noexcept { return rows_; }
  void clear() { rows_.clear(); }

 private:
  std::map<std::string, std::string, std::less<>> rows_;
};

/// A row_store of memory_rows (the projection set of the simulation and of
/// tests): writes apply at once, in order.
class memory_row_store final : public row_store {
 public:
  explicit memory_row_store(std::size_t families) : rows_(families) {}
  const row_reader& rows(std::size_t i) const override { return rows_[i]; }
  status write_all(const std::vector<write>& writes) override {
    for (const auto& w : writes) {
      if (w.value) {
        rows_[w.projection].put(w.key, *w.value);
      } else {
        rows_[w.projection].erase(w.key);
      }
    }
    return status::ok();
  }
  status clear(std::size_t i) override {
    rows_[i].clear();
    return status::ok();
  }
  const memory_rows& family(std::size_t i) const { return rows_[i]; }

 private:
  std::vector<memory_rows> rows_;
};

} // namespace sn::projections
