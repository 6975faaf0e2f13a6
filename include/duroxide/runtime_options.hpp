// RuntimeOptions: every knob of a runtime, with duroxide 0.1.27's defaults (docs/runtime.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <duroxide/metrics.hpp>
#include <duroxide/result.hpp>
#include <duroxide/semver.hpp>
#include <duroxide/tag_filter.hpp>
#include <duroxide/tracing.hpp>

namespace spdlog::sinks {
class sink;  // spdlog is needed only by code that sets ObservabilityConfig::log_sink
}  // namespace spdlog::sinks

namespace duroxide {

using Millis = std::chrono::milliseconds;

/// Delay before an item whose handler is not registered on this node is offered again:
/// min(base_delay × 2^min(attempt−1, 6), max_delay), attempt 1-based (0 treated as 1).
/// Defaults give 1, 2, 4, 8, 16, 32, 60, 60, ... s — time for a rolling deployment to bring the
/// handler in before the item is failed as poison.
struct UnregisteredBackoffConfig {
  Millis base_delay{1000};
  Millis max_delay{60000};
  Millis delay(std::uint32_t attempt) const;
};

/// Log line format. A value-initialised LogFormat is Compact (as duroxide's default); the runtime's
/// ObservabilityConfig defaults to Pretty.
enum class LogFormat { Compact, Pretty, Json };

struct ObservabilityConfig {
  /// Log line format. Default Pretty.
  LogFormat log_format = LogFormat::Pretty;
  /// Level of the user-log targets (orchestration and activity traces). Default "info".
  std::string log_level = "info";
  std::string service_name = "duroxide";
  std::optional<std::string> service_version;
  /// Period of the gauge refresher (active orchestrations, queue depths). Default 60 s.
  Millis gauge_poll_interval{60000};
  /// Where every duroxide log line goes, of all targets (runtime, orchestration, activity,
  /// provider, client): an spdlog sink of the application's, e.g. one its own loggers also write
  /// to. None: stderr. Formatted by log_format either way (docs/runtime-features.md, "Logs").
  std::shared_ptr<spdlog::sinks::sink> log_sink;
  /// Receives the labelled metrics of docs/runtime-features.md, "Metrics" (e.g. a MetricsRegistry for Prometheus).
  /// None by default: only Runtime::metrics_snapshot() counts.
  std::shared_ptr<MetricsSink> metrics_sink;
  /// Receives a span for every orchestration execution that ends and every activity attempt
  /// (docs/tracing.md); e.g. an OtlpJsonFileSpanSink. None by default: spans are still derived
  /// (ActivityContext::trace(), log fields) but sent nowhere.
  std::shared_ptr<SpanSink> span_sink;
};

struct RuntimeOptions {
  /// Floor of one idle fetch cycle; never a latency tax on ready work (fetches long-poll).
  Millis dispatcher_min_poll_interval{100};
  /// How long one fetch may block waiting for work.
  Millis dispatcher_long_poll_timeout{30000};
  /// Orchestration dispatcher threads (each runs one turn at a time). 0 starts none.
  std::size_t orchestration_concurrency = 2;
  /// Activity worker threads (session and non-session activities share them). 0 starts none.
  std::size_t worker_concurrency = 2;
  /// Batched turns (docs/runtime.md, "Batched turns"): an orchestration slot claims up to this many
  /// ready instances in one fetch, runs their turns one after another, and commits them together
  /// (each turn still atomic on its own). With one instance ready a slot takes one, so latency does
  /// not change. 1 turns batching off. At least 1.
  std::size_t orchestration_batch_size = 8;
  /// Lock duration of an orchestration batch, requested at fetch and at each renewal.
  Millis orchestrator_lock_timeout{5000};
  Millis orchestrator_lock_renewal_buffer{2000};
  /// Lock duration of an activity, requested at fetch and at each renewal.
  Millis worker_lock_timeout{30000};
  Millis worker_lock_renewal_buffer{5000};
  ObservabilityConfig observability;
  UnregisteredBackoffConfig unregistered_backoff;
  /// Poison threshold: an item fetched with attempt_count > max_attempts fails without running
  /// user code. Default 10.
  std::uint32_t max_attempts = 10;
  /// After a running activity is told to stop, how long its slot waits for it before moving on
  /// (the result is discarded either way).
  Millis activity_cancellation_grace_period{10000};
  /// duroxide versions whose histories this runtime replays; absent = [0.0.0, 0.1.30]
  /// (kMaxReplayableDuroxideVersion).
  std::optional<SemverRange> supported_replay_versions;
  Millis session_lock_timeout{30000};
  Millis session_lock_renewal_buffer{5000};
  /// A session with no activity flow for this long stops being renewed (its lease then lapses).
  Millis session_idle_timeout{300000};
  Millis session_cleanup_interval{300000};
  /// Maximum distinct sessions with in-flight activities across all worker threads.
  std::size_t max_sessions_per_runtime = 10;
  /// Stable session owner identity shared by all worker threads (also the worker id suffix).
  std::optional<std::string> worker_node_id;
  TagFilter worker_tag_filter = TagFilter::default_only();
  /// Events of running executions the runtime keeps between turns, so that a fetch ships only the
  /// events it has not seen (docs/runtime.md, "History cache"). Least recently used executions are
  /// dropped beyond it. 0 turns the cache off: every fetch ships the whole history.
  std::size_t history_cache_max_events = 250000;
  /// Running executions whose suspended code the runtime keeps between turns, so that a turn
  /// applies only its new messages instead of replaying the history (docs/runtime.md, "Instance
  /// cache"). Least recently used ones replay again beyond it. Needs the history cache; 0 turns it
  /// off: every turn replays.
  std::size_t instance_cache_max_sessions = 1000;
  /// Serve the runtime's metrics and health over HTTP (docs/runtime-features.md, "The /metrics
  /// endpoint"): "PORT" (on 127.0.0.1), "HOST:PORT" or "[IPv6]:PORT"; port 0 picks a free one
  /// (Runtime::metrics_endpoint() says which). None (the default): nothing listens.
  std::optional<std::string> metrics_listen;
  /// Bearer token every request to the endpoint must carry (`Authorization: Bearer <token>`); none
  /// falls back to the environment variable DUROXIDE_METRICS_TOKEN. Required when metrics_listen
  /// is not a loopback address. Printable ASCII without spaces.
  std::optional<std::string> metrics_token;

  /// Every duration must be between 0 and 100 years (a negative lease or Millis::max() is an
  /// error naming the option, not an overflow). Also, session_idle_timeout must exceed
  /// worker_lock_timeout − worker_lock_renewal_buffer (1 s when that would be negative); the error
  /// names both values in seconds. metrics_listen must parse and metrics_token must be non-empty
  /// printable ASCII without spaces. Nothing else is validated: 0 concurrency starts no threads,
  /// max_attempts 0 poisons every item.
  Result<void> validate() const;

  /// The effective replay-version range.
  SemverRange replay_versions() const { return supported_replay_versions.value_or(SemverRange::default_supported()); }
};

/// How often a lease of `timeout` is renewed (docs/runtime.md, "Locks and renewal"): for timeouts of 15 s or more,
/// max(1 s, timeout − min(buffer, timeout)); below 15 s, max(1 s, ceil(timeout / 2)) in whole
/// seconds (the buffer is ignored).
Millis lock_renewal_interval(Millis timeout, Millis buffer);

}  // namespace duroxide
