// Which addresses the transport dials and whose frames count (docs/protocol.md
// section 2.6). Pure: no sockets, no clock (time is an argument), so every rule
// is unit-tested without a network (tests/unit/broker/peer_table_test.cpp).
//
// Contract:
// - Owned by the transport's I/O thread; not thread-safe.
// - Three shares, each bounded by a named _max (peer_table_limits):
//     trusted   addresses an operator configured (--peer), and later enrolled
//               devices: dialled exactly as given, never evicted, never
//               displaced by learning (trusted_max);
//     proven    learned addresses that proved themselves (proven_max);
//     probation learned addresses not yet proven (probation_max).
// - A learned address is nominated by a source: the local node (add_peer,
//   send, remembered peers; local_source) or one inbound connection (its
//   ROUTER routing id, or its CURVE key). A remote source has at most
//   probation_per_source_max candidates at a time; one whose candidate leaves
//   probation unproven is muted for probation_ms. Local candidates are at most
//   probation_local_max; the others wait in a bounded pending list.
// - A candidate is proven by a valid frame published at its address (its
//   PORT+1) that names the address as sender: a storenode's heartbeat does so
//   within one heartbeat interval. Until then frames from it are not delivered.
//   A candidate still unproven after probation_ms is evicted.
// - A full probation share evicts, for a newcomer, the oldest candidate whose
//   dial failed or that has not completed a ZeroMQ handshake within
//   probation_grace_ms; a candidate that completed its handshake is never
//   displaced before its probation ends. If none qualifies the newcomer is
//   refused (counted); its sender tries again with its next frame.
// - Aliases: a trusted peer whose frames name another sender (it advertises an
//   address other than the one configured, e.g. a hostname for an IP) is
//   reached for that sender too: the alias routes to the trusted address, so
//   gossip and frame headers never replace an address an operator configured.
// - Every change that needs sockets opened or closed is queued for the
//   transport (take_added / take_removed), in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sn::broker {

/// How an address entered the table. Explicit values: they appear in logs.
enum class peer_origin : std::uint8_t {
  configured = 1,  ///< --peer (transport_options::peers): trusted
  enrolled = 2,    ///< reserved for enrolled devices (trusted share); nothing produces it yet
  learned = 3,     ///< a direct frame's sender, add_peer, send, or a remembered peer
};

enum class peer_state : std::uint8_t {
  trusted = 1,    ///< configured or enrolled: counts from the start
  probation = 2,  ///< learned, not yet proven: dialled, its frames are not delivered
  proven = 3,     ///< learned and proven: counts
};

const char* to_string(peer_state s) noexcept;

/// Bounds and timings of the table. Every field documents its default.
struct peer_table_limits {
  /// Default 32. Configured peers (and, later, enrolled devices). Learning never uses this share.
  std::size_t trusted_max = 32;
  /// Default 32. Learned peers that proved themselves.
  std::size_t proven_max = 32;
  /// Default 16. Learned candidates under probation, all sources together.
  std::size_t probation_max = 16;
  /// Default 1. Candidates one remote source (connection or CURVE key) may hold:
  /// a real device only ever names itself.
  std::size_t probation_per_source_max = 1;
  /// Default 8. Candidates nominated locally (add_peer, send, remembered peers).
  std::size_t probation_local_max = 8;
  /// Default 10'000 ms. A candidate unproven this long is evicted; a remote
  /// source whose candidate failed is muted this long.
  std::uint64_t probation_ms = 10'000;
  /// Default 500 ms. A candidate younger than this is not displaced by a
  /// newcomer unless its dial already failed (time to complete a handshake).
  std::uint64_t probation_grace_ms = 500;
  /// Default 60'000 ms. A proven learned peer not heard for this long gives its
  /// place to a candidate that proves itself while the proven share is full.
  std::uint64_t proven_idle_ms = 60'000;
  /// Default 1'024. Remote sources remembered as muted (oldest forgotten first).
  std::size_t muted_sources_max = 1'024;
  /// Default 32. Local addresses waiting for a probation slot (further ones are dropped).
  std::size_t pending_max = 32;
};

/// Outcome of nominating an address.
enum class admission : std::uint8_t {
  known = 1,           ///< already in the table, or an alias of a trusted peer
  admitted = 2,        ///< new candidate: dial it
  queued = 3,          ///< local: waits in the pending list for a probation slot
  refused_source = 4,  ///< the source holds its share of candidates, or is muted
  refused_full = 5,    ///< probation full of candidates that may not be displaced yet
  refused_share = 6,   ///< trusted share full (configured peers beyond trusted_max)
};

/// What the transport does with a valid frame.
enum class verdict : std::uint8_t { deliver = 1, drop_unproven = 2 };

class peer_table {
 public:
  /// The source of local nominations (add_peer, send, remembered peers).
  static inline const std::string local_source{};

  explicit peer_table(std::string self, peer_table_limits limits = {});

  /// An address the operator configured: trusted, dialled as given.
  admission add_configured(const std::string& address);

  /// Nominates a learned address from `source` (local_source or a remote one).
  admission nominate(const std::string& address, const std::string& source, std::uint64_t now_ms);

