// Decides retail commands: checks a typed command against the decision
// state and turns it into event drafts (the command side of the Akka split;
// the projections are the event side). Pure: time comes in through
// command_context, rows through decision_source; no JSON, no HTTP (node/
// parses commands and renders results and refusals).
//
// What it decides from (decision_state.hpp): products and this device's
// receipt / return counters in memory; receipts, stock, the day's figures
// and closures, and devices read from the projections' rows through the
// decision source, with the overlay of the events it has seen and the
// projections have not folded yet on top (decision_overlay.hpp). Memory and
// start-up do not grow with the store's age: the node builds the state from
// the projections' rows, not by replaying the log.
//
// Contract
// - handle() never throws and never returns events for a rejected command.
// - The command is shape-checked by its builder (commands.hpp); handle()
//   keeps the checks that need state and answers them as rejected{errc}.
//   A check that needs a projection that is behind what the handler relies
//   on (rebuilding) is refused projection_behind, before anything is drafted.
// - Accepted events are applied to the handler's own state at once, so the
//   next command sees them; the caller must append them (in order) together
//   with idempotency_record, and report each own event committed
//   (committed_own). If that append fails the handler's state ran ahead of
//   the log: the caller must stop deciding (the node refuses commands until
//   it is restarted, and the restart reads the state from the rows again).
// - Events are drafts: origin, hlc, term, type, schema and payload; seq,
//   prev_hash and hash are set by the log writer. The handler expects the
//   writer to give own events the seqs after restore_own_seq(), in draft order.
// - Sales and returns are stamped with their business day: the day of the
//   draft's HLC in the store's time zone (store_settings::zone). Projections
//   fold that stamped day, never their own zone.
// - Idempotency: a non-empty key seen before with an identical command (equal
//   canonical bytes, command_codec.hpp) is accepted again with no events and
//   the first result; with another command it is rejected
//   idempotency_key_reused. Only accepted commands are recorded (a rejected
//   command appended nothing; a retry is judged again). A key recorded by
//   the build before typed commands (JSON record) cannot be compared: any
//   reuse is rejected idempotency_key_reused, never decided twice.
// - Not thread-safe: owned by the command actor.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "actors/retail/command_result.hpp"
#include "actors/retail/commands.hpp"
#include "actors/retail/types.hpp"
#include "actors/retail/decision_overlay.hpp"
#include "actors/retail/decision_source.hpp"
#include "actors/retail/decision_state.hpp"
#include "events/event.hpp"
#include "events/hlc.hpp"

namespace sn::retail {

struct command_context {
  device_id device;        ///< this node's device id (origin of the drafts)
  std::uint64_t wall_ms = 0;  ///< wall clock at the request, read by the shell
  term_id term;            ///< the node's current master term
  /// Attribution stamped into every event the command writes: the signed-in
  /// staff member ("" = the node itself) and their approver ("" = none). The
  /// edge has authenticated both; the handler only records them.
  std::string staff_id;
  std::string approver_id;
  /// Limits of the signed-in role (node/permissions.hpp: a cashier's); a
  /// command over one is rejected approval_needed (nothing is decided).
  /// Unset: no limit (a supervisor, an approver, or the node itself).
  std::optional<std::int64_t> refund_limit_cents;    ///< a return's refund
  std::optional<std::int64_t> discount_limit_cents;  ///< a sale's total discount
  bool price_override_allowed = true;                ///< a sale line priced other than the catalog
};

/// What handle() gives: the decision, and the idempotency record to persist
/// with its events.
struct command_outcome {
  std::variant<accepted, rejected> decision;
  /// key -> encoded record (command_codec.hpp) to persist atomically with the
  /// events: set only when a key was given and the command was newly accepted.
  std::optional<std::pair<std::string, std::string>> idempotency_record;

  bool is_accepted() const noexcept { return decision.index() == 0; }
  /// Accepted again from an idempotency record: no events, the first result.
  bool is_replay() const noexcept { return is_accepted() && std::get<accepted>(decision).events.empty(); }
};

class command_handler {
public:
  /// `self`: this node's device (the origin of its drafts); `source`: the
  /// projections' rows (decision_source.hpp).
  command_handler(store_settings s, device_id self, std::unique_ptr<decision_source> source);

  command_outcome handle(const command& c, const std::string& idempotency_key, const command_context& ctx);
  /// A committed event of ANOTHER origin at log `position`: state, and HLC
  /// merged unless it is more than max_skew_ms ahead of `wall_ms` (the
  /// max-offset rule, docs/protocol.md 1.3: a wrong clock elsewhere cannot
  /// drag this node's; sync refuses such events before they are appended, so
  /// this is the second line). Returns false when the clock was left alone
  /// (counted in clock_refusals()).
  bool observe(std::uint64_t position, const event& e, std::uint64_t wall_ms);
  /// An own event the log writer committed (seq and position as stored).
  void committed_own(std::uint64_t seq, std::uint64_t position);
  /// An own event the node records itself (role change, conflict record):
  /// `e` carries origin, hlc (next_hlc) and term; applied like a draft.
  void own_event(const event& e);

