// The log writer's group commit as a pure unit (STYLE 13): sealing own drafts,
// laying out one batch, and slicing the log's outcomes back to the requests.
//
// Contract
// - plan() seals every pending own draft in arrival order, continuing this
//   device's chain (seq = head + 1, prev_hash = head hash), and lays out ONE
//   batch: own events first, then every replicated event in request order.
//   The own head advances tentatively.
// - The caller appends the plan's batch with plan.options(...) (the own
//   events were sealed here; replicated events under this device's own origin
//   are refused by the log as append_outcome::own_origin: only this process
//   writes its own chain) and the plan's side writes (idempotency records,
//   each written only when its request's every event is appended).
// - settle() after a successful append: a local request is durable only if
//   each of its events was appended; the own head moves to the last own event
//   the log really appended. `own_refused` says an own event was refused
//   (an invariant broke): the caller must re-read its head from the log
//   (reset_head) and must not answer the refused requests with success.
// - rollback() after a failed append (nothing stored): the head goes back.
// - Bounded: the caller caps a plan at group_commit_events_max events.
// - Signing (set_signer): plan() signs this device's own events the store
//   requires (trust::signs_seq: the last own event of the plan and every
//   signature_interval_events-th seq) and lays the signatures, with the
//   replicated requests' covering signatures, into plan.signatures, written
//   in the same batch (storage append_options::signatures).
// - Key rotation (stage_rotation, docs/protocol.md 1.7): once a next key is
//   staged, the first own draft that is this device's device.keys_rotated
//   naming the staged public key is the rotation point r: plan() signs r
//   with the current key (always, whatever signs_seq says) and every later
//   own event of the plan with the staged key. settle() makes the staged key
//   current only once r was appended; a failed or refused append leaves the
//   current key in place (and the staged one staged).
// - Not thread-safe; owned by the log-writer actor. No clock, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "events/event.hpp"
#include "storage/event_log.hpp"  // value types only (append_result, side_write, origin_head); no link
#include "trust/signature.hpp"

namespace sn::writer {

/// Upper bound of events committed in one batch; the rest waits for the next flush.
constexpr std::size_t group_commit_events_max = 4096;

/// Own drafts of one command (in order) and the records to write with them.
struct local_entry {
  std::vector<event> drafts;
  std::vector<storage::side_write> side_writes;
};

/// Replicated events of one request (another device's events, in order).
struct remote_entry {
  std::vector<event> events;
  std::vector<trust::origin_signature> signatures;  ///< verified by sync's gate; stored with them
};

/// One batch ready for event_log::append.
struct commit_plan {
  std::vector<event> batch;                     ///< own sealed events, then replicated ones
  std::vector<storage::side_write> side_writes;  ///< each bound to its request's event range
  std::vector<std::size_t> local_sizes;          ///< drafts per local request, in order
  std::vector<std::size_t> remote_sizes;         ///< events per remote request, in order
  std::size_t own_count = 0;                     ///< leading events of `batch` sealed here
  std::vector<trust::origin_signature> signatures;  ///< own (signed here) first, then the remotes'
  std::size_t own_signatures = 0;                ///< leading entries of `signatures` signed here
  storage::origin_head head_before;              ///< own head before this plan
  std::uint64_t rotation_seq = 0;                ///< own seq of the staged key's device.keys_rotated; 0: none
};

/// What one local request got.
struct local_result {
  bool durable = false;             ///< every event of the request was appended
  std::vector<event> sealed;        ///< the sealed events (seq, hash set)
  std::vector<log_position> positions;
  std::string refusal;              ///< when !durable: "POS1:7 fork", for the log and the error
};

/// Counts of one settled batch, by outcome (index = append_outcome value).
constexpr std::size_t append_outcome_count = 8;

struct commit_outcome {
  std::vector<local_result> locals;             ///< one per local request, same order
  std::vector<storage::append_result> remotes;  ///< one per remote request, same order
  std::vector<storage::stored_event> committed;  ///< every appended event, in position order
  std::vector<trust::origin_signature> own_signatures;  ///< signatures of appended own events (live publish)
  std::uint64_t local_appended = 0;
  std::uint64_t remote_appended = 0;
  std::uint64_t remote_by_outcome[append_outcome_count] = {};  ///< replicated events per outcome
  bool own_refused = false;                      ///< an own event was refused: resync the head
  std::uint64_t rotated_at_seq = 0;              ///< the staged key became current after this own seq; 0: not
};

class group_commit {
public:
  group_commit(device_id self, storage::origin_head own_head);

  /// From now on, own events are signed under `store_id` with `secret`
  /// (copied; wiped on destruction). Without it nothing is signed (a device
  /// that belongs to no store yet).
  void set_signer(std::string store_id, const trust::secret_key& secret);
  /// The key pair the next own device.keys_rotated (naming `next_public`)
  /// switches to (copied; wiped on destruction). Replaces a staged one.
  void stage_rotation(const trust::public_key& next_public, const trust::secret_key& next_secret);
  /// True while a staged key waits for its rotation event.
  bool rotation_staged() const noexcept { return staged_; }
  ~group_commit();
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Seals and lays out; empties `locals` and `remotes`.
  commit_plan plan(std::vector<local_entry>& locals, std::vector<remote_entry>& remotes);
  /// The append options for `p` (own events sealed here; own origin guarded).
  /// Refers to this object's device id: use while it lives.
  storage::append_options options(const commit_plan& p) const;
  /// After event_log::append returned `r` for p.batch.
  commit_outcome settle(commit_plan&& p, const storage::append_result& r);
  /// After event_log::append failed as a whole (nothing stored).
  void rollback(const commit_plan& p);
  /// The head as the log holds it (after own_refused, or at start).
  void reset_head(storage::origin_head h) { head_ = h; }

  const storage::origin_head& own_head() const noexcept { return head_; }
  const device_id& self() const noexcept { return self_; }

private:
  device_id self_;
  storage::origin_head head_;
  std::string store_id_;
  trust::secret_key secret_{};
  bool signing_ = false;
  trust::public_key next_public_{};
  trust::secret_key next_secret_{};
  bool staged_ = false;
};

} // namespace sn::writer
