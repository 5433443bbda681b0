// Decides retail commands: validates a command against the current state
// and turns it into event drafts (the command side of the Akka split; views
// is the event side). Pure: time comes in through command_context.
//
// Contract
// - handle() never throws and never returns drafts for an invalid command.
// - Accepted drafts are applied to the handler's own views at once, so the
//   next command sees them; the caller must append them (in order) together
//   with idempotency_record. If that append fails the caller must rebuild the
//   handler (restore_own over the log), because its state ran ahead.
// - Drafts carry origin, hlc, term, type, schema and payload; seq, prev_hash
//   and hash are set by the log writer.
// - Sales and returns are stamped with their business day: the day of the
//   draft's HLC in the store's time zone (store_settings::zone). Projections
//   fold that stamped day, never their own zone.
// - Idempotency: a non-empty key seen before with the same command and body
//   returns the first reply and no drafts; with another command or body it is
//   409 idempotency_key_reused. Only accepted commands are recorded (a
//   rejected command appended nothing; a retry is judged again).
// - Not thread-safe: owned by the command actor.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/retail/types.hpp"
#include "actors/retail/views.hpp"
#include "events/event.hpp"
#include "events/hlc.hpp"

namespace sn::retail {

enum class command_kind {
  upsert_product,
  change_price,
  deactivate_product,
  receive_stock,
  adjust_stock,
  count_stock,
  complete_sale,
  return_sale,
  void_sale,
  close_day,
  register_device,
  update_device,
};
/// "upsert_product", ...
const char* to_string(command_kind k) noexcept;

struct command_context {
  device_id device;        ///< this node's device id (origin of the drafts)
  std::uint64_t wall_ms = 0;  ///< wall clock at the request, read by the shell
  term_id term;            ///< the node's current master term
};

struct command_reply {
  /// 200 accepted (update), 201 accepted (created), 400 invalid request,
  /// 404 unknown sku/receipt/device, 409 conflicts with state or
  /// idempotency-key reuse. docs/api.md lists the codes per command.
  int http_status = 200;
  /// The reply JSON; an error is {"error":{"code":"unknown_sku","message":"..."}}.
  nlohmann::json body;
  std::vector<event> drafts;
  /// key -> value to persist atomically with the drafts (set when a key was
  /// given and the command was accepted).
  std::optional<std::pair<std::string, std::string>> idempotency_record;
};

class command_handler {
public:
  explicit command_handler(store_settings s);

  command_reply handle(command_kind k, const nlohmann::json& body, const std::string& idempotency_key,
                       const command_context& ctx);
  /// A committed event of ANOTHER origin: applied to the views, HLC merged.
  void observe(const event& e);
  /// Start-up replay of any event (own or remote), conflict detection off.
  void restore_own(const event& e);
  /// Start-up: one persisted idempotency record.
  void load_idempotency(const std::string& key, const std::string& value);

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
  command_reply decide(command_kind k, const nlohmann::json& body, const command_context& ctx);
  command_reply upsert_product(const nlohmann::json& b, const command_context& ctx);
  command_reply change_price(const nlohmann::json& b, const command_context& ctx);
  command_reply deactivate_product(const nlohmann::json& b, const command_context& ctx);
  command_reply receive_stock(const nlohmann::json& b, const command_context& ctx);
  command_reply adjust_stock(const nlohmann::json& b, const command_context& ctx);
  command_reply count_stock(const nlohmann::json& b, const command_context& ctx);
  command_reply complete_sale(const nlohmann::json& b, const command_context& ctx);
  command_reply return_sale(const nlohmann::json& b, const command_context& ctx);
  command_reply void_sale(const nlohmann::json& b, const command_context& ctx);
  command_reply close_day(const nlohmann::json& b, const command_context& ctx);
  command_reply register_device(const nlohmann::json& b, const command_context& ctx);
  command_reply update_device(const nlohmann::json& b, const command_context& ctx);

  template <class Payload>
  event draft(const command_context& ctx, const Payload& p);
  template <class Payload>
  event draft(const command_context& ctx, hlc_timestamp at, const Payload& p);
  std::string stamp_day(hlc_timestamp at) const;
  const views::product_state& known_product(const std::string& sku) const;
  void remember(const std::string& key, std::string value);

  store_settings settings_;
  views views_;
  hybrid_logical_clock clock_;
  std::unordered_map<std::string, std::string> idempotency_;
  std::deque<std::string> idempotency_order_;  // FIFO eviction past idempotency_keys_max
};

} // namespace sn::retail
