// Error codes of the storage folder.
#pragma once

#include "events/expected.hpp"

namespace sn::storage {

enum class errc : int {
  io = 1,            ///< RocksDB reported an I/O error
  locked = 2,        ///< another process holds this data dir
  corrupt = 3,       ///< stored bytes do not decode or indexes disagree
  not_found = 4,     ///< data dir missing (read-only open)
  invalid_argument = 5,
  read_only = 6,     ///< a write on a log opened read-only
  exists = 7,        ///< a target (checkpoint dir) that must not exist does
};

const char* to_string(errc e) noexcept;
sn::error make_error(errc e, std::string message);

} // namespace sn::storage
