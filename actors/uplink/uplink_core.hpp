// The uplink's pure core: decides what of the log to publish to the store's
// JetStream stream, and when to ask the stream where it stands.
//
// Contract
// - Inputs: the node's role (set_master), the log's heads (on_heads), what a
//   resync found in the stream (on_resync / on_resync_failed), each publish's
//   outcome (on_ack / on_publish_failed), the connection (on_link) and time
//   (every call takes now_ms, any monotonic millisecond clock).
//   Outputs (returned, carried out in order): resync_request, publish_range,
//   set_timer. It reads no clock, socket or disk.
// - The log is the backlog: the core keeps per origin only the highest seq
//   the stream is known to hold (acked), the highest seq handed out (sent)
//   and the subject's last stream sequence; events come from the log by range.
// - Fencing: this uplink is the only writer of its store's stream, so it
//   predicts the stream sequence of every message it publishes and sends
//   each with the expected last sequence of its subject (publish_range).
//   Any other writer (a deposed master, a forger) makes a prediction wrong;
//   the server then refuses the message (wrong last sequence) and the core
//   resyncs: no event is stored twice by a race between two masters, and
//   every message is fenced, however many are in flight.
// - Generations: every resync starts a new generation; acks and errors of an
//   older one are ignored (counted), since the resync re-reads the truth.
// - Order: per origin, seqs are published in order without gaps; an ack
//   reports seq n only after n-1 of the same generation (the server answers
//   one connection in order). A report out of that order starts a resync.
// - Bounds: in_flight_max events in flight, batch_events_max per range.
// Thread safety: none; one owner (the uplink actor) calls everything.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "actors/uplink/types.hpp"

namespace sn::uplink {

class uplink_core {
public:
  /// config must validate (asserted).
  explicit uplink_core(uplink_config config);

  /// The election made this node master (true) or took it away (false).
  std::vector<output> set_master(bool is_master, std::uint64_t now_ms);
  /// The log's highest contiguous seq per origin (only ever grows).
  std::vector<output> on_heads(const std::map<std::string, std::uint64_t>& heads, std::uint64_t now_ms);
  /// The NATS connection went up (true) or down (false).
  std::vector<output> on_link(bool up, std::uint64_t now_ms);
  /// Answer to resync_request{generation}.
  std::vector<output> on_resync(std::uint64_t generation, const stream_position& position, std::uint64_t now_ms);
  std::vector<output> on_resync_failed(std::uint64_t generation, const std::string& error, std::uint64_t now_ms);
  /// The stream stored (or, duplicate, already held) origin:seq at stream_seq.
  std::vector<output> on_ack(std::uint64_t generation, const std::string& origin, std::uint64_t seq,
                             std::uint64_t stream_seq, bool duplicate, std::uint64_t now_ms);
  /// Publishing origin:seq failed.
  std::vector<output> on_publish_failed(std::uint64_t generation, const std::string& origin, std::uint64_t seq,
                                        publish_error why, const std::string& text, std::uint64_t now_ms);
  /// The timer of the last set_timer fired (early or late calls are harmless).
  std::vector<output> on_tick(std::uint64_t now_ms);

  uplink_status status() const;
  std::uint64_t lag_events() const noexcept;
  uplink_state state() const noexcept { return state_; }
  std::uint64_t generation() const noexcept { return generation_; }

private:
  struct range_in_flight {
    std::uint64_t first_seq = 0;
    std::uint64_t count = 0;
    std::uint64_t first_stream_seq = 0;
    std::uint64_t sent_ms = 0;
  };
  struct origin_state {
    std::uint64_t head = 0;         ///< the log's highest contiguous seq
    std::uint64_t acked = 0;        ///< highest seq the stream is known to hold
    std::uint64_t sent = 0;         ///< highest seq handed out in this generation
    std::uint64_t subject_seq = 0;  ///< stream sequence of `sent` (predicted until acked)
    std::deque<range_in_flight> ranges;
  };

  void start_resync(std::uint64_t now_ms, std::vector<output>& out);
  void fail(bool fenced, const std::string& why, std::uint64_t now_ms, std::vector<output>& out);
  void pump(std::uint64_t now_ms, std::vector<output>& out);
  void arm_timer(std::uint64_t now_ms, std::vector<output>& out);
  void drop_in_flight();

  uplink_config config_;
  uplink_state state_ = uplink_state::standby;
  bool master_ = false;
  bool link_up_ = true;  ///< until the adapter says otherwise
  std::uint64_t generation_ = 0;
  std::uint64_t next_stream_seq_ = 0;  ///< predicted sequence of the next message
  std::uint64_t in_flight_ = 0;
  std::uint64_t backoff_until_ms_ = 0;
  std::uint64_t last_ack_ms_ = 0;
  std::uint64_t timer_ms_ = 0;  ///< deadline of the last set_timer output; 0 none
  std::string last_error_;
  std::map<std::string, origin_state> origins_;
  std::string rr_after_;  ///< round-robin cursor over origins
  uplink_counters counters_;
};

} // namespace sn::uplink
