#include "actors/projections/projection_set.hpp"

#include <algorithm>
#include <bitset>
#include <limits>

#include "actors/projections/row_codec.hpp"
#include "events/errc.hpp"
#include "events/upcast.hpp"

namespace sn::projections {

namespace {

template <class P>
expected<payload> decode_as(const event& e, const upcast_context& ctx) {
  auto p = decode_current<P>(e, ctx);
  if (!p) return p.error();
  return payload{std::move(*p)};
}

std::string position_row(const projection_info& i) {
  row_out o;
  o.u64(i.position).u64(i.applied).u64(i.skipped_unknown).u64(i.parked);
  return std::move(o).bytes();
}

} // namespace

expected<payload> decode_payload(const event& e, const retail::store_settings& settings) {
  const upcast_context ctx{&settings.zone};
  switch (static_cast<event_type>(e.type)) {
    case event_type::product_upserted: return decode_as<product_upserted>(e, ctx);
    case event_type::price_changed: return decode_as<price_changed>(e, ctx);
    case event_type::product_deactivated: return decode_as<product_deactivated>(e, ctx);
    case event_type::stock_received: return decode_as<stock_received>(e, ctx);
    case event_type::stock_adjusted: return decode_as<stock_adjusted>(e, ctx);
    case event_type::stock_counted: return decode_as<stock_counted>(e, ctx);
    case event_type::sale_completed: return decode_as<sale_completed>(e, ctx);
    case event_type::sale_returned: return decode_as<sale_returned>(e, ctx);
    case event_type::sale_voided: return decode_as<sale_voided>(e, ctx);
    case event_type::day_closed: return decode_as<day_closed>(e, ctx);
    case event_type::device_registered: return decode_as<device_registered>(e, ctx);
    case event_type::device_updated: return decode_as<device_updated>(e, ctx);
    case event_type::store_created: return decode_as<store_created>(e, ctx);
    case event_type::device_enrolled: return decode_as<device_enrolled>(e, ctx);
    case event_type::device_revoked: return decode_as<device_revoked>(e, ctx);
    case event_type::device_keys_rotated: return decode_as<device_keys_rotated>(e, ctx);
    case event_type::master_changed: return decode_as<master_changed>(e, ctx);
    case event_type::conflict_resolved: return decode_as<conflict_resolved>(e, ctx);
    case event_type::staff_added: return decode_as<staff_added>(e, ctx);
    case event_type::staff_updated: return decode_as<staff_updated>(e, ctx);
    case event_type::staff_removed: return decode_as<staff_removed>(e, ctx);
    case event_type::staff_signed_in: return decode_as<staff_signed_in>(e, ctx);
    case event_type::staff_sign_in_failed: return decode_as<staff_sign_in_failed>(e, ctx);
    case event_type::staff_signed_out: return decode_as<staff_signed_out>(e, ctx);
  }
  return payload{};
}

projection_set::projection_set(retail::store_settings settings, std::vector<std::unique_ptr<projection>> units,
                               row_store& store)
  : settings_(std::move(settings)), store_(store) {
  units_.reserve(units.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    unit u;
    u.info.name = units[i]->name();
    u.p = std::move(units[i]);
    u.rows = std::make_unique<row_overlay>(store_.rows(i));
    units_.push_back(std::move(u));
  }
}

std::optional<std::size_t> projection_set::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < units_.size(); ++i) {
    if (units_[i].info.name == name) return i;
  }
  return std::nullopt;
}

status projection_set::load(unit& u, std::size_t i) {
  const row_reader& r = store_.rows(i);
  const bool paused = u.info.paused;
  u.info = projection_info{u.info.name};
  u.info.paused = paused;
  u.digest.clear();
  u.rows->discard();
  u.touched = false;
  if (auto pos = r.get(reserved::position)) {
    row_in in(*pos);
    u.info.position = in.u64();
    u.info.applied = in.u64();
    u.info.skipped_unknown = in.u64();
    u.info.parked = in.u64();
    if (in.failed()) return events::make_error(events::errc::malformed, "projection " + u.info.name + ": unreadable position row");
  }
  u.written = u.info.position;
  auto stored = read_stored_digest(r, u.info.name);
  if (!stored) return stored.error();
  u.digest = std::move(stored->digest);
  u.unsaved = stored->unsaved;
  u.journal_first = stored->journal_first;
  u.journal_next = stored->journal_next;
  u.journal_changes = stored->journal_changes;
  return status::ok();
}

