#include "actors/projections/row_overlay.hpp"

#include <map>

namespace sn::projections {

row_overlay::row_overlay(const row_reader& base, std::size_t cached_rows_max)
  : base_(base), cached_rows_max_(cached_rows_max) {}

row_overlay::entry& row_overlay::load(std::string_view key) const {
  std::string k(key);
  auto it = rows_.find(k);
  if (it != rows_.end()) return it->second;
  entry e;
  e.before = base_.get(key);
  e.value = e.before;
  return rows_.emplace(std::move(k), std::move(e)).first->second;
}

std::optional<std::string> row_overlay::get(std::string_view key) const { return load(key).value; }

void row_overlay::scan(std::string_view prefix, std::string_view from, const row_visitor& fn) const {
  // Rare inside a fold (lists are read from the durable rows): merge the
  // base's rows with this batch's changes in key order.
  std::map<std::string, std::optional<std::string>, std::less<>> merged;
  base_.scan(prefix, from, [&](std::string_view k, std::string_view v) {
    merged.emplace(std::string(k), std::string(v));
    return true;
  });
  const std::string start = from > prefix ? std::string(from) : std::string(prefix);
  for (const auto& [k, e] : rows_) {
    if (!e.dirty || k.compare(0, prefix.size(), prefix) != 0 || k < start) continue;
    merged[k] = e.value;
  }
  for (const auto& [k, v] : merged) {
    if (!v) continue;
    if (!fn(k, *v)) break;
  }
}

void row_overlay::put(std::string_view key, std::string value) {
  entry& e = load(key);
  if (!e.dirty) {
    ++dirty_;
    dirty_keys_.emplace_back(key);
  }
  e.dirty = true;
  e.value = std::move(value);
}

void row_overlay::erase(std::string_view key) {
  entry& e = load(key);
  if (!e.value) return;
  if (!e.dirty) {
    ++dirty_;
    dirty_keys_.emplace_back(key);
  }
  e.dirty = true;
  e.value.reset();
}

void row_overlay::for_each_change(const change_visitor& fn) const {
  for (const std::string& k : dirty_keys_) {
    const entry& e = rows_.at(k);
    if (e.before != e.value) fn(k, e.before, e.value);
  }
}

void row_overlay::commit() {
  if (rows_.size() > cached_rows_max_) {
    rows_.clear();
  } else {
    for (const std::string& k : dirty_keys_) {
      auto it = rows_.find(k);
      if (it == rows_.end()) continue;
      entry& e = it->second;
      e.before = e.value;
      e.dirty = false;
      if (!e.value) rows_.erase(it);  // a deleted row: nothing worth caching
    }
  }
  dirty_keys_.clear();
  dirty_ = 0;
}

void row_overlay::discard() {
  rows_.clear();
  dirty_keys_.clear();
  dirty_ = 0;
}

} // namespace sn::projections
