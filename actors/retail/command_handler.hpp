// Decides retail commands: checks a typed command against the current state
// and turns it into event drafts (the command side of the Akka split; views
// is the event side). Pure: time comes in through command_context; no JSON,
// no HTTP (node/ parses commands and renders results and refusals).
//
// Contract
// - handle() never throws and never returns events for a rejected command.
// - The command is shape-checked by its builder (commands.hpp); handle()
//   keeps the checks that need state and answers them as rejected{errc}.
// - Accepted events are applied to the handler's own state at once, so the
//   next command sees them; the caller must append them (in order) together
//   with idempotency_record. If that append fails the caller must rebuild the
//   handler (restore_own over the log), because its state ran ahead.
// - Events are drafts: origin, hlc, term, type, schema and payload; seq,
//   prev_hash and hash are set by the log writer.
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
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "actors/retail/command_result.hpp"
#include "actors/retail/commands.hpp"
#include "actors/retail/types.hpp"
#include "actors/retail/views.hpp"
#include "events/event.hpp"
#include "events/hlc.hpp"

namespace sn::retail {

struct command_context {
  device_id device;        ///< this node's device id (origin of the drafts)
  std::uint64_t wall_ms = 0;  ///< wall clock at the request, read by the shell
  term_id term;            ///< the node's current master term
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

/// What load_idempotency() made of a persisted record.
enum class record_load : std::uint8_t {
  loaded = 1,    ///< a record of this build
  legacy = 2,    ///< JSON of the build before typed commands: kept, any reuse of its key is refused
  invalid = 3,   ///< neither: kept like a legacy record (its key is never decided twice)
};

class command_handler {
public:
  explicit command_handler(store_settings s);

  command_outcome handle(const command& c, const std::string& idempotency_key, const command_context& ctx);
  /// A committed event of ANOTHER origin: applied to the views, HLC merged.
  void observe(const event& e);
  /// Start-up replay of any event (own or remote), conflict detection off.
  void restore_own(const event& e);
  /// Start-up: one persisted idempotency record (bytes as stored).
  record_load load_idempotency(const std::string& key, const std::string& value);

  views& state() noexcept { return views_; }
  const views& state() const noexcept { return views_; }
  hlc_timestamp clock() const noexcept { return clock_.last(); }
  /// A timestamp for an event the node records itself (role change, conflict
  /// record), from the same clock as the commands' drafts.
  hlc_timestamp next_hlc(std::uint64_t wall_ms) noexcept { return clock_.now(wall_ms); }
  /// Start-up after loading a checkpoint: the clock must not go behind
  /// events the checkpoint covers (call with each origin's newest event).
  void restore_clock(hlc_timestamp t) noexcept { clock_.observe(t, 0); }

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
  std::optional<decision> replay(const command& c, const std::string& key, const hash256& print) const;

  template <class Payload>
  event draft(const command_context& ctx, const Payload& p);
  template <class Payload>
  event draft(const command_context& ctx, hlc_timestamp at, const Payload& p);
  std::string stamp_day(hlc_timestamp at) const;
  void remember(const std::string& key, std::string value);

  // State access: the only places that read views_ (a narrow decision state
  // will replace it; keep every read here).
  const views::product_state* find_product(const std::string& sku) const;
  std::int64_t on_hand(const std::string& sku) const;
  product_row product_row_of(const std::string& sku) const;
  const views::sale_rec* find_sale(const std::string& receipt) const;
  sale_row sale_row_of(const std::string& receipt) const;
  /// Sold qty, net and tax of `sku` on `sale`, and the qty returned so far.
  struct line_totals {
    std::int64_t sold = 0, net = 0, tax = 0, returned = 0;
  };
  line_totals line_totals_of(const views::sale_rec& sale, const std::string& sku) const;
  std::uint64_t last_receipt_no(const std::string& device) const;
  std::uint64_t last_return_no(const std::string& device) const;
  bool day_closed_by(std::int32_t day, const std::string& device) const;
  close_day_result day_figures(std::int32_t day, const std::string& device) const;
  const views::device_rec* find_device(const std::string& id) const;
  device_row device_row_of(const std::string& id) const;

  store_settings settings_;
  views views_;
  hybrid_logical_clock clock_;
  std::unordered_map<std::string, std::string> idempotency_;
  std::deque<std::string> idempotency_order_;  // FIFO eviction past idempotency_keys_max
};

} // namespace sn::retail
