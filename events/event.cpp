#include "events/event.hpp"

namespace sn {

std::string event_ref(const event& e) { return e.origin.value() + ":" + std::to_string(e.seq.value()); }

} // namespace sn
