#include "tools/node_client.hpp"

#include <httplib.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "tools/errc.hpp"

namespace sn::tools {

std::string token_file_path(const std::string& host, int port) {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  std::string dir;
  if (xdg != nullptr && xdg[0] == '/') {
    dir = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
    dir = std::string(home) + "/.config";
  } else {
    return {};
  }
  if (host.empty()) return dir + "/storenode/token";
  // One file per node: a session is bound to the node that issued it.
  std::string name;
  for (char ch : host) name += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-') ? ch : '_';
  return dir + "/storenode/tokens/" + name + "_" + std::to_string(port);
}

std::optional<std::string> session_token(const std::string& host, int port) {
  if (const char* env = std::getenv("STORENODE_TOKEN"); env != nullptr && env[0] != '\0') return std::string(env);
  for (const std::string& path : {token_file_path(host, port), token_file_path()}) {
    if (path.empty()) continue;
    std::ifstream in(path);
    std::string t;
    if (in >> t && !t.empty()) return t;
    if (host.empty()) break;
  }
  return std::nullopt;
}

namespace {

using json = nlohmann::json;

std::string& ca_override() {
  static std::string path;
  return path;
}

std::unique_ptr<httplib::Client> client(const std::string& host, int port, std::chrono::seconds read,
                                        bool https = false) {
  auto c = https ? std::make_unique<httplib::Client>("https://" + host + ":" + std::to_string(port))
                 : std::make_unique<httplib::Client>(host, port);
  if (https) {
    // Verified against the store CA only (make() refused when there is none).
    c->set_ca_cert_path(node_client::ca_file().c_str());
    c->enable_server_certificate_verification(true);
  }
  if (auto t = session_token(host, port)) c->set_bearer_token_auth(t->c_str());
  c->set_connection_timeout(node_client::connect_timeout);
  c->set_read_timeout(read);
  c->set_write_timeout(node_client::read_timeout);
  return c;
}

std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "connection refused or host unreachable";
    case httplib::Error::SSLServerVerification:
      return "its certificate does not verify against the store CA (" + node_client::ca_file() + ")";
    case httplib::Error::SSLConnection: return "the TLS handshake failed (is it serving HTTPS?)";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "no reply (read failed or timed out)";
    case httplib::Error::Write: return "the connection broke while sending";
    default: return httplib::to_string(e);
  }
}

sn::error transport_error(const std::string& url, httplib::Error e) {
  return make_error(errc::unreachable, "cannot reach node at " + url + ": " + describe(e) +
                                           " (is storenode running there? set --node URL or STORECTL_NODE)");
}

// The node's errors are {"error":{"code","message"}} or {"code","message"}.
std::string error_text(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    const json* e = j.contains("error") && j["error"].is_object() ? &j["error"] : &j;
    if (e->contains("message")) {
      std::string s = e->value("code", std::string{});
      if (!s.empty()) s += ": ";
      const json& m = (*e)["message"];
      return s + (m.is_string() ? m.get<std::string>() : m.dump());
    }
  }
  return body.substr(0, 200);
}

expected<json> reply(const std::string& url, const std::string& what, const httplib::Result& r) {
  if (!r) return transport_error(url, r.error());
  if (r->status < 200 || r->status >= 300) {
    return make_error(r->status == 404 ? errc::not_found : errc::http_status,
                      what + " -> HTTP " + std::to_string(r->status) + ": " + error_text(r->body));
  }
  if (r->body.empty()) return json::object();
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return make_error(errc::bad_reply, what + ": the node's reply is not JSON");
  return j;
}

} // namespace

node_client::node_client(std::string host, int port, bool https)
    : host_(std::move(host)),
      port_(port),
      url_(std::string(https ? "https://" : "http://") + host_ + ":" + std::to_string(port_)),
      https_(https) {}

void node_client::set_ca_file(std::string path) { ca_override() = std::move(path); }

std::string node_client::ca_file() {
  if (!ca_override().empty()) return ca_override();
  if (const char* e = std::getenv("STORENODE_CA"); e != nullptr && *e != '\0') return e;
  std::string dir;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x != '\0') {
    dir = x;
  } else if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    dir = std::string(h) + "/.config";
  }
  if (dir.empty()) return {};
  const std::string path = dir + "/storenode/ca.crt";
  return std::ifstream(path).good() ? path : std::string();
}

