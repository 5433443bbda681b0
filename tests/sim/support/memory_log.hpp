// An in-memory event log for simulations and unit tests. It applies exactly the
// acceptance rules of storage::event_log::append (storage/event_log.hpp): next
// seq of its origin, hash verifies, prev_hash chains; the identical event again
// is a duplicate, a different event at a held seq a fork. It implements
// sync::log_reader so a sync_fsm can read it.
//
// "Nothing applied twice" is checked here, by construction and by assertion:
// every stored event's hash is kept in a set and a second insert is recorded
// as a violation (double_applies()), which the simulation turns into a failure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <cstring>
#include <unordered_set>
#include <string>
#include <vector>

#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/sync/log_reader.hpp"
#include "events/event.hpp"
#include "storage/event_log.hpp"  // append_outcome

namespace sn::sim {

/// Event hashes are uniformly random: their first 8 bytes are a fine hash.
struct hash256_hasher {
  std::size_t operator()(const sn::hash256& h) const noexcept {
    std::size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};
using hash_set = std::unordered_set<sn::hash256, hash256_hasher>;

class memory_log final : public sync::log_reader {
public:
  /// `owner`: the device whose own events write_own() creates.
  explicit memory_log(std::string owner);

  /// Appends a batch with the real log's rules; one outcome per event.
  /// `signatures` are stored as the real log does: each when its (origin,
  /// seq) is held after the batch.
  std::vector<storage::append_outcome> append(const std::vector<sn::event>& batch,
                                              const std::vector<trust::origin_signature>& signatures = {});
  /// Stores a signature of an event the log holds (the owner's, after write_own); false when not held.
  bool add_signature(const trust::origin_signature& sig);
  /// The hash of origin:seq; nullopt when not held.
  std::optional<sn::hash256> hash_of(const std::string& origin, std::uint64_t seq) const;
  /// Creates, seals and appends the owner's next event (the command path).
  /// Returns its encoded bytes (what the shell hands to on_local_appended).
  std::string write_own(std::uint64_t hlc_ms, std::int64_t delta);
  /// Seals `draft` as the owner's next event (origin, seq, prev_hash set here)
  /// and appends it; returns the sealed event.
  sn::event write_own_event(sn::event draft);

  // log_reader
  sync::version_vector versions() const override;
  std::vector<std::string> read_origin_bytes(const std::string& origin, std::uint64_t from_seq, std::size_t count_max,
                                             std::size_t bytes_max) const override;
  std::vector<trust::origin_signature> signatures(const std::string& origin, std::uint64_t from_seq,
                                                  std::uint64_t to_seq) const override;
  std::optional<trust::origin_signature> signature_at_or_after(const std::string& origin,
                                                              std::uint64_t from_seq) const override;

  /// Every stored event's hash — equal sets mean equal logs.
  const hash_set& hashes() const noexcept { return hashes_; }
  std::uint64_t size() const noexcept { return hashes_.size(); }
  std::uint64_t double_applies() const noexcept { return double_applies_; }
  /// Outcomes counted by kind (index = append_outcome value).
  const std::map<storage::append_outcome, std::uint64_t>& outcome_counts() const noexcept { return outcomes_; }
  /// Order-independent digest of the held events (XOR of hash prefixes, and a
  /// sum of the payload deltas: a toy projection every node must agree on).
  std::int64_t delta_sum() const noexcept { return delta_sum_; }
  /// The real projections (actors/projections) folded over every held
  /// event in this node's arrival order, one fold batch per append: equal
  /// event sets must give equal digests (hex of each projection's LtHash).
  std::map<std::string, std::string> digests() const;

private:
  struct origin_stream {
    std::vector<std::string> bytes;  ///< index seq-1
    std::vector<sn::hash256> hashes; ///< index seq-1
  };
  storage::append_outcome append_one(const sn::event& e);

  std::string owner_;
  std::map<std::string, origin_stream> streams_;
  std::map<std::string, std::map<std::uint64_t, trust::origin_signature>> sigs_;
  hash_set hashes_;
  std::uint64_t double_applies_ = 0;
  std::map<storage::append_outcome, std::uint64_t> outcomes_;
  std::int64_t delta_sum_ = 0;
  std::uint64_t position_ = 0;  // arrival order, as a node's log positions
  std::unique_ptr<projections::memory_row_store> rows_;
  std::unique_ptr<projections::projection_set> set_;
};

} // namespace sn::sim
