// Rows in a std::map: the row store of unit tests and the simulation, and the
// reference the RocksDB-backed store is compared with.
#pragma once

#include <map>
#include <string>

#include "actors/projections/rows.hpp"

namespace sn::projections {

class memory_rows final : public row_writer {
 public:
  std::optional<std::string> get(std::string_view key) const override {
    auto it = rows_.find(std::string(key));
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
  void erase(std::string_view key) override { rows_.erase(std::string(key)); }

  const std::map<std::string, std::string, std::less<>>& all() const noexcept { return rows_; }
  void clear() { rows_.clear(); }

 private:
  std::map<std::string, std::string, std::less<>> rows_;
};

} // namespace sn::projections
