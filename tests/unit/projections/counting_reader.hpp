// A row_reader that counts the rows read through it (gets, and rows a scan
// visits): what a query or a fold costs in reads, asserted by the tests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/projections/rows.hpp"

namespace sn::projections::testing {

class counting_reader final : public row_reader {
 public:
  explicit counting_reader(const row_reader& r) : r_(r) {}
  std::optional<std::string> get(std::string_view key) const override {
    ++reads;
    return r_.get(key);
  }
  void scan(std::string_view prefix, std::string_view from, const row_visitor& fn) const override {
    r_.scan(prefix, from, [&](std::string_view k, std::string_view v) {
      ++reads;
      return fn(k, v);
    });
  }
  void get_many(const std::vector<std::string_view>& keys, std::vector<std::optional<std::string>>& out) const override {
    ++batches;
    reads += keys.size();
    r_.get_many(keys, out);
  }
  mutable std::size_t reads = 0;
  mutable std::size_t batches = 0;  ///< get_many calls

 private:
  const row_reader& r_;
};

}  // namespace sn::projections::testing
