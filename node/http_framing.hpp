// Strict HTTP/1.1 request framing (RFC 9112), checked on the raw bytes before
// cpp-httplib sees a request: httplib is lenient where leniency lets a client
// and the node disagree on where a request ends (request smuggling), and some
// bad heads made it wait for bytes that never come. Pure functions, no I/O:
// the connection gate (node/http_gate.cpp) calls them, the unit tests and the
// fuzz target drive them directly.
//
// Refused with 400 `invalid_framing` (and the connection closed):
// - a line ending in a bare LF or holding a bare CR; an obsolete line fold;
// - a request line that is not `METHOD SP TARGET SP HTTP/1.x`;
// - a header field name that is not a token (`Content-Length : 5`) or a value
//   holding control characters;
// - a Content-Length that is not 1*DIGIT (`-1`, `+5`, `5 5`, empty, over 19
//   digits), or two Content-Length values that differ;
// - a Transfer-Encoding other than exactly `chunked` (`xchunked`,
//   `gzip, chunked`, `chunked, chunked`), one in an HTTP/1.0 request, or one
//   together with a Content-Length;
// - a body (Content-Length > 0 or chunked) on a method that has none here
//   (GET, HEAD, OPTIONS, TRACE, CONNECT): httplib would not read it and would
//   take it for the next request.
// 501 `unknown_method` for a method httplib does not know; 431
// `headers_too_large` for more than `header_fields_max` fields or a line
// longer than `header_line_bytes_max`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "node/api_error.hpp"

namespace sn::node {

/// Header fields one request may carry; more gets 431.
constexpr std::size_t header_fields_max = 100;
/// Bytes of one header line; longer gets 431 (httplib refuses longer lines,
/// CPPHTTPLIB_HEADER_MAX_LENGTH, after reading half the head).
constexpr std::size_t header_line_bytes_max = 8192;

/// How a request's body is delimited (RFC 9112 §6.3).
enum class body_framing { none, length, chunked };

/// What the gate needs to know of a well-framed request head.
struct request_head {
  std::string method;
  std::string target;
  std::string version;  ///< "HTTP/1.1" or "HTTP/1.0"
  body_framing framing = body_framing::none;
  std::uint64_t content_length = 0;  ///< when framing == length
  bool expect_continue = false;      ///< `Expect: 100-continue`
};

/// Where the head in `bytes` ends: the offset just past the blank line that
/// closes it ("\r\n\r\n", or "\n\n" / "\n\r\n" so that a bare-LF head is
/// refused at once instead of waited for), or npos while it is incomplete.
std::size_t find_head_end(std::string_view bytes) noexcept;

/// Checks and parses one request head: `head` runs from the request line to
/// the blank line that ends it, inclusive (find_head_end).
api_result<request_head> parse_request_head(std::string_view head);

/// Progress of a chunked body (RFC 9112 §7.1) at the front of `bytes`.
enum class chunked_scan { complete, incomplete, invalid };

/// Scans the chunked body at the front of `bytes` (chunk sizes, extensions,
/// the last chunk and trailer fields); `end` gets the offset just past the
/// body when complete. Bounded: at most one pass over `bytes`.
chunked_scan scan_chunked_body(std::string_view bytes, std::size_t& end) noexcept;

}  // namespace sn::node
