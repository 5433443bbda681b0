// Message types exchanged between the node's actors (in-process only: they are
// never serialized by CAF, hence CAF_ALLOW_UNSAFE_MESSAGE_TYPE in atoms.hpp).
// Kept free of CAF so that node/ code can build them without CAF headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/retail/command_result.hpp"
#include "actors/retail/commands.hpp"
#include "events/event.hpp"
#include "trust/signature.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/retail/types.hpp"
#include "storage/event_log.hpp"
#include "trust/signature.hpp"


namespace sn::actors {

/// Own events to seal (seq, prev_hash, hash) and append durably.
struct append_local_request {
  std::vector<event> drafts;
  std::vector<storage::side_write> side_writes;  ///< idempotency records, same batch
};

/// The sealed events and their positions, once durable.
struct append_local_reply {
  std::vector<event> sealed;
  std::vector<log_position> positions;
};

/// Replicated events (from other devices) to verify and append.
struct append_remote_request {
  std::vector<event> events;
  std::vector<trust::origin_signature> signatures;  ///< verified covering signatures, stored with them
};

struct append_remote_reply {
  storage::append_result result;
};

/// Events just made durable, in position order. Shared, immutable.
struct committed_batch {
  std::shared_ptr<const std::vector<storage::stored_event>> events;
  /// Signatures of this device's own events of the batch (published with them).
  std::shared_ptr<const std::vector<trust::origin_signature>> own_signatures;
};

/// A command for the command actor: the typed, shape-checked command and the
/// client's idempotency key ("" for none).
struct command_request {
  retail::command command;
  std::string idempotency_key;
  /// Who runs it, who approved it and the limits of their role
  /// (retail::command_context): filled by the HTTP edge after it
  /// authenticated them; empty for the node's own commands.
  std::string staff_id;
  std::string approver_id;
  std::optional<std::int64_t> refund_limit_cents;
  std::optional<std::int64_t> discount_limit_cents;
  bool price_override_allowed = true;
};

/// The command actor's answer once the events are durable: the result of an
/// accepted command (also of an idempotent retry: `replayed`) or the domain
/// refusal. Failures of the node itself (read-only, storage) are a caf::error
/// of the category atom("command") instead (actors/command_errc.hpp).
struct command_response {
  std::variant<retail::command_result, retail::rejected> outcome;
  bool replayed = false;  ///< answered from an idempotency record; nothing appended
  /// Accepted: who the events name (a replay: the first run's; "" from a
  /// record written before records kept it).
  std::string staff_id;
  std::string approver_id;

  bool is_accepted() const noexcept { return outcome.index() == 0; }
};

/// Projection bookkeeping for /v1/status, /v1/projections and storectl.
struct projection_status {
  std::vector<projections::projection_info> projections;  ///< in the set's order
  std::vector<bool> catching_up;                          ///< per projection: rebuilding or resumed, far behind
  std::vector<std::string> digests;                       ///< per projection: digest hex
  std::vector<retail::parked_event> parked_events;        ///< first parked_events_max
  std::uint64_t conflicts_recorded = 0;
  std::uint64_t write_failures = 0;
};

} // namespace sn::actors
