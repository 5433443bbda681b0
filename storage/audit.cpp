#include "storage/audit.hpp"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "events/codec.hpp"
#include "events/event_type.hpp"
#include "storage/errc.hpp"
#include "storage/keys.hpp"
#include "trust/keyring.hpp"

namespace sn::storage {

const char* to_string(finding_kind k) noexcept {
  switch (k) {
    case finding_kind::tamper: return "tamper";
    case finding_kind::gap: return "gap";
    case finding_kind::fork: return "fork";
    case finding_kind::index_mismatch: return "index_mismatch";
    case finding_kind::undecodable: return "undecodable";
    case finding_kind::head_mismatch: return "head_mismatch";
    case finding_kind::unsigned_events: return "unsigned";
    case finding_kind::bad_signature: return "bad_signature";
  }
  return "unknown";
}

namespace {

/// One origin's stream as walked so far, in position order.
struct origin_walk {
  std::uint64_t last_seq = 0;     // highest seq walked
  hash256 last_hash{};            // its stored hash: what the next prev_hash must equal
  bool last_tampered = false;     // its hash did not verify (do not report the chain twice)
  bool broken = false;            // a gap was seen: `contiguous` stops growing
  std::uint64_t contiguous = 0;   // highest seq with every seq before it present
  hash256 contiguous_hash{};
  std::vector<keys::index_run> runs;  // where the log holds each seq (what the index must say)

  void record(std::uint64_t seq, std::uint64_t pos) {
    if (!runs.empty() && runs.back().extends_to(seq, pos)) {
      ++runs.back().count;
    } else {
      runs.push_back(keys::index_run{seq, pos, 1});
    }
  }
  std::optional<std::uint64_t> position_of(std::uint64_t seq) const {
    auto it = std::upper_bound(runs.begin(), runs.end(), seq,
                               [](std::uint64_t s, const keys::index_run& r) { return s < r.first_seq; });
    if (it == runs.begin()) return std::nullopt;
    --it;
    if (!it->covers(seq)) return std::nullopt;
    return it->position_of(seq);
  }
};

// Per-position flags of the index pass.
constexpr std::uint8_t pos_present = 1;     // the log holds an entry here
constexpr std::uint8_t pos_indexed = 2;     // the index entry of the event held here points here
constexpr std::uint8_t pos_misindexed = 16; // the event held here has an index entry pointing elsewhere (reported)
constexpr std::uint8_t pos_undecodable = 4;
constexpr std::uint8_t pos_fork = 8;        // a second copy of an (origin, seq): not indexed, rightly

std::string ref(std::string_view origin, std::uint64_t seq) { return std::string(origin) + ":" + std::to_string(seq); }

class auditor {
public:
  explicit auditor(const event_log& log) : log_(log) {}

  expected<audit_report> run() {
    if (auto st = load_signatures(); !st) return st.error();
    if (auto st = walk_log(); !st) return st.error();
    if (auto st = walk_index(); !st) return st.error();
    check_unindexed();
    check_heads();
    check_signatures();
    for (const auto& [origin, w] : walks_) report_.origins[origin] = w.contiguous;
    return std::move(report_);
  }

private:
  void add(finding_kind k, std::string origin, std::uint64_t seq, std::uint64_t pos, std::string message) {
    if (report_.findings.size() >= audit_findings_max) {
      ++report_.findings_dropped;
      return;
    }
    report_.findings.push_back(audit_finding{k, std::move(origin), origin_seq{seq}, log_position{pos}, std::move(message)});
  }

  std::uint8_t& flags(std::uint64_t pos) {
    if (pos >= flags_.size()) flags_.resize(pos + 1, 0);
    return flags_[pos];
  }

  status walk_log() {
    return log_.scan(log_position{1}, log_position{0}, [&](log_position p, std::string_view bytes) {
      ++report_.events;
      const std::uint64_t pos = p.value();
      flags(pos) |= pos_present;
      auto decoded = decode(bytes);
      if (!decoded) {
        flags(pos) |= pos_undecodable;
        undecodable_[pos] = report_.findings.size();
        add(finding_kind::undecodable, "", 0, pos,
            "position " + std::to_string(pos) + " does not decode: " + decoded.error().message);
        return true;
      }
      check_event(*decoded, pos);
      return true;
    });
  }

  status load_signatures() {
    return log_.scan_signatures([&](const trust::origin_signature& s) {
      sigs_[s.origin].emplace(s.seq, signed_at{s, {}, false, false});
      return true;
    });
  }

