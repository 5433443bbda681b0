#include "node/command_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <vector>

#include "actors/retail/business_day.hpp"
#include "actors/retail/types.hpp"
#include "events/types.hpp"
#include "actors/staff/pin.hpp"
#include "actors/staff/role.hpp"

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

api_result<command_body> parse_command_body(const command_input& in, const json_limits& limits) {
  command_body out;
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

namespace {

using namespace sn::retail;

// A refusal of a field. Thrown only inside this file by the field readers and
// caught in read_command(): it keeps each command's reader a straight list.
struct refusal {
  api_error error;
};

[[noreturn]] void refuse(std::string code, std::string message) {
  throw refusal{api_error{400, std::move(code), std::move(message)}};
}

std::string quoted(const char* name) { return std::string("field '") + name + "'"; }

const json* field(const json& b, const char* name) {
  auto it = b.find(name);
  if (it == b.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> read_string_opt(const json& b, const char* name, std::size_t max_len, bool required) {
  const json* f = field(b, name);
  if (!f) {
    if (required) refuse("missing_field", quoted(name) + " is required");
    return std::nullopt;
  }
  if (!f->is_string()) refuse("wrong_type", quoted(name) + " must be a string");
  std::string s = f->get<std::string>();
  if (required && s.empty()) refuse("invalid_field", quoted(name) + " must not be empty");
  if (s.size() > max_len) {
    refuse("invalid_field", quoted(name) + " is longer than " + std::to_string(max_len) + " bytes");
  }
  return s;
}

std::string read_string(const json& b, const char* name, std::size_t max_len, bool required,
                        std::string fallback = {}) {
  auto s = read_string_opt(b, name, max_len, required);
  return s ? std::move(*s) : std::move(fallback);
}

std::optional<std::int64_t> read_int_opt(const json& b, const char* name, std::int64_t lo, std::int64_t hi,
                                         const char* range_code = "invalid_field") {
  const json* f = field(b, name);
  if (!f) return std::nullopt;
  if (!f->is_number_integer()) refuse("wrong_type", quoted(name) + " must be an integer");
  const std::string range = quoted(name) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi);
  if (f->is_number_unsigned() && f->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) refuse(range_code, range);
  const std::int64_t v = f->get<std::int64_t>();
  if (v < lo || v > hi) refuse(range_code, range);
  return v;
}

std::int64_t read_int(const json& b, const char* name, std::int64_t lo, std::int64_t hi,
                      const char* range_code = "invalid_field") {
  auto v = read_int_opt(b, name, lo, hi, range_code);
  if (!v) refuse("missing_field", quoted(name) + " is required");
  return *v;
}

std::optional<bool> read_bool_opt(const json& b, const char* name) {
  const json* f = field(b, name);
  if (!f) return std::nullopt;
  if (!f->is_boolean()) refuse("wrong_type", quoted(name) + " must be true or false");
  return f->get<bool>();
}

const json& read_array(const json& b, const char* name, std::size_t max_items) {
  const json* f = field(b, name);
  if (!f) refuse("missing_field", quoted(name) + " is required");
  if (!f->is_array()) refuse("wrong_type", quoted(name) + " must be an array");
  if (f->empty()) refuse("invalid_field", quoted(name) + " must not be empty");
  if (f->size() > max_items) {
    refuse("invalid_field", quoted(name) + " has more than " + std::to_string(max_items) + " items");
  }
  return *f;
}

// SKUs travel in URL paths: no control characters, spaces or slashes.
std::string read_sku(const json& b) {
  std::string sku = read_string(b, "sku", sku_length_max, true);
  for (char c : sku) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == 0x7f) {
      refuse("invalid_field", "field 'sku' must not contain spaces, slashes or control characters");
    }
  }
  return sku;
}

// The payment methods the projections fold (actors/projections/pay_method.hpp).
bool is_pay_method(const std::string& m) { return m == "cash" || m == "card" || m == "other"; }

std::int32_t read_priority_opt(const json& b, std::int32_t fallback) {
  return static_cast<std::int32_t>(read_int_opt(b, "priority", 0, device_priority_max).value_or(fallback));
}

upsert_product read_upsert_product(const json& b) {
  upsert_product c;
  c.sku = read_sku(b);
  c.name = read_string(b, "name", text_length_max, true);
  c.barcode = read_string(b, "barcode", text_length_max, false);
  c.price_cents = read_int(b, "price_cents", 0, price_cents_max, "invalid_price");
  c.tax_rate_bp = static_cast<std::int32_t>(read_int_opt(b, "tax_rate_bp", 0, tax_rate_bp_max).value_or(0));
  c.low_stock_threshold = read_int_opt(b, "low_stock_threshold", 0, qty_max).value_or(0);
  c.active = read_bool_opt(b, "active").value_or(true);
  return c;
}

change_price read_change_price(const json& b) {
  change_price c;
  c.sku = read_sku(b);
  c.price_cents = read_int(b, "price_cents", 0, price_cents_max, "invalid_price");
  return c;
}

deactivate_product read_deactivate_product(const json& b) { return deactivate_product{read_sku(b)}; }

receive_stock read_receive_stock(const json& b) {
  receive_stock c;
  c.sku = read_sku(b);
  c.qty = read_int(b, "qty", 1, qty_max, "invalid_qty");
  c.supplier_ref = read_string(b, "supplier_ref", text_length_max, false);
  return c;
}

adjust_stock read_adjust_stock(const json& b) {
  adjust_stock c;
  c.sku = read_sku(b);
  c.delta = read_int(b, "delta", -qty_max, qty_max, "invalid_qty");
  if (c.delta == 0) refuse("invalid_qty", "field 'delta' must not be 0");
  c.reason = read_string(b, "reason", text_length_max, true);
  if (c.reason != "damage" && c.reason != "theft" && c.reason != "count_correction" && c.reason != "other") {
    refuse("invalid_field", "field 'reason' must be damage, theft, count_correction or other");
  }
  c.note = read_string(b, "note", text_length_max, false);
  return c;
}

count_stock read_count_stock(const json& b) {
  count_stock c;
  c.sku = read_sku(b);
  c.counted_qty = read_int(b, "counted_qty", 0, qty_max, "invalid_qty");
  return c;
}

// A card payment's receipt fields (issue 10 item 9): what the terminal
// printed, never the number (a Luhn-valid 13-19 digit run anywhere in the
// body was refused before this). Each is optional; a cash or other payment
// carries none.
bool is_known_brand(const std::string& b) {
  for (const char* k : {"visa", "mastercard", "amex", "discover", "jcb", "unionpay", "diners", "maestro", "interac",
                        "eftpos"}) {
    if (b == k) return true;
  }
  return false;
}
bool all_of_chars(const std::string& s, const char* extra) {
  for (unsigned char ch : s) {
    if (!std::isalnum(ch) && std::strchr(extra, ch) == nullptr) return false;
  }
  return true;
}
void read_card_fields(const json& m, payment_input& pay) {
  pay.brand = read_string(m, "brand", 20, false);
  pay.last4 = read_string(m, "last4", 4, false);
  pay.auth_code = read_string(m, "auth_code", 12, false);
  pay.processor_ref = read_string(m, "processor_ref", 64, false);
  const bool any = !pay.brand.empty() || !pay.last4.empty() || !pay.auth_code.empty() || !pay.processor_ref.empty();
  if (any && pay.method != "card") refuse("invalid_field", "brand, last4, auth_code and processor_ref are for card payments only");
  // Known brands are stored in lower case; another brand is short free text.
  std::string lower = pay.brand;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (is_known_brand(lower)) pay.brand = lower;
  else if (!pay.brand.empty() && !all_of_chars(pay.brand, " -")) {
    refuse("invalid_field", "'brand' must be visa, mastercard, amex, discover, jcb, unionpay, diners, maestro, interac, "
                            "eftpos or 1-20 of A-Za-z0-9 space -");
  }
  if (!pay.last4.empty() && (pay.last4.size() != 4 || !std::all_of(pay.last4.begin(), pay.last4.end(), [](unsigned char ch) {
                               return ch >= '0' && ch <= '9';
                             }))) {
    refuse("invalid_field", "'last4' must be exactly 4 digits (the card number's last four; never the number)");
  }
  if (!all_of_chars(pay.auth_code, "")) refuse("invalid_field", "'auth_code' must be 1-12 of A-Za-z0-9");
  if (!all_of_chars(pay.processor_ref, "_.:-")) refuse("invalid_field", "'processor_ref' must be 1-64 of A-Za-z0-9_.:-");
}

complete_sale read_complete_sale(const json& b) {
  complete_sale c;
  for (const json& l : read_array(b, "lines", sale_lines_max)) {
    if (!l.is_object()) refuse("wrong_type", "each of 'lines' must be an object");
    sale_line_input line;
    line.sku = read_sku(l);
    line.qty = read_int(l, "qty", 1, qty_max, "invalid_qty");
    line.unit_price_cents = read_int_opt(l, "unit_price_cents", 0, price_cents_max, "invalid_price");
    line.discount_cents = read_int_opt(l, "discount_cents", 0, price_cents_max * qty_max, "invalid_discount").value_or(0);
    c.lines.push_back(std::move(line));
  }
  // Absent payments are the handler's to judge (a sale of total 0 needs none).
  if (field(b, "payments")) {
    c.payments.emplace();
    for (const json& m : read_array(b, "payments", payments_max)) {
      if (!m.is_object()) refuse("wrong_type", "each of 'payments' must be an object");
      payment_input pay;
      pay.method = read_string(m, "method", text_length_max, true);
      if (!is_pay_method(pay.method)) refuse("invalid_field", "payment method must be cash, card or other");
      pay.amount_cents = read_int(m, "amount_cents", 1, amount_cents_max, "invalid_amount");
      read_card_fields(m, pay);
      c.payments->push_back(std::move(pay));
    }
  }
  return c;
}

return_sale read_return_sale(const json& b) {
  return_sale c;
  c.receipt = read_string(b, "receipt", text_length_max, true);
  for (const json& l : read_array(b, "lines", sale_lines_max)) {
    if (!l.is_object()) refuse("wrong_type", "each of 'lines' must be an object");
    return_line_input line;
    line.sku = read_sku(l);
    line.qty = read_int(l, "qty", 1, qty_max, "invalid_qty");
    c.lines.push_back(std::move(line));
  }
  if (field(b, "method")) {
    c.method = read_string(b, "method", text_length_max, true);
    if (!is_pay_method(*c.method)) refuse("invalid_field", "field 'method' must be cash, card or other");
  }
  return c;
}

void_sale read_void_sale(const json& b) {
  void_sale c;
  c.receipt = read_string(b, "receipt", text_length_max, true);
  c.reason = read_string(b, "reason", text_length_max, false);
  return c;
}

close_day read_close_day(const json& b) {
  close_day c;
  const std::string text = read_string(b, "day", 10 + 1, false);
  if (!text.empty()) {
    c.day = day_from_string(text);
    if (!c.day) refuse("invalid_day", "field 'day' must be a date YYYY-MM-DD");
  }
  return c;
}

register_device read_register_device(const json& b) {
  register_device c;
  c.device_id = read_string(b, "device_id", device_id_length_max, true);
  if (!valid_device_id(c.device_id)) {
    refuse("invalid_device_id", "device_id must be 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  c.name = read_string(b, "name", text_length_max, false, c.device_id);
  c.priority = read_priority_opt(b, 0);
  return c;
}

void check_staff_id(const std::string& id) {
  if (!valid_device_id(id)) refuse("invalid_staff_id", "staff_id must be 1-64 characters of A-Z a-z 0-9 _ . -");
}

void check_role(const std::optional<std::string>& r) {
  if (r && !staff::role_from_string(*r)) {
    refuse("invalid_field", "field 'role' must be cashier, supervisor, manager or admin");
  }
}

/// The PIN's shape (never echoed in a message).
std::optional<std::string> read_pin(const json& b, bool required) {
  auto pin = read_string_opt(b, "pin", staff::pin_length_max + 1, required);
  if (pin && !staff::valid_pin(*pin)) refuse("invalid_pin", "field 'pin' must be 4 to 8 digits");
  return pin;
}

add_staff read_add_staff(const json& b) {
  add_staff c;
  c.staff_id = read_string(b, "staff_id", device_id_length_max, true);
  check_staff_id(c.staff_id);
  c.name = read_string(b, "name", text_length_max, true);
  c.role = read_string(b, "role", 16, true);
  check_role(c.role);
  read_pin(b, true);
  return c;
}

update_staff read_update_staff(const json& b) {
  update_staff c;
  c.staff_id = read_string(b, "staff_id", device_id_length_max, true);
  check_staff_id(c.staff_id);
  c.name = read_string_opt(b, "name", text_length_max, false);
  if (c.name && c.name->empty()) refuse("invalid_field", "field 'name' must not be empty");
  c.role = read_string_opt(b, "role", 16, false);
  check_role(c.role);
  c.active = read_bool_opt(b, "active");
  read_pin(b, false);
  return c;
}

remove_staff read_remove_staff(const json& b) {
  remove_staff c;
  c.staff_id = read_string(b, "staff_id", device_id_length_max, true);
  check_staff_id(c.staff_id);
  return c;
}

update_device read_update_device(const json& b) {
  // Issue 11 item 10: a device's row changes only in these fields; its role
  // moves only through POST /v1/master, so "role" (or a typo) is refused
  // rather than silently ignored.
  for (const auto& [k, v] : b.items()) {
    if (k == "device_id" || k == "name" || k == "priority" || k == "active" || k == "idempotency_key" ||
        k == "approval") {
      continue;
    }
    refuse("invalid_field", k == "role"
                                ? "field 'role' is not accepted: the master role moves only through POST /v1/master"
                                : "field '" + k + "' is not accepted (PUT /v1/devices/{id} takes name, priority, active)");
  }
  update_device c;
  c.device_id = read_string(b, "device_id", device_id_length_max, true);
  c.name = read_string_opt(b, "name", text_length_max, false);
  if (field(b, "priority")) c.priority = read_priority_opt(b, 0);
  c.active = read_bool_opt(b, "active");
  return c;
}

command read_fields(command_kind kind, const json& b) {
  switch (kind) {
    case command_kind::upsert_product: return read_upsert_product(b);
    case command_kind::change_price: return read_change_price(b);
    case command_kind::deactivate_product: return read_deactivate_product(b);
    case command_kind::receive_stock: return read_receive_stock(b);
    case command_kind::adjust_stock: return read_adjust_stock(b);
    case command_kind::count_stock: return read_count_stock(b);
    case command_kind::complete_sale: return read_complete_sale(b);
    case command_kind::return_sale: return read_return_sale(b);
    case command_kind::void_sale: return read_void_sale(b);
    case command_kind::close_day: return read_close_day(b);
    case command_kind::register_device: return read_register_device(b);
    case command_kind::update_device: return read_update_device(b);
    case command_kind::add_staff: return read_add_staff(b);
    case command_kind::update_staff: return read_update_staff(b);
    case command_kind::remove_staff: return read_remove_staff(b);
  }
  refuse("unknown_command", "unknown command");
}

}  // namespace

api_result<retail::command> read_command(retail::command_kind kind, const json& body) {
  if (!body.is_object()) return invalid_body("the request body must be a JSON object");
  try {
    return read_fields(kind, body);
  } catch (const refusal& r) {
    return r.error;
  } catch (const std::exception& ex) {
    return invalid_body(ex.what());
  }
}

api_result<parsed_command> parse_command(retail::command_kind kind, const command_input& in,
                                         const json_limits& limits) {
  auto shaped = parse_command_body(in, limits);
  if (!shaped) return shaped.error();
  if (shaped->idempotency_key.size() > retail::idempotency_key_length_max) {
    return api_error{400, "invalid_idempotency_key", "Idempotency-Key is longer than 255 bytes"};
  }
  if (auto where = find_card_number(shaped->body)) {
    return api_error{400, "card_number_refused",
                     "a card number (" + *where +
                         ") may not be recorded: keep only brand, last 4 digits, auth code and processor reference"};
  }
  auto cmd = read_command(kind, shaped->body);
  if (!cmd) return cmd.error();
  parsed_command out{std::move(*cmd), std::move(shaped->idempotency_key), {}};
  if (kind == command_kind::add_staff || kind == command_kind::update_staff) {
    auto it = shaped->body.find("pin");
    if (it != shaped->body.end() && it->is_string()) out.pin = it->get<std::string>();
  }
  return out;
}

bool luhn_valid(std::string_view digits) noexcept {
  if (digits.size() < 13 || digits.size() > 19) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

namespace {

/// GTIN-8/12/13/14 check digit (weights 3,1 from the right, check excluded).
bool gtin_valid(std::string_view s) {
  if (s.size() != 8 && s.size() != 12 && s.size() != 13 && s.size() != 14) return false;
  int sum = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const std::size_t from_right = s.size() - 1 - i;  // 1 for the digit next to the check digit
    sum += (s[i] - '0') * (from_right % 2 == 1 ? 3 : 1);
  }
  const char check = s.back();
  return check >= '0' && check <= '9' && (10 - sum % 10) % 10 == check - '0';
}

/// Digit runs of `s` (single ' ' or '-' between digits joins groups) of 13..19 digits that pass Luhn.
bool holds_card_number(std::string_view s) {
  std::string run;
  const auto flush = [&] {
    const bool hit = luhn_valid(run);
    run.clear();
    return hit;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      run.push_back(c);
      if (run.size() > 19) {
        // Longer than any card: not one; skip to the run's end.
        while (i + 1 < s.size() && ((s[i + 1] >= '0' && s[i + 1] <= '9') || s[i + 1] == ' ' || s[i + 1] == '-')) ++i;
        run.clear();
      }
      continue;
    }
    const bool joins = (c == ' ' || c == '-') && !run.empty() && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9';
    if (joins) continue;
    if (flush()) return true;
  }
  return flush();
}

bool search(const json& v, const std::string& path, std::string& where) {
  if (v.is_string()) {
    if (holds_card_number(v.get_ref<const std::string&>())) {
      where = path;
      return true;
    }
  } else if (v.is_number_unsigned() || v.is_number_integer()) {
    if (holds_card_number(v.dump())) {
      where = path;
      return true;
    }
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == "barcode" && it->is_string() && gtin_valid(it->get_ref<const std::string&>())) continue;
      if (search(*it, path.empty() ? it.key() : path + "." + it.key(), where)) return true;
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (search(v[i], path + "[" + std::to_string(i) + "]", where)) return true;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string> find_card_number(const nlohmann::json& body) {
  std::string where;
  if (search(body, "", where)) return "in field '" + (where.empty() ? std::string("body") : where) + "'";
  return std::nullopt;
}

}  // namespace sn::node
