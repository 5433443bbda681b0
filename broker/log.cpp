#include "broker/log.hpp"

#include <spdlog/spdlog.h>

namespace sn::broker {

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("broker")) return existing;
    auto created = spdlog::default_logger()->clone("broker");
    try {
      spdlog::register_logger(created);
    } catch (const spdlog::spdlog_ex&) {
      // Registered by another thread meanwhile: use that one.
      if (auto existing = spdlog::get("broker")) return existing;
    }
    return created;
  }();
  return *logger;
}

} // namespace sn::broker
