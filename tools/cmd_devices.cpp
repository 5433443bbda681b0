// storectl devices enroll|revoke|rotate-keys (issue 9): a one-time join code
// for a new device, the revocation of an enrolled one, and new key pairs for
// a device (asked of that device's own node). All need an admin's session
// (storectl login). The code is printed once; it is never written to a file.
#include <memory>

#include "tools/commands.hpp"

namespace sn::tools {

void add_devices_command(CLI::App& app, cli_context& ctx) {
  struct options {
    std::string node, id, reason;
    std::optional<int> priority;
    bool json = false;
  };
  auto o = std::make_shared<options>();
  auto* cmd = app.add_subcommand("devices", "the store's devices: enroll a new one, revoke one, rotate one's keys");
  cmd->require_subcommand(1);
  cmd->footer(R"(Needs an admin's session (storectl login). Examples:
  storectl devices enroll POS2 --priority 10
      then on POS2: STORENODE_JOIN_CODE=<code> storenode --device-id POS2 --peer <peer> ...
  storectl devices revoke POS2 --reason stolen
  storectl devices rotate-keys POS2 --node http://POS2-HOST:8080   (on POS2's own node))");
  const auto with_node = [o](CLI::App* c) {
    c->add_option("--node", o->node, "node URL (default $STORECTL_NODE or http://127.0.0.1:8080)");
    c->add_flag("--json", o->json, "print JSON");
  };
  auto* enroll = cmd->add_subcommand("enroll", "a one-time join code for a new device (valid 15 min by default)");
  enroll->add_option("id", o->id, "the new device's id")->required();
  enroll->add_option("--priority", o->priority, "its election priority (default 0)");
  with_node(enroll);
  enroll->callback([o, &ctx] {
    auto node = node_client::make(o->node.empty() ? default_node_url() : o->node);
    if (!node) return void(ctx.exit_code = report_error(node.error()));
    nlohmann::json body = nlohmann::json::object();
    if (o->priority) body["priority"] = *o->priority;
    auto r = node->post("/v1/devices/" + o->id + "/enrollment", body);
    if (!r) return void(ctx.exit_code = report_error(r.error()));
    if (o->json) {
      std::printf("%s\n", r->dump().c_str());
    } else {
      std::printf("join code for %s: %s (one use, expires %s)\n", r->value("device_id", "").c_str(),
                  r->value("code", "").c_str(), r->value("expires_at", "").c_str());
      std::printf("on %s: STORENODE_JOIN_CODE=%s storenode --device-id %s --peer %s --data-dir DIR ...\n",
                  o->id.c_str(), r->value("code", "").c_str(), o->id.c_str(), r->value("peer", "").c_str());
    }
    ctx.exit_code = exit_ok;
  });
  auto* revoke = cmd->add_subcommand("revoke", "revoke a device: its connections and its later events are refused");
  revoke->add_option("id", o->id, "the device's id")->required();
  revoke->add_option("--reason", o->reason, "why (stolen, replaced, ...)");
  with_node(revoke);
  revoke->callback([o, &ctx] {
    auto node = node_client::make(o->node.empty() ? default_node_url() : o->node);
    if (!node) return void(ctx.exit_code = report_error(node.error()));
    auto r = node->post("/v1/devices/" + o->id + "/revocation", nlohmann::json{{"reason", o->reason}});
    if (!r) return void(ctx.exit_code = report_error(r.error()));
    if (o->json) {
      std::printf("%s\n", r->dump().c_str());
    } else {
      std::printf("revoked %s after its event %llu\n", r->value("device_id", "").c_str(),
                  static_cast<unsigned long long>(r->value("revoked_after_seq", std::uint64_t{0})));
    }
    ctx.exit_code = exit_ok;
  });
  auto* rotate = cmd->add_subcommand(
      "rotate-keys", "new signing and CURVE key pairs for a device (ask that device's own node with --node)");
  rotate->add_option("id", o->id, "the device's id (the device --node serves)")->required();
  with_node(rotate);
  rotate->callback([o, &ctx] {
    auto node = node_client::make(o->node.empty() ? default_node_url() : o->node);
    if (!node) return void(ctx.exit_code = report_error(node.error()));
    auto r = node->post("/v1/devices/" + o->id + "/keys/rotation", nlohmann::json::object());
    if (!r) return void(ctx.exit_code = report_error(r.error()));
    if (o->json) {
      std::printf("%s\n", r->dump().c_str());
    } else {
      std::printf("rotated the keys of %s at its event %llu: signing %s, curve %s%s\n",
                  r->value("device_id", "").c_str(), static_cast<unsigned long long>(r->value("seq", std::uint64_t{0})),
                  r->value("signing_key", "").c_str(), r->value("curve_key", "").c_str(),
                  r->value("held_elsewhere", false) ? "" : " (no other device was seen to hold it yet)");
    }
    ctx.exit_code = exit_ok;
  });
}

}  // namespace sn::tools
