// Test support: one node's log and projections in memory behind a command
// handler's decision source (the node does the same over RocksDB:
// node/node.cpp restore(), actors/projection_rows.hpp make_decision_source).
//
// append() puts a committed event at the log's next position and, unless
// `auto_fold` is off, folds it into the projection set at once; with
// auto_fold off the projections lag until fold() — the race of a projection
// actor behind (or ahead of) the command actor, played by hand.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/projections/decision_rows.hpp"
#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/projections/staff.hpp"
#include "actors/retail/command_handler.hpp"

namespace sn::test {

class memory_node {
 public:
  explicit memory_node(device_id self, retail::store_settings settings = {})
      : self_(std::move(self)),
        settings_(settings),
        store_(projections::all_projections().size()),
        set_(settings, projections::all_projections(), store_) {
    (void)set_.open();
    for (std::size_t p = 0; p < retail::source_part_count; ++p)
      parts_[p] = *set_.index_of(projections::decision_part_names[p]);
  }
  memory_node(const memory_node&) = delete;
  memory_node& operator=(const memory_node&) = delete;

  /// A committed event at the next position (own events: their seq is
  /// remembered for the source's own_position()).
  std::uint64_t append(const event& e) {
    log_.push_back(e);
    const std::uint64_t pos = log_.size();
    if (e.origin == self_) own_[e.seq.value()] = pos;
    if (auto_fold) fold();
    return pos;
  }
  /// An idempotency record stored with a command's events (the log writer's
  /// side write): what the source's idempotency_record() reads.
  void store_record(const std::string& key, const std::string& value) { records_[key] = value; }
  const std::map<std::string, std::string>& records() const noexcept { return records_; }
  /// Folds the log into the projections through `upto` (default: all).
  void fold(std::uint64_t upto = std::uint64_t(-1)) {
    for (std::uint64_t p = set_.lowest_position() + 1; p <= log_.size() && p <= upto; ++p) {
      set_.apply(p, log_[p - 1], false);
    }
    (void)set_.flush();
    set_.take_conflicts();
  }
  /// A decision source over these rows (the node must outlive it).
  std::unique_ptr<retail::decision_source> source() {
    return std::make_unique<projections::rows_decision_source>(
        settings_, [this](bool) { return std::make_unique<snapshot>(*this); },
        [this] {
          retail::part_positions out{};
          for (std::size_t p = 0; p < out.size(); ++p) out[p] = set_.info(parts_[p]).position;
          return out;
        },
        [this](const std::string& key) -> std::optional<std::string> {
          auto it = records_.find(key);
          if (it == records_.end()) return std::nullopt;
          return it->second;
        });
  }
  /// A handler restored the way the node starts: state from the rows (after
  /// folding the whole log), clock after every event, own seq from the log.
  std::unique_ptr<retail::command_handler> restore_handler() {
    fold();
    auto h = std::make_unique<retail::command_handler>(settings_, self_, source());
    projections::load_decision_state(rows("catalog"), rows("sales"), h->state());
    // The staff registers, as node.cpp restore() loads them.
    projections::staff::for_each_profile(rows("staff"), [&](const projections::staff::profile_register& r) {
      h->restore_staff(r.id, r.name, r.role, r.active, r.removed, r.hlc, r.origin, r.seq);
    });
    h->start_at(log_.size());
    for (const event& e : log_) {
      h->restore_clock(e.hlc);
      if (e.origin == self_) h->restore_own_seq(e.seq.value());
    }
    return h;
  }

  const projections::row_reader& rows(const char* projection) const { return store_.rows(*set_.index_of(projection)); }
  projections::projection_set& set() noexcept { return set_; }
  const std::vector<event>& log() const noexcept { return log_; }
  std::uint64_t head() const noexcept { return log_.size(); }

  bool auto_fold = true;

 private:
  class snapshot final : public projections::decision_snapshot {
   public:
    explicit snapshot(const memory_node& n) : n_(n) {}
    const projections::row_reader& rows(retail::source_part p) const override {
      return n_.store_.rows(n_.parts_[static_cast<std::size_t>(p)]);
    }
    std::optional<std::uint64_t> own_position(std::uint64_t seq) const override {
      auto it = n_.own_.find(seq);
      if (it == n_.own_.end()) return std::nullopt;
      return it->second;
    }

   private:
    const memory_node& n_;
  };

  device_id self_;
  retail::store_settings settings_;
  projections::memory_row_store store_;
  projections::projection_set set_;
  std::array<std::size_t, retail::source_part_count> parts_{};
  std::vector<event> log_;
  std::map<std::uint64_t, std::uint64_t> own_;
  std::map<std::string, std::string> records_;
};

}  // namespace sn::test