status projection_set::open() {
  for (std::size_t i = 0; i < units_.size(); ++i) {
    if (auto st = load(units_[i], i); !st) return st;
  }
  return status::ok();
}

std::uint64_t projection_set::lowest_position() const {
  std::uint64_t low = std::numeric_limits<std::uint64_t>::max();
  for (const unit& u : units_) {
    if (!u.info.paused) low = std::min(low, u.info.position);
  }
  return low;
}

void projection_set::apply(std::uint64_t pos, const event& e, bool detect_conflicts) {
  bool any = false;
  for (const unit& u : units_) any = any || (!u.info.paused && u.info.position + 1 == pos);
  if (!any) return;
  auto decoded = decode_payload(e, settings_);
  const bool known = decoded && decoded->index() != 0;
  std::vector<retail::register_conflict> found;
  fold_context ctx{settings_, detect_conflicts ? &found : nullptr};
  bool parked_listed = false;
  const auto park = [&](const std::string& reason) {
    if (parked_listed || parked_list_.size() >= retail::parked_events_max) return;
    parked_listed = true;
    parked_list_.push_back(retail::parked_event{e.origin.value(), e.seq.value(), e.type, e.hlc.packed(), reason});
  };
  for (unit& u : units_) {
    // Positions are dense: a projection takes exactly its next one (one
    // that is further behind is caught up from the log by the caller).
    if (u.info.paused || u.info.position + 1 != pos) continue;
    u.info.position = pos;
    u.touched = true;
    if (!decoded) {
      ++u.info.parked;
      park("payload: " + decoded.error().message);
      continue;
    }
    if (!known) ++u.info.skipped_unknown;  // still shown: a projection may count any event (devices: last seen)
    if (const char* reason = u.p->apply(folded_event{e, *decoded}, *u.rows, ctx)) {
      ++u.info.parked;
      park(reason);
      continue;
    }
    if (known) ++u.info.applied;
  }
  for (auto& c : found) {
    if (conflicts_.size() >= retail::conflicts_max) {
      conflicts_.erase(conflicts_.begin());
      ++conflicts_dropped_;
    }
    conflicts_.push_back(std::move(c));
  }
}

void projection_set::set_fold_threads(std::size_t n) {
  fold_threads_ = std::min<std::size_t>(n == 0 ? 1 : n, units_.size() == 0 ? 1 : units_.size());
  workers_ = fold_threads_ > 1 ? std::make_unique<fold_workers>(fold_threads_ - 1) : nullptr;
}

void projection_set::for_each_unit_parallel(const std::function<void(std::size_t)>& fn) {
  if (!workers_) {
    for (std::size_t i = 0; i < units_.size(); ++i) fn(i);
    return;
  }
  workers_->run(units_.size(), fn);
}

