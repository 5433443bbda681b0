// The node status kinds of the SSE stream (node/status_events.hpp): what a
// stream sends from two snapshots of the election's and sync's status. Proves
// that a first look sends the truth (role and sync), that each change sends
// exactly its kind, and that nothing is sent when nothing changed.
#include <gtest/gtest.h>

#include "node/status_events.hpp"

namespace {

using nlohmann::json;
using sn::node::snapshot_of;
using sn::node::status_changes;

json cluster(const char* role, const char* master, int term, bool peer_alive) {
  return json{{"role", role},
              {"master", master},
              {"term", term},
              {"peers", json::array({json{{"device_id", "POS2"}, {"alive", peer_alive}, {"last_seen_ms_ago", 40}}})}};
}

json sync(const char* status, int pending, std::uint64_t last_sync) {
  return json{{"status", status}, {"pending_changes", pending}, {"last_sync_ms", last_sync}, {"last_error", nullptr}};
}

std::vector<std::string> kinds(const std::vector<sn::node::status_change>& c) {
  std::vector<std::string> out;
  for (const auto& x : c) out.push_back(x.kind);
  return out;
}

TEST(status_events, first_look_sends_role_and_sync) {
  auto now = snapshot_of("POS1", cluster("master", "POS1", 3, true), sync("synced", 0, 1000));
  auto c = status_changes(std::nullopt, now);
  EXPECT_EQ(kinds(c), (std::vector<std::string>{"role.changed", "sync.status"}));
  EXPECT_EQ(c[0].data["role"], "master");
  EXPECT_EQ(c[0].data["master"], "POS1");
  EXPECT_EQ(c[1].data["status"], "synced");
}

TEST(status_events, nothing_changed_sends_nothing) {
  auto a = snapshot_of("POS1", cluster("master", "POS1", 3, true), sync("synced", 0, 1000));
  auto b = snapshot_of("POS1", cluster("master", "POS1", 3, true), sync("synced", 0, 1000));
  EXPECT_TRUE(status_changes(a, b).empty());
}

TEST(status_events, each_change_sends_its_kind) {
  auto a = snapshot_of("POS2", cluster("client", "POS1", 3, true), sync("synced", 0, 1000));
  auto b = snapshot_of("POS2", cluster("master", "POS2", 4, false), sync("offline", 2, 1000));
  auto c = status_changes(a, b);
  ASSERT_EQ(kinds(c), (std::vector<std::string>{"role.changed", "device.offline", "sync.status"}));
  EXPECT_EQ(c[0].data["previous_role"], "client");
  EXPECT_EQ(c[0].data["previous_master"], "POS1");
  EXPECT_EQ(c[0].data["term"], 4);
  EXPECT_EQ(c[1].data["device_id"], "POS2");
  EXPECT_EQ(c[2].data["pending_changes"], 2);
  auto back = status_changes(b, snapshot_of("POS2", cluster("master", "POS2", 4, true), sync("offline", 2, 1000)));
  EXPECT_EQ(kinds(back), (std::vector<std::string>{"device.online"}));
}

TEST(status_events, kinds_are_not_log_types) {
  EXPECT_TRUE(sn::node::is_status_kind("sync.status"));
  EXPECT_TRUE(sn::node::is_status_kind("device.offline"));
  EXPECT_FALSE(sn::node::is_status_kind("sale.completed"));
  EXPECT_FALSE(sn::node::is_status_kind("master.changed"));
}

}  // namespace