  // ---- start-up (node.cpp: from the projections' rows, no log replay) ----
  /// The projections the state was read from had folded the log through `position`.
  void start_at(std::uint64_t position) { overlay_.start_at(position); }
  /// The seq of this device's newest event in the log (0: none).
  void restore_own_seq(std::uint64_t seq) noexcept { own_seq_ = seq; }
  /// The clock must not go behind any stored event of this device (call
  /// with its newest): its own clock never goes back.
  void restore_clock(hlc_timestamp t) noexcept { clock_.observe(t, 0); }
  /// restore_clock for another origin's newest event: merged only within
  /// max_skew_ms of `wall_ms` (a log written before the bound existed, or
  /// this device's clock stepped back since, may hold one far ahead).
  bool restore_clock_within(hlc_timestamp t, std::uint64_t wall_ms) noexcept {
    if (clock_.observe_within(t, wall_ms, max_skew_ms_)) return true;
    ++clock_refusals_;
    return false;
  }
  /// clock.max_skew_ms (default 60,000).
  void set_max_skew_ms(std::uint64_t ms) noexcept { max_skew_ms_ = ms; }
  std::uint64_t max_skew_ms() const noexcept { return max_skew_ms_; }
  /// Remote timestamps observe/restore_clock_within left out of the clock.
  std::uint64_t clock_refusals() const noexcept { return clock_refusals_; }
  /// One staff register from the staff projection's rows (profile register
  /// and its stamp): the staff commands decide from these.
  void restore_staff(const std::string& id, std::string name, std::string role, bool active, bool removed,
                     std::uint64_t hlc, std::string origin, std::uint64_t seq);

  decision_state& state() noexcept { return state_; }
  const decision_state& state() const noexcept { return state_; }
  const decision_overlay& overlay() const noexcept { return overlay_; }
  hlc_timestamp clock() const noexcept { return clock_.last(); }
  /// A timestamp for an event the node records itself (role change, conflict
  /// record), from the same clock as the commands' drafts.
  hlc_timestamp next_hlc(std::uint64_t wall_ms) noexcept { return clock_.now(wall_ms); }

private:
  // One decision per command kind; each throws nothing and returns accepted or rejected.
  using decision = std::variant<accepted, rejected>;
  decision decide(const upsert_product& c, const command_context& ctx);
  decision decide(const change_price& c, const command_context& ctx);
  decision decide(const deactivate_product& c, const command_context& ctx);
  decision decide(const receive_stock& c, const command_context& ctx);
  decision decide(const adjust_stock& c, const command_context& ctx);
  decision decide(const count_stock& c, const command_context& ctx);
  decision decide(const complete_sale& c, const command_context& ctx);
  decision decide(const return_sale& c, const command_context& ctx);
  decision decide(const void_sale& c, const command_context& ctx);
  decision decide(const close_day& c, const command_context& ctx);
  decision decide(const register_device& c, const command_context& ctx);
  decision decide(const update_device& c, const command_context& ctx);
  decision decide(const add_staff& c, const command_context& ctx);
  decision decide(const update_staff& c, const command_context& ctx);
  decision decide(const remove_staff& c, const command_context& ctx);
  /// Keeps staff_ in step with a staff.* event (own, observed or replayed).
  void note_staff(const event& e);
  /// The recent records in memory first, then the stored ones (decision_source).
  std::optional<decision> replay(const command& c, const std::string& key, const hash256& print);

  template <class Payload>
  event draft(const command_context& ctx, const Payload& p);
  template <class Payload>
  event draft(const command_context& ctx, hlc_timestamp at, const Payload& p);
  /// Applies an own event (draft or system event) to the state and the overlay.
  void apply_own(const event& e);
  std::string stamp_day(hlc_timestamp at) const;
  void remember(const std::string& key, std::string value);
  void prune() { overlay_.prune(source_->folded()); }

  store_settings settings_;
  decision_state state_;
  decision_overlay overlay_;
  std::unique_ptr<decision_source> source_;
  std::uint64_t own_seq_ = 0;  ///< seq of the newest own event (drafts included)
  /// The staff registers the staff commands decide from (the decision state has none; loaded from the staff projection's rows at start-up, like its products):
  /// profile register per id, last writer by (HLC, origin, seq).
  struct staff_rec {
    std::string name, role;
    bool active = true, removed = false;
    std::uint64_t hlc = 0, seq = 0;
    std::string origin;
  };
  std::unordered_map<std::string, staff_rec> staff_;
  hybrid_logical_clock clock_;
  std::uint64_t max_skew_ms_ = 60000;
  std::uint64_t clock_refusals_ = 0;
  std::unordered_map<std::string, std::string> idempotency_;
  std::deque<std::string> idempotency_order_;  // FIFO eviction past idempotency_keys_max
};

} // namespace sn::retail