void projection_set::apply_chunk(const std::vector<positioned>& events, bool detect_conflicts) {
  // A deferred write runs beside the folds (task 0 of the parallel run
  // below) when the store lets it; otherwise settle() runs it.
  const bool write_beside = deferred_.prepared && !deferred_.ran && store_.writes_beside_reads();
  if (events.size() < parallel_chunk_min) {
    if (write_beside) run_deferred();
    for (const auto& pe : events) apply(pe.pos, *pe.e, detect_conflicts);
    return;
  }
  // Decoded once, shared read-only by the threads.
  std::vector<expected<payload>> decoded;
  decoded.reserve(events.size());
  for (const auto& pe : events) decoded.push_back(decode_payload(*pe.e, settings_));
  struct found_in {
    std::vector<std::pair<std::size_t, std::string>> parked;  // event index, reason
    std::vector<std::pair<std::size_t, retail::register_conflict>> conflicts;
  };
  std::vector<found_in> found(units_.size());
  const auto fold_unit = [&](std::size_t ui) {
    unit& u = units_[ui];
    found_in& f = found[ui];
    if (u.info.paused) return;
    // The rows the chunk's folds will read, in one batch (projection::rows_to_read).
    std::vector<std::string> keys;
    for (std::size_t k = 0; k < events.size(); ++k) {
      if (events[k].pos > u.info.position && decoded[k]) u.p->rows_to_read(folded_event{*events[k].e, *decoded[k]}, keys);
    }
    if (!keys.empty()) u.rows->read_ahead(keys);
    std::vector<retail::register_conflict> c;
    fold_context ctx{settings_, detect_conflicts ? &c : nullptr};
    for (std::size_t k = 0; k < events.size(); ++k) {
      if (u.info.paused || u.info.position + 1 != events[k].pos) continue;
      u.info.position = events[k].pos;
      u.touched = true;
      const auto& d = decoded[k];
      if (!d) {
        ++u.info.parked;
        f.parked.emplace_back(k, "payload: " + d.error().message);
        continue;
      }
      const bool known = d->index() != 0;
      if (!known) ++u.info.skipped_unknown;
      if (const char* reason = u.p->apply(folded_event{*events[k].e, *d}, *u.rows, ctx)) {
        ++u.info.parked;
        f.parked.emplace_back(k, reason);
      } else if (known) {
        ++u.info.applied;
      }
      for (auto& x : c) f.conflicts.emplace_back(k, std::move(x));
      c.clear();
    }
  };
  if (write_beside && workers_) {
    // The write touches the digests and the store, the folds the overlays
    // and the positions: nothing in common.
    workers_->run(units_.size() + 1, [&](std::size_t t) {
      if (t == 0) {
        run_deferred();
      } else {
        fold_unit(t - 1);
      }
    });
  } else {
    if (write_beside) run_deferred();
    for_each_unit_parallel(fold_unit);
  }
  // Merged in apply()'s order: event by event, projection by projection; an
  // event is listed as parked once (by the first projection that parked it).
  std::vector<std::size_t> pi(units_.size(), 0), ci(units_.size(), 0);
  for (std::size_t k = 0; k < events.size(); ++k) {
    bool parked_listed = false;
    for (std::size_t ui = 0; ui < units_.size(); ++ui) {
      auto& f = found[ui];
      for (; pi[ui] < f.parked.size() && f.parked[pi[ui]].first == k; ++pi[ui]) {
        if (parked_listed || parked_list_.size() >= retail::parked_events_max) continue;
        parked_listed = true;
        const event& e = *events[k].e;
        parked_list_.push_back(retail::parked_event{e.origin.value(), e.seq.value(), e.type, e.hlc.packed(),
                                                    std::move(f.parked[pi[ui]].second)});
      }
      for (; ci[ui] < f.conflicts.size() && f.conflicts[ci[ui]].first == k; ++ci[ui]) {
        if (conflicts_.size() >= retail::conflicts_max) {
          conflicts_.erase(conflicts_.begin());
          ++conflicts_dropped_;
        }
        conflicts_.push_back(std::move(f.conflicts[ci[ui]].second));
      }
    }
  }
}

std::size_t projection_set::pending_rows() const {
  std::size_t n = 0;
  for (const unit& u : units_) n += u.rows->dirty();
  return n;
}

void projection_set::finish_unit(std::size_t i, const projection_info& info,
                                 const std::bitset<digest_bucket_count>& changed, bool journal,
                                 const std::vector<digest_change>& made, std::vector<row_store::write>& out,
                                 std::deque<std::string>& owned) {
  unit& u = units_[i];
  const auto own = [&](std::string bytes) -> const std::string& { return owned.emplace_back(std::move(bytes)); };
  if (changed.any()) {
    u.unsaved |= changed;
    if (journal) {
      out.push_back(row_store::write{i, own(reserved::journal_entry(u.journal_next)), &own(encode_journal(made))});
      ++u.journal_next;
      u.journal_changes += made.size();
    } else {
      // Checkpoint: the buckets changed since the last one, the journal dropped.
      for (unsigned b = 0; b < digest_bucket_count; ++b) {
        if (!u.unsaved.test(b)) continue;
        out.push_back(row_store::write{i, own(reserved::bucket_digest(static_cast<std::uint8_t>(b))), &own(u.digest.serialize_bucket(b))});
      }
      for (std::uint64_t n = u.journal_first; n < u.journal_next; ++n) {
        out.push_back(row_store::write{i, own(reserved::journal_entry(n)), nullptr});
      }
      out.push_back(row_store::write{i, reserved::total_digest, nullptr});
      u.unsaved.reset();
      u.journal_first = u.journal_next;
      u.journal_changes = 0;
    }
    const auto d = u.digest.total().digest();
    out.push_back(row_store::write{i, reserved::short_digest, &own(std::string(d.begin(), d.end()))});
  }
  out.push_back(row_store::write{i, reserved::position, &own(position_row(info))});
}

