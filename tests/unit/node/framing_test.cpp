// Unit tests of node/http_framing: which request heads the node accepts and
// how it delimits their bodies (RFC 9112), without sockets.
#include <gtest/gtest.h>

#include <string>

#include "node/http_framing.hpp"

using namespace sn::node;

namespace {

std::string head(const std::string& fields, const std::string& request_line = "POST /v1/sales HTTP/1.1") {
  return request_line + "\r\nHost: node\r\n" + fields + "\r\n";
}

struct refused_case {
  const char* name;
  std::string head;
  int status;
  const char* code;
};

}  // namespace

// Proves: every head of the issue-16 list (and its relatives that let a
// client and the node disagree on where a request ends) is refused with the
// documented status and code, before any body is read.
TEST(http_framing, ambiguous_or_malformed_heads_are_refused) {
  const refused_case cases[] = {
      {"two different Content-Length", head("Content-Length: 2\r\nContent-Length: 3\r\n"), 400, "invalid_framing"},
      {"Content-Length list that differs", head("Content-Length: 2, 3\r\n"), 400, "invalid_framing"},
      {"unknown transfer coding", head("Transfer-Encoding: xchunked\r\n"), 400, "invalid_framing"},
      {"chunked not alone", head("Transfer-Encoding: gzip, chunked\r\n"), 400, "invalid_framing"},
      {"chunked twice", head("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400, "invalid_framing"},
      {"empty transfer coding", head("Transfer-Encoding: \r\n"), 400, "invalid_framing"},
      {"whitespace before the colon", head("Content-Length : 2\r\n"), 400, "invalid_framing"},
      {"tab before the colon", head("Content-Length\t: 2\r\n"), 400, "invalid_framing"},
      {"negative Content-Length", head("Content-Length: -1\r\n"), 400, "invalid_framing"},
      {"signed Content-Length", head("Content-Length: +2\r\n"), 400, "invalid_framing"},
      {"hex Content-Length", head("Content-Length: 0x10\r\n"), 400, "invalid_framing"},
      {"empty Content-Length", head("Content-Length:\r\n"), 400, "invalid_framing"},
      {"Content-Length with inner space", head("Content-Length: 1 2\r\n"), 400, "invalid_framing"},
      {"Content-Length of 20 digits", head("Content-Length: 18446744073709551616\r\n"), 400, "invalid_framing"},
      {"Transfer-Encoding and Content-Length", head("Transfer-Encoding: chunked\r\nContent-Length: 2\r\n"), 400,
       "invalid_framing"},
      {"Transfer-Encoding in HTTP/1.0", head("Transfer-Encoding: chunked\r\n", "POST / HTTP/1.0"), 400,
       "invalid_framing"},
      {"obsolete line folding", head("X-A: 1\r\n  continued\r\n"), 400, "invalid_framing"},
      {"bare LF", "GET / HTTP/1.1\nHost: x\n\n", 400, "invalid_framing"},
      {"bare LF in a field", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400, "invalid_framing"},
      {"bare CR", "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400, "invalid_framing"},
      {"header line without colon", head("Content-Length 2\r\n"), 400, "invalid_framing"},
      {"control byte in a value",
       head(std::string("X-A: a\x01"
                        "b\r\n")),
       400, "invalid_framing"},
      {"NUL in a value", head(std::string("X-A: a\0b\r\n", 10)), 400, "invalid_framing"},
      {"empty field name", head(": x\r\n"), 400, "invalid_framing"},
      {"two spaces in the request line", "GET  / HTTP/1.1\r\n\r\n", 400, "invalid_framing"},
      {"no version", "GET /\r\n\r\n", 400, "invalid_framing"},
      {"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 400, "invalid_framing"},
      {"lower-case version", "GET / http/1.1\r\n\r\n", 400, "invalid_framing"},
      {"control byte in the target", "GET /\x7f HTTP/1.1\r\n\r\n", 400, "invalid_framing"},
      {"body on GET", head("Content-Length: 5\r\n", "GET /healthz HTTP/1.1"), 400, "invalid_framing"},
      {"chunked body on HEAD", head("Transfer-Encoding: chunked\r\n", "HEAD / HTTP/1.1"), 400, "invalid_framing"},
      {"unknown method", "BREW /pot HTTP/1.1\r\n\r\n", 501, "unknown_method"},
      {"method not a token", "GE(T / HTTP/1.1\r\n\r\n", 400, "invalid_framing"},
  };
  for (const auto& c : cases) {
    auto r = parse_request_head(c.head);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().status, c.status) << c.name;
    EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message;
    EXPECT_FALSE(r.error().message.empty()) << c.name;
  }
}

// Proves: well-formed heads parse with the body framing RFC 9112 §6.3 gives them.
TEST(http_framing, well_formed_heads_give_their_body_framing) {
  auto none = parse_request_head("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->method, "GET");
  EXPECT_EQ(none->target, "/healthz");
  EXPECT_EQ(none->framing, body_framing::none);

  auto zero = parse_request_head(head("Content-Length: 0\r\n", "GET / HTTP/1.1"));
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->framing, body_framing::none);

  auto length = parse_request_head(head("content-length:   42  \r\n"));
  ASSERT_TRUE(length) << length.error().message;
  EXPECT_EQ(length->framing, body_framing::length);
  EXPECT_EQ(length->content_length, 42u);

  // Repeated identical values are one length (RFC 9112 §6.3 item 5 allows accepting them).
  auto same = parse_request_head(head("Content-Length: 7\r\nContent-Length: 7, 7\r\n"));
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->content_length, 7u);

  auto chunked = parse_request_head(head("Transfer-Encoding: Chunked\r\nExpect: 100-continue\r\n"));
  ASSERT_TRUE(chunked) << chunked.error().message;
  EXPECT_EQ(chunked->framing, body_framing::chunked);
  EXPECT_TRUE(chunked->expect_continue);

  // A POST without Content-Length has an empty body (not "until the connection closes").
  auto empty = parse_request_head(head(""));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->framing, body_framing::none);

  auto http10 = parse_request_head("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(http10);
  EXPECT_EQ(http10->version, "HTTP/1.0");
}

// Proves: more than header_fields_max fields get 431.
TEST(http_framing, too_many_fields_get_431) {
  std::string fields;
  for (std::size_t i = 0; i <= header_fields_max; ++i) fields += "X-F" + std::to_string(i) + ": v\r\n";
  auto r = parse_request_head("GET / HTTP/1.1\r\n" + fields + "\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 431);
  EXPECT_EQ(r.error().code, "headers_too_large");
}

// Proves: the head ends at the first blank line, whatever the line ending
// style (so that a bare-LF head is refused at once, not waited for).
TEST(http_framing, head_end_is_found_or_reported_incomplete) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY"), 27u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n"), std::string::npos);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n\r"), std::string::npos);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: x\n\nrest"), 24u);
  EXPECT_EQ(find_head_end(""), std::string::npos);
}

