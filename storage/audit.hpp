// Audit of an event log: proves it complete and untampered, or names exactly
// what is wrong (ARCHITECTURE.md §4, issue 6 `storectl audit verify`).
//
// Walks the whole log in position order and then the whole index:
// - every event decodes (undecodable) and its hash verifies (tamper);
// - each origin's seqs run 1, 2, 3 ... in position order (gap) and each event's
//   prev_hash equals the hash of its origin's previous seq (tamper);
// - no (origin, seq) is held twice (fork);
// - the index maps each (origin, seq) to the position that holds it, and
//   points at nothing else (index_mismatch);
// - the heads column family holds each origin's highest contiguous seq and
//   its hash (head_mismatch);
// - origin signatures (docs/protocol.md 1.7), when the log belongs to a store
//   (it holds a store.created): each stored signature verifies with its
//   origin's enrolled key (as the log's membership events say, folded by
//   trust::keyring in position order) over the event the log holds at that
//   seq (bad_signature), and each enrolled origin's events are covered by a
//   valid signature at or above them (unsigned: the range past the highest
//   valid one). Origins no enrollment names are listed (`unenrolled`), not
//   findings: a log older than its store's enrollment holds them. A log
//   of no store has nothing to check signatures against (store_id "").
// Reads only. Run it on a log opened read_only (a running node's data dir is
// fine) or on a log no one appends to meanwhile: a concurrent append can make
// heads look ahead of the walked events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "events/expected.hpp"
#include "events/types.hpp"
#include "storage/event_log.hpp"

namespace sn::storage {

enum class finding_kind : std::uint8_t {
  tamper = 0,          ///< hash does not verify, or prev_hash does not chain
  gap = 1,             ///< seqs missing in an origin's stream
  fork = 2,            ///< one (origin, seq) held at two positions
  index_mismatch = 3,  ///< index entry missing, wrong, or pointing at nothing
  undecodable = 4,     ///< stored bytes are not an event
  head_mismatch = 5,   ///< heads entry differs from the highest contiguous seq
  unsigned_events = 6, ///< an enrolled origin's events no valid signature covers
  bad_signature = 7,   ///< a stored signature that does not verify (or whose origin has no key)
};
const char* to_string(finding_kind k) noexcept;

struct audit_finding {
  finding_kind kind = finding_kind::tamper;
  std::string origin;      ///< "" when not known (undecodable and not indexed)
  origin_seq seq;          ///< 0 when not known
  log_position position;   ///< 0 when the finding has no position (heads)
  std::string message;     ///< one line for people: what and where
};

/// Most findings kept; the rest are only counted (a wrecked log must not
/// make the audit itself run out of memory).
constexpr std::size_t audit_findings_max = 10000;

struct audit_report {
  std::uint64_t events = 0;         ///< log entries walked
  std::uint64_t index_entries = 0;  ///< index entries walked
  std::map<std::string, std::uint64_t> origins;  ///< origin -> highest contiguous seq found
  std::vector<audit_finding> findings;           ///< in walk order, at most audit_findings_max
  std::uint64_t findings_dropped = 0;            ///< findings beyond audit_findings_max
  std::string store_id;                          ///< the store of the log's genesis ("" = none: no signature checks)
  std::uint64_t signatures_checked = 0;          ///< stored signatures verified
  std::uint64_t signatures_valid = 0;
  std::map<std::string, std::uint64_t> unenrolled;  ///< origin -> events held, for origins no enrollment names
  bool clean() const noexcept { return findings.empty() && findings_dropped == 0; }
};

/// Audits an open log. An error means the log could not be read (not that a
/// problem was found: problems are findings).
expected<audit_report> audit_log(const event_log& log);
/// Opens `data_dir` read_only (safe on a running node's data dir) and audits it.
expected<audit_report> audit_data_dir(const std::string& data_dir);

} // namespace sn::storage
