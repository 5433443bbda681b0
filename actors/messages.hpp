// Message types exchanged between the node's actors (in-process only: they are
// never serialized by CAF, hence CAF_ALLOW_UNSAFE_MESSAGE_TYPE in atoms.hpp).
// Kept free of CAF so that node/ code can build them without CAF headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "actors/retail/command_result.hpp"
#include "actors/retail/commands.hpp"
#include "events/event.hpp"
#include "storage/event_log.hpp"

namespace sn::retail {
class views;
}

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
};

struct append_remote_reply {
  storage::append_result result;
};

/// Events just made durable, in position order. Shared, immutable.
struct committed_batch {
  std::shared_ptr<const std::vector<storage::stored_event>> events;
};

/// A query run by the projection actor on its own state; returns the reply
/// JSON text, or "" for "not found".
using view_query = std::function<std::string(const retail::views&)>;

/// A command for the command actor: the typed, shape-checked command and the
/// client's idempotency key ("" for none).
struct command_request {
  retail::command command;
  std::string idempotency_key;
};

/// The command actor's answer once the events are durable: the result of an
/// accepted command (also of an idempotent retry: `replayed`) or the domain
/// refusal. Failures of the node itself (read-only, storage) are a caf::error
/// of the category atom("command") instead (actors/command_errc.hpp).
struct command_response {
  std::variant<retail::command_result, retail::rejected> outcome;
  bool replayed = false;  ///< answered from an idempotency record; nothing appended

  bool is_accepted() const noexcept { return outcome.index() == 0; }
};

/// Projection bookkeeping for /v1/status and storectl projections.
struct projection_status {
  std::uint64_t checkpoint = 0;      ///< position of the last saved checkpoint
  std::uint64_t position = 0;        ///< position of the last applied event
  std::uint64_t applied = 0;
  std::uint64_t skipped_unknown = 0;
  std::uint64_t parked = 0;
  bool paused = false;
  std::string parked_json;  ///< JSON array of parked events
};

} // namespace sn::actors
