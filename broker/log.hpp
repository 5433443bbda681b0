// The broker's named spdlog logger ("broker"). Nothing above debug on a per-frame path.
#pragma once

#include <spdlog/logger.h>

namespace sn::broker {

/// The "broker" logger: the one registered under that name if the node set one
/// up, otherwise a clone of spdlog's default logger registered under it.
spdlog::logger& log();

} // namespace sn::broker
