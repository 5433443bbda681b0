#include "node/command_parser.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace sn::node {

namespace {

using json = nlohmann::json;

api_error invalid_body(std::string message) { return api_error{400, "invalid_body", std::move(message)}; }

/// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

/// SAX checker: counts nesting, string sizes and container sizes as the
/// parser meets them and stops the parse at the first limit crossed.
/// Memory: one counter per open container, so at most depth_max of them.
class bounds_checker final : public nlohmann::json_sax<json> {
 public:
  explicit bounds_checker(const json_limits& l) : limits_(l) {}

  /// Why the parse stopped ("" when it did not).
  const std::string& why() const { return why_; }

  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t) override { return scalar(); }
  bool number_unsigned(number_unsigned_t) override { return scalar(); }
  bool number_float(number_float_t v, const string_t&) override {
    if (!std::isfinite(v)) return stop("a number in the request body is out of range");
    return scalar();
  }
  bool string(string_t& s) override {
    if (s.size() > limits_.string_bytes_max) return too_long_string();
    return scalar();
  }
  bool binary(binary_t&) override { return scalar(); }
  bool key(string_t& k) override {
    if (k.size() > limits_.string_bytes_max) return too_long_string();
    return true;
  }
  bool start_object(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the bracketed id.
    if (auto close = what.find("] "); close != std::string::npos) what.erase(0, close + 2);
    return stop("the request body is not valid JSON (byte " + std::to_string(position) + "): " + what);
  }

 private:
  /// One more value in the innermost container.
  bool counted() {
    if (open_.empty()) return true;
    auto& c = open_.back();
    ++c.items;
    const std::size_t max = c.is_object ? limits_.object_members_max : limits_.array_items_max;
    if (c.items > max) {
      return stop(std::string(c.is_object ? "an object" : "an array") + " in the request body has more than " +
                  std::to_string(max) + (c.is_object ? " members" : " items"));
    }
    return true;
  }
  bool scalar() { return counted(); }
  bool open(bool is_object) {
    if (!counted()) return false;
    if (open_.size() >= limits_.depth_max) {
      return stop("the request body nests deeper than " + std::to_string(limits_.depth_max) + " levels");
    }
    open_.push_back({0, is_object});
    return true;
  }
  bool close() {
    if (!open_.empty()) open_.pop_back();
    return true;
  }
  bool too_long_string() {
    return stop("a string in the request body is longer than " + std::to_string(limits_.string_bytes_max) + " bytes");
  }
  bool stop(std::string why) {
    if (why_.empty()) why_ = std::move(why);
    return false;
  }

  struct container {
    std::size_t items = 0;
    bool is_object = false;
  };

  const json_limits& limits_;
  std::vector<container> open_;
  std::string why_;
};

}  // namespace

api_result<json> parse_json_bounded(std::string_view text, const json_limits& limits) {
  bounds_checker check(limits);
  if (!json::sax_parse(text.begin(), text.end(), &check)) {
    return invalid_body(check.why().empty() ? "the request body is not valid JSON" : check.why());
  }
  // Within bounds: the DOM parse is safe now (and cannot fail where the SAX pass passed).
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return invalid_body("the request body is not valid JSON");
  return value;
}

api_result<parsed_command> parse_command(const command_input& in, const json_limits& limits) {
  parsed_command out;
  if (in.body.empty()) {
    out.body = json::object();
  } else {
    auto parsed = parse_json_bounded(in.body, limits);
    if (!parsed) return parsed.error();
    out.body = std::move(*parsed);
  }
  if (!out.body.is_object()) return invalid_body("the request body must be a JSON object");
  // Path and header bytes arrive URL-decoded by httplib and may be anything;
  // JSON strings must be UTF-8 (nlohmann throws when it serialises others),
  // and replacing bytes would make two different keys one.
  if (in.path_field) {
    if (!is_utf8(in.path_value)) {
      return api_error{400, "invalid_field", std::string("path parameter '") + in.path_field + "' is not UTF-8 text"};
    }
    out.body[in.path_field] = std::string(in.path_value);
  }
  if (!is_utf8(in.idempotency_header))
    return api_error{400, "invalid_idempotency_key", "Idempotency-Key is not UTF-8 text"};
  out.idempotency_key = std::string(in.idempotency_header);
  if (auto it = out.body.find("idempotency_key"); it != out.body.end()) {
    if (out.idempotency_key.empty() && it->is_string()) out.idempotency_key = it->get<std::string>();
    out.body.erase(it);
  }
  return out;
}

}  // namespace sn::node
