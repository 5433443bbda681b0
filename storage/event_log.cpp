#include "storage/event_log.hpp"

#include "events/assert.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "events/codec.hpp"
#include "storage/errc.hpp"
#include "storage/hash_check.hpp"
#include "storage/keys.hpp"
#include "storage/rocks_config.hpp"

namespace sn::storage {

namespace {

// Bytes a sequential scan reads ahead; replays walk the log front to back.
constexpr std::size_t scan_readahead_bytes = 2 << 20;

std::shared_ptr<spdlog::logger> logger() {
  static const std::shared_ptr<spdlog::logger> lg = [] {
    if (auto l = spdlog::get("storage")) return l;
    auto l = spdlog::default_logger()->clone("storage");
    try {
      spdlog::register_logger(l);
    } catch (const spdlog::spdlog_ex&) {
      if (auto other = spdlog::get("storage")) return other;  // registered concurrently
    }
    return l;
  }();
  return lg;
}

rocksdb::Slice as_slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

/// Where one origin stands during one append: the head held before the batch
/// and the head after the events of the batch accepted so far.
struct work_head {
  std::string_view origin;    // points into the caller's batch (outlives append)
  std::uint64_t held_seq = 0; // head seq in the log before this batch
  std::uint64_t seq = 0;      // head seq including accepted events of this batch
  hash256 hash{};
  bool dirty = false;          // head moved: write the heads entry
  keys::index_run run;         // the origin's last index run, extended as events land
  bool run_dirty = false;      // run changed: write its index entry
};

} // namespace

struct event_log::impl {
  log_options opts;
  rocks::db_handle h;
  std::string secondary_dir;  // read_only: the secondary's scratch dir while opening (removed after)

  std::atomic<std::uint64_t> last_pos{0};
  mutable std::mutex checkpoint_mu;  // one checkpoint at a time
  mutable std::shared_mutex heads_mu;  // guards heads: the writer updates, readers copy
  std::unordered_map<std::string, origin_head> heads;
  // read_write only, writer thread only: each origin's last index run, so
  // append extends it without reading the index.
  std::unordered_map<std::string, keys::index_run> runs;

  // Append scratch, reused across calls (one writer thread).
  rocksdb::WriteBatch wb;
  std::string encoded;
  std::string key;
  std::string stored;
  std::vector<work_head> work;

  ~impl() {
    h.close();
    if (!secondary_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(secondary_dir, ec);
    }
  }

  rocksdb::ColumnFamilyHandle* cf(std::size_t i) const { return h.cfs[i]; }
  /// The signatures family; nullptr in a read-only view of a dir that has none.
  rocksdb::ColumnFamilyHandle* signatures_cf() const {
    const std::size_t i = h.find(rocks::signatures_cf_name);
    return i < h.cfs.size() ? h.cfs[i] : nullptr;
  }
  bool read_only() const { return opts.mode == open_mode::read_only; }

  /// Adds each signature whose (origin, seq) the log holds once the batch in
  /// `wb` is applied (the work heads, else the cached heads) to `wb`.
  status put_signatures(const std::vector<trust::origin_signature>& sigs) {
    auto* family = signatures_cf();
    if (family == nullptr) {
      return make_error(errc::read_only, "no signatures family in " + opts.data_dir + " (read-only, or made without one)");
    }
    for (const auto& sig : sigs) {
      std::uint64_t held = 0;
      auto w = std::find_if(work.begin(), work.end(), [&](const work_head& x) { return x.origin == sig.origin; });
      if (w != work.end()) {
        held = w->seq;
      } else {
        std::shared_lock lock(heads_mu);
        auto it = heads.find(sig.origin);
        if (it != heads.end()) held = it->second.seq.value();
      }
      if (sig.seq == 0 || sig.seq > held) continue;
      key.clear();
      keys::index_key(key, sig.origin, sig.seq);
      auto s = wb.Put(family, as_slice(key),
                      rocksdb::Slice(reinterpret_cast<const char*>(sig.sig.data()), sig.sig.size()));
      if (!s.ok()) return rocks::to_error(s, "cannot build a batch for", opts.data_dir);
    }
    return status::ok();
  }

