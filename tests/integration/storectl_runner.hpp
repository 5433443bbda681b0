// Runs this build's storectl (STORECTL_PATH) with a command line and keeps
// its output and exit code: what the integration tests that drive the
// operator's tool share.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace sn::testing {

struct run_result {
  int exit_code = -1;  ///< -1: did not run or did not exit normally
  std::string out;
};

enum class stderr_to { output, nowhere };

/// `STORECTL_PATH args`, through the shell (args are quoted by the caller);
/// stderr joins the output unless sent nowhere (tests parsing JSON from stdout).
inline run_result run_storectl(const std::string& args, stderr_to err = stderr_to::output) {
  run_result r;
  const std::string cmd =
      std::string(STORECTL_PATH) + " " + args + (err == stderr_to::output ? " 2>&1" : " 2>/dev/null");
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace sn::testing
