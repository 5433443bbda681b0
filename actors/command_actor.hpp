// The command actor: decides commands with the pure retail::command_handler
// and has the log writer make the resulting events durable before it answers.
//
// It is the only creator of this device's own events (the election actor's
// role changes and the master's conflict records come through it too), so its
// state always includes its own decided events; events of other origins are
// applied when the log writer reports them committed, and each own event's
// log position is handed to the handler then (its overlay lets go of an
// event once the projections have folded it: retail/decision_overlay.hpp).
#pragma once

#include <caf/error.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/command_errc.hpp"
#include "actors/log_writer_actor.hpp"

namespace sn::retail {
class command_handler;
}

namespace sn::actors {

/// A command_errc as a caf::error of the category atom("command").
caf::error make_error(command_errc e);

using command_actor = caf::typed_actor<
  /// A client command; answers once its events are durable (or rejected, or
  /// replayed); a caf::error of the category atom("command") when the node
  /// cannot decide or store it.
  caf::replies_to<command_atom, command_request>::with<command_response>,
  /// Events the node itself records (role changes, conflict records).
  caf::replies_to<system_event_atom, std::vector<event>>::with<append_local_reply>,
  /// Events made durable by the log writer.
  caf::reacts_to<committed_atom, committed_batch>>;

/// `handler` is built by the caller (its state read from the projections'
/// rows, node.cpp); the actor owns it from now on.
/// `read_only`: the node inspects a damaged log (--allow-damaged): every command
/// is answered command_errc::read_only and nothing is decided or appended.
command_actor spawn_command_actor(caf::actor_system& sys, std::unique_ptr<retail::command_handler> handler,
                                  log_writer_actor writer, device_id self, std::function<std::uint64_t()> term,
                                  node_metrics& metrics, bool read_only = false);

} // namespace sn::actors
