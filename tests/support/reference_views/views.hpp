// THE REFERENCE MODEL (tests only): all retail projections of
// ARCHITECTURE.md §5 in one pure in-memory fold — catalog, inventory, sales,
// daily, devices, elections, audit. It is the executable specification the
// projections (actors/projections) are checked against; the product does not
// use it (the command side decides from retail::decision_state). See
// README.md next to it.
//
// Contract
// - apply() takes any event (any origin, any type). The caller guarantees each
//   event is applied at most once and each origin's events in seq order.
// - Order independence: the state is a function of the SET of applied events,
//   whatever order origins interleave in. Counters are sums of deltas; entity
//   fields are last-writer-wins registers ordered by (HLC, origin id); stock
//   may go negative (flagged oversold, never clamped); a void that arrives
//   before its sale is remembered and takes effect when the sale arrives.
// - Business time comes from the event's HLC; a sale's or return's business
//   day is the one its till stamped into it (schema 2), or for schema 1 the
//   HLC's day in settings().zone (events/upcast.hpp). So two nodes holding
//   the same events fold the same days even when their zones differ, as long
//   as the store never wrote schema 1 sales.
// - digests(): one BLAKE2b-256 per projection over its canonical state (the
//   same canonical form save() writes), so equal state <=> equal digest.
// - Unknown event types are skipped and counted; a payload that does not
//   decode (or a duplicate receipt / return id) parks the event (counted,
//   bounded list) and apply goes on.
// - Not thread-safe: owned by one actor.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/reference_views/string_table.hpp"
#include "actors/retail/types.hpp"
#include "events/event.hpp"
#include "events/expected.hpp"
#include "events/sale.hpp"

namespace sn {
struct product_upserted;
struct price_changed;
struct product_deactivated;
struct stock_received;
struct stock_adjusted;
struct stock_counted;
struct sale_completed;
struct sale_returned;
struct sale_voided;
struct day_closed;
struct device_registered;
struct device_updated;
struct master_changed;
struct conflict_resolved;
} // namespace sn

namespace sn::retail {

/// Names of the projections, the keys of digests().
inline constexpr const char* projection_names[] = {"catalog", "inventory", "sales", "daily",
                                                   "devices", "elections", "audit"};

/// Payment methods are folded into these three buckets (an unknown method
/// string of a newer build counts as "other").
enum class pay_method : std::uint8_t { cash = 0, card = 1, other = 2 };
constexpr std::size_t pay_method_count = 3;
const char* to_string(pay_method m) noexcept;
std::optional<pay_method> pay_method_from_string(std::string_view s) noexcept;

class views {
public:
  explicit views(store_settings s);

  /// Folds one event into every projection (see the contract above).
  void apply(const event& e);

  std::map<std::string, hash256> digests() const;
  /// Checkpoint: msgpack of the canonical state of every projection plus
  /// counters. load() replaces the whole state; on error the state is empty.
  std::string save() const;
  status load(std::string_view bytes);

  std::uint64_t applied() const noexcept { return applied_; }
  std::uint64_t skipped_unknown() const noexcept { return skipped_unknown_; }
  std::uint64_t parked() const noexcept { return parked_; }
  std::vector<parked_event> parked_events() const { return parked_list_; }

  /// Conflict detection (on by default). Off while replaying history that
  /// was already judged.
  void set_detect_conflicts(bool on) noexcept { detect_conflicts_ = on; }
  /// Register writes found lost since the last call (bounded, oldest dropped).
  std::vector<register_conflict> take_conflicts();
  std::uint64_t conflicts_dropped() const noexcept { return conflicts_dropped_; }

  const store_settings& settings() const noexcept { return settings_; }

  // ---- queries (JSON for the HTTP API; std::nullopt => 404) ----
  nlohmann::json products() const;
  std::optional<nlohmann::json> product(const std::string& sku) const;
  nlohmann::json inventory(bool low_only) const;
  std::optional<nlohmann::json> inventory_item(const std::string& sku) const;
  std::optional<nlohmann::json> sale(const std::string& receipt) const;
  /// day "YYYY-MM-DD" (invalid => empty list), device = the selling origin,
  /// staff = who rang it (unattributed sales match no staff).
  nlohmann::json sales(std::optional<std::string> day, std::optional<std::string> device,
                       std::optional<std::string> staff = std::nullopt) const;
  /// day absent => the newest business day with any figures.
  /// staff: only that person's sales and returns (issue 10); "by_staff" has
  /// every attributed person's figures over the listed devices.
  nlohmann::json daily_report(std::optional<std::string> day, std::optional<std::string> device,
                              std::optional<std::string> staff = std::nullopt) const;
  nlohmann::json devices() const;
  std::optional<nlohmann::json> device(const std::string& id) const;
  nlohmann::json elections() const;
  nlohmann::json audit(const audit_filter& f) const;
  /// {"catalog":"<hex>",...} plus counters.
  nlohmann::json digest_json() const;