void projection_set::flush_rows(std::vector<row_store::write>& out, bool shared) {
  // Every changed row of every touched projection, projection by projection.
  // The pointers are the overlays' own strings: stable until commit().
  std::vector<change_ref> all;
  std::vector<std::size_t> first(units_.size() + 1, 0);  // all[first[i], first[i+1]) are unit i's
  std::vector<const projection_info*> infos(units_.size(), nullptr);
  for (std::size_t i = 0; i < units_.size(); ++i) {
    first[i] = all.size();
    if (!units_[i].touched) continue;
    infos[i] = &units_[i].info;
    units_[i].rows->for_each_change([&](const std::string& key, const std::optional<std::string>& was,
                                        const std::optional<std::string>& now) {
      all.push_back(change_ref{i, &key, &was, &now});
    });
  }
  first[units_.size()] = all.size();
  digest_and_list(all, first, shared, infos, out, owned_, made_);
}

void projection_set::digest_and_list(std::vector<change_ref>& all, const std::vector<std::size_t>& first, bool shared,
                                     const std::vector<const projection_info*>& infos,
                                     std::vector<row_store::write>& out, std::deque<std::string>& owned,
                                     std::vector<digest_change>& made) {
  const auto seeds = [&](std::size_t lo, std::size_t hi) {
    for (std::size_t k = lo; k < hi; ++k) {
      change_ref& c = all[k];
      c.bucket = digest_buckets::bucket_of(*c.key);
      if (*c.was) c.old_seed = lthash_seed_of(*c.key, **c.was);
      if (*c.now) c.new_seed = lthash_seed_of(*c.key, **c.now);
    }
  };
  if (shared) {
    // Seeds and buckets (BLAKE2b) in slices over every thread; then the
    // element hashes (most of the cost) by bucket: a thread owns the buckets
    // b with b % threads == t in every projection, so no two threads add
    // into the same state, and the totals are summed afterwards.
    const std::size_t slices = fold_threads_ * 4;
    workers_->run(slices, [&](std::size_t s) { seeds(all.size() * s / slices, all.size() * (s + 1) / slices); });
    workers_->run(fold_threads_, [&](std::size_t t) {
      for (const change_ref& c : all) {
        if (c.bucket % fold_threads_ != t) continue;
        digest_buckets& d = units_[c.unit].digest;
        if (*c.was) d.apply_to_bucket(digest_change{c.bucket, false, c.old_seed});
        if (*c.now) d.apply_to_bucket(digest_change{c.bucket, true, c.new_seed});
      }
    });
  } else {
    // One thread: a projection with a few changed rows adds each element
    // into its bucket and the total; past digest_bucket_count of them, into
    // its bucket only, and the total is summed from the buckets once
    // (256 adds instead of one per element).
    seeds(0, all.size());
    for (const change_ref& c : all) {
      digest_buckets& d = units_[c.unit].digest;
      const bool by_bucket = first[c.unit + 1] - first[c.unit] >= digest_bucket_count;
      const auto add = [&](const digest_change& x) { by_bucket ? d.apply_to_bucket(x) : d.apply(x); };
      if (*c.was) add(digest_change{c.bucket, false, c.old_seed});
      if (*c.now) add(digest_change{c.bucket, true, c.new_seed});
    }
  }
  for (std::size_t i = 0; i < units_.size(); ++i) {
    unit& u = units_[i];
    if (infos[i] == nullptr) continue;
    std::bitset<digest_bucket_count> changed;
    made.clear();
    // Record the element changes (a removal before an addition) while they
    // still fit the journal; past it this batch is a checkpoint and needs
    // no record.
    bool journal = true;
    for (std::size_t k = first[i]; k < first[i + 1]; ++k) {
      const change_ref& c = all[k];
      journal = journal && u.journal_changes + made.size() + 2 <= digest_journal_max_changes;
      if (!journal) made.clear();
      if (journal && *c.was) made.push_back(digest_change{c.bucket, false, c.old_seed});
      if (journal && *c.now) made.push_back(digest_change{c.bucket, true, c.new_seed});
      changed.set(c.bucket);
      out.push_back(row_store::write{i, *c.key, *c.now ? &**c.now : nullptr});
    }
    if ((shared || first[i + 1] - first[i] >= digest_bucket_count) && changed.any()) u.digest.recompute_total();
    finish_unit(i, *infos[i], changed, journal, made, out, owned);
  }
}