  status load_caches() {
    std::unordered_map<std::string, origin_head> loaded;
    {
      std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), cf(rocks::cf_heads)));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto parts = keys::parse_head_value(std::string_view(it->value().data(), it->value().size()));
        if (!parts) {
          // A tool must still open a damaged log (the audit reports it); the
          // node must not append on top of it.
          if (!read_only()) {
            return make_error(errc::corrupt, "heads entry of origin " + it->key().ToString() + " in " + opts.data_dir +
                                                 " does not parse; run storectl audit verify");
          }
          continue;
        }
        loaded[it->key().ToString()] = origin_head{origin_seq{parts->seq}, parts->hash};
      }
      if (!it->status().ok()) return rocks::to_error(it->status(), "cannot read heads of", opts.data_dir);
    }
    std::uint64_t last = 0;
    {
      std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), cf(rocks::cf_log)));
      it->SeekToLast();
      if (it->Valid()) {
        if (it->key().size() != keys::u64_bytes) {
          return make_error(errc::corrupt, "log key of unexpected size in " + opts.data_dir);
        }
        last = keys::get_u64_be(std::string_view(it->key().data(), it->key().size()));
      }
      if (!it->status().ok()) return rocks::to_error(it->status(), "cannot read log of", opts.data_dir);
    }
    std::unordered_map<std::string, keys::index_run> loaded_runs;
    if (!read_only()) {
      for (const auto& [origin, head] : loaded) {
        if (auto run = find_run(origin, head.seq.value()); run && run->covers(head.seq.value())) {
          loaded_runs[origin] = *run;
        }
      }
    }
    {
      std::unique_lock lock(heads_mu);
      heads = std::move(loaded);
    }
    runs = std::move(loaded_runs);
    last_pos.store(last, std::memory_order_release);
    return status::ok();
  }

  /// The index run of `origin` with the greatest first_seq <= seq (which may
  /// end before seq); nullopt when there is none.
  std::optional<keys::index_run> find_run(std::string_view origin, std::uint64_t seq) const {
    const std::string lower = keys::index_prefix(origin);
    std::string upper(origin);
    upper.push_back('\x01');  // first key after every "origin\0..." key
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, cf(rocks::cf_index)));
    it->SeekForPrev(keys::index_key(origin, seq));
    if (!it->Valid()) return std::nullopt;
    auto r = keys::parse_run(std::string_view(it->key().data(), it->key().size()),
                             std::string_view(it->value().data(), it->value().size()));
    if (!r) return std::nullopt;
    return r->run;
  }

  std::optional<std::uint64_t> position_of(std::string_view origin, std::uint64_t seq) const {
    auto run = find_run(origin, seq);
    if (!run || !run->covers(seq)) return std::nullopt;
    return run->position_of(seq);
  }

  void put_run(std::string_view origin, const keys::index_run& run) {
    key.clear();
    keys::index_key(key, origin, run.first_seq);
    char v[keys::run_value_bytes];
    keys::store_u64_be(v, run.first_position);
    keys::store_u64_be(v + keys::u64_bytes, run.count);
    wb.Put(cf(rocks::cf_index), key, rocksdb::Slice(v, sizeof v)).PermitUncheckedError();
  }

  work_head& work_for(const std::string& origin) {
    for (auto& w : work) {
      if (w.origin == origin) return w;
    }
    work_head w;
    w.origin = origin;
    if (auto it = runs.find(origin); it != runs.end()) w.run = it->second;
    {
      std::shared_lock lock(heads_mu);
      auto it = heads.find(origin);
      if (it != heads.end()) {
        w.held_seq = w.seq = it->second.seq.value();
        w.hash = it->second.hash;
      }
    }
    work.push_back(w);
    return work.back();
  }

  /// Outcome for an event whose (origin, seq) the log or the batch already has.
  append_outcome check_held(const std::vector<event>& batch, std::size_t i, const work_head& w,
                            const std::vector<append_outcome>& outcomes) {
    const event& e = batch[i];
    if (e.seq.value() > w.held_seq) {
      // Accepted earlier in this same batch.
      for (std::size_t j = 0; j < i; ++j) {
        if (outcomes[j] == append_outcome::appended && batch[j].seq == e.seq && batch[j].origin == e.origin) {
          return batch[j] == e ? append_outcome::duplicate : append_outcome::fork;
        }
      }
      return append_outcome::fork;  // unreachable while work heads are consistent
    }
    auto pos = position_of(e.origin.value(), e.seq.value());
    if (!pos) {
      // The head says we hold it but the index does not: never accept on top of that.
      logger()->error("index has no entry for held event {}:{} in {}", e.origin.value(), e.seq.value(), opts.data_dir);
      return append_outcome::fork;
    }
    if (!h.db->Get(rocksdb::ReadOptions(), cf(rocks::cf_log), keys::position_key(*pos), &stored).ok()) {
      logger()->error("log has no event at the indexed position of {}:{} in {}", e.origin.value(), e.seq.value(),
                      opts.data_dir);
      return append_outcome::fork;
    }
    encoded.clear();
    encode(e, encoded);
    return encoded == stored ? append_outcome::duplicate : append_outcome::fork;
  }

  template <class Fn>
  status iterate(std::size_t cf_index, const rocksdb::ReadOptions& ro, const std::string& start, Fn&& fn) const {
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, cf(cf_index)));
    for (it->Seek(start); it->Valid(); it->Next()) {
      if (!fn(std::string_view(it->key().data(), it->key().size()),
              std::string_view(it->value().data(), it->value().size()))) {
        break;
      }
    }
    if (!it->status().ok()) return rocks::to_error(it->status(), "cannot read", opts.data_dir);
    return status::ok();
  }

  std::optional<std::string> get(std::size_t cf_index, std::string_view k) const {
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), cf(cf_index), as_slice(k), &v);
    if (!s.ok()) {
      if (!s.IsNotFound()) logger()->warn("read of {} in {} failed: {}", rocks::cf_name(cf_index), opts.data_dir, s.ToString());
      return std::nullopt;
    }
    return v;
  }

  status write_one(std::size_t cf_index, std::string_view k, std::string_view v, bool sync, bool wal = true) {
    if (read_only()) return make_error(errc::read_only, "event log " + opts.data_dir + " is open read-only");
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    wo.disableWAL = !wal;
    auto s = h.db->Put(wo, cf(cf_index), as_slice(k), as_slice(v));
    if (!s.ok()) return rocks::to_error(s, "cannot write", opts.data_dir);
    return status::ok();
  }

  /// Events of `origin` with seq >= from, at most `limit`, walking the
  /// index runs and reading each run's positions with one log iterator.
  std::vector<stored_bytes> origin_bytes(std::string_view origin, std::uint64_t from, std::size_t limit) const {
    std::vector<stored_bytes> out;
    if (limit == 0) return out;
    const std::string lower = keys::index_prefix(origin);
    std::string upper(origin);
    upper.push_back('\x01');
    rocksdb::Slice lower_slice(lower), upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> runs_it(h.db->NewIterator(ro, cf(rocks::cf_index)));
    std::unique_ptr<rocksdb::Iterator> log_it(h.db->NewIterator(rocksdb::ReadOptions(), cf(rocks::cf_log)));
    runs_it->SeekForPrev(keys::index_key(origin, from));
    if (!runs_it->Valid()) runs_it->Seek(keys::index_key(origin, from));
    for (; runs_it->Valid() && out.size() < limit; runs_it->Next()) {
      auto r = keys::parse_run(std::string_view(runs_it->key().data(), runs_it->key().size()),
                               std::string_view(runs_it->value().data(), runs_it->value().size()));
      if (!r) continue;
      const keys::index_run& run = r->run;
      const std::uint64_t first = std::max(from, run.first_seq);
      if (!run.covers(first)) continue;
      std::uint64_t pos = run.position_of(first);
      const std::uint64_t end = run.first_position + run.count;
      for (log_it->Seek(keys::position_key(pos)); log_it->Valid() && pos < end && out.size() < limit;
           log_it->Next(), ++pos) {
        if (keys::get_u64_be(std::string_view(log_it->key().data(), log_it->key().size())) != pos) break;
        out.push_back(stored_bytes{log_position{pos}, log_it->value().ToString()});
      }
    }
    if (!runs_it->status().ok() || !log_it->status().ok()) {
      logger()->warn("read of origin {} in {} failed: {}", origin, opts.data_dir,
                     (runs_it->status().ok() ? log_it->status() : runs_it->status()).ToString());
    }
    return out;
  }

  status scan_log(log_position from, log_position to, bool readahead,
                  const std::function<bool(log_position, std::string_view bytes)>& fn) const;

};

