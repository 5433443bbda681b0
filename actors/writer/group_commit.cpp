#include "actors/writer/group_commit.hpp"

#include "events/assert.hpp"
#include "events/codec.hpp"
#include "trust/keyring.hpp"

namespace sn::writer {

using storage::append_outcome;

group_commit::group_commit(device_id self, storage::origin_head own_head)
    : self_(std::move(self)), head_(own_head) {}

group_commit::~group_commit() {
  secret_.fill(0);
  next_secret_.fill(0);
}

void group_commit::stage_rotation(const trust::public_key& next_public, const trust::secret_key& next_secret) {
  next_public_ = next_public;
  next_secret_ = next_secret;
  staged_ = true;
}

void group_commit::set_signer(std::string store_id, const trust::secret_key& secret) {
  store_id_ = std::move(store_id);
  secret_ = secret;
  signing_ = true;
}

commit_plan group_commit::plan(std::vector<local_entry>& locals, std::vector<remote_entry>& remotes) {
  commit_plan p;
  p.head_before = head_;
  p.local_sizes.reserve(locals.size());
  p.remote_sizes.reserve(remotes.size());
  SN_ASSERT(locals.size() + remotes.size() > 0, "a plan commits something");
  for (auto& l : locals) {
    const std::size_t first = p.batch.size();
    for (auto& d : l.drafts) {
      d.origin = self_;
      d.seq = origin_seq{head_.seq.value() + 1};
      d.prev_hash = head_.hash;
      seal(d);
      if (staged_ && p.rotation_seq == 0) {
        if (auto key = trust::rotated_key_of(d); key && *key == next_public_) p.rotation_seq = d.seq.value();
      }
      head_.seq = d.seq;
      head_.hash = d.hash;
      p.batch.push_back(std::move(d));
    }
    for (auto& s : l.side_writes) {
      s.events_from = first;
      s.events_to = p.batch.size();
      p.side_writes.push_back(std::move(s));
    }
    p.local_sizes.push_back(l.drafts.size());
  }
  p.own_count = p.batch.size();
  if (signing_) {
    for (std::size_t i = 0; i < p.own_count; ++i) {
      const event& e = p.batch[i];
      const std::uint64_t seq = e.seq.value();
      const bool rotation = seq == p.rotation_seq;
      if (!trust::signs_seq(seq, i + 1 == p.own_count) && !rotation) continue;
      // The rotation event itself is the old key's; what follows it, the new key's.
      const bool after = p.rotation_seq != 0 && seq > p.rotation_seq;
      p.signatures.push_back(
          {self_.value(), seq, trust::sign(after ? next_secret_ : secret_, store_id_, self_.value(), seq, e.hash)});
    }
  }
  p.own_signatures = p.signatures.size();
  for (auto& r : remotes) {
    for (auto& e : r.events) p.batch.push_back(std::move(e));
    p.remote_sizes.push_back(r.events.size());
    for (auto& s : r.signatures) p.signatures.push_back(std::move(s));
  }
  locals.clear();
  remotes.clear();
  return p;
}

storage::append_options group_commit::options(const commit_plan& p) const {
  storage::append_options o;
  o.sealed_here = p.own_count;
  o.local_origin = self_.value();
  if (!p.signatures.empty()) o.signatures = &p.signatures;
  return o;
}

commit_outcome group_commit::settle(commit_plan&& p, const storage::append_result& r) {
  commit_outcome out;
  out.committed.reserve(r.appended);
  // The own head is the last own event the log really appended: own events
  // are consecutive seqs, so once one is refused every later one is a gap.
  head_ = p.head_before;
  std::size_t i = 0;
  out.locals.reserve(p.local_sizes.size());
  for (const std::size_t n : p.local_sizes) {
    local_result lr;
    lr.durable = true;
    for (std::size_t k = 0; k < n; ++k, ++i) {
      const event& e = p.batch[i];
      if (r.outcomes[i] == append_outcome::appended) {
        SN_ASSERT(e.seq.value() == head_.seq.value() + 1 && e.prev_hash == head_.hash,
                  "own chain continuity: an appended own event follows the last one");
        head_.seq = e.seq;
        head_.hash = e.hash;
        ++out.local_appended;
        out.committed.push_back({r.positions[i], e});
      } else {
        out.own_refused = true;
        if (lr.durable) lr.refusal = event_ref(e) + " " + storage::to_string(r.outcomes[i]);
        lr.durable = false;
      }
      lr.positions.push_back(r.positions[i]);
      lr.sealed.push_back(e);
    }
    out.locals.push_back(std::move(lr));
  }
  out.remotes.reserve(p.remote_sizes.size());
  for (const std::size_t n : p.remote_sizes) {
    storage::append_result rr;
    rr.outcomes.assign(r.outcomes.begin() + static_cast<std::ptrdiff_t>(i),
                       r.outcomes.begin() + static_cast<std::ptrdiff_t>(i + n));
    rr.positions.assign(r.positions.begin() + static_cast<std::ptrdiff_t>(i),
                        r.positions.begin() + static_cast<std::ptrdiff_t>(i + n));
    for (std::size_t k = 0; k < n; ++k, ++i) {
      const auto o = r.outcomes[i];
      const auto slot = static_cast<std::size_t>(o);
      if (slot < append_outcome_count) ++out.remote_by_outcome[slot];
      if (o == append_outcome::appended) {
        ++rr.appended;
        ++out.remote_appended;
        out.committed.push_back({r.positions[i], std::move(p.batch[i])});
      }
    }
    out.remotes.push_back(std::move(rr));
  }
  // The log assigns positions in batch order and `committed` was filled in
  // batch order: it is in position order already.
  for (std::size_t k = 0; k < p.own_signatures; ++k) {
    if (p.signatures[k].seq <= head_.seq.value()) out.own_signatures.push_back(std::move(p.signatures[k]));
  }
  if (p.rotation_seq != 0 && head_.seq.value() >= p.rotation_seq) {
    secret_ = next_secret_;
    next_secret_.fill(0);
    staged_ = false;
    out.rotated_at_seq = p.rotation_seq;
  }
  return out;
}

void group_commit::rollback(const commit_plan& p) { head_ = p.head_before; }

} // namespace sn::writer
