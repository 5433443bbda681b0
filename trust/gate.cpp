#include "trust/gate.hpp"

#include <algorithm>

#include "events/assert.hpp"

namespace sn::trust {

const char* to_string(verdict v) noexcept {
  switch (v) {
    case verdict::accepted:
      return "accepted";
    case verdict::own_origin:
      return "own_origin";
    case verdict::unknown_origin:
      return "unknown_origin";
    case verdict::revoked:
      return "revoked";
    case verdict::bad_signature:
      return "bad_signature";
    case verdict::unsigned_events:
      return "unsigned";
    case verdict::broken_chain:
      return "broken_chain";
  }
  return "unknown";
}

namespace {

run_decision refuse_all(std::uint64_t first, std::uint64_t n, verdict why, std::uint32_t verifications = 0) {
  run_decision d;
  d.accept_to = first - 1;
  d.reason = why;
  d.refused = n;
  d.verifications = verifications;
  return d;
}

}  // namespace

run_decision decide_run(const keyring& k, std::string_view self, const std::vector<const event*>& run,
                        const std::vector<origin_signature>& offered, const gate_policy& policy,
                        const std::vector<origin_signature>* later_from) {
  SN_ASSERT(!run.empty(), "decide_run needs events");
  const std::string& origin = run.front()->origin.value();
  const std::uint64_t first = run.front()->seq.value();
  const std::uint64_t last = run.back()->seq.value();
  const std::uint64_t n = run.size();
  SN_ASSERT(last - first + 1 == n, "a run is contiguous");
  if (origin == self) return refuse_all(first, n, verdict::own_origin);

  // The key, and the store id it signs under.
  public_key key{};
  std::string store_id = k.store_id();
  std::uint64_t cap = ~std::uint64_t{0};  // the revocation point, if any
  if (const member* m = k.find(origin); m != nullptr) {
    if (!m->has_key) return refuse_all(first, n, m->revoked ? verdict::revoked : verdict::unknown_origin);
    key = m->key;
    if (m->revoked) cap = m->revoked_after_seq;
  } else {
    // Bootstrap: the origin's own genesis in this run enrolls its key.
    keyring t = k;
    for (const event* e : run) {
      t.observe(*e);
      if (t.find(origin) != nullptr) break;
    }
    const member* founded = t.find(origin);
    if (founded == nullptr || !founded->has_key || t.creator() != origin) {
      if (policy.admit_unenrolled) {
        run_decision d;
        d.accept_to = last;
        return d;
      }
      return refuse_all(first, n, verdict::unknown_origin);
    }
    key = founded->key;
    store_id = t.store_id();
  }
  const std::uint64_t limit = std::min(last, cap);
  if (limit < first) return refuse_all(first, n, verdict::revoked);

  // The highest valid signature within [first, limit].
  std::vector<const origin_signature*> candidates;
  for (const auto& s : offered) {
    if (s.origin == origin && s.seq >= first && s.seq <= limit) candidates.push_back(&s);
  }
  std::sort(candidates.begin(), candidates.end(), [](auto* a, auto* b) { return a->seq > b->seq; });
  run_decision d;
  bool bad = false;
  for (const origin_signature* s : candidates) {
    const event& e = *run[s->seq - first];
    ++d.verifications;
    if (verify(key, s->sig, store_id, origin, s->seq, e.hash)) {
      d.accept_to = s->seq;
      d.covering = *s;
      break;
    }
    bad = true;
  }
  if (!d.covering) {
    // A signature offered for a later seq (a live batch split in pieces) may
    // cover the run once the events up to it arrive: the run waits.
    const auto& pool = later_from != nullptr ? *later_from : offered;
    const bool later = std::any_of(pool.begin(), pool.end(), [&](const origin_signature& s) {
      return s.origin == origin && s.seq > last && s.seq <= cap;
    });
    if (later && !bad) {
      d.accept_to = first - 1;
      d.reason = verdict::unsigned_events;
      d.waiting = n;
      return d;
    }
    return refuse_all(first, n, bad ? verdict::bad_signature : verdict::unsigned_events, d.verifications);
  }
  // The signature vouches for the events that hash-chain into the signed
  // one: every link of the run up to it must hold (a forged event slipped
  // into a run breaks a link; the log checks the first against its head and
  // each event's hash against its bytes).
  for (std::uint64_t seq = d.accept_to; seq > first; --seq) {
    if (run[seq - first]->prev_hash != run[seq - first - 1]->hash) {
      return refuse_all(first, n, verdict::broken_chain, d.verifications);
    }
  }
  if (last > limit) {
    // Above the revocation point: never appended. Between the signature and
    // the point: may still be covered.
    d.reason = verdict::revoked;
    d.refused = last - limit;
    d.waiting = limit - d.accept_to;
  } else if (last > d.accept_to) {
    d.reason = bad ? verdict::bad_signature : verdict::unsigned_events;
    d.waiting = last - d.accept_to;
  }
  return d;
}

}  // namespace sn::trust
