#include "actors/projections/row_overlay.hpp"

#include <algorithm>
#include <array>
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
    if (read_below) {
      e.before = base_.get(key);
      ++reads_below_;
    }
    e.value = e.before;
    e.once = !e.before;  // an absent row is kept only if a later batch reads it again
    it = rows_.emplace(lookup_, std::move(e)).first;
  } else if (it->second.used != generation_) {
    it->second.once = false;  // read again by a later batch: a hot row
  }
  it->second.used = generation_;
  last_ = &*it;
  return *it;
}

void row_overlay::read_ahead(std::vector<std::string>& keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::string_view> missing;
  for (const std::string& k : keys) {
    if (rows_.find(k) == rows_.end()) missing.emplace_back(k);
  }
  if (missing.empty()) return;
  std::vector<std::optional<std::string>> values;
  base_.get_many(missing, values);
  reads_below_ += missing.size();
  for (std::size_t i = 0; i < missing.size(); ++i) {
    entry e;
    e.before = std::move(values[i]);
    e.value = e.before;
    e.once = !e.before;
    e.used = generation_;
    rows_.emplace(std::string(missing[i]), std::move(e));  // no rehash moves an element: last_ stays valid
  }
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
  for (row* r : dirty_rows_) {
    entry& e = r->second;
    // A row deleted, or created by this batch, is not kept: most new rows
    // are written once and not read again by a fold (a receipt, its list
    // entries and facts), and caching them would fill the bound with them.
    // A new row that is read again is read from below once and cached from
    // then on.
    if (!e.value || !e.before) {
      rows_.erase(rows_.find(r->first));
      continue;
    }
    e.before = e.value;
    e.dirty = false;
  }
  dirty_rows_.clear();
  ++generation_;
  if (rows_.size() > cached_rows_max_) evict();
}

void row_overlay::commit_unwritten() {
  last_ = nullptr;
  for (row* r : dirty_rows_) {
    entry& e = r->second;
    if (e.value.has_value() != e.before.has_value()) e.once = true;  // created or deleted
    e.before = e.value;
    e.dirty = false;
  }
  dirty_rows_.clear();
  ++generation_;
}

void row_overlay::written() {
  if (rows_.size() > cached_rows_max_) evict();
}

void row_overlay::evict() {
  last_ = nullptr;
  // Ages in batches since last use, of the clean rows kept after the first
  // pass (the last bucket holds every older one).
  constexpr std::size_t ages = 64;
  std::array<std::size_t, ages> by_age{};
  for (auto it = rows_.begin(); it != rows_.end();) {
    const entry& e = it->second;
    if (e.dirty) {
      ++it;
      continue;
    }
    if (e.once && e.used != generation_) {
      it = rows_.erase(it);
      continue;
    }
    ++by_age[std::min<std::size_t>(generation_ - e.used, ages - 1)];
    ++it;
  }
  const std::size_t target = cached_rows_max_ / 4 * 3;
  if (rows_.size() <= target) return;
  // The oldest ages go until the rest fits; the current batch's rows stay.
  std::size_t keep = rows_.size();
  std::size_t cut = ages;  // rows of age >= cut are dropped
  while (cut > 1 && keep > target) {
    --cut;
    keep -= by_age[cut];
  }
  for (auto it = rows_.begin(); it != rows_.end();) {
    const entry& e = it->second;
    if (!e.dirty && generation_ - e.used >= cut) {
      it = rows_.erase(it);
    } else {
      ++it;
    }
  }
}

void row_overlay::discard() {
  last_ = nullptr;
  rows_.clear();
  dirty_rows_.clear();
}

} // namespace sn::projections
