#include "tools/errc.hpp"

namespace sn::tools {

const char* to_string(errc e) noexcept {
  switch (e) {
    case errc::usage: return "usage";
    case errc::bad_data_dir: return "bad_data_dir";
    case errc::unreachable: return "unreachable";
    case errc::http_status: return "http_status";
    case errc::bad_reply: return "bad_reply";
    case errc::not_found: return "not_found";
    case errc::io: return "io";
    case errc::interrupted: return "interrupted";
  }
  return "unknown";
}

sn::error make_error(errc e, std::string message) {
  return sn::error{"tools", static_cast<int>(e), std::move(message)};
}

} // namespace sn::tools
