#include "node/http_framing.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace sn::node {

namespace {

/// A chunk-size line (size and extensions) longer than this is refused.
constexpr std::size_t chunk_line_bytes_max = 1024;
/// Digits of a Content-Length or chunk size: more would overflow 64 bits.
constexpr std::size_t length_digits_max = 19;
constexpr std::size_t chunk_size_hex_digits_max = 15;

api_error framing_error(std::string message) { return api_error{400, "invalid_framing", std::move(message)}; }

bool is_tchar(unsigned char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

/// Field values: HTAB, SP, visible ASCII and obs-text; no other control bytes.
bool is_field_value(std::string_view v) noexcept {
  return std::all_of(v.begin(), v.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

/// Calls fn(element) for each non-empty element of a comma-separated list.
template <class Fn>
void for_each_list_element(std::string_view v, Fn fn) {
  while (true) {
    const auto comma = v.find(',');
    const auto element = trim_ows(v.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) return;
    v.remove_prefix(comma + 1);
  }
}

bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > length_digits_max) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// The methods cpp-httplib 0.11 parses (any other makes it drop the head
/// half-read); those after POST carry a body that httplib reads.
constexpr std::array<std::string_view, 10> known_methods = {"GET",  "HEAD", "OPTIONS", "TRACE",  "CONNECT",
                                                            "POST", "PUT",  "PATCH",   "DELETE", "PRI"};
constexpr std::size_t first_method_with_body = 5;

/// Splits `head` into lines without their CRLF; false on a bare CR or LF.
bool split_lines(std::string_view head, std::vector<std::string_view>& lines, std::string& why) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') {
      if (i + 1 >= head.size() || head[i + 1] != '\n') {
        why = "a bare CR in the request head";
        return false;
      }
      lines.push_back(head.substr(start, i - start));
      ++i;
      start = i + 1;
    } else if (head[i] == '\n') {
      why = "a line of the request head ends in a bare LF (CRLF required)";
      return false;
    }
  }
  if (start != head.size()) {
    why = "the request head does not end with CRLF";
    return false;
  }
  return true;
}

api_result<request_head> parse_request_line(std::string_view line) {
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return framing_error("the request line must be METHOD SP TARGET SP HTTP-VERSION");
  }
  request_head h;
  h.method = std::string(line.substr(0, sp1));
  h.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  h.version = std::string(line.substr(sp2 + 1));
  if (!is_token(h.method)) return framing_error("the request method is not a token");
  if (h.target.empty() || !std::all_of(h.target.begin(), h.target.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c > 0x20 && c != 0x7f;
      })) {
    return framing_error("the request target is empty or holds control characters");
  }
  if (h.version != "HTTP/1.1" && h.version != "HTTP/1.0") {
    return framing_error("the HTTP version must be HTTP/1.1 or HTTP/1.0");
  }
  if (std::find(known_methods.begin(), known_methods.end(), h.method) == known_methods.end()) {
    return api_error{501, "unknown_method", "method " + h.method + " is not implemented"};
  }
  return h;
}

}  // namespace

