// Helpers of the storage tests: temp dirs and correctly chained event streams.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/stock.hpp"
#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"

namespace sn::storage::test {

/// A fresh directory under the system temp dir, removed with everything in it.
class temp_dir {
public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sn-storage-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }
  /// The event log's data dir inside this temp dir.
  std::string data() const { return path_ + "/data"; }

private:
  std::string path_;
};

/// Builds one origin's stream: seq 1, 2, 3 ... each sealed and chained to the
/// one before (prev_hash = previous hash, all zero for seq 1).
class chain {
public:
  explicit chain(std::string origin, std::uint64_t next_seq = 1, hash256 prev = {})
      : origin_(std::move(origin)), seq_(next_seq), prev_(prev) {}

  event next(std::int64_t qty = 1) {
    stock_received p;
    p.sku = "SKU-" + std::to_string(seq_ % 97);
    p.qty = qty;
    p.supplier_ref = "PO-" + origin_ + "-" + std::to_string(seq_);
    event e = make_event(device_id{origin_}, origin_seq{seq_}, hlc_timestamp::from_parts(1'700'000'000'000 + seq_, 0),
                         term_id{1}, p);
    e.prev_hash = prev_;
    seal(e);
    prev_ = e.hash;
    ++seq_;
    return e;
  }

  std::vector<event> take(std::size_t n) {
    std::vector<event> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(next());
    return out;
  }

  std::uint64_t next_seq() const { return seq_; }

private:
  std::string origin_;
  std::uint64_t seq_;
  hash256 prev_;
};

inline log_options rw_options(const std::string& dir) {
  log_options o;
  o.data_dir = dir;
  return o;
}

/// A log with the projection families "sales" and "inventory" (0 and 1 of
/// its projection store), both opened read-write in `dir`.
struct log_with_projections {
  log_options options;
  std::unique_ptr<event_log> log;
  std::unique_ptr<projection_store> store;
  explicit log_with_projections(const std::string& dir) {
    options = rw_options(dir);
    options.projection_families = {"sales", "inventory"};
    auto l = event_log::open(options);
    if (!l) throw std::runtime_error("open " + dir + ": " + l.error().message);
    log = std::move(*l);
    auto s = projection_store::open(*log, options.projection_families);
    if (!s) throw std::runtime_error("projection store: " + s.error().message);
    store = std::move(*s);
  }
};

inline log_options ro_options(const std::string& dir) {
  log_options o;
  o.data_dir = dir;
  o.mode = open_mode::read_only;
  return o;
}

} // namespace sn::storage::test