namespace {

std::vector<stored_event> decode_all(std::vector<stored_bytes>&& raw, const std::string& data_dir) {
  std::vector<stored_event> out;
  out.reserve(raw.size());
  for (auto& r : raw) {
    auto e = decode(r.bytes);
    if (!e) {
      // Skipped, never invented: `storectl audit verify` names it.
      logger()->warn("undecodable event at position {} in {}: {}", r.position.value(), data_dir, e.error().message);
      continue;
    }
    out.push_back(stored_event{r.position, std::move(*e)});
  }
  return out;
}

} // namespace

event_log::event_log(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
event_log::~event_log() = default;

rocks::db_handle& event_log::db_handle_internal() noexcept { return impl_->h; }

memory_usage event_log::memory() const {
  memory_usage m;
  m.budget = impl_->opts.block_cache_bytes;
  auto& db = *impl_->h.db;
  const auto one = [&](const char* name) {
    std::uint64_t v = 0;
    return db.GetIntProperty(name, &v) ? v : 0;
  };
  const auto all = [&](const char* name) {
    std::uint64_t v = 0;
    return db.GetAggregatedIntProperty(name, &v) ? v : 0;
  };
  m.block_cache = one(rocksdb::DB::Properties::kBlockCacheUsage.c_str());
  m.block_cache_pinned = one(rocksdb::DB::Properties::kBlockCachePinnedUsage.c_str());
  m.memtables = all(rocksdb::DB::Properties::kCurSizeAllMemTables.c_str());
  m.table_readers = all(rocksdb::DB::Properties::kEstimateTableReadersMem.c_str());
  return m;
}

storage_io event_log::io() const { return rocks::io_of(impl_->h); }

expected<std::unique_ptr<event_log>> event_log::open(const log_options& options) {
  if (options.data_dir.empty()) return make_error(errc::invalid_argument, "data_dir is empty");
  auto p = std::make_unique<impl>();
  p->opts = options;
  if (options.mode == open_mode::read_write) {
    if (auto st = rocks::open_read_write(options, p->h); !st) return st.error();
  } else {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sn-storage-secondary-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return make_error(errc::io, "cannot create a scratch dir for the read-only open of " + options.data_dir);
    }
    p->secondary_dir = tmpl;
    if (auto st = rocks::open_secondary(options, p->secondary_dir, p->h); !st) return st.error();
    // The secondary keeps nothing there once open (its info log is off), so
    // the scratch dir goes now rather than at close: a tool that is killed or
    // exits without running destructors leaves nothing under /tmp.
    std::error_code ec;
    std::filesystem::remove_all(p->secondary_dir, ec);
    p->secondary_dir.clear();
  }
  if (auto st = p->load_caches(); !st) return st.error();
  return std::unique_ptr<event_log>(new event_log(std::move(p)));
}

