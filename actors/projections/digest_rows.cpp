#include "actors/projections/digest_rows.hpp"

#include <sodium.h>

#include "actors/projections/digest_journal.hpp"

namespace sn::projections {

namespace {

std::string digest_of_state(const std::optional<std::string>& bytes) {
  if (bytes) {
    if (auto state = lthash16::parse(*bytes)) return state->digest_hex();
  }
  return lthash16{}.digest_hex();
}

}  // namespace

std::string stored_digest_hex(const row_reader& rows) {
  if (auto d = rows.get(reserved::short_digest); d && d->size() == lthash_digest_bytes) return hex_of(*d);
  return digest_of_state(rows.get(reserved::total_digest));  // written before the journal
}

std::string stored_bucket_hex(const row_reader& rows, std::uint8_t b) {
  auto stored = read_stored_digest(rows, "", b);
  return stored ? stored->digest.bucket(b).digest_hex() : std::string(unreadable_digest);
}

std::vector<std::string> stored_bucket_hexes(const row_reader& rows) {
  std::vector<std::string> out;
  out.reserve(digest_bucket_count);
  auto stored = read_stored_digest(rows, "");
  for (std::size_t b = 0; b < digest_bucket_count; ++b) {
    out.push_back(stored ? stored->digest.bucket(b).digest_hex() : std::string(unreadable_digest));
  }
  return out;
}

page<bucket_row> bucket_rows(const row_reader& rows, std::uint8_t b, const page_request& req) {
  page<bucket_row> out;
  rows.scan("", req.from, [&](std::string_view key, std::string_view value) {
    if (!key.empty() && key[0] == reserved_key_byte) return false;  // the set's own rows sort last
    if (digest_buckets::bucket_of(key) != b) return true;
    if (out.items.size() == req.limit) {
      out.next = std::string(key);
      return false;
    }
    bucket_row r;
    r.key = std::string(key);
    crypto_generichash(r.value_hash.data(), r.value_hash.size(), reinterpret_cast<const unsigned char*>(value.data()),
                       value.size(), nullptr, 0);
    out.items.push_back(std::move(r));
    return true;
  });
  out.total = out.items.size();
  return out;
}

std::string hex_of(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace sn::projections
