#include "actors/projections/digest_journal.hpp"

#include <cstring>

#include "events/errc.hpp"

namespace sn::projections {

std::string encode_journal(const std::vector<digest_change>& changes) {
  std::string out;
  out.reserve(changes.size() * digest_journal_record_bytes);
  for (const auto& c : changes) {
    out.push_back(static_cast<char>(c.bucket));
    out.push_back(c.add ? '\x01' : '\x00');
    out.append(reinterpret_cast<const char*>(c.seed.data()), c.seed.size());
  }
  return out;
}

std::optional<std::vector<digest_change>> decode_journal(std::string_view bytes) {
  if (bytes.size() % digest_journal_record_bytes != 0) return std::nullopt;
  std::vector<digest_change> out;
  out.reserve(bytes.size() / digest_journal_record_bytes);
  for (std::size_t at = 0; at < bytes.size(); at += digest_journal_record_bytes) {
    digest_change c;
    c.bucket = static_cast<std::uint8_t>(bytes[at]);
    const auto op = static_cast<unsigned char>(bytes[at + 1]);
    if (op > 1) return std::nullopt;
    c.add = op == 1;
    std::memcpy(c.seed.data(), bytes.data() + at + 2, c.seed.size());
    out.push_back(c);
  }
  return out;
}

namespace {

std::uint64_t entry_number(std::string_view key) {
  std::uint64_t n = 0;
  for (std::size_t i = reserved::journal_prefix.size(); i < key.size(); ++i) n = (n << 8) | static_cast<unsigned char>(key[i]);
  return n;
}

}  // namespace

expected<stored_digest> read_stored_digest(const row_reader& rows, std::string_view what,
                                           std::optional<std::uint8_t> only_bucket) {
  stored_digest out;
  const auto unreadable = [&](const std::string& row) {
    return events::make_error(events::errc::malformed, "projection " + std::string(what) + ": unreadable " + row);
  };
  for (unsigned b = 0; b < digest_bucket_count; ++b) {
    if (only_bucket && *only_bucket != b) continue;
    auto bytes = rows.get(reserved::bucket_digest(static_cast<std::uint8_t>(b)));
    if (!bytes) continue;
    if (!out.digest.load_bucket(b, *bytes)) return unreadable("digest bucket " + std::to_string(b));
  }
  std::optional<std::string> bad;
  bool first = true;
  rows.scan(reserved::journal_prefix, "", [&](std::string_view key, std::string_view value) {
    if (key.size() != reserved::journal_prefix.size() + 8) {
      bad = "digest journal key";
      return false;
    }
    auto changes = decode_journal(value);
    if (!changes) {
      bad = "digest journal entry " + std::to_string(entry_number(key));
      return false;
    }
    const std::uint64_t n = entry_number(key);
    if (first) out.journal_first = n;
    first = false;
    out.journal_next = n + 1;
    out.journal_changes += changes->size();
    for (const auto& c : *changes) {
      out.unsaved.set(c.bucket);
      if (!only_bucket || *only_bucket == c.bucket) out.digest.apply(c);
    }
    return true;
  });
  if (bad) return unreadable(*bad);
  return out;
}

}  // namespace sn::projections