expected<node_client> node_client::make(const std::string& url) {
  std::string rest = url;
  bool https = false;
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest = rest.substr(8);
    https = true;
    if (ca_file().empty()) {
      return make_error(errc::usage, "--node '" + url +
                                         "': an https:// node is verified against the store CA: give --ca FILE or "
                                         "STORENODE_CA (storectl ca export --data DIR prints it)");
    }
  } else if (rest.find("://") != std::string::npos) {
    return make_error(errc::usage, "--node '" + url + "': expected http:// (loopback) or https://");
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || rest.find('/') != std::string::npos) {
    return make_error(errc::usage, "--node '" + url + "': expected http://HOST:PORT, e.g. http://127.0.0.1:8080");
  }
  std::string host = rest.substr(0, colon);
  if (host.empty()) host = "127.0.0.1";
  int port = 0;
  const std::string p = rest.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
      (port = std::stoi(p)) <= 0 || port > 65535) {
    return make_error(errc::usage, "--node '" + url + "': bad port '" + p + "'");
  }
  return node_client(host, port, https);
}

expected<json> node_client::put(const std::string& path, const json& body) const {
  auto c = client(host_, port_, read_timeout, https_);
  return reply(url_, "PUT " + path, c->Put(path.c_str(), body.dump(), "application/json"));
}

expected<json> node_client::del(const std::string& path) const {
  auto c = client(host_, port_, read_timeout, https_);
  return reply(url_, "DELETE " + path, c->Delete(path.c_str()));
}

expected<json> node_client::get(const std::string& path) const {
  auto c = client(host_, port_, read_timeout, https_);
  return reply(url_, "GET " + path, c->Get(path.c_str()));
}

expected<json> node_client::post(const std::string& path, const json& body, std::chrono::seconds timeout) const {
  auto c = client(host_, port_, timeout, https_);
  return reply(url_, "POST " + path, c->Post(path.c_str(), body.dump(), "application/json"));
}

status node_client::stream(const std::string& path, const std::function<void()>& on_open,
                           const std::function<bool(const sse_message&)>& on_message) const {
  // A live stream may be quiet for long stretches: no read timeout to speak of.
  constexpr std::chrono::hours stream_read_timeout{24 * 365};
  auto c = client(host_, port_, std::chrono::duration_cast<std::chrono::seconds>(stream_read_timeout), https_);
  sse_parser parser;
  bool stopped = false;
  int http_status = 0;
  httplib::Headers headers{{"Accept", "text/event-stream"}};
  auto r = c->Get(
      path.c_str(), headers,
      [&](const httplib::Response& resp) {
        http_status = resp.status;
        if (resp.status >= 200 && resp.status < 300) on_open();
        return true;
      },
      [&](const char* data, std::size_t n) {
        if (http_status < 200 || http_status >= 300) return true;  // error body: read it whole
        if (!parser.feed(data, n, on_message)) {
          stopped = true;
          return false;
        }
        return true;
      });
  if (stopped) return status::ok();
  if (!r) return transport_error(url_, r.error());
  if (r->status < 200 || r->status >= 300) {
    return make_error(errc::http_status, "GET " + path + " -> HTTP " + std::to_string(r->status) + ": " +
                                             error_text(r->body));
  }
  return make_error(errc::unreachable, "the node at " + url_ + " closed the event stream");
}

std::string url_encode(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

bool sse_parser::feed(const char* data, std::size_t n, const std::function<bool(const sse_message&)>& on_message) {
  buffer_.append(data, n);
  std::size_t start = 0;
  for (;;) {
    const auto nl = buffer_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string l = buffer_.substr(start, nl - start);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    start = nl + 1;
    if (!line(l, on_message)) {
      buffer_.erase(0, start);
      return false;
    }
  }
  buffer_.erase(0, start);
  if (buffer_.size() > sse_message_bytes_max) buffer_.clear();
  return true;
}

bool sse_parser::line(const std::string& l, const std::function<bool(const sse_message&)>& on_message) {
  if (l.empty()) {  // blank line: dispatch
    bool go_on = true;
    if (has_data_) {
      if (current_.event.empty()) current_.event = "message";
      go_on = on_message(current_);
    }
    current_ = sse_message{};
    has_data_ = false;
    return go_on;
  }
  if (l[0] == ':') return true;  // comment / keep-alive
  const auto colon = l.find(':');
  std::string field = l.substr(0, colon);
  std::string value = colon == std::string::npos ? std::string{} : l.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data += value;
    has_data_ = true;
    if (current_.data.size() > sse_message_bytes_max) {
      current_ = sse_message{};
      has_data_ = false;
    }
  } else if (field == "id") {
    current_.id = value;
  } else if (field == "event") {
    current_.event = value;
  }
  return true;
}

} // namespace sn::tools
