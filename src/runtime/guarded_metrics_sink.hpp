#pragma once
// The user's MetricsSink behind a guard: an exception it throws (of any type) is caught, logged and
// counted on Runtime::health(), and the runtime carries on. A metrics failure must never decide
// whether a turn commits or a dispatcher thread survives.

#include <memory>
#include <string_view>
#include <utility>

#include <duroxide/metrics.hpp>

#include "runtime/health_tracker.hpp"

namespace duroxide::runtime {

class GuardedMetricsSink final : public MetricsSink {
 public:
  GuardedMetricsSink(std::shared_ptr<MetricsSink> inner, HealthTracker& health)
      : inner_(std::move(inner)), health_(health) {}

  void add_counter(std::string_view name, const MetricLabels& labels, double value) override {
    run_guarded(health_, "MetricsSink::add_counter", [&] { inner_->add_counter(name, labels, value); });
  }
  void observe_histogram(std::string_view name, const MetricLabels& labels, double value) override {
    run_guarded(health_, "MetricsSink::observe_histogram", [&] { inner_->observe_histogram(name, labels, value); });
  }
  void set_gauge(std::string_view name, const MetricLabels& labels, double value) override {
    run_guarded(health_, "MetricsSink::set_gauge", [&] { inner_->set_gauge(name, labels, value); });
  }
  void add_gauge(std::string_view name, const MetricLabels& labels, double delta) override {
    run_guarded(health_, "MetricsSink::add_gauge", [&] { inner_->add_gauge(name, labels, delta); });
  }

 private:
  std::shared_ptr<MetricsSink> inner_;
  HealthTracker& health_;
};

}  // namespace duroxide::runtime
