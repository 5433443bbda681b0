// Always-on assertions (STYLE 14, TIGER_STYLE): invariants whose violation is a
// programmer error stay checked in Release builds. A failed assertion prints
// the condition, what it protects and where, then aborts: continuing would
// write a broken chain or vote twice. Use for hot invariants only where the
// check is cheap (a compare); operating conditions are handled errors.
#pragma once

namespace sn {

[[noreturn]] void assertion_failed(const char* condition, const char* what, const char* file, int line) noexcept;

} // namespace sn

#define SN_ASSERT(condition, what)                                          \
  do {                                                                      \
    if (!(condition)) ::sn::assertion_failed(#condition, what, __FILE__, __LINE__); \
  } while (false)