// Proves: the chunked scanner finds the end of a complete body, waits for an
// incomplete one at every cut, and refuses what httplib would misread.
TEST(http_framing, chunked_bodies_are_scanned) {
  const std::string body = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n";
  std::size_t end = 0;
  ASSERT_EQ(scan_chunked_body(body + "GET / HTTP/1.1\r\n", end), chunked_scan::complete);
  EXPECT_EQ(end, body.size());
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    EXPECT_EQ(scan_chunked_body(body.substr(0, cut), end), chunked_scan::incomplete) << "cut at " << cut;
  }
  EXPECT_EQ(scan_chunked_body("x\r\n", end), chunked_scan::invalid);                    // not hex
  EXPECT_EQ(scan_chunked_body(" 4\r\nWiki\r\n0\r\n\r\n", end), chunked_scan::invalid);  // leading space
  EXPECT_EQ(scan_chunked_body("-1\r\n", end), chunked_scan::invalid);
  EXPECT_EQ(scan_chunked_body("4\r\nWikiXX0\r\n\r\n", end), chunked_scan::invalid);     // no CRLF after data
  EXPECT_EQ(scan_chunked_body("4\nWiki\r\n0\r\n\r\n", end), chunked_scan::invalid);     // bare LF
  EXPECT_EQ(scan_chunked_body("0\r\nTrailer: x\r\n\r\n", end), chunked_scan::invalid);  // httplib takes no trailers
  EXPECT_EQ(scan_chunked_body("1000000000000000\r\n", end), chunked_scan::invalid);     // 16 hex digits
  EXPECT_EQ(scan_chunked_body(std::string(2000, '1'), end), chunked_scan::invalid);     // endless size line
}