expected<append_result> event_log::append(const std::vector<event>& batch, const std::vector<side_write>& idempotency,
                                          const append_options& options) {
  impl& m = *impl_;
  if (m.read_only()) return make_error(errc::read_only, "event log " + m.opts.data_dir + " is open read-only");
  if (batch.size() > append_events_max) {
    return make_error(errc::invalid_argument, "append of " + std::to_string(batch.size()) + " events; at most " +
                                                  std::to_string(append_events_max) + " per call");
  }

  append_result r;
  r.outcomes.assign(batch.size(), append_outcome::appended);
  r.positions.assign(batch.size(), log_position{0});
  m.wb.Clear();
  m.work.clear();
  std::uint64_t next_pos = m.last_pos.load(std::memory_order_relaxed) + 1;
  char pos_key[keys::u64_bytes];

  for (std::size_t i = 0; i < batch.size(); ++i) {
    const event& e = batch[i];
    auto& outcome = r.outcomes[i];
    if (e.seq.value() == 0 || !valid_device_id(e.origin.value())) {
      outcome = append_outcome::invalid;
      continue;
    }
    if (i >= options.sealed_here && !options.local_origin.empty() && e.origin.value() == options.local_origin) {
      outcome = append_outcome::own_origin;
      continue;
    }
    work_head& w = m.work_for(e.origin.value());
    const std::uint64_t seq = e.seq.value();
    if (seq <= w.seq) {
      outcome = m.check_held(batch, i, w, r.outcomes);
      continue;
    }
    if (seq > w.seq + 1) {
      outcome = append_outcome::gap;
      continue;
    }
    // seq == head + 1. prev_hash first (cheap); for seq 1 the head hash is all zero.
    if (e.prev_hash != w.hash) {
      outcome = append_outcome::bad_hash;
      continue;
    }
    m.encoded.clear();
    encode(e, m.encoded);
    if (m.encoded.size() > event_bytes_max) {
      outcome = append_outcome::too_large;
      continue;
    }
    // Same check as sn::verify_hash, on the bytes just encoded (hash_check.hpp).
    if (i >= options.sealed_here && !encoded_hash_matches(m.encoded, e.hash)) {
      outcome = append_outcome::bad_hash;
      continue;
    }
    SN_ASSERT(seq == w.seq + 1 && e.prev_hash == w.hash, "chain continuity at append");
    const std::uint64_t pos = next_pos++;
    SN_ASSERT(pos == m.last_pos.load(std::memory_order_relaxed) + 1 + r.appended, "positions are dense");
    keys::store_u64_be(pos_key, pos);
    auto s1 = m.wb.Put(m.cf(rocks::cf_log), rocksdb::Slice(pos_key, sizeof pos_key), m.encoded);
    if (!s1.ok()) return rocks::to_error(s1, "cannot build a batch for", m.opts.data_dir);
    if (w.run.extends_to(seq, pos)) {
      ++w.run.count;
    } else {
      if (w.run_dirty) m.put_run(w.origin, w.run);  // that run is complete
      w.run = keys::index_run{seq, pos, 1};
    }
    w.run_dirty = true;
    w.seq = seq;
    w.hash = e.hash;
    w.dirty = true;
    r.positions[i] = log_position{pos};
    ++r.appended;
  }

  for (const auto& w : m.work) {
    if (w.run_dirty) m.put_run(w.origin, w.run);
    if (!w.dirty) continue;
    m.stored.clear();
    keys::head_value(m.stored, w.seq, w.hash);
    auto s = m.wb.Put(m.cf(rocks::cf_heads), as_slice(w.origin), m.stored);
    if (!s.ok()) return rocks::to_error(s, "cannot build a batch for", m.opts.data_dir);
  }
  for (const auto& sw : idempotency) {
    if (sw.events_to > batch.size() || sw.events_from > sw.events_to) {
      return make_error(errc::invalid_argument, "side write names events outside the batch");
    }
    bool held = true;
    for (std::size_t i = sw.events_from; i < sw.events_to && held; ++i) held = r.outcomes[i] == append_outcome::appended;
    if (!held) continue;
    auto s = m.wb.Put(m.cf(rocks::cf_idempotency), sw.key, sw.value);
    if (!s.ok()) return rocks::to_error(s, "cannot build a batch for", m.opts.data_dir);
  }
  if (options.signatures != nullptr) {
    if (auto st = m.put_signatures(*options.signatures); !st) return st.error();
  }
  if (m.wb.Count() == 0) return r;

  rocksdb::WriteOptions wo;
  wo.sync = m.opts.sync == durability::fsync;
  auto s = m.h.db->Write(wo, &m.wb);
  if (!s.ok()) {
    // Nothing of the batch is stored: positions and heads stay as they were.
    return rocks::to_error(s, "cannot append to", m.opts.data_dir);
  }
  {
    std::unique_lock lock(m.heads_mu);
    for (const auto& w : m.work) {
      if (w.dirty) m.heads[std::string(w.origin)] = origin_head{origin_seq{w.seq}, w.hash};
    }
  }
  for (const auto& w : m.work) {
    if (w.run_dirty) m.runs[std::string(w.origin)] = w.run;
  }
  m.last_pos.store(next_pos - 1, std::memory_order_release);
  return r;
}

