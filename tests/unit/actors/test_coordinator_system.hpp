// The actor tests' CAF set-up: a quiet actor system on CAF 0.17's
// deterministic test coordinator (caf/scheduler/test_coordinator.hpp), where
// a message runs only when the test says so (sched.run(), run_once(),
// trigger_timeouts()): mailbox orders are chosen, not raced.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>

namespace sn::actors::test {

/// `cfg` set for the test coordinator, logging quiet; returned for the system's constructor.
inline caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  return cfg;
}

/// The test coordinator of a system made with testing_config().
inline caf::scheduler::test_coordinator& coordinator_of(caf::actor_system& sys) {
  return dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
}

}  // namespace sn::actors::test
