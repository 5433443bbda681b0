// storectl ca export (issue 10 item 8): the store CA certificate that
// browsers and storectl trust, from a data dir. Public material only: the
// CA key (identity/ca.key) is never read here.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "tools/commands.hpp"

namespace sn::tools {

namespace {

struct ca_cli {
  std::string data;
  bool install = false;
};

int run_export(const ca_cli& o) {
  const std::string path = o.data + "/identity/ca.crt";
  std::ifstream in(path);
  if (!in) {
    return report_error(make_error(errc::bad_data_dir, path + ": no store CA here (only a data dir of this store has one; "
                                                          "the device that created the store made it)"));
  }
  std::ostringstream s;
  s << in.rdbuf();
  const std::string pem = s.str();
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return report_error(make_error(errc::bad_data_dir, path + " is not a PEM certificate"));
  }
  if (!o.install) {
    std::fputs(pem.c_str(), stdout);
    return exit_ok;
  }
  std::string dir;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x != '\0') {
    dir = std::string(x) + "/storenode";
  } else if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    dir = std::string(h) + "/.config/storenode";
  } else {
    return report_error(make_error(errc::usage, "--install needs HOME or XDG_CONFIG_HOME"));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string out_path = dir + "/ca.crt";
  std::ofstream out(out_path, std::ios::trunc);
  out << pem;
  if (!out) return report_error(make_error(errc::usage, "cannot write " + out_path));
  std::fprintf(stderr, "storectl: https:// nodes are now verified against %s\n", out_path.c_str());
  return exit_ok;
}

}  // namespace

void add_ca_command(CLI::App& app, cli_context& ctx) {
  auto* cmd = app.add_subcommand("ca", "the store CA that HTTPS nodes are verified against");
  cmd->require_subcommand(1);
  auto o = std::make_shared<ca_cli>();
  auto* exp = cmd->add_subcommand("export", "print the store CA certificate (PEM) from a data dir");
  exp->footer(R"(
A node whose --http is not loopback serves HTTPS with a certificate issued by
the store CA (made by storenode --create-store). Trust that CA in browsers
(docs/operations.md, "HTTPS") and in storectl (--ca FILE, STORENODE_CA, or
--install, which copies it to $XDG_CONFIG_HOME/storenode/ca.crt).

Examples:
  storectl ca export --data /var/lib/storenode > store-ca.crt
  storectl ca export --data /var/lib/storenode --install)");
  exp->add_option("--data", o->data, "the data dir of a device of the store")->required()->type_name("DIR");
  exp->add_flag("--install", o->install, "copy it where storectl looks for it instead of printing it");
  exp->callback([o, &ctx] { ctx.exit_code = run_export(*o); });
}

}  // namespace sn::tools