  /// Current on-hand of a sku (0 when never seen).
  std::int64_t on_hand(const std::string& sku) const;
  /// The device currently master by the newest master.changed ("" if none).
  std::string current_master() const;

private:

  // A register's version: ordered by (hlc, origin name). seq is kept only to
  // name the write in conflict reports (it is not part of the order).
  struct stamp {
    std::uint64_t hlc = 0;
    std::uint32_t origin = 0;
    std::uint64_t seq = 0;
    bool set = false;
  };

  struct product_state {
    std::string sku;
    // "product" register (upserts): descriptive fields.
    stamp info;
    std::string name, barcode;
    std::int32_t tax_rate_bp = 0;
    std::int64_t low_stock_threshold = 0;
    // "product.price" register (upserts and price changes).
    stamp price;
    std::int64_t price_cents = 0;
    std::uint16_t price_type = 0;
    // "product.active" register (upserts and deactivations).
    stamp act;
    bool active = true;
    std::uint16_t act_type = 0;
    // inventory (sums of deltas)
    bool touched = false;
    std::int64_t on_hand = 0, received = 0, sold = 0, returned = 0, adjusted = 0, count_adjusted = 0;
    stamp count;  // last count (register, for display)
    std::int64_t count_counted = 0, count_expected = 0;
  };

  struct line_rec {
    std::uint32_t sku = 0;
    std::int64_t qty = 0, unit_price_cents = 0, discount_cents = 0, tax_cents = 0;
    std::int32_t tax_rate_bp = 0;
  };
  struct line_range {  // a sale's lines in the shared lines_ arena
    const line_rec* b;
    const line_rec* e;
    const line_rec* begin() const { return b; }
    const line_rec* end() const { return e; }
  };
  struct sale_rec {
    bool present = false;
    bool voided = false;
    std::uint32_t origin = 0;
    std::int32_t day = 0;
    std::uint64_t hlc = 0;
    std::uint32_t line_begin = 0, line_count = 0;  // in lines_ (no allocation per sale)
    std::int64_t gross = 0, discount = 0, tax = 0, total = 0, change = 0;
    std::array<std::int64_t, pay_method_count> paid{};  // payments folded per method
    std::uint32_t extra = 0xffffffffu;  // index in extras_ once a void or return refers to it
    std::uint32_t staff = 0;            // who rang it: an id in staff_ids_ (0: "", unattributed)
  };
  static constexpr std::uint32_t no_extra = 0xffffffffu;
  // The rarely used part of a sale, kept apart so sale_rec stays small.
  struct sale_extra {
    stamp void_stamp;  // newest void (register, for display)
    std::string void_reason;
    // returns against this receipt from any device (sums; may precede the sale)
    std::vector<std::pair<std::uint32_t, std::int64_t>> returned;  // sku -> qty
    std::int64_t refunded = 0;
    std::vector<std::string> return_ids;
  };
  struct return_rec {
    std::uint32_t origin = 0;
    std::uint64_t hlc = 0;
    std::int32_t day = 0;
    std::string receipt;
    std::vector<line_rec> lines;  // qty, unit_price_cents = refund, tax_cents
    std::int64_t refund = 0;
    pay_method method = pay_method::cash;
    std::string staff;  // who took it back ("": unattributed)
  };
  struct figures {
    std::int64_t gross = 0, discounts = 0, tax = 0, returns = 0, returns_tax = 0;
    std::array<std::int64_t, pay_method_count> by_method{};
    std::int64_t transactions = 0, return_count = 0, voids = 0;
  };
  struct closure {
    stamp at;
    std::int64_t gross = 0, discounts = 0, tax = 0, returns = 0, net = 0, transactions = 0;
    std::vector<std::pair<std::string, std::int64_t>> by_method;
  };
  struct device_rec {
    stamp reg;  // "device" register
    std::string name;
    std::int32_t priority = 0;
    bool active = true;
    bool registered = false;
    std::uint64_t created = 0;  // smallest HLC of any register write
  };
  struct election_rec {
    std::uint64_t hlc = 0;
    std::uint32_t origin = 0;
    std::uint64_t term = 0;
    std::string previous_master, new_master, reason;
    std::vector<std::string> participants;
  };
  struct audit_rec {
    std::uint64_t hlc = 0;
    std::uint32_t origin = 0;
    std::uint64_t seq = 0;
    std::string register_name, key, winner, loser, method, old_value, new_value;
  };

