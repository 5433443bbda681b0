// The JSON of the election and sync actors' typed reports
// (node/views_json/cluster_json, sync_json): the shapes docs/api.md gives
// GET /v1/cluster, POST /v1/cluster/master and GET /v1/sync, rendered at the
// edge from the values the actors answer (no JSON crosses the actors).
#include <gtest/gtest.h>

#include "node/views_json/cluster_json.hpp"
#include "node/views_json/sync_json.hpp"

namespace sn::node {
namespace {

using json = nlohmann::json;

// Proves: the cluster view names the role as operators read it ("master"
// for every master role), gives each peer's silence relative to when the
// report was taken (null when never heard) and its log summary.
TEST(StatusJson, ClusterViewRendersRolesPeersAndSilence) {
  actors::election_report r;
  r.now_ms = 10'000;
  r.view.self = "POS1";
  r.view.current_role = election::role::master;
  r.view.term = 7;
  r.view.master = "POS1";
  election::peer_view heard;
  heard.device = "POS2";
  heard.address = "tcp://10.0.0.2:7000";
  heard.alive = true;
  heard.last_heard_ms = 9'750;
  heard.summary = {{"POS1", 12}, {"POS2", 3}};
  election::peer_view silent;
  silent.device = "POS3";
  r.view.peers = {heard, silent};
  r.view.counters.elections_won = 2;
  const json j = cluster_json(r);
  EXPECT_EQ(j["role"], "master");
  EXPECT_EQ(j["term"], 7);
  EXPECT_EQ(j["master"], "POS1");
  ASSERT_EQ(j["peers"].size(), 2u);
  EXPECT_EQ(j["peers"][0]["device_id"], "POS2");
  EXPECT_EQ(j["peers"][0]["last_seen_ms_ago"], 250);
  EXPECT_EQ(j["peers"][0]["version_vector"]["POS1"], 12);
  EXPECT_TRUE(j["peers"][0]["http"].is_null());
  EXPECT_TRUE(j["peers"][1]["last_seen_ms_ago"].is_null());
  EXPECT_EQ(j["counters"]["elections_won"], 2);
}

// Proves: the edge maps the election actor's answer to a master override to
// 202 (accepted), 404 (a device never heard of) and 409 (refused), with the
// error code docs/api.md lists.
TEST(StatusJson, MasterOverrideOutcomesMapToHttpStatuses) {
  using outcome = actors::master_override::outcome;
  const auto accepted = master_override_reply({outcome::accepted, "POS2", ""});
  EXPECT_EQ(accepted.first, 202);
  EXPECT_EQ(json::parse(accepted.second), (json{{"accepted", true}, {"device_id", "POS2"}}));
  const auto unknown = master_override_reply({outcome::unknown_device, "POS9", "device POS9 was never heard of"});
  EXPECT_EQ(unknown.first, 404);
  EXPECT_EQ(json::parse(unknown.second)["error"]["code"], "master_override_refused");
  EXPECT_EQ(json::parse(unknown.second)["error"]["message"], "device POS9 was never heard of");
  const auto refused = master_override_reply({outcome::refused, "POS2", "device POS2 is not live"});
  EXPECT_EQ(refused.first, 409);
}

// Proves: the sync view lists this device first and then each peer by its
// device id (its address beside it), with its last error, and renders the
// audit rows and the clock-skew warning.
TEST(StatusJson, SyncViewNamesPeersByDeviceAndKeepsTheJournal) {
  actors::sync_report r;
  r.self = "POS1";
  r.status.state = sync::sync_state::synced;
  r.status.pending_changes = 4;
  sync::peer_status p;
  p.peer = "tcp://10.0.0.2:7000";
  p.reachable = true;
  p.last_seen_ms = 1'764'000'000'000;
  r.status.peers = {p};
  r.peer_devices = {"POS2"};
  r.status.hub = "POS2";
  r.status.last_sync_ms = 1'764'000'000'500;
  r.status.last_error = "peer POS3 timed out";
  r.status.last_error_ms = 1'763'999'000'000;
  r.audit = {sync::journal_row{1'764'000'000'400, "POS2", "pull", 12, true, ""}};
  sync::skew_hold_status w;
  w.origin = "POS3";
  w.peer = "POS3";
  w.seq = 9;
  w.ahead_ms = 120'000;
  r.status.skew_warning = w;
  r.status.skew_holds = {w};
  const json j = sync_json(r);
  EXPECT_EQ(j["pending_changes"], 4);
  EXPECT_EQ(j["hub"], "POS2");
  EXPECT_TRUE(j["syncing_with"].is_null());
  EXPECT_EQ(j["last_error"], "peer POS3 timed out");
  ASSERT_EQ(j["devices"].size(), 2u);
  EXPECT_EQ(j["devices"][0]["device_id"], "POS1");
  EXPECT_EQ(j["devices"][0]["last_error"], "peer POS3 timed out");
  EXPECT_EQ(j["devices"][1]["device_id"], "POS2");
  EXPECT_EQ(j["devices"][1]["address"], "tcp://10.0.0.2:7000");
  EXPECT_EQ(j["devices"][1]["status"], "reachable");
  EXPECT_EQ(j["devices"][1]["last_seen_ms"], 1'764'000'000'000);
  ASSERT_EQ(j["audit"].size(), 1u);
  EXPECT_EQ(j["audit"][0]["result"], "ok");
  EXPECT_TRUE(j["audit"][0]["error"].is_null());
  EXPECT_EQ(j["clock"]["skew_warning"]["peer"], "POS3");
  EXPECT_EQ(j["clock"]["skew_warning"]["held_origins"], 1);
}

}  // namespace
}  // namespace sn::node
