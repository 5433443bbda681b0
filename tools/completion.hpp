// storectl's bash completion, generated from its own CLI11 command tree
// (`storectl --print-bash-completion`, run at build time into
// share/bash-completion/completions/storectl), so it lists exactly the
// commands and options the binary has.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace sn::tools {

/// A bash script defining `_storectl` and `complete -F _storectl <program>`:
/// subcommands at each level, each level's options (and its fallthrough
/// parents'), directories after DIR options, files after FILE options, the
/// values of options checked with IsMember.
std::string bash_completion(const CLI::App& app, const std::string& program);

}  // namespace sn::tools