  // interning
  std::uint32_t origin_id(const std::string& name);
  const std::string& origin_name(std::uint32_t id) const { return origins_.name(id); }
  sale_rec& sale_at(const std::string& receipt);
  const sale_rec* find_sale(const std::string& receipt) const;
  sale_extra& extra_of(sale_rec& s) {
    if (s.extra == no_extra) {
      s.extra = static_cast<std::uint32_t>(extras_.size());
      extras_.emplace_back();
    }
    return extras_[s.extra];
  }
  const sale_extra& extra_of(const sale_rec& s) const {
    static const sale_extra none{};
    return s.extra == no_extra ? none : extras_[s.extra];
  }
  line_range lines_of(const sale_rec& s) const {
    return {lines_.data() + s.line_begin, lines_.data() + s.line_begin + s.line_count};
  }
  std::uint32_t sku_id(const std::string& sku);
  std::optional<std::uint32_t> find_sku(const std::string& sku) const;
  bool newer(const stamp& a, const stamp& b) const;  // a after b
  stamp stamp_of(const event& e, std::uint32_t origin) const;
  std::string ref(const stamp& s) const;
  static std::uint64_t daily_key(std::int32_t day, std::uint32_t origin) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(day)) << 32) | origin;
  }
  void park(const event& e, std::string reason);
  void report(register_conflict c);

  // folds (one per event type); a non-null reason parks the event
  const char* on(const event& e, std::uint32_t o, const product_upserted& p);
  const char* on(const event& e, std::uint32_t o, const price_changed& p);
  const char* on(const event& e, std::uint32_t o, const product_deactivated& p);
  const char* on(const event& e, std::uint32_t o, const stock_received& p);
  const char* on(const event& e, std::uint32_t o, const stock_adjusted& p);
  const char* on(const event& e, std::uint32_t o, const stock_counted& p);
  const char* on(const event& e, std::uint32_t o, sale_completed& p);
  const char* on(const event& e, std::uint32_t o, sale_returned& p);
  const char* on(const event& e, std::uint32_t o, const sale_voided& p);
  const char* on(const event& e, std::uint32_t o, const day_closed& p);
  const char* on(const event& e, std::uint32_t o, const device_registered& p);
  const char* on(const event& e, std::uint32_t o, const device_updated& p);
  const char* on(const event& e, std::uint32_t o, master_changed& p);
  const char* on(const event& e, std::uint32_t o, conflict_resolved& p);
  template <class Payload>
  void fold(const event& e, std::uint32_t o);

  void sale_effects(const sale_rec& s, int sign);  // sign +1 counts the sale, -1 removes it
  void note_receipt(std::uint32_t origin, const std::string& id, bool is_return);
  void write_device(const event& e, std::uint32_t o, const std::string& id, const std::string& name,
                    std::int32_t priority, bool active, bool registered);

  // JSON helpers
  nlohmann::json product_json(const product_state& p) const;
  nlohmann::json stock_json(const product_state& p) const;
  nlohmann::json sale_json(const std::string& receipt, const sale_rec& s) const;
  nlohmann::json figures_json(const figures& f) const;
  nlohmann::json closure_json(const closure& c) const;
  nlohmann::json device_json(const std::string& id) const;
  const election_rec* newest_election() const;

  // canonical state per projection (save and digest); for_digest drops
  // fields that are not part of the state's identity (register seqs).
  nlohmann::json canonical(const std::string& projection, bool for_digest) const;
  status load_projection(const std::string& projection, const nlohmann::json& j);
  stamp stamp_from(const nlohmann::json& j);
  nlohmann::json stamp_to(const stamp& s, bool for_digest) const;
  void rebuild_receipt_counters();

  store_settings settings_;
  // origins (device ids) and skus, interned; ids are node-local (never
  // serialised, never compared).
  string_table origins_;
  string_table skus_;
  std::vector<product_state> products_;  // by sku id
  string_table receipts_;
  std::vector<sale_rec> sales_;  // by receipt id (a placeholder when only a void/return was seen)
  std::vector<line_rec> lines_;  // every sale's lines, appended
  std::vector<sale_extra> extras_;
  string_table return_ids_;
  std::vector<return_rec> returns_;  // by return id
  std::unordered_map<std::uint64_t, figures> daily_;
  // per (day, staff id, device name): the figures of attributed sales and returns
  std::map<std::tuple<std::int32_t, std::string, std::string>, figures> staff_daily_;
  string_table staff_ids_;  // id 0 is "" (interned by the constructor)
  void staff_effects(const sale_rec& s, const std::function<void(figures&)>& fn);
  std::unordered_map<std::uint64_t, closure> closures_;
  std::unordered_map<std::string, device_rec> devices_;
  // receipt -> the sale's card payments (only sales paid by card have one)
  std::unordered_map<std::string, std::vector<payment>> cards_;
  std::vector<std::uint64_t> last_seen_;          // by origin id: newest HLC
  std::vector<std::uint64_t> last_receipt_no_;    // by origin id: highest own sale number
  std::vector<std::uint64_t> last_return_no_;     // by origin id: highest own return number
  std::vector<election_rec> elections_;
  std::vector<audit_rec> audit_;

  std::uint64_t applied_ = 0, skipped_unknown_ = 0, parked_ = 0, conflicts_dropped_ = 0;
  std::vector<parked_event> parked_list_;
  bool detect_conflicts_ = true;
  std::vector<register_conflict> conflicts_;
  // hot-path cache: consecutive events usually come from one origin
  std::string last_origin_name_;
  std::uint32_t last_origin_id_ = 0;
  bool last_origin_valid_ = false;
};

} // namespace sn::retail
