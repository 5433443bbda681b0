// storectl login (issue 10 item 7) and storectl staff add|set|remove|list.
//
// Secrets: a PIN is never an argument (it would show in ps and shell
// history). It is read from the terminal with echo off, or, when stdin is
// not a terminal, as the first line of stdin (scripts: `storectl login ... <
// pin-file`). The token `login` gets is written to that node's
// token_file_path(host, port) and to token_file_path() with mode 0600 (the
// directories 0700); STORENODE_TOKEN overrides the files.
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "tools/commands.hpp"

namespace sn::tools {

namespace {

using json = nlohmann::json;

/// A line from the terminal without echo (or stdin's first line).
std::optional<std::string> read_secret(const char* prompt) {
  std::string line;
  if (::isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "%s", prompt);
    std::fflush(stderr);
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    const bool ok = static_cast<bool>(std::getline(std::cin, line));
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
    if (!ok) return std::nullopt;
  } else if (!std::getline(std::cin, line)) {
    return std::nullopt;
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

/// Writes `token` to the token file `path`, 0600 in 0700 directories.
status save_token_file(const std::string& token, const std::string& path) {
  if (path.empty()) return make_error(errc::usage, "neither XDG_CONFIG_HOME nor HOME is set: use STORENODE_TOKEN");
  const std::string dir = path.substr(0, path.rfind('/'));
  for (std::size_t at = dir.find('/', 1); at != std::string::npos; at = dir.find('/', at + 1)) {
    ::mkdir(dir.substr(0, at).c_str(), 0700);  // the parents; existing ones stay as they are
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(errc::io, "cannot create " + dir + ": " + std::strerror(errno));
  }
  const std::string tmp = path + ".tmp";
  const mode_t old = ::umask(077);
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << token << "\n";
    if (!out) {
      ::umask(old);
      return make_error(errc::io, "cannot write " + tmp);
    }
  }
  ::umask(old);
  ::chmod(tmp.c_str(), 0600);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return make_error(errc::io, "cannot write " + path);
  return {};
}

/// The node's own token file (commands on several nodes pick each node's)
/// and the newest login's.
status save_token(const std::string& token, const node_client& node) {
  if (auto s = save_token_file(token, token_file_path(node.host(), node.port())); !s) return s;
  return save_token_file(token, token_file_path());
}

std::string node_url(const std::string& url) { return url.empty() ? default_node_url() : url; }

std::optional<std::string> new_pin() {
  auto a = read_secret("new PIN (4-8 digits): ");
  if (!a) return std::nullopt;
  if (::isatty(STDIN_FILENO)) {
    auto b = read_secret("again: ");
    if (!b || *a != *b) {
      std::fprintf(stderr, "storectl: the two PINs differ\n");
      return std::nullopt;
    }
  }
  return a;
}

void print_staff(const json& s, bool as_json) {
  if (as_json) {
    std::printf("%s\n", s.dump().c_str());
    return;
  }
  std::printf("%-16s %-24s %-10s %s\n", s.value("staff_id", "").c_str(), s.value("name", "").c_str(),
              s.value("role", "").c_str(), s.value("active", true) ? "active" : "inactive");
}

}  // namespace

void add_login_command(CLI::App& app, cli_context& ctx) {
  struct options {
    std::string node, staff;
  };
  auto o = std::make_shared<options>();
  auto* cmd = app.add_subcommand("login", "sign in to a node; keeps the session token for later commands");
  cmd->footer(R"(Prompts for the PIN (no echo; from stdin when it is not a terminal) and
writes the token to $XDG_CONFIG_HOME/storenode/tokens/HOST_PORT and
$XDG_CONFIG_HOME/storenode/token (mode 0600). Every later storectl command
sends a node the token of its own login (else the newest login's);
STORENODE_TOKEN overrides both. A session is bound to the node that issued
it and ends after the store's idle timeout: log in at each node that a
command on several nodes (diff, status --store) reaches.

Examples:
  storectl login --node http://127.0.0.1:8080 --staff admin)");
  cmd->add_option("--node", o->node, "node URL (default $STORECTL_NODE or http://127.0.0.1:8080)");
  cmd->add_option("--staff", o->staff, "your staff id")->required();
  cmd->callback([o, &ctx] {
    auto node = node_client::make(node_url(o->node));
    if (!node) {
      ctx.exit_code = report_error(node.error());
      return;
    }
    auto pin = read_secret("PIN: ");
    if (!pin) {
      ctx.exit_code = report_error(make_error(errc::usage, "no PIN given"));
      return;
    }
    auto r = node->post("/v1/sessions", json{{"staff_id", o->staff}, {"pin", *pin}});
    std::fill(pin->begin(), pin->end(), '\0');
    if (!r) {
      ctx.exit_code = report_error(r.error());
      return;
    }
    if (auto s = save_token(r->value("token", ""), *node); !s) {
      ctx.exit_code = report_error(s.error());
      return;
    }
    std::printf("signed in as %s (%s) at %s until %s idle\n", r->value("staff_id", "").c_str(),
                r->value("role", "").c_str(), node->url().c_str(), r->value("expires_at", "").c_str());
    ctx.exit_code = exit_ok;
  });
}

void add_staff_command(CLI::App& app, cli_context& ctx) {
  struct options {
    std::string node, id, name, role;
    std::optional<bool> active;
    bool pin = false, json = false;
  };
  auto o = std::make_shared<options>();
  auto* cmd = app.add_subcommand("staff", "the store's staff: add, set, remove, list");
  cmd->require_subcommand(1);
  cmd->footer(R"(PINs are prompted for (never an argument). Examples:
  storectl staff add anna --name Anna --role cashier
  storectl staff set anna --role supervisor
  storectl staff set anna --pin          # asks for the new PIN
  storectl staff remove anna
  storectl staff list --json)");
  const auto with_node = [o](CLI::App* c) {
    c->add_option("--node", o->node, "node URL (default $STORECTL_NODE or http://127.0.0.1:8080)");
    c->add_flag("--json", o->json, "print JSON");
  };
  const auto finish = [o, &ctx](const expected<json>& r) {
    if (!r) {
      ctx.exit_code = report_error(r.error());
      return;
    }
    print_staff(*r, o->json);
    ctx.exit_code = exit_ok;
  };
  auto* add = cmd->add_subcommand("add", "add a person (asks for their PIN)");
  add->add_option("id", o->id, "staff id")->required();
  add->add_option("--name", o->name, "display name")->required();
  add->add_option("--role", o->role, "cashier, supervisor, manager or admin")->required();
  with_node(add);
  add->callback([o, &ctx, finish] {
    auto node = node_client::make(node_url(o->node));
    if (!node) return void(ctx.exit_code = report_error(node.error()));
    auto pin = new_pin();
    if (!pin) return void(ctx.exit_code = report_error(make_error(errc::usage, "no PIN given")));
    finish(node->post("/v1/staff", json{{"staff_id", o->id}, {"name", o->name}, {"role", o->role}, {"pin", *pin}}));
  });
  auto* set = cmd->add_subcommand("set", "change a person's name, role, active flag or PIN");
  set->add_option("id", o->id, "staff id")->required();
  set->add_option("--name", o->name, "display name");
  set->add_option("--role", o->role, "cashier, supervisor, manager or admin");
  set->add_option("--active", o->active, "true or false");
  set->add_flag("--pin", o->pin, "ask for a new PIN");
  with_node(set);
  set->callback([o, &ctx, finish] {
    auto node = node_client::make(node_url(o->node));
    if (!node) return void(ctx.exit_code = report_error(node.error()));
    json body = json::object();
    if (!o->name.empty()) body["name"] = o->name;
    if (!o->role.empty()) body["role"] = o->role;
    if (o->active) body["active"] = *o->active;
    if (o->pin) {
      auto pin = new_pin();
      if (!pin) return void(ctx.exit_code = report_error(make_error(errc::usage, "no PIN given")));
      body["pin"] = *pin;
    }
    if (body.empty()) return void(ctx.exit_code = report_error(make_error(errc::usage, "nothing to change")));
    finish(node->put("/v1/staff/" + url_encode(o->id), body));
  });
  auto* rm = cmd->add_subcommand("remove", "remove a person (their history keeps their id)");
  rm->add_option("id", o->id, "staff id")->required();
  with_node(rm);
  rm->callback([o, &ctx] {
    auto node = node_client::make(node_url(o->node));
    if (!node) return void(ctx.exit_code = report_error(node.error()));
    auto r = node->del("/v1/staff/" + url_encode(o->id));
    if (!r) return void(ctx.exit_code = report_error(r.error()));
    std::printf("removed %s\n", o->id.c_str());
    ctx.exit_code = exit_ok;
  });
  auto* ls = cmd->add_subcommand("list", "list the store's staff (never a PIN or its hash)");
  with_node(ls);
  ls->callback([o, &ctx] {
    auto node = node_client::make(node_url(o->node));
    if (!node) return void(ctx.exit_code = report_error(node.error()));
    auto r = node->get("/v1/staff");
    if (!r) return void(ctx.exit_code = report_error(r.error()));
    for (const auto& s : r->value("staff", json::array())) print_staff(s, o->json);
    ctx.exit_code = exit_ok;
  });
}

}  // namespace sn::tools