  /// After the walk: every stored signature against the final keyring, then
  /// each enrolled origin's unsigned tail.
  void check_signatures() {
    report_.store_id = keyring_.store_id();
    if (keyring_.creator().empty()) return;  // no genesis in this log: nothing to check against
    for (auto& [origin, by_seq] : sigs_) {
      const trust::member* m = keyring_.find(origin);
      for (auto& [seq, at] : by_seq) {
        if (!at.held) {
          add(finding_kind::bad_signature, origin, seq, 0,
              "signature of " + ref(origin, seq) + " names an event the log does not hold");
          continue;
        }
        ++report_.signatures_checked;
        if (m == nullptr || !m->has_key) {
          add(finding_kind::bad_signature, origin, seq, 0,
              "signature of " + ref(origin, seq) + ": origin " + origin + " has no enrolled key in this log");
          continue;
        }
        const trust::public_key* key = m->key_at(seq);
        if (key == nullptr || !trust::verify(*key, at.sig.sig, keyring_.store_id(), origin, seq, at.hash)) {
          add(finding_kind::bad_signature, origin, seq, 0,
              "signature of " + ref(origin, seq) + " does not verify with " + origin + "'s key" +
                  (m->keys.size() > 1 ? " valid at that seq (key history)" : std::string(" (enrolled)")));
          continue;
        }
        ++report_.signatures_valid;
        at.valid = true;
        auto& v = valid_to_[origin];
        v = std::max(v, seq);
      }
    }
    for (const auto& [origin, w] : walks_) {
      const trust::member* m = keyring_.find(origin);
      if (m == nullptr || !m->has_key) {
        report_.unenrolled[origin] = w.last_seq;
        continue;
      }
      std::uint64_t covered = 0;
      if (auto it = valid_to_.find(origin); it != valid_to_.end()) covered = it->second;
      // A key rotation counts only with its previous key's signature at its
      // own seq (docs/protocol.md 1.7): without it, nothing from it on is covered.
      for (std::uint64_t r : m->rotation_points()) {
        auto so = sigs_.find(origin);
        const bool proven = so != sigs_.end() && so->second.count(r) != 0 && so->second.at(r).valid;
        if (proven || r > w.last_seq) continue;
        add(finding_kind::bad_signature, origin, r, 0,
            "key rotation " + ref(origin, r) + " carries no valid signature of " + origin +
                "'s previous key: the new key is not trusted");
        covered = std::min(covered, r - 1);
        break;
      }
      if (covered < w.last_seq) {
        add(finding_kind::unsigned_events, origin, covered + 1, 0,
            origin + ":" + std::to_string(covered + 1) + ".." + std::to_string(w.last_seq) +
                " are covered by no valid signature of " + origin);
      }
    }
  }

  void check_event(const event& e, std::uint64_t pos) {
    const std::string& origin = e.origin.value();
    const std::uint64_t seq = e.seq.value();
    const auto type = static_cast<event_type>(e.type);
    if (type == event_type::store_created || type == event_type::device_enrolled ||
        type == event_type::device_revoked || type == event_type::device_keys_rotated) {
      keyring_.observe(e);
    }
    if (auto so = sigs_.find(origin); so != sigs_.end()) {
      if (auto at = so->second.find(seq); at != so->second.end() && !at->second.held) {
        at->second.hash = e.hash;
        at->second.held = true;
      }
    }
    const std::string at = " at position " + std::to_string(pos);
    origin_walk& w = walks_[origin];

    const bool tampered = !verify_hash(e);
    if (tampered) {
      add(finding_kind::tamper, origin, seq, pos,
          ref(origin, seq) + at + ": stored hash " + to_hex(e.hash) + " does not match its content (" +
              to_hex(compute_hash(e)) + ")");
    }
    if (seq <= w.last_seq) {
      flags(pos) |= pos_fork;
      auto indexed = log_.index_position(e.origin, e.seq);
      add(finding_kind::fork, origin, seq, pos,
          ref(origin, seq) + at + " is held again (index points to position " +
              (indexed ? std::to_string(indexed->value()) : std::string("none")) + ")");
      return;  // the stream's state follows the first copy
    }
    if (seq > w.last_seq + 1) {
      add(finding_kind::gap, origin, w.last_seq + 1, pos,
          "origin " + origin + " lacks seqs " + std::to_string(w.last_seq + 1) + ".." + std::to_string(seq - 1) +
              " (next held: " + ref(origin, seq) + at + ")");
      w.broken = true;
    } else {
      const hash256 want = seq == 1 ? hash256{} : w.last_hash;
      if (e.prev_hash != want && !w.last_tampered) {
        add(finding_kind::tamper, origin, seq, pos,
            ref(origin, seq) + at + ": prev_hash " + to_hex(e.prev_hash) + " does not chain to " +
                (seq == 1 ? std::string("the zero hash of seq 1") : ref(origin, seq - 1) + " (" + to_hex(want) + ")") +
                "; one of the two was altered");
      }
    }
    w.last_seq = seq;
    w.last_hash = e.hash;
    w.last_tampered = tampered;
    if (!w.broken) {
      w.contiguous = seq;
      w.contiguous_hash = e.hash;
    }
    w.record(seq, pos);
  }

