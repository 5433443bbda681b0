// The log writer: the only writer of the node's event log (ARCHITECTURE §4).
//
// Group commit: requests that arrive while a commit is in progress queue in the
// mailbox; the writer gathers every request received before its next `flush`
// and commits them all in one durable WriteBatch (one fsync), then answers
// each request and tells the subscribers what became durable.
//
// Own events arrive as unsealed drafts: the writer assigns seq 1, 2, 3 ...,
// chains prev_hash and seals them, so own seq numbers never have gaps.
// Runs detached (its own thread): fsync blocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/atoms.hpp"
#include "trust/signature.hpp"

namespace sn::actors {

struct node_metrics;

/// Why an append request failed; crosses actors as a caf::error of the
/// category atom("log_writer") (rendered by the node's actor system config).
enum class writer_errc : std::uint8_t {
  write_failed = 1,       ///< the durable write failed: nothing of the batch is stored
  own_event_refused = 2,  ///< the log refused an own event: the command must not be acknowledged
};
caf::error make_error(writer_errc e);
std::string to_string(writer_errc e);

/// A key pair a device rotates to (the secret is wiped once the writer holds its copy).
struct writer_next_key {
  trust::public_key public_key{};
  trust::secret_key secret{};
};

using log_writer_actor = caf::typed_actor<
  /// Seal and append own events; answers when durable.
  caf::replies_to<append_local_atom, append_local_request>::with<append_local_reply>,
  /// Verify and append replicated events; answers per-event outcomes when durable.
  caf::replies_to<append_remote_atom, append_remote_request>::with<append_remote_reply>,
  /// Internal: commit what is pending.
  caf::reacts_to<flush_atom>,
  /// Register an actor that receives (committed_atom, committed_batch) after each commit;
  /// subscribers are told in the order they subscribed.
  caf::reacts_to<subscribe_atom, caf::actor>,
  /// Stage the key the next own device.keys_rotated naming it switches to
  /// (writer::group_commit::stage_rotation); answers true once staged.
  caf::replies_to<rotate_key_atom, writer_next_key>::with<bool>>;

/// What the writer signs its own events with (trust/signature.hpp): the
/// store it belongs to and the device's Ed25519 secret key (wiped once the
/// writer holds its copy).
struct writer_signer {
  std::string store_id;
  trust::secret_key secret{};
};

/// Spawns the writer on its own thread. `log` must outlive the actor.
/// Without a signer (a device of no store yet) own events are not signed.
log_writer_actor spawn_log_writer(caf::actor_system& sys, storage::event_log& log, device_id self,
                                  node_metrics& metrics, std::optional<writer_signer> signer = std::nullopt);

} // namespace sn::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::writer_next_key)
