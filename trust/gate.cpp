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

  // The keys, and the store id they sign under.
  std::vector<key_range> schedule;
  std::string store_id = k.store_id();
  std::uint64_t cap = ~std::uint64_t{0};  // the revocation point, if any
  if (const member* m = k.find(origin); m != nullptr) {
    if (!m->has_key) return refuse_all(first, n, m->revoked ? verdict::revoked : verdict::unknown_origin);
    schedule = m->keys;
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
    schedule = founded->keys;
    store_id = t.store_id();
  }
  std::uint64_t limit = std::min(last, cap);
  if (limit < first) return refuse_all(first, n, verdict::revoked);

  // Rotations inside the run (docs/protocol.md 1.7): the event at r is the
  // old key's, later seqs the new key's, provided the old key signed r.
  std::vector<std::uint64_t> rotations;
  for (const event* e : run) {
    if (e->seq.value() > limit) break;
    auto key = rotated_key_of(*e);
    if (!key || *key == schedule.back().key || schedule.size() >= key_ranges_max) continue;
    schedule.push_back(key_range{e->seq.value() + 1, *key});
    rotations.push_back(e->seq.value());
  }
  auto key_at = [&schedule](std::uint64_t seq) -> const public_key& {
    const public_key* found = &schedule.front().key;
    for (const auto& r : schedule) {
      if (r.first_seq > seq) break;
      found = &r.key;
    }
    return *found;
  };

  // The highest valid signature within [first, limit]; then every rotation
  // below it must carry the old key's signature at its own seq, else the run
  // is cut before that rotation and the search starts again.
  std::vector<const origin_signature*> candidates;
  for (const auto& s : offered) {
    if (s.origin == origin && s.seq >= first && s.seq <= limit) candidates.push_back(&s);
  }
  std::sort(candidates.begin(), candidates.end(), [](auto* a, auto* b) { return a->seq > b->seq; });
  run_decision d;
  bool bad = false;
  std::uint64_t forged_from = 0;    // a rotation whose own signature is not the old key's: refused from here
  std::uint64_t unproven_from = 0;  // a rotation whose own signature was not offered: waits from here
  for (;;) {
    d.covering.reset();
    d.proofs.clear();
    for (const origin_signature* s : candidates) {
      if (s->seq > limit) continue;
      const event& e = *run[s->seq - first];
      ++d.verifications;
      if (verify(key_at(s->seq), s->sig, store_id, origin, s->seq, e.hash)) {
        d.accept_to = s->seq;
        d.covering = *s;
        break;
      }
      bad = true;
    }
    if (!d.covering) break;
    std::uint64_t cut = 0;
    for (std::uint64_t r : rotations) {
      if (r >= d.accept_to) break;
      auto proof = std::find_if(candidates.begin(), candidates.end(), [r](auto* s) { return s->seq == r; });
      if (proof == candidates.end()) {
        unproven_from = r;
        cut = r;
        break;
      }
      ++d.verifications;
      if (!verify(key_at(r), (*proof)->sig, store_id, origin, r, run[r - first]->hash)) {
        bad = true;
        forged_from = r;
        cut = r;
        break;
      }
      d.proofs.push_back(**proof);
    }
    if (cut == 0) break;
    // Cut before the rotation: it, and the key it names, do not count.
    limit = cut - 1;
    while (!rotations.empty() && rotations.back() >= cut) {
      rotations.pop_back();
      schedule.pop_back();
    }
    d.accept_to = first - 1;
    if (limit < first) {
      d.covering.reset();
      d.proofs.clear();
      break;
    }
  }
  if (forged_from != 0 && !d.covering) {
    // A rotation not signed by the key it replaces: refused from it on,
    // never folded; what is below it may still be covered.
    d.accept_to = first - 1;
    d.reason = verdict::bad_signature;
    d.refused = last - forged_from + 1;
    d.waiting = forged_from - first;
    return d;
  }
  if (!d.covering) {
    if (unproven_from != 0) {
      // The old key's signature of a rotation is still to come (a split
      // batch, a relay that kept it): the run waits.
      d.accept_to = first - 1;
      d.reason = verdict::unsigned_events;
      d.waiting = n;
      return d;
    }
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
  if (forged_from != 0) {
    d.reason = verdict::bad_signature;
    d.refused = last - forged_from + 1;
    d.waiting = forged_from - 1 - d.accept_to;
  } else if (unproven_from != 0) {
    d.reason = verdict::unsigned_events;
    d.waiting = last - d.accept_to;
  } else if (last > cap) {
    // Above the revocation point: never appended. Between the signature and
    // the point: may still be covered.
    d.reason = verdict::revoked;
    d.refused = last - cap;
    d.waiting = cap - d.accept_to;
  } else if (last > d.accept_to) {
    d.reason = bad ? verdict::bad_signature : verdict::unsigned_events;
    d.waiting = last - d.accept_to;
  }
  return d;
}

}  // namespace sn::trust