  status walk_index() {
    return log_.scan_index([&](std::string_view origin, origin_seq seq, log_position p) {
      ++report_.index_entries;
      const std::uint64_t pos = p.value();
      const std::string r = ref(origin, seq.value());
      std::uint8_t& f = flags(pos);
      auto walk = walks_.find(std::string(origin));
      std::optional<std::uint64_t> held_at;
      if (walk != walks_.end()) held_at = walk->second.position_of(seq.value());

      if (held_at && *held_at == pos) {
        f |= pos_indexed;
      } else if (!(f & pos_present)) {
        add(finding_kind::index_mismatch, std::string(origin), seq.value(), pos,
            r + ": index points to position " + std::to_string(pos) + ", which the log does not hold");
      } else if (held_at) {
        flags(*held_at) |= pos_misindexed;
        add(finding_kind::index_mismatch, std::string(origin), seq.value(), pos,
            r + " is at position " + std::to_string(*held_at) + " but the index points to position " +
                std::to_string(pos));
      } else if (f & pos_undecodable) {
        // Not a second problem: it names the event the undecodable bytes were meant to be.
        auto it = undecodable_.find(pos);
        if (it != undecodable_.end() && it->second < report_.findings.size()) {
          auto& finding = report_.findings[it->second];
          finding.origin = std::string(origin);
          finding.seq = seq;
          finding.message = r + ": " + finding.message;
        }
      } else {
        add(finding_kind::index_mismatch, std::string(origin), seq.value(), pos,
            r + ": index points to position " + std::to_string(pos) + ", which holds another event");
      }
      return true;
    });
  }

  /// Events the index does not point to (rare: each one is read again to name it).
  void check_unindexed() {
    for (std::uint64_t pos = 1; pos < flags_.size(); ++pos) {
      const std::uint8_t f = flags_[pos];
      if (!(f & pos_present) || (f & (pos_indexed | pos_misindexed | pos_undecodable | pos_fork))) continue;
      auto again = log_.read_from(log_position{pos}, 1);
      if (again.empty() || again[0].position.value() != pos) continue;
      const event& e = again[0].ev;
      add(finding_kind::index_mismatch, e.origin.value(), e.seq.value(), pos,
          ref(e.origin.value(), e.seq.value()) + " at position " + std::to_string(pos) + " has no index entry");
    }
  }

  void check_heads() {
    const auto stored = log_.stored_heads();
    for (const auto& [origin, w] : walks_) {
      auto it = stored.find(origin);
      if (it == stored.end()) {
        add(finding_kind::head_mismatch, origin, w.contiguous, 0,
            "origin " + origin + " has events up to seq " + std::to_string(w.contiguous) + " but no heads entry");
      } else if (it->second.seq.value() != w.contiguous || it->second.hash != w.contiguous_hash) {
        add(finding_kind::head_mismatch, origin, it->second.seq.value(), 0,
            "origin " + origin + ": heads entry says seq " + std::to_string(it->second.seq.value()) + " hash " +
                to_hex(it->second.hash) + ", the log's highest contiguous is seq " + std::to_string(w.contiguous) +
                " hash " + to_hex(w.contiguous_hash));
      }
    }
    for (const auto& [origin, h] : stored) {
      if (walks_.count(origin) == 0) {
        add(finding_kind::head_mismatch, origin, h.seq.value(), 0,
            "origin " + origin + ": heads entry says seq " + std::to_string(h.seq.value()) +
                " but the log holds no decodable event of it");
      }
    }
  }

  const event_log& log_;
  struct signed_at {
    trust::origin_signature sig;
    hash256 hash{};     // the stored hash of the event at that seq (first copy)
    bool held = false;  // the walk found that event
    bool valid = false;  // verified with the key valid at its seq
  };
  std::map<std::string, std::map<std::uint64_t, signed_at>> sigs_;
  std::map<std::string, std::uint64_t> valid_to_;  // origin -> highest seq with a valid signature
  trust::keyring keyring_;
  audit_report report_;
  std::map<std::string, origin_walk> walks_;
  std::vector<std::uint8_t> flags_;                            // by position
  std::unordered_map<std::uint64_t, std::size_t> undecodable_;  // position -> finding index
};

} // namespace

expected<audit_report> audit_log(const event_log& log) { return auditor(log).run(); }

expected<audit_report> audit_data_dir(const std::string& data_dir) {
  log_options o;
  o.data_dir = data_dir;
  o.mode = open_mode::read_only;
  auto log = event_log::open(o);
  if (!log) return log.error();
  return audit_log(**log);
}

} // namespace sn::storage
