// Process-wide counters and histograms rendered as Prometheus text.
// Thread safety: every update is a relaxed atomic; render() may run concurrently.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace sn::actors {

/// Latency histogram with fixed microsecond buckets (Prometheus "le" bounds).
class latency_histogram {
public:
  static constexpr std::array<std::uint64_t, 12> bounds_us{100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};
  void observe_us(std::uint64_t us) noexcept;
  /// Appends the series `name` in Prometheus text format.
  void render(const std::string& name, const std::string& help, std::string& out) const;

private:
  std::array<std::atomic<std::uint64_t>, bounds_us.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_us_{0};
  std::atomic<std::uint64_t> count_{0};
};

/// The node's metrics. One instance per process, owned by the node and shared
/// by pointer with the actors (they only add).
struct node_metrics {
  std::atomic<std::uint64_t> events_appended_local{0};
  std::atomic<std::uint64_t> events_appended_remote{0};
  /// Replicated events the log refused, by reason (index = storage::append_outcome).
  static constexpr std::size_t append_outcomes = 8;
  std::array<std::atomic<std::uint64_t>, append_outcomes> events_refused_by{};
  /// Replicated events sync refused before the log: HLC more than
  /// clock.max_skew_ms ahead of this device's wall clock (reason "clock_skew").
  std::atomic<std::uint64_t> events_refused_clock_skew{0};
  /// Replicated events sync's origin gate refused (docs/protocol.md 3.3), by reason.
  std::atomic<std::uint64_t> events_refused_unknown_origin{0};
  std::atomic<std::uint64_t> events_refused_revoked{0};
  std::atomic<std::uint64_t> events_refused_bad_signature{0};
  std::atomic<std::uint64_t> events_refused_unsigned{0};
  std::atomic<std::uint64_t> events_refused_broken_chain{0};
  /// Events under this device's own origin a peer sent (refused by sync before the log).
  std::atomic<std::uint64_t> events_refused_own_origin_sync{0};
  /// Origins whose events wait because one was too far ahead (0: no skew warning).
  std::atomic<std::uint64_t> clock_skew_holds{0};
  /// Commit batches in which the log refused one of this device's own events
  /// (an invariant broke; the commands were answered with an error).
  std::atomic<std::uint64_t> own_events_refused{0};
  std::atomic<std::uint64_t> append_batches{0};
  latency_histogram append_latency;  ///< request to durable, per command
  std::atomic<std::uint64_t> log_position{0};
  std::atomic<std::uint64_t> projection_position{0};
  /// Writes of folded projection rows (one RocksDB write batch each: rows,
  /// digests and positions); events per write = how many folds one shares.
  std::atomic<std::uint64_t> projection_writes{0};
  std::atomic<std::uint64_t> commands_accepted{0};
  std::atomic<std::uint64_t> commands_rejected{0};
  std::atomic<std::uint64_t> commands_replayed{0};  ///< idempotent retries answered from the record
  static constexpr int http_status_max = 599;
  std::array<std::atomic<std::uint64_t>, http_status_max + 1> http_by_code{};  ///< index = status code
  void count_http(int status) noexcept {
    if (status >= 0 && status <= http_status_max) http_by_code[status].fetch_add(1, std::memory_order_relaxed);
  }

  // What an operator alerts on (issue 13), kept by the election and sync actors.
  static constexpr std::size_t roles = 8;           ///< election::role values
  static constexpr std::size_t change_reasons = 6;  ///< election::change_reason values
  std::atomic<std::int32_t> election_role{-1};      ///< election::role value; -1 before the election runs
  std::atomic<std::uint64_t> election_term{0};
  std::atomic<std::uint64_t> peers_alive{0};
  std::atomic<std::uint64_t> pending_changes{0};    ///< own events no other device is known to hold
  /// Master changes this node recorded (as the new master, or as the loser of a split brain), by reason.
  std::array<std::atomic<std::uint64_t>, change_reasons> elections_by_reason{};
  // The uplink to HQ (issue 14), kept by the uplink actor; all 0 while it is off.
  std::atomic<bool> uplink_enabled{false};
  std::atomic<std::int32_t> uplink_state{0};          ///< uplink::uplink_state value
  std::atomic<bool> uplink_connected{false};
  std::atomic<std::uint64_t> uplink_lag_events{0};    ///< log events the stream is not known to hold (master only)
  std::atomic<std::uint64_t> uplink_last_ack_ms{0};   ///< wall clock ms of the last publish ack; 0 never
  std::atomic<std::uint64_t> uplink_in_flight{0};
  std::atomic<std::uint64_t> uplink_published{0};
  std::atomic<std::uint64_t> uplink_acked{0};
  std::atomic<std::uint64_t> uplink_duplicates{0};
  std::atomic<std::uint64_t> uplink_fenced{0};
  std::atomic<std::uint64_t> uplink_publish_errors{0};
  std::atomic<std::uint64_t> uplink_resyncs{0};
  void set_uplink_error(std::string text) {
    std::lock_guard lock(master_mu_);
    uplink_error_ = std::move(text);
  }
  std::string uplink_error() const {
    std::lock_guard lock(master_mu_);
    return uplink_error_;
  }

  void set_master(std::string device) {
    std::lock_guard lock(master_mu_);
    master_ = std::move(device);
  }

  /// Prometheus text of everything above.
  std::string render() const;

private:
  mutable std::mutex master_mu_;
  std::string master_;  ///< the master this node follows (itself when master); "" none
  std::string uplink_error_;  ///< the uplink's last error; "" none
};

} // namespace sn::actors