void projection_set::run_deferred() {
  deferred_write& d = deferred_;
  std::vector<change_ref> all;
  all.reserve(d.changes.size());
  std::vector<std::size_t> first(units_.size() + 1, 0);
  std::size_t k = 0;
  for (std::size_t i = 0; i < units_.size(); ++i) {
    first[i] = all.size();
    for (; k < d.changes.size() && d.changes[k].unit == i; ++k) {
      const auto& c = d.changes[k];
      all.push_back(change_ref{i, &c.key, &c.was, &c.now});
    }
  }
  first[units_.size()] = all.size();
  std::vector<const projection_info*> infos(units_.size(), nullptr);
  for (std::size_t i = 0; i < units_.size(); ++i) {
    if (d.infos[i]) infos[i] = &*d.infos[i];
  }
  d.writes.clear();
  digest_and_list(all, first, false, infos, d.writes, d.owned, d.made);
  d.result = d.writes.empty() ? status::ok() : store_.write_all(d.writes);
  d.ran = true;
}

status projection_set::settle() {
  deferred_write& d = deferred_;
  if (!d.prepared) return status::ok();
  if (!d.ran) run_deferred();
  d.prepared = false;
  d.ran = false;
  if (d.result && !d.writes.empty()) {
    ++writes_;
    rows_written_ += d.writes.size();
  }
  d.changes.clear();
  d.owned.clear();
  d.writes.clear();
  if (!d.result) {
    // The deferred batch and everything folded over it are dropped: back to
    // what is durable (the digests were updated: reloaded too).
    const status failed = d.result;
    d.result = status::ok();
    for (std::size_t i = 0; i < units_.size(); ++i) {
      if (auto lst = load(units_[i], i); !lst) return lst;
    }
    return failed;
  }
  for (std::size_t i = 0; i < units_.size(); ++i) {
    if (!d.infos[i]) continue;
    units_[i].written = d.infos[i]->position;
    units_[i].rows->written();
  }
  return status::ok();
}

status projection_set::flush_deferred() {
  if (auto st = settle(); !st) return st;
  deferred_write& d = deferred_;
  d.infos.assign(units_.size(), std::nullopt);
  bool any = false;
  for (std::size_t i = 0; i < units_.size(); ++i) {
    unit& u = units_[i];
    if (!u.touched) continue;
    any = true;
    d.infos[i] = u.info;
    u.rows->for_each_change([&](const std::string& key, const std::optional<std::string>& was,
                                const std::optional<std::string>& now) {
      d.changes.push_back(deferred_write::owned_change{i, key, was, now});
    });
    u.rows->commit_unwritten();
    u.touched = false;
  }
  d.prepared = any;
  return status::ok();
}

status projection_set::flush() {
  if (auto st = settle(); !st) return st;
  scratch_.clear();
  owned_.clear();
  std::size_t dirty = 0;
  for (const unit& u : units_) dirty += u.touched ? u.rows->dirty() : 0;
  flush_rows(scratch_, workers_ && dirty >= parallel_flush_rows_min);
  if (scratch_.empty()) return status::ok();
  auto st = store_.write_all(scratch_);
  if (!st) {
    // Back to what is durable: positions, counters, digests and rows.
    for (std::size_t i = 0; i < units_.size(); ++i) {
      if (auto lst = load(units_[i], i); !lst) return lst;
    }
    return st;
  }
  ++writes_;
  rows_written_ += scratch_.size();
  for (unit& u : units_) {
    if (!u.touched) continue;
    u.rows->commit();
    u.touched = false;
    u.written = u.info.position;
  }
  return status::ok();
}

status projection_set::rebuild(std::size_t i) {
  if (auto st = settle(); !st) return st;
  unit& u = units_[i];
  u.rows->discard();
  if (auto st = store_.clear(i); !st) return st;
  return load(u, i);
}

std::uint64_t projection_set::rows_read_below() const noexcept {
  std::uint64_t n = 0;
  for (const unit& u : units_) n += u.rows->reads_below();
  return n;
}

std::string projection_set::digest_hex(std::size_t i) const { return units_[i].digest.total().digest_hex(); }

std::string projection_set::bucket_hex(std::size_t i, std::uint8_t bucket) const {
  return units_[i].digest.bucket(bucket).digest_hex();
}

std::vector<retail::register_conflict> projection_set::take_conflicts() {
  std::vector<retail::register_conflict> out;
  out.swap(conflicts_);
  return out;
}

} // namespace sn::projections
