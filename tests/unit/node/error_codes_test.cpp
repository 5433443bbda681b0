// Keeps docs/api.md true about errors: collects every error code the server
// can answer from the sources of node/ and actors/ (the shapes an error takes
// there: reject(400, "code", ...), error_body("code", ...), {404, "code", ...},
// send_error(res, 503, "code", ...), {"code", "x"}, "code":"x", the range
// codes handed to read_int, and any snake_case literal handed to a function
// named for errors or queries) and compares them with the table of error codes
// in docs/api.md. Fails on a code in one but not the other, and on a
// (status, code) pair the source states that the table does not.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct found {
  std::set<std::string> codes;
  std::set<std::pair<int, std::string>> pairs;  ///< where the source states the status too
  std::map<std::string, std::string> where;     ///< code -> a file it came from
};

void collect(const std::string& text, const std::regex& re, int status_group, int code_group, const std::string& file,
             found& out) {
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    const std::string code = (*it)[code_group];
    out.codes.insert(code);
    out.where.emplace(code, file);
    if (status_group > 0) out.pairs.emplace(std::stoi((*it)[status_group]), code);
  }
}

found codes_in_source() {
  const fs::path root = STORENODE_SOURCE_DIR;
  // A code: lower-case words joined by '_'.
  const std::string code = R"re("([a-z]+(?:_[a-z]+)*)")re";
  const std::regex with_status[] = {
      std::regex(R"re(reject\(\s*([45]\d\d)\s*,\s*)re" + code),  // reject(404, "unknown_sku", ...)
      std::regex(R"re(send_error\(\s*\w+\s*,\s*([45]\d\d)\s*,\s*)re" +
                 code),                                    // send_error(res, 503, "unavailable", ...)
      std::regex(R"re(\{\s*([45]\d\d)\s*,\s*)re" + code),  // {431, "headers_too_large", ...}
  };
  const std::regex without_status[] = {
      std::regex(R"re(error_body\(\s*)re" + code),  // error_body("storage_failed", ...)
      std::regex(R"re(send_error\(\s*\w+\s*,\s*[\w.]+\s*,\s*)re" +
                 code),                                // send_error(res, res.status, "http_error", ...)
      std::regex(R"re(\{\s*"code"\s*,\s*)re" + code),  // {"code", "master_override_refused"}
      std::regex(R"re("code":)re" + code),             // R"({"error":{"code":"unavailable"...)"
      std::regex(R"re(read_int(?:_opt)?\([^;]*?,\s*)re" + code +
                 R"re(\s*\))re"),                     // read_int(b, "qty", 1, max, "invalid_qty")
      std::regex(R"re(range_code\s*=\s*)re" + code),  // const char* range_code = "invalid_field"
      // Any other call whose name ends in error, reject, refuse or query, with a
      // snake_case literal argument (a code handed on, as run_query(res, q, "not_found") did).
      std::regex(R"re(\b\w*(?:error|reject|refuse|query)\([^;]*?"([a-z]+_[a-z]+(?:_[a-z]+)*)")re"),
  };
  found out;
  for (const char* dir : {"node", "actors"}) {
    for (const auto& entry : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".hpp") continue;
      // CAF error categories are atoms (atom("log_writer")), not HTTP codes.
      const std::string text =
          std::regex_replace(read_file(entry.path()), std::regex(R"re(atom\("[^"]*"\))re"), "atom()");
      const std::string file = fs::relative(entry.path(), root).string();
      for (const auto& re : with_status) collect(text, re, 1, 2, file, out);
      for (const auto& re : without_status) collect(text, re, 0, 1, file, out);
    }
  }
  return out;
}

/// Rows `| 404 | `unknown_sku` | ... |` of docs/api.md's error table.
found codes_in_docs() {
  const std::string text = read_file(fs::path(STORENODE_SOURCE_DIR) / "docs" / "api.md");
  found out;
  collect(text, std::regex(R"re(\n\|\s*([1-5]\d\d)\s*\|\s*`([a-z]+(?:_[a-z]+)*)`\s*\|)re"), 1, 2, "docs/api.md", out);
  return out;
}

std::string list(const std::set<std::string>& s, const found& f) {
  std::string out;
  for (const auto& c : s) out += "\n  " + c + (f.where.count(c) ? "  (" + f.where.at(c) + ")" : "");
  return out;
}

}  // namespace

// Proves: the collector works at all (it finds codes of every origin: the
// command handler, the command actor, the HTTP layer, the gate, the parsers,
// the election actor), so that an empty or partial scan cannot pass.
TEST(error_codes, the_source_scan_finds_codes_of_every_origin) {
  const found src = codes_in_source();
  for (const char* c : {"unknown_sku", "invalid_qty", "invalid_price", "idempotency_key_reused", "storage_failed",
                        "unknown_route", "invalid_framing", "too_many_connections", "invalid_body",
                        "master_override_refused", "unavailable", "invalid_field"}) {
    EXPECT_TRUE(src.codes.count(c)) << c << " not found: the scan's patterns no longer match the source";
  }
  EXPECT_GE(src.codes.size(), 35u);
  EXPECT_GE(codes_in_docs().codes.size(), 35u) << "docs/api.md's error table was not found";
}

// Proves: docs/api.md documents exactly the codes the server can answer, and
// each with the status the source answers it with.
TEST(error_codes, docs_list_exactly_the_codes_the_server_answers) {
  const found src = codes_in_source();
  const found docs = codes_in_docs();
  std::set<std::string> undocumented, unknown;
  for (const auto& c : src.codes) {
    if (!docs.codes.count(c)) undocumented.insert(c);
  }
  for (const auto& c : docs.codes) {
    if (!src.codes.count(c)) unknown.insert(c);
  }
  EXPECT_TRUE(undocumented.empty()) << "codes the server answers that docs/api.md does not list:"
                                    << list(undocumented, src);
  EXPECT_TRUE(unknown.empty()) << "codes docs/api.md lists that the server never answers:" << list(unknown, docs);
  for (const auto& [status, code] : src.pairs) {
    EXPECT_TRUE(docs.pairs.count({status, code})) << "the server answers " << status << " " << code << " ("
                                                  << src.where.at(code) << ") but docs/api.md's table has no such row";
  }
}
