// The store console's static files (web/), embedded at build time by
// web/embed.cmake. Immutable for the life of the process; any thread.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace sn::web {

struct asset {
  const char* name;          ///< file name under web/ ("index.html")
  const char* content_type;  ///< with charset for text
  const char* etag;          ///< quoted, from the file's SHA-256
  const unsigned char* data;
  std::size_t size;
  std::string_view bytes() const { return {reinterpret_cast<const char*>(data), size}; }
};

/// Every embedded file (generated).
const std::vector<asset>& embedded_assets();
/// Their total size in bytes (the build fails above 300 KB).
std::size_t embedded_bytes();

/// The file `name` ("app.js"); nullptr when there is none.
const asset* find_asset(std::string_view name);

}  // namespace sn::web
