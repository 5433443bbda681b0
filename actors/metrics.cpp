#include "actors/metrics.hpp"

#include "actors/election/types.hpp"
#include "storage/event_log.hpp"

namespace sn::actors {

void latency_histogram::observe_us(std::uint64_t us) noexcept {
  std::size_t i = 0;
  while (i < bounds_us.size() && us > bounds_us[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void latency_histogram::render(const std::string& name, const std::string& help, std::string& out) const {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_us.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name + "_bucket{le=\"" + std::to_string(static_cast<double>(bounds_us[i]) / 1e6) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += buckets_[bounds_us.size()].load(std::memory_order_relaxed);
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  out += name + "_sum " + std::to_string(static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6) + "\n";
  out += name + "_count " + std::to_string(count_.load(std::memory_order_relaxed)) + "\n";
}

namespace {

void counter(std::string& out, const char* name, const char* help, std::uint64_t v, const char* type = "counter") {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::to_string(v) + "\n";
}

} // namespace

std::string node_metrics::render() const {
  std::string out;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  out += "# HELP storenode_events_appended_total Events appended to the log, by source.\n"
         "# TYPE storenode_events_appended_total counter\n";
  out += "storenode_events_appended_total{source=\"local\"} " + std::to_string(get(events_appended_local)) + "\n";
  out += "storenode_events_appended_total{source=\"remote\"} " + std::to_string(get(events_appended_remote)) + "\n";
  out += "# HELP storenode_events_refused_total Replicated events refused, by reason (clock_skew: by sync, before the log).\n"
         "# TYPE storenode_events_refused_total counter\n";
  for (std::size_t k = 0; k < events_refused_by.size(); ++k) {
    const auto o = static_cast<storage::append_outcome>(k);
    if (o == storage::append_outcome::appended || o == storage::append_outcome::duplicate) continue;
    out += std::string("storenode_events_refused_total{reason=\"") + storage::to_string(o) + "\"} " +
           std::to_string(get(events_refused_by[k])) + "\n";
  }
  out += "storenode_events_refused_total{reason=\"clock_skew\"} " + std::to_string(get(events_refused_clock_skew)) + "\n";
  // The origin gate (sync, before the log). own_origin above counts what
  // reached the log; own_origin_peer what sync refused before it.
  out += "storenode_events_refused_total{reason=\"unknown_origin\"} " + std::to_string(get(events_refused_unknown_origin)) + "\n";
  out += "storenode_events_refused_total{reason=\"revoked\"} " + std::to_string(get(events_refused_revoked)) + "\n";
  out += "storenode_events_refused_total{reason=\"bad_signature\"} " + std::to_string(get(events_refused_bad_signature)) + "\n";
  out += "storenode_events_refused_total{reason=\"unsigned\"} " + std::to_string(get(events_refused_unsigned)) + "\n";
  out += "storenode_events_refused_total{reason=\"broken_chain\"} " + std::to_string(get(events_refused_broken_chain)) + "\n";
  out += "storenode_events_refused_total{reason=\"own_origin_peer\"} " + std::to_string(get(events_refused_own_origin_sync)) + "\n";
  counter(out, "storenode_clock_skew_held_origins",
          "Origins whose events wait because one was more than clock.max_skew_ms ahead of this device's clock.",
          get(clock_skew_holds), "gauge");
  out += "# HELP storenode_role The node's election role (1 for the current one).\n# TYPE storenode_role gauge\n";
  const auto role_now = election_role.load(std::memory_order_relaxed);
  for (std::size_t r = 0; r < roles; ++r) {
    out += std::string("storenode_role{role=\"") + election::to_string(static_cast<election::role>(r)) + "\"} " +
           (static_cast<std::int32_t>(r) == role_now ? "1" : "0") + "\n";
  }
  counter(out, "storenode_term", "The node's current election term.", get(election_term), "gauge");
  {
    std::lock_guard lock(master_mu_);
    out += "# HELP storenode_master The master this node follows (itself when master); absent when none.\n"
           "# TYPE storenode_master gauge\n";
    if (!master_.empty()) out += "storenode_master{master=\"" + master_ + "\"} 1\n";
  }
  counter(out, "storenode_peers_alive", "Peers whose heartbeats arrive within the failure timeout.", get(peers_alive),
          "gauge");
  counter(out, "storenode_pending_changes", "Own events no other device is known to hold yet.",
          get(pending_changes), "gauge");
  out += "# HELP storenode_elections_total Master changes this node recorded, by reason.\n"
         "# TYPE storenode_elections_total counter\n";
  for (std::size_t r = 0; r < change_reasons; ++r) {
    out += std::string("storenode_elections_total{reason=\"") +
           election::to_string(static_cast<election::change_reason>(r)) + "\"} " +
           std::to_string(get(elections_by_reason[r])) + "\n";
  }
  counter(out, "storenode_own_events_refused_total",
          "Commits in which the log refused an event of this device (answered as errors; should stay 0).",
          get(own_events_refused));
  counter(out, "storenode_append_batches_total", "Group commits (one durable write each).", get(append_batches));
  append_latency.render("storenode_append_latency_seconds", "Command append latency until durable.", out);
  counter(out, "storenode_log_position", "Position of the newest event in the log.", get(log_position), "gauge");
  const auto lp = get(log_position), pp = get(projection_position);
  counter(out, "storenode_projection_lag_events", "Events in the log not yet applied to the projections.",
          lp > pp ? lp - pp : 0, "gauge");
  counter(out, "storenode_projection_writes_total",
          "Writes of folded projection rows (one write batch each: rows, digests, positions).",
          get(projection_writes));
  out += "# HELP storenode_commands_total Commands handled, by outcome.\n# TYPE storenode_commands_total counter\n";
  out += "storenode_commands_total{outcome=\"accepted\"} " + std::to_string(get(commands_accepted)) + "\n";
  out += "storenode_commands_total{outcome=\"rejected\"} " + std::to_string(get(commands_rejected)) + "\n";
  out += "storenode_commands_total{outcome=\"replayed\"} " + std::to_string(get(commands_replayed)) + "\n";
  if (uplink_enabled.load(std::memory_order_relaxed)) {
    counter(out, "storenode_uplink_connected", "1 while the uplink's NATS connection is up.", uplink_connected.load() ? 1 : 0,
            "gauge");
    counter(out, "storenode_uplink_streaming", "1 while this master streams its log to the HQ stream.",
            uplink_state.load() == 2 ? 1 : 0, "gauge");
    counter(out, "storenode_uplink_lag_events", "Log events the HQ stream is not known to hold (master only).",
            get(uplink_lag_events), "gauge");
    counter(out, "storenode_uplink_last_ack_ms", "Wall-clock ms of the last publish the stream acknowledged (0 never).",
            get(uplink_last_ack_ms), "gauge");
    counter(out, "storenode_uplink_in_flight", "Events published and not yet acknowledged.", get(uplink_in_flight),
            "gauge");
    counter(out, "storenode_uplink_published_total", "Events handed to NATS for publishing.", get(uplink_published));
    counter(out, "storenode_uplink_acked_total", "Events the stream acknowledged as new.", get(uplink_acked));
    counter(out, "storenode_uplink_duplicates_total", "Publishes the stream already held (deduplicated by message id).",
            get(uplink_duplicates));
    counter(out, "storenode_uplink_fenced_total",
            "Publishes refused by the expected-last-subject-sequence fence (another writer moved the stream).",
            get(uplink_fenced));
    counter(out, "storenode_uplink_publish_errors_total", "Publishes that failed otherwise (timeout, connection).",
            get(uplink_publish_errors));
    counter(out, "storenode_uplink_resyncs_total", "Times the uplink asked the stream where it stands.",
            get(uplink_resyncs));
  }
  out += "# HELP storenode_http_requests_total HTTP requests by status code.\n"
         "# TYPE storenode_http_requests_total counter\n";
  for (std::size_t code = 100; code < http_by_code.size(); ++code) {
    if (auto n = get(http_by_code[code]); n > 0) {
      out += "storenode_http_requests_total{code=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n";
    }
  }
  return out;
}

} // namespace sn::actors

static_assert(sn::actors::node_metrics::roles == static_cast<std::size_t>(sn::election::role::stopped) + 1,
              "one storenode_role series per election role");
static_assert(sn::actors::node_metrics::change_reasons ==
                  static_cast<std::size_t>(sn::election::change_reason::lease_lost) + 1,
              "one storenode_elections_total series per change reason");
