// An in-test HTTP server that serves the node API shapes storectl uses
// (/v1/status, /v1/events, /v1/events/stream SSE, /v1/digest, /v1/elections,
// /v1/audit, /v1/projections, POST /v1/master), backed by real events rendered
// with event_to_json. It stands in for storenode until the daemon's own
// real-process tests run storectl against it.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/event.hpp"

namespace httplib {
class Server;
}

namespace sn::tools::test {

class fake_node {
public:
  fake_node();
  ~fake_node();
  fake_node(const fake_node&) = delete;
  fake_node& operator=(const fake_node&) = delete;

  std::string url() const;
  /// Appends an event: listed by /v1/events and pushed to open streams.
  void add(const event& e);
  /// Fields merged into /v1/status (position and events_total are computed).
  void set_status(const nlohmann::json& fields);
  void set_reply(const std::string& path, const nlohmann::json& body);
  /// Requests received by the operation endpoints, as "POST PATH BODY" or
  /// "GET PATH?QUERY" (digest, elections, audit, projections).
  std::vector<std::string> requests() const;
  /// Event streams currently open.
  int open_streams() const;

private:
  nlohmann::json reply_for(const std::string& path) const;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<nlohmann::json> events_;
  nlohmann::json status_;
  std::map<std::string, nlohmann::json> replies_;
  std::vector<std::string> requests_;
  int open_streams_ = 0;
  bool stopping_ = false;
};

} // namespace sn::tools::test
