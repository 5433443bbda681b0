#include "tools/digest_diff.hpp"

#include <map>

#include "actors/projections/digest_rows.hpp"
#include "actors/projections/key_text.hpp"
#include "actors/projections/lthash.hpp"
#include "actors/projections/paging.hpp"
#include "tools/errc.hpp"

namespace sn::tools {

namespace pj = sn::projections;
using json = nlohmann::json;

namespace {

std::optional<std::string> unhex(const std::string& h) {
  if (h.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(h.size() / 2);
  const auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < h.size(); i += 2) {
    const int hi = nib(h[i]), lo = nib(h[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

class node_source final : public digest_source {
 public:
  explicit node_source(node_client c) : c_(std::move(c)) {}

  expected<std::vector<std::string>> buckets(const std::string& p) override {
    auto r = c_.get("/v1/digest/" + url_encode(p));
    if (!r) return r.error();
    const json& list = r->contains("buckets") ? (*r)["buckets"] : json();
    if (!list.is_array() || list.size() != pj::digest_bucket_count) {
      return make_error(errc::bad_reply, "GET /v1/digest/" + p + ": no \"buckets\" array of " +
                                             std::to_string(pj::digest_bucket_count) + " digests");
    }
    std::vector<std::string> out;
    for (const auto& d : list) out.push_back(d.is_string() ? d.get<std::string>() : std::string());
    return out;
  }

  expected<bucket_rows_page> bucket_rows(const std::string& p, std::uint8_t b, const std::string& cursor) override {
    std::string q = "/v1/digest/" + url_encode(p) + "/buckets/" + std::to_string(b) + "?limit=" +
                    std::to_string(pj::page_limit_max);
    if (!cursor.empty()) q += "&cursor=" + url_encode(cursor);
    auto r = c_.get(q);
    if (!r) return r.error();
    if (!r->contains("rows") || !(*r)["rows"].is_array()) {
      return make_error(errc::bad_reply, "GET " + q + ": no \"rows\" array");
    }
    bucket_rows_page page;
    for (const auto& row : (*r)["rows"]) {
      auto key = row.contains("key") && row["key"].is_string() ? unhex(row["key"].get<std::string>()) : std::nullopt;
      if (!key || !row.contains("value_hash") || !row["value_hash"].is_string()) {
        return make_error(errc::bad_reply, "GET " + q + ": a row without a hex \"key\" and \"value_hash\"");
      }
      page.rows.push_back(keyed_hash{std::move(*key), row["value_hash"].get<std::string>()});
    }
    if (r->contains("next_cursor") && (*r)["next_cursor"].is_string()) page.next = (*r)["next_cursor"].get<std::string>();
    return page;
  }

 private:
  node_client c_;
};

class rows_source final : public digest_source {
 public:
  explicit rows_source(std::function<const pj::row_reader*(const std::string&)> f) : rows_of_(std::move(f)) {}

  expected<std::vector<std::string>> buckets(const std::string& p) override {
    const auto* rows = rows_of_(p);
    if (rows == nullptr) return make_error(errc::not_found, "no projection " + p);
    return pj::stored_bucket_hexes(*rows);
  }

  expected<bucket_rows_page> bucket_rows(const std::string& p, std::uint8_t b, const std::string& cursor) override {
    const auto* rows = rows_of_(p);
    if (rows == nullptr) return make_error(errc::not_found, "no projection " + p);
    pj::page_request req;
    req.limit = pj::page_limit_max;
    req.from = cursor;
    auto listed = pj::bucket_rows(*rows, b, req);
    bucket_rows_page page;
    for (const auto& r : listed.items) page.rows.push_back(keyed_hash{r.key, r.value_hash_hex()});
    page.next = listed.next;
    return page;
  }

 private:
  std::function<const pj::row_reader*(const std::string&)> rows_of_;
};

expected<std::map<std::string, std::string>> whole_bucket(digest_source& s, const std::string& p, std::uint8_t b,
                                                          const std::function<bool()>& stop) {
  std::map<std::string, std::string> out;
  std::string cursor;
  for (;;) {
    if (stop && stop()) return make_error(errc::interrupted, "interrupted");
    auto page = s.bucket_rows(p, b, cursor);
    if (!page) return page.error();
    for (auto& r : page->rows) out.emplace(std::move(r.key), std::move(r.value_hash));
    if (out.size() > bucket_rows_max) {
      return make_error(errc::bad_reply, "bucket " + std::to_string(b) + " of " + p + " holds more than " +
                                             std::to_string(bucket_rows_max) + " rows");
    }
    if (page->next.empty() || page->next == cursor) return out;
    cursor = page->next;
  }
}

} // namespace

std::unique_ptr<digest_source> node_digest_source(node_client node) {
  return std::make_unique<node_source>(std::move(node));
}

std::unique_ptr<digest_source> rows_digest_source(std::function<const pj::row_reader*(const std::string&)> rows_of) {
  return std::make_unique<rows_source>(std::move(rows_of));
}

const char* to_string(key_state s) noexcept {
  switch (s) {
    case key_state::only_a: return "only_a";
    case key_state::only_b: return "only_b";
    case key_state::value_differs: return "value_differs";
  }
  return "unknown";
}

expected<projection_difference> descend(digest_source& a, digest_source& b, const std::string& p, std::size_t keys_max,
                                        const std::function<bool()>& stop) {
  auto ba = a.buckets(p);
  if (!ba) return ba.error();
  auto bb = b.buckets(p);
  if (!bb) return bb.error();
  std::vector<std::uint8_t> differing;
  for (std::size_t i = 0; i < pj::digest_bucket_count; ++i) {
    if ((*ba)[i] != (*bb)[i]) differing.push_back(static_cast<std::uint8_t>(i));
  }
  projection_difference d;
  d.buckets_differing = differing.size();
  const auto note = [&](const std::string& key, key_state st) {
    ++d.keys_differing;
    if (d.keys.size() < keys_max) d.keys.push_back(key_difference{key, pj::key_text(p, key), st});
  };
  for (std::uint8_t bucket : differing) {
    if (d.keys.size() >= keys_max) break;
    auto ra = whole_bucket(a, p, bucket, stop);
    if (!ra) return ra.error();
    auto rb = whole_bucket(b, p, bucket, stop);
    if (!rb) return rb.error();
    auto ia = ra->begin(), ib = rb->begin();
    while (ia != ra->end() || ib != rb->end()) {
      if (ib == rb->end() || (ia != ra->end() && ia->first < ib->first)) {
        note(ia->first, key_state::only_a);
        ++ia;
      } else if (ia == ra->end() || ib->first < ia->first) {
        note(ib->first, key_state::only_b);
        ++ib;
      } else {
        if (ia->second != ib->second) note(ia->first, key_state::value_differs);
        ++ia;
        ++ib;
      }
    }
    ++d.buckets_walked;
  }
  return d;
}

}  // namespace sn::tools