status event_log::put_meta(std::string_view key, std::string_view value) {
  // Term and vote must survive a crash as surely as events do.
  return impl_->write_one(rocks::cf_meta, key, value, impl_->opts.sync == durability::fsync);
}

status event_log::put_meta_unsynced(std::string_view key, std::string_view value) {
  return impl_->write_one(rocks::cf_meta, key, value, false);
}

status event_log::save_projection(std::string_view name, std::string_view state, log_position checkpoint) {
  std::string v;
  v.reserve(keys::u64_bytes + state.size());
  keys::put_u64_be(v, checkpoint.value());
  v.append(state.data(), state.size());
  // A checkpoint is large (tens of MB for a big store) and self-contained
  // (state + the position it reflects): it bypasses the WAL so that it never
  // delays the event log's fsyncs, and is flushed to a table file in the
  // background. A crash before that flush loses only this checkpoint (the
  // previous one, or a longer replay, takes its place).
  if (auto s = impl_->write_one(rocks::cf_projections, name, v, false, /*wal=*/false); !s) return s;
  rocksdb::FlushOptions fo;
  fo.wait = false;
  fo.allow_write_stall = true;
  auto fs = impl_->h.db->Flush(fo, impl_->cf(rocks::cf_projections));
  if (!fs.ok()) return rocks::to_error(fs, "cannot flush the projection checkpoint", impl_->opts.data_dir);
  return status::ok();
}

