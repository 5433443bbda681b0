// The command actor: decides commands with the pure retail::command_handler
// and has the log writer make the resulting events durable before it answers.
//
// It is the only creator of this device's own events (the election actor's
// role changes and the master's conflict records come through it too), so its
// state always includes its own decided events; events of other origins are
// applied when the log writer reports them committed, and each own event's
// log position is handed to the handler then (its overlay lets go of an
// event once the projections have folded it: retail/decision_overlay.hpp).
//
// The log is ahead of those reports for a moment: the writer appends, then
// sends, and the projection actor's catch-up reads the log itself. So when
// the handler refuses a command and the log holds events no report has
// brought yet, the actor reads them (committed_log), applies them as the
// report would (the report, when it comes, skips them) and decides the
// command again. A command sent after a query showed an event (a product
// synced from the back office, a staff member) is not refused for want of
// it: the event is in the log before any projection shows it. Accepted
// commands read no log (an own batch's report is often in flight); a
// refusal reads at most 16,384 events (a node catching up a long history
// gets the rest from the reports in their turn).
#pragma once

#include <functional>
#include <vector>

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

/// The log as the command actor reads it when the handler refused a command
/// and the log is past what the reports brought. Empty functions: no log
/// (unit tests with a scripted writer): only the writer's reports.
struct committed_log {
  /// The newest committed position (the log's last_position).
  std::function<std::uint64_t()> last_position;
  /// Up to `limit` events from position `from` on, in log order.
  std::function<std::vector<storage::stored_event>(std::uint64_t from, std::size_t limit)> read_from;
};

/// `handler` is built by the caller (its state read from the projections'
/// rows, node.cpp, every projection folded through the log's last position
/// at spawn); the actor owns it from now on.
/// `read_only`: the node inspects a damaged log (--allow-damaged): every command
/// is answered command_errc::read_only and nothing is decided or appended.
command_actor spawn_command_actor(caf::actor_system& sys, std::unique_ptr<retail::command_handler> handler,
                                  log_writer_actor writer, device_id self, std::function<std::uint64_t()> term,
                                  node_metrics& metrics, committed_log log = {}, bool read_only = false);

} // namespace sn::actors
