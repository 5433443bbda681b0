// storectl's HTTP client of a running node (the API in docs/http.md). Keeps
// cpp-httplib out of headers. Each call opens its own connection, so a
// node_client may be used from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "events/expected.hpp"

namespace sn::tools {

/// One Server-Sent Events message.
struct sse_message {
  std::string id;     ///< "id:" field (the event's log position), "" when absent
  std::string event;  ///< "event:" field, "message" when absent
  std::string data;   ///< "data:" lines joined with "\n"
};

class node_client {
public:
  /// Default node address when neither --node nor STORECTL_NODE is given.
  static constexpr const char* default_url = "http://127.0.0.1:8080";
  static constexpr std::chrono::seconds connect_timeout{3};
  static constexpr std::chrono::seconds read_timeout{15};

  /// Accepts "http://host:port", "https://host:port", "host:port" or
  /// ":port". Usage error otherwise. An https:// node is verified against the
  /// store CA (ca_file()); without one it is a usage error, never unverified.
  static expected<node_client> make(const std::string& url);

  /// The store CA certificate https:// nodes are verified against: --ca
  /// (set_ca_file), else $STORENODE_CA, else $XDG_CONFIG_HOME/storenode/ca.crt
  /// when it exists (`storectl ca export --data DIR --install` writes it);
  /// "" when none.
  static std::string ca_file();
  static void set_ca_file(std::string path);

  /// GET, expecting a 2xx JSON reply.
  expected<nlohmann::json> get(const std::string& path_and_query) const;
  /// POST with a JSON body, expecting a 2xx reply (JSON, or empty -> {}),
  /// waiting at most `timeout` for it (a backup may take longer than a query).
  expected<nlohmann::json> post(const std::string& path, const nlohmann::json& body,
                                std::chrono::seconds timeout = read_timeout) const;

  /// PUT / DELETE, expecting a 2xx JSON reply (staff set, staff remove, sign-out).
  expected<nlohmann::json> put(const std::string& path, const nlohmann::json& body) const;
  expected<nlohmann::json> del(const std::string& path) const;

  /// Streams an SSE endpoint. `on_open` runs once the response headers have
  /// arrived (the subscription is live); `on_message` for each message, and
  /// returning false ends the stream. Returns ok when on_message stopped it,
  /// an error when the node could not be reached or closed the stream.
  status stream(const std::string& path_and_query, const std::function<void()>& on_open,
                const std::function<bool(const sse_message&)>& on_message) const;

  /// "http://127.0.0.1:8080" (normalised).
  const std::string& url() const noexcept { return url_; }
  const std::string& host() const noexcept { return host_; }
  int port() const noexcept { return port_; }

 private:
  node_client(std::string host, int port, bool https = false);
  std::string host_;
  int port_ = 0;
  std::string url_;
  bool https_ = false;
};

/// The staff session token every request to the node at host:port carries
/// (Authorization: Bearer): $STORENODE_TOKEN, else the file `storectl login`
/// wrote for that node, else the one of the newest login
/// (token_file_path()); nullopt when none holds one.
std::optional<std::string> session_token(const std::string& host = {}, int port = 0);
/// $XDG_CONFIG_HOME/storenode/token (XDG_CONFIG_HOME defaults to ~/.config),
/// the newest login's token; with a host, tokens/<host>_<port> beside it,
/// that node's (a session works only at the node that issued it, so a
/// command on several nodes, `diff` or `status --store`, needs one per
/// node). "" when neither variable is set.
std::string token_file_path(const std::string& host = {}, int port = 0);

/// Percent-encodes a query parameter value.
std::string url_encode(const std::string& s);

/// Incremental SSE parser: feed bytes, get whole messages. Bounded: a message
/// over sse_message_bytes_max is dropped (the node never sends one; an event
/// is at most event_bytes_max encoded).
class sse_parser {
public:
  static constexpr std::size_t sse_message_bytes_max = 4 * 1024 * 1024;
  /// Returns false when `on_message` asked to stop.
  bool feed(const char* data, std::size_t n, const std::function<bool(const sse_message&)>& on_message);

private:
  bool line(const std::string& l, const std::function<bool(const sse_message&)>& on_message);
  std::string buffer_;
  sse_message current_;
  bool has_data_ = false;
};

} // namespace sn::tools
