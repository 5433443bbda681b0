#include "events/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace sn {

void assertion_failed(const char* condition, const char* what, const char* file, int line) noexcept {
  std::fprintf(stderr, "storenode: invariant broken (%s): %s at %s:%d\n", what, condition, file, line);
  std::fflush(stderr);
  std::abort();
}

} // namespace sn
