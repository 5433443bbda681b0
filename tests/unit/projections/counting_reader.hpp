// A row_reader that counts the rows read through it (gets, and rows a scan
// visits): what a query or a fold costs in reads, asserted by the tests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

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
  mutable std::size_t reads = 0;

 private:
  const row_reader& r_;
};

}  // namespace sn::projections::testing
