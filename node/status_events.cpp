#include "node/status_events.hpp"

namespace sn::node {

using json = nlohmann::json;

bool is_status_kind(const std::string& kind) {
  return kind == kind_role_changed || kind == kind_device_online || kind == kind_device_offline ||
         kind == kind_sync_status;
}

namespace {

std::optional<std::string> string_or_null(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

template <class T>
T number_or(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  return it->get<T>();
}

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

json role_json(const status_snapshot& s, const std::optional<status_snapshot>& before) {
  return json{{"device_id", s.device_id},
              {"role", s.role},
              {"previous_role", before ? json(before->role) : json(nullptr)},
              {"master", opt(s.master)},
              {"previous_master", before ? opt(before->master) : json(nullptr)},
              {"term", s.term}};
}

json sync_json(const status_snapshot& s) {
  return json{{"device_id", s.device_id},
              {"status", s.sync_status},
              {"pending_changes", s.pending_changes},
              {"last_sync_ms", s.last_sync_ms},
              {"last_error", opt(s.last_error)}};
}

}  // namespace

status_snapshot snapshot_of(const std::string& device_id, const json& cluster, const json& sync) {
  status_snapshot s;
  s.device_id = device_id;
  s.role = cluster.is_object() ? cluster.value("role", std::string("standalone")) : "standalone";
  if (cluster.is_object()) {
    s.master = string_or_null(cluster, "master");
    s.term = number_or<std::uint64_t>(cluster, "term", 0);
    if (auto it = cluster.find("peers"); it != cluster.end() && it->is_array()) {
      for (const auto& p : *it) {
        auto id = string_or_null(p, "device_id");
        if (!id) continue;
        s.peers_alive[*id] = p.value("alive", false);
        s.peers_last_seen_ms_ago[*id] = number_or<std::int64_t>(p, "last_seen_ms_ago", -1);
      }
    }
  }
  if (sync.is_object() && sync.contains("status")) {
    s.sync_status = sync.value("status", std::string("offline"));
    s.pending_changes = number_or<std::uint64_t>(sync, "pending_changes", 0);
    s.last_sync_ms = number_or<std::uint64_t>(sync, "last_sync_ms", 0);
    s.last_error = string_or_null(sync, "last_error");
  } else {
    s.sync_status = "standalone";
  }
  return s;
}

std::vector<status_change> status_changes(const std::optional<status_snapshot>& before, const status_snapshot& now) {
  std::vector<status_change> out;
  if (!before || before->role != now.role || before->master != now.master || before->term != now.term) {
    out.push_back({kind_role_changed, role_json(now, before)});
  }
  for (const auto& [id, alive] : now.peers_alive) {
    bool was_alive = false;
    bool known = false;
    if (before) {
      auto it = before->peers_alive.find(id);
      known = it != before->peers_alive.end();
      was_alive = known && it->second;
    }
    // A first look reports nothing here: /v1/status has the peers.
    if (!before || (known && was_alive == alive) || (!known && !alive)) continue;
    auto seen = now.peers_last_seen_ms_ago.find(id);
    out.push_back(
        {alive ? kind_device_online : kind_device_offline,
         json{{"device_id", id},
              {"alive", alive},
              {"last_seen_ms_ago",
               seen == now.peers_last_seen_ms_ago.end() || seen->second < 0 ? json(nullptr) : json(seen->second)}}});
  }
  if (before) {
    for (const auto& [id, alive] : before->peers_alive) {
      if (alive && !now.peers_alive.count(id)) {
        out.push_back({kind_device_offline, json{{"device_id", id}, {"alive", false}, {"last_seen_ms_ago", nullptr}}});
      }
    }
  }
  if (!before || before->sync_status != now.sync_status || before->pending_changes != now.pending_changes ||
      before->last_sync_ms != now.last_sync_ms || before->last_error != now.last_error) {
    out.push_back({kind_sync_status, sync_json(now)});
  }
  return out;
}

}  // namespace sn::node
