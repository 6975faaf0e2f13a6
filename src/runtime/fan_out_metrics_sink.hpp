#pragma once
// Reports every metric to several sinks: the application's ObservabilityConfig::metrics_sink and
// the registry the /metrics endpoint renders (docs/runtime-features.md, "The /metrics endpoint").

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <duroxide/metrics.hpp>

namespace duroxide::runtime {

class FanOutMetricsSink final : public MetricsSink {
 public:
  explicit FanOutMetricsSink(std::vector<std::shared_ptr<MetricsSink>> sinks) : sinks_(std::move(sinks)) {}

  void add_counter(std::string_view name, const MetricLabels& labels, double value) override {
    for (const auto& sink : sinks_) sink->add_counter(name, labels, value);
  }
  void observe_histogram(std::string_view name, const MetricLabels& labels, double value) override {
    for (const auto& sink : sinks_) sink->observe_histogram(name, labels, value);
  }
  void set_gauge(std::string_view name, const MetricLabels& labels, double value) override {
    for (const auto& sink : sinks_) sink->set_gauge(name, labels, value);
  }
  void add_gauge(std::string_view name, const MetricLabels& labels, double delta) override {
    for (const auto& sink : sinks_) sink->add_gauge(name, labels, delta);
  }

 private:
  std::vector<std::shared_ptr<MetricsSink>> sinks_;
};

}  // namespace duroxide::runtime
