#include "actors/projections/row_overlay.hpp"

#include <map>

namespace sn::projections {

row_overlay::row_overlay(const row_reader& base, std::size_t cached_rows_max)
  : base_(base), cached_rows_max_(cached_rows_max) {}

row_overlay::row& row_overlay::load(std::string_view key, bool read_below) const {
  if (last_ != nullptr && std::string_view(last_->first) == key) return *last_;
  lookup_.assign(key.data(), key.size());
  auto it = rows_.find(lookup_);
  if (it == rows_.end()) {
    entry e;
    if (read_below) e.before = base_.get(key);
    e.value = e.before;
    it = rows_.emplace(lookup_, std::move(e)).first;
  }
  last_ = &*it;
  return *it;
}

std::optional<std::string> row_overlay::get(std::string_view key) const { return load(key).second.value; }

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

void row_overlay::mark_dirty(row& r) {
  if (r.second.dirty) return;
  r.second.dirty = true;
  dirty_rows_.push_back(&r);
}

void row_overlay::put(std::string_view key, std::string value) {
  row& r = load(key);
  mark_dirty(r);
  r.second.value = std::move(value);
}

void row_overlay::put_new(std::string_view key, std::string value) {
  row& r = load(key, /*read_below=*/false);
  mark_dirty(r);
  r.second.value = std::move(value);
}

void row_overlay::erase(std::string_view key) {
  row& r = load(key);
  if (!r.second.value) return;
  mark_dirty(r);
  r.second.value.reset();
}

void row_overlay::for_each_change(const change_visitor& fn) const {
  for (const row* r : dirty_rows_) {
    if (r->second.before != r->second.value) fn(r->first, r->second.before, r->second.value);
  }
}

void row_overlay::commit() {
  last_ = nullptr;
  if (rows_.size() > cached_rows_max_) {
    rows_.clear();
  } else {
    for (row* r : dirty_rows_) {
      entry& e = r->second;
      // A row deleted, or created by this batch, is not kept: most new rows
      // are written once and not read again by a fold (a receipt, its list
      // entries and facts), and caching them would fill the bound with them
      // and empty the hot rows (totals, on-hand) with it. A new row that is
      // read again is read from below once and cached from then on.
      if (!e.value || !e.before) {
        rows_.erase(rows_.find(r->first));
        continue;
      }
      e.before = e.value;
      e.dirty = false;
    }
  }
  dirty_rows_.clear();
}

void row_overlay::commit_unwritten() {
  last_ = nullptr;
  for (row* r : dirty_rows_) {
    r->second.before = r->second.value;
    r->second.dirty = false;
  }
  dirty_rows_.clear();
}

void row_overlay::written() {
  if (rows_.size() <= cached_rows_max_) return;
  // Only the rows changed since (not written yet) must stay.
  last_ = nullptr;
  std::vector<std::pair<std::string, entry>> keep;
  keep.reserve(dirty_rows_.size());
  for (row* r : dirty_rows_) keep.emplace_back(r->first, std::move(r->second));
  rows_.clear();
  dirty_rows_.clear();
  for (auto& [key, e] : keep) dirty_rows_.push_back(&*rows_.emplace(std::move(key), std::move(e)).first);
}

void row_overlay::discard() {
  last_ = nullptr;
  rows_.clear();
  dirty_rows_.clear();
}

} // namespace sn::projections
