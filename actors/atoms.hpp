// Atoms of the node's actor protocols (CAF 0.17: at most 10 characters) and
// the registration of the in-process message types.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/messages.hpp"
#include "actors/status_reports.hpp"

namespace sn::actors {

using append_local_atom = caf::atom_constant<caf::atom("app_local")>;
using append_remote_atom = caf::atom_constant<caf::atom("app_remote")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using committed_atom = caf::atom_constant<caf::atom("committed")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using command_atom = caf::atom_constant<caf::atom("command")>;
using system_event_atom = caf::atom_constant<caf::atom("sys_event")>;

using status_atom = caf::atom_constant<caf::atom("status")>;
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;
using checkpoint_done_atom = caf::atom_constant<caf::atom("ckpt_done")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using rebuild_atom = caf::atom_constant<caf::atom("rebuild")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using inbound_atom = caf::atom_constant<caf::atom("inbound")>;
using role_atom = caf::atom_constant<caf::atom("role")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using master_atom = caf::atom_constant<caf::atom("master")>;
using sync_now_atom = caf::atom_constant<caf::atom("sync_now")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using rotate_key_atom = caf::atom_constant<caf::atom("rotate_key")>;

} // namespace sn::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::append_local_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::append_local_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::append_remote_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::append_remote_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::committed_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::command_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::command_response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::projection_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::election_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::master_override)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sn::actors::sync_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<sn::event>)
