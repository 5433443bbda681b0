// The build's identity: the project version (CMake project VERSION) and the
// git commit the binary was built from ("unknown" outside a git checkout, or
// the STORENODE_GIT_COMMIT cache variable when a package build sets it).
// version.cpp is generated at build time (version/CMakeLists.txt), so only the
// programs that print it relink when the commit changes.
#pragma once

#include <string>

namespace sn::version {

const char* project_version();  ///< "0.1.0"
const char* git_commit();       ///< "fa6ff0c1d2e3", "fa6ff0c1d2e3-dirty" or "unknown"

/// The --version line of `program`: "storenode 0.1.0 (commit fa6ff0c1d2e3)", no
/// final newline (help2man reads "<program> <version>" from it).
std::string version_text(const std::string& program);

}  // namespace sn::version