std::optional<std::string> event_log::get_meta(std::string_view key) const { return impl_->get(rocks::cf_meta, key); }

std::optional<std::pair<std::string, log_position>> event_log::load_projection(std::string_view name) const {
  auto v = impl_->get(rocks::cf_projections, name);
  if (!v || v->size() < keys::u64_bytes) return std::nullopt;
  return std::make_pair(v->substr(keys::u64_bytes), log_position{keys::get_u64_be(*v)});
}

std::optional<std::string> event_log::get_idempotency(std::string_view key) const {
  return impl_->get(rocks::cf_idempotency, key);
}

log_position event_log::last_position() const { return log_position{impl_->last_pos.load(std::memory_order_acquire)}; }

std::vector<stored_bytes> event_log::read_bytes_from(log_position from, std::size_t limit) const {
  std::vector<stored_bytes> out;
  if (limit == 0) return out;
  // Small reads (sync batches, HTTP pages): no readahead.
  auto st = impl_->scan_log(from, log_position{0}, false, [&](log_position p, std::string_view bytes) {
    out.push_back(stored_bytes{p, std::string(bytes)});
    return out.size() < limit;
  });
  if (!st) logger()->warn("{}", st.error().to_string());
  return out;
}

std::vector<stored_event> event_log::read_from(log_position from, std::size_t limit) const {
  return decode_all(read_bytes_from(from, limit), impl_->opts.data_dir);
}

status event_log::scan(log_position from, log_position to,
                       const std::function<bool(log_position, std::string_view bytes)>& fn) const {
  return impl_->scan_log(from, to, true, fn);
}