  /// A valid frame arrived on the SUB connected to `link` (that address's
  /// PORT+1) and names `sender`. Proves a candidate whose sender is itself;
  /// records an alias when a trusted peer names another sender.
  verdict on_published(const std::string& link, std::string_view sender, std::uint64_t now_ms);

  /// The verdict for a direct frame from a sender already in the table (or an
  /// alias), without allocating; nullopt for an unknown sender (then on_direct).
  std::optional<verdict> check_direct(std::string_view sender, std::uint64_t now_ms);

  /// A valid direct frame from `sender` arrived through connection `source`.
  /// Trusted, aliased and proven senders are delivered; an unknown sender is
  /// nominated when `learn` (see nominate) and its frame is not delivered.
  verdict on_direct(std::string_view sender, const std::string& source, bool learn, std::uint64_t now_ms);

  /// A ZeroMQ handshake with `address` completed (either of its sockets).
  void on_handshake(const std::string& address);
  /// A dial of `address` failed before any handshake (refused, timed out, bad greeting).
  void on_dial_failed(const std::string& address);

  /// Evicts candidates past probation_ms, forgets muted sources whose time
  /// ran out, and admits pending local addresses into free slots.
  void expire(std::uint64_t now_ms);
  /// Earliest time expire() has work to do, if any.
  std::optional<std::uint64_t> next_deadline() const;

  /// The address whose sockets carry frames to `address`: itself when in the
  /// table, the trusted peer it is an alias of, or nullptr.
  const std::string* route(const std::string& address) const;
  /// True when `address` has sockets of its own (any state).
  bool dials(const std::string& address) const { return entries_.count(address) != 0; }
  std::optional<peer_state> state_of(const std::string& address) const;

  /// Addresses that count (trusted and proven), sorted.
  std::vector<std::string> counted() const;
  /// Every address in the table plus every alias: what add_peer may skip.
  std::vector<std::string> known() const;

  /// Addresses to dial / to close since the last call, in order.
  std::vector<std::string> take_added();
  std::vector<std::string> take_removed();

  struct counts {
    std::size_t trusted = 0, proven = 0, probation = 0, aliases = 0, pending = 0, muted = 0;
  };
  counts size() const;

  /// Monotonic counters.
  struct counters {
    std::uint64_t admitted = 0;           ///< candidates taken into probation
    std::uint64_t proven = 0;             ///< candidates that proved themselves
    std::uint64_t refused = 0;            ///< nominations refused (source share, muted, full)
    std::uint64_t evicted_expired = 0;    ///< candidates unproven after probation_ms
    std::uint64_t evicted_displaced = 0;  ///< candidates displaced by a newcomer
    std::uint64_t evicted_idle = 0;       ///< proven peers replaced after proven_idle_ms of silence
  };
  const counters& stats() const noexcept { return c_; }
  /// Changes whenever an address enters or leaves a share or an alias changes.
  std::uint64_t version() const noexcept { return version_; }
  const peer_table_limits& limits() const noexcept { return limits_; }

 private:
  struct entry {
    peer_origin origin = peer_origin::learned;
    peer_state state = peer_state::probation;
    std::string source;          ///< probation: who nominated it
    std::uint64_t since_ms = 0;  ///< entered its current state
    std::uint64_t heard_ms = 0;  ///< last valid frame from it
    bool handshaken = false;     ///< a ZeroMQ handshake with it completed
    bool dial_failed = false;    ///< a dial failed before any handshake
    std::string alias;           ///< trusted: the other sender its frames name ("" none)
  };

  std::size_t count(peer_state s) const;
  std::size_t candidates_of(const std::string& source) const;
  bool muted(const std::string& source, std::uint64_t now_ms) const;
  void mute(const std::string& source, std::uint64_t now_ms);
  /// Frees a probation slot for a newcomer; false if no candidate may be displaced.
  bool displace(std::uint64_t now_ms);
  /// Removes a candidate that leaves unproven; mutes its source or re-queues it.
  void drop_candidate(std::map<std::string, entry, std::less<>>::iterator it, std::uint64_t now_ms, bool requeue);
  void remove(std::map<std::string, entry, std::less<>>::iterator it);
  bool promote(entry& e, std::uint64_t now_ms);
  void set_alias(const std::string& trusted, entry& e, std::string_view sender);
  void queue_pending(const std::string& address, std::uint64_t not_before_ms);
  void admit_pending(std::uint64_t now_ms);

  std::string self_;
  peer_table_limits limits_;
  std::map<std::string, entry, std::less<>> entries_;
  std::map<std::string, std::string, std::less<>> aliases_;  ///< other sender -> trusted address
  std::map<std::string, std::uint64_t> muted_;               ///< remote source -> muted until
  /// Local addresses waiting for a probation slot, each with the earliest time to admit it.
  std::deque<std::pair<std::string, std::uint64_t>> pending_;
  std::vector<std::string> added_, removed_;
  counters c_;
  std::uint64_t version_ = 0;
};

}  // namespace sn::broker
