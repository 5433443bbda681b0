// Vocabulary of the retail domain core: settings, bounds and the small records
// that views and command_handler hand out. Pure: no CAF, no I/O, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "events/hlc.hpp"
#include "events/time_zone.hpp"

namespace sn::retail {

/// Store-wide settings. Sales and returns carry the business day their till
/// stamped, so devices with different settings still fold the same days for
/// them; only events written before that (schema 1) depend on these.
struct store_settings {
  /// The store's time zone (store.time_zone, loaded by the edge): the day a
  /// till stamps into its sales and returns, the day of schema 1 sales and
  /// returns (from their HLC), and close_day's default day. Default UTC.
  time_zone zone;
};

/// Bounds (STYLE: every list bounded by a named _max constant).
constexpr std::size_t parked_events_max = 1000;     ///< kept in parked_events(); parked() keeps counting
constexpr std::size_t conflicts_max = 10000;        ///< pending take_conflicts(); older ones dropped (counted)
constexpr std::size_t list_entries_max = 1000;      ///< rows a list query returns (sales, audit); "truncated" flag
/// Idempotency records of recent decisions the handler keeps in memory (FIFO
/// eviction): older ones are read from storage (decision_source::idempotency_record).
constexpr std::size_t idempotency_keys_max = 4096;
constexpr std::size_t sku_length_max = 64;
constexpr std::size_t text_length_max = 256;        ///< names, barcodes, notes, references
constexpr std::size_t sale_lines_max = 200;
constexpr std::size_t payments_max = 10;
constexpr std::size_t idempotency_key_length_max = 255;
constexpr std::int64_t qty_max = 1000000;
constexpr std::int64_t price_cents_max = 10000000000;   ///< per unit; qty_max * this * lines_max fits int64
constexpr std::int64_t amount_cents_max = 1000000000000; ///< one payment
constexpr std::int32_t tax_rate_bp_max = 10000;

/// An event projections could not use (its payload did not decode, or it
/// broke an invariant such as a duplicate receipt). Counted and listed; the
/// projection goes on with the next event.
struct parked_event {
  std::string origin;
  std::uint64_t seq = 0;
  std::uint16_t type = 0;
  std::uint64_t hlc = 0;
  std::string reason;
};

/// A write to a last-writer-wins register that lost against a write of
/// another origin it had not seen (its HLC is older than the register's
/// current value). The master's sync actor records these as
/// conflict.resolved events; views never create events themselves.
struct register_conflict {
  std::string register_name;  ///< "product", "product.price", "product.active", "device"
  std::string key;            ///< sku or device id
  std::string winner;         ///< "origin:seq"
  std::string loser;          ///< "origin:seq"
  std::string method = "lww_hlc_origin";
  nlohmann::json old_value;   ///< the loser's value
  nlohmann::json new_value;   ///< the winner's value (the register's value)
  hlc_timestamp winner_hlc;
  hlc_timestamp loser_hlc;
};

/// Filter of the audit query; all given conditions must hold.
struct audit_filter {
  std::optional<std::string> device;    ///< recorder, winner or loser origin
  std::optional<std::string> op;        ///< "conflict_resolution"
  std::optional<std::uint64_t> since_ms; ///< HLC wall ms, inclusive
  std::optional<std::uint64_t> until_ms; ///< HLC wall ms, inclusive
};

} // namespace sn::retail