status event_log::impl::scan_log(log_position from, log_position to, bool readahead,
                                 const std::function<bool(log_position, std::string_view bytes)>& fn) const {
  rocksdb::ReadOptions ro;
  if (readahead) ro.readahead_size = scan_readahead_bytes;
  std::string upper;
  rocksdb::Slice upper_slice;
  if (to.value() != 0) {
    upper = keys::position_key(to.value());
    upper_slice = rocksdb::Slice(upper);
    ro.iterate_upper_bound = &upper_slice;
  }
  bool bad_key = false;
  auto st = iterate(rocks::cf_log, ro, keys::position_key(from.value()), [&](std::string_view k, std::string_view v) {
    if (k.size() != keys::u64_bytes) {
      bad_key = true;
      return false;
    }
    return fn(log_position{keys::get_u64_be(k)}, v);
  });
  if (!st) return st;
  if (bad_key) return make_error(errc::corrupt, "log key of unexpected size in " + opts.data_dir);
  return status::ok();
}

std::vector<stored_bytes> event_log::read_origin_bytes(const device_id& origin, origin_seq from, std::size_t limit) const {
  return impl_->origin_bytes(origin.value(), from.value(), limit);
}

std::vector<stored_event> event_log::read_origin(const device_id& origin, origin_seq from, std::size_t limit) const {
  return decode_all(read_origin_bytes(origin, from, limit), impl_->opts.data_dir);
}

std::optional<stored_event> event_log::get(const device_id& origin, origin_seq seq) const {
  auto pos = index_position(origin, seq);
  if (!pos) return std::nullopt;
  auto v = impl_->get(rocks::cf_log, keys::position_key(pos->value()));
  if (!v) return std::nullopt;
  auto e = decode(*v);
  if (!e) {
    logger()->warn("undecodable event at position {} in {}: {}", pos->value(), impl_->opts.data_dir, e.error().message);
    return std::nullopt;
  }
  return stored_event{*pos, std::move(*e)};
}