std::size_t find_head_end(std::string_view bytes) noexcept {
  for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1)) {
    if (i + 1 < bytes.size() && bytes[i + 1] == '\n') return i + 2;
    if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

api_result<request_head> parse_request_head(std::string_view head) {
  std::vector<std::string_view> lines;
  std::string why;
  if (!split_lines(head, lines, why)) return framing_error(why);
  if (lines.size() < 2 || !lines.back().empty())
    return framing_error("the request head does not end with a blank line");
  auto parsed = parse_request_line(lines.front());
  if (!parsed) return parsed;
  request_head h = std::move(*parsed);
  if (lines.size() - 2 > header_fields_max) {
    return api_error{431, "headers_too_large", "more than " + std::to_string(header_fields_max) + " header fields"};
  }

  bool has_length = false, has_transfer_encoding = false;
  std::uint64_t length = 0;
  std::vector<std::string> codings;
  for (std::size_t n = 1; n + 1 < lines.size(); ++n) {
    const std::string_view line = lines[n];
    if (line.size() > header_line_bytes_max) {
      return api_error{431, "headers_too_large",
                       "a header line is over " + std::to_string(header_line_bytes_max) + " bytes"};
    }
    if (is_ows(line.front())) return framing_error("obsolete line folding in a header field");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return framing_error("a header line without a colon");
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) {
      return framing_error(name.empty() || !is_ows(name.back())
                               ? "a header field name is not a token"
                               : "whitespace between a header field name and its colon");
    }
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(value)) return framing_error("control characters in header field " + std::string(name));

    if (iequals(name, "Content-Length")) {
      bool any = false;
      bool valid = true;
      for_each_list_element(value, [&](std::string_view element) {
        std::uint64_t v = 0;
        if (!parse_decimal(element, v)) {
          valid = false;
          return;
        }
        if ((has_length || any) && v != length) valid = false;
        length = v;
        any = true;
      });
      if (!valid || !any) {
        return framing_error(has_length ? "Content-Length values differ or are not non-negative integers"
                                        : "Content-Length must be a non-negative integer");
      }
      has_length = true;
    } else if (iequals(name, "Transfer-Encoding")) {
      has_transfer_encoding = true;
      for_each_list_element(value, [&](std::string_view element) {
        std::string c(element);
        std::transform(c.begin(), c.end(), c.begin(),
                       [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; });
        codings.push_back(std::move(c));
      });
    } else if (iequals(name, "Expect")) {
      h.expect_continue = iequals(value, "100-continue");
    }
  }

  if (has_transfer_encoding) {
    if (h.version == "HTTP/1.0") return framing_error("Transfer-Encoding in an HTTP/1.0 request");
    if (has_length) return framing_error("both Transfer-Encoding and Content-Length");
    if (codings.size() != 1 || codings.front() != "chunked") {
      std::string list;
      for (auto& c : codings) list += (list.empty() ? "" : ", ") + c;
      return framing_error("unsupported transfer coding '" + list + "' (only 'chunked' is accepted)");
    }
    h.framing = body_framing::chunked;
  } else if (has_length && length > 0) {
    h.framing = body_framing::length;
    h.content_length = length;
  }

  const auto m = std::find(known_methods.begin(), known_methods.end(), h.method);
  const bool body_allowed = static_cast<std::size_t>(m - known_methods.begin()) >= first_method_with_body;
  if (h.framing != body_framing::none && !body_allowed) return framing_error(h.method + " requests carry no body");
  return h;
}

chunked_scan scan_chunked_body(std::string_view bytes, std::size_t& end) noexcept {
  std::size_t pos = 0;
  for (;;) {
    const auto eol = bytes.find("\r\n", pos);
    std::string_view line = bytes.substr(pos, (eol == std::string_view::npos ? bytes.size() : eol) - pos);
    // An incomplete line may end in the CR of its CRLF.
    if (eol == std::string_view::npos && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos ||
        line.size() > chunk_line_bytes_max) {
      return chunked_scan::invalid;
    }
    if (eol == std::string_view::npos) return chunked_scan::incomplete;
    // chunk-size [ chunk-ext ]: hex digits, then nothing or ';'.
    std::size_t digits = 0;
    std::uint64_t size = 0;
    while (digits < line.size() && hex_value(line[digits]) >= 0) {
      size = size * 16 + static_cast<std::uint64_t>(hex_value(line[digits]));
      if (++digits > chunk_size_hex_digits_max) return chunked_scan::invalid;
    }
    if (digits == 0 || (digits < line.size() && line[digits] != ';')) return chunked_scan::invalid;
    pos = eol + 2;
    if (size == 0) {
      // The last chunk: cpp-httplib accepts no trailer fields, so neither do we.
      const std::string_view rest = bytes.substr(pos, 2);
      if (rest != std::string_view("\r\n").substr(0, rest.size())) return chunked_scan::invalid;
      if (rest.size() < 2) return chunked_scan::incomplete;
      end = pos + 2;
      return chunked_scan::complete;
    }
    if (bytes.size() - pos < size + 2) return chunked_scan::incomplete;
    if (bytes.substr(pos + size, 2) != "\r\n") return chunked_scan::invalid;
    pos += size + 2;
  }
}

}  // namespace sn::node
