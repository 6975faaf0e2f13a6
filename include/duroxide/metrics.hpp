// Metrics of a runtime (docs/runtime-features.md, "Metrics"): the per-runtime counter snapshot read with
// Runtime::metrics_snapshot(), and the labelled series reported to a MetricsSink (counters,
// histograms, gauges, with duroxide's metric names). MetricsRegistry is a sink that keeps every
// series in memory and renders them in the Prometheus text exposition format.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duroxide {

struct MetricsSnapshot {
  std::uint64_t orch_starts = 0;  ///< executions started (first turn of each execution)
  std::uint64_t orch_completions = 0;
  std::uint64_t orch_failures = 0;
  std::uint64_t orch_application_errors = 0;
  std::uint64_t orch_infrastructure_errors = 0;
  std::uint64_t orch_configuration_errors = 0;
  std::uint64_t orch_poison = 0;
  std::uint64_t orch_continue_as_new = 0;
  std::uint64_t activity_success = 0;
  std::uint64_t activity_app_errors = 0;
  std::uint64_t activity_infra_errors = 0;
  std::uint64_t activity_config_errors = 0;
  std::uint64_t activity_poison = 0;
  std::uint64_t activity_cancelled = 0;
  std::uint64_t orch_dispatcher_items_fetched = 0;
  std::uint64_t worker_dispatcher_items_fetched = 0;
  std::uint64_t suborchestration_calls = 0;
  std::uint64_t provider_errors = 0;
  /// Turns whose failure could not be committed either (the batch is retried with backoff).
  std::uint64_t orch_uncommittable_turns = 0;
  /// Executions ended by Client::terminate_instance (docs/terminate.md); declared last so
  /// positional initializers that predate it stay complete.
  std::uint64_t orch_terminations = 0;
  /// Failed executions taken back by Client::rewind_instance (docs/rewind.md).
  std::uint64_t orch_rewinds = 0;
  bool operator==(const MetricsSnapshot&) const = default;
};

/// Label name → value; the order given does not matter (series are identified by sorted labels).
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// Receives the runtime's labelled metrics. Called from the runtime's threads, concurrently:
/// implementations must be thread-safe and quick (no I/O on the calling thread).
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual void add_counter(std::string_view name, const MetricLabels& labels, double value) = 0;
  virtual void observe_histogram(std::string_view name, const MetricLabels& labels, double value) = 0;
  virtual void set_gauge(std::string_view name, const MetricLabels& labels, double value) = 0;
  /// Adds `delta` to a gauge, never taking it below zero.
  virtual void add_gauge(std::string_view name, const MetricLabels& labels, double delta) = 0;
};

/// A MetricsSink that keeps every series in memory: read values back, or render them all for a
/// Prometheus scrape. Histogram buckets follow the metric's kind (seconds of an orchestration, an
/// activity or a provider call; history sizes; turn counts).
class MetricsRegistry final : public MetricsSink {
 public:
  void add_counter(std::string_view name, const MetricLabels& labels, double value) override;
  void observe_histogram(std::string_view name, const MetricLabels& labels, double value) override;
  void set_gauge(std::string_view name, const MetricLabels& labels, double value) override;
  void add_gauge(std::string_view name, const MetricLabels& labels, double delta) override;

  /// Every series in the Prometheus text exposition format (version 0.0.4).
  std::string render_prometheus() const;

  /// Value of one counter series (exact labels); 0 when it does not exist.
  double counter_value(std::string_view name, const MetricLabels& labels = {}) const;
  /// Sum of a counter over all its series whose labels include `subset`.
  double counter_sum(std::string_view name, const MetricLabels& subset = {}) const;
  /// Value of one gauge series; 0 when it does not exist.
  double gauge_value(std::string_view name, const MetricLabels& labels = {}) const;
  /// Number of observations of a histogram over all its series whose labels include `subset`.
  std::uint64_t histogram_count(std::string_view name, const MetricLabels& subset = {}) const;
  /// The label sets of every series of `name`.
  std::vector<MetricLabels> series(std::string_view name) const;

  /// Upper bounds of the buckets used for a histogram named `name`.
  static std::vector<double> buckets_for(std::string_view name);

 private:
  enum class Kind { Counter, Gauge, Histogram };
  struct Series {
    double value = 0;  // counter / gauge value, histogram sum
    std::uint64_t count = 0;
    std::vector<std::uint64_t> bucket_counts;  // cumulative at render time, per bucket here
  };
  struct Family {
    Kind kind;
    std::vector<double> buckets;
    std::map<MetricLabels, Series> series;
  };
  Series& series_of(std::string_view name, Kind kind, const MetricLabels& labels);
  const Series* find(std::string_view name, const MetricLabels& labels) const;

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace duroxide