std::optional<origin_head> event_log::head(const device_id& origin) const {
  std::shared_lock lock(impl_->heads_mu);
  auto it = impl_->heads.find(origin.value());
  if (it == impl_->heads.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, origin_head> event_log::heads() const {
  std::shared_lock lock(impl_->heads_mu);
  return std::map<std::string, origin_head>(impl_->heads.begin(), impl_->heads.end());
}

version_vector event_log::versions() const {
  version_vector out;
  std::shared_lock lock(impl_->heads_mu);
  for (const auto& [origin, h] : impl_->heads) out.emplace(origin, h.seq.value());
  return out;
}

std::uint64_t event_log::size() const { return impl_->last_pos.load(std::memory_order_acquire); }

const log_options& event_log::options() const noexcept { return impl_->opts; }

std::optional<log_position> event_log::index_position(const device_id& origin, origin_seq seq) const {
  auto p = impl_->position_of(origin.value(), seq.value());
  if (!p) return std::nullopt;
  return log_position{*p};
}

status event_log::scan_index(
    const std::function<bool(std::string_view origin, origin_seq seq, log_position pos)>& fn) const {
  std::size_t bad = 0;
  rocksdb::ReadOptions ro;
  ro.readahead_size = scan_readahead_bytes;
  auto st = impl_->iterate(rocks::cf_index, ro, std::string(), [&](std::string_view k, std::string_view v) {
    auto r = keys::parse_run(k, v);
    if (!r) {
      ++bad;
      return true;
    }
    for (std::uint64_t i = 0; i < r->run.count; ++i) {
      if (!fn(r->origin, origin_seq{r->run.first_seq + i}, log_position{r->run.first_position + i})) return false;
    }
    return true;
  });
  if (!st) return st;
  if (bad != 0) {
    return make_error(errc::corrupt, std::to_string(bad) + " index entries of unexpected layout in " + impl_->opts.data_dir);
  }
  return status::ok();
}

std::map<std::string, origin_head> event_log::stored_heads() const {
  std::map<std::string, origin_head> out;
  auto st = impl_->iterate(rocks::cf_heads, rocksdb::ReadOptions(), std::string(), [&](std::string_view k, std::string_view v) {
    auto parts = keys::parse_head_value(v);
    out[std::string(k)] = parts ? origin_head{origin_seq{parts->seq}, parts->hash} : origin_head{};
    return true;
  });
  if (!st) logger()->warn("{}", st.error().to_string());
  return out;
}

expected<checkpoint_result> event_log::checkpoint(const std::string& dir) const {
  const impl& m = *impl_;
  if (m.read_only()) {
    return make_error(errc::read_only, "cannot checkpoint " + m.opts.data_dir +
                                           ": opened read-only (a RocksDB secondary cannot hold the writer's file "
                                           "deletions; only the process that holds the data dir can checkpoint it)");
  }
  std::lock_guard<std::mutex> one_at_a_time(m.checkpoint_mu);
  auto target = rocks::checkpoint_target(dir, m.opts.data_dir);
  if (!target) return target.error();
  const auto t0 = std::chrono::steady_clock::now();
  // Read before the checkpoint starts: every event at or below it was
  // written (acknowledged) before, so the copy holds it.
  checkpoint_result r;
  r.position = log_position{m.last_pos.load(std::memory_order_acquire)};
  if (auto st = rocks::create_checkpoint(*m.h.db, *target, m.opts.data_dir); !st) return st.error();
  r.elapsed_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  logger()->info("checkpoint of {} into {}: position {} in {} ms", m.opts.data_dir, *target, r.position.value(),
                 r.elapsed_ms);
  return r;
}

namespace {
std::optional<trust::origin_signature> parse_signature(std::string_view k, std::string_view v) {
  const auto zero = k.find('\0');
  if (zero == std::string_view::npos || k.size() != zero + 1 + keys::u64_bytes) return std::nullopt;
  trust::origin_signature s;
  if (v.size() != s.sig.size()) return std::nullopt;
  s.origin = std::string(k.substr(0, zero));
  s.seq = keys::get_u64_be(k.substr(zero + 1));
  std::copy(v.begin(), v.end(), reinterpret_cast<char*>(s.sig.data()));
  return s;
}
}  // namespace

std::vector<trust::origin_signature> event_log::signatures(const device_id& origin, origin_seq from, origin_seq to,
                                                           std::size_t limit) const {
  std::vector<trust::origin_signature> out;
  auto* family = impl_->signatures_cf();
  if (family == nullptr || limit == 0 || from.value() > to.value()) return out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->h.db->NewIterator(rocksdb::ReadOptions(), family));
  for (it->Seek(keys::index_key(origin.value(), from.value())); it->Valid() && out.size() < limit; it->Next()) {
    auto s = parse_signature(std::string_view(it->key().data(), it->key().size()),
                             std::string_view(it->value().data(), it->value().size()));
    if (!s || s->origin != origin.value() || s->seq > to.value()) break;
    out.push_back(std::move(*s));
  }
  return out;
}

std::optional<trust::origin_signature> event_log::signature_at_or_after(const device_id& origin,
                                                                        origin_seq from) const {
  auto v = signatures(origin, from, origin_seq{~std::uint64_t{0}}, 1);
  if (v.empty()) return std::nullopt;
  return std::move(v.front());
}

status event_log::scan_signatures(const std::function<bool(const trust::origin_signature&)>& fn) const {
  auto* family = impl_->signatures_cf();
  if (family == nullptr) return status::ok();
  std::size_t bad = 0;
  std::unique_ptr<rocksdb::Iterator> it(impl_->h.db->NewIterator(rocksdb::ReadOptions(), family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto s = parse_signature(std::string_view(it->key().data(), it->key().size()),
                             std::string_view(it->value().data(), it->value().size()));
    if (!s) {
      ++bad;
      continue;
    }
    if (!fn(*s)) break;
  }
  if (!it->status().ok()) return rocks::to_error(it->status(), "cannot read", impl_->opts.data_dir);
  if (bad != 0) {
    return make_error(errc::corrupt, std::to_string(bad) + " signature entries of unexpected layout in " +
                                         impl_->opts.data_dir);
  }
  return status::ok();
}

status event_log::catch_up() {
  impl& m = *impl_;
  if (!m.read_only()) return status::ok();
  auto s = m.h.db->TryCatchUpWithPrimary();
  if (!s.ok()) return rocks::to_error(s, "cannot catch up with", m.opts.data_dir);
  return m.load_caches();
}

} // namespace sn::storage
