#pragma once
// The labelled metrics of docs/runtime-features.md ("Metrics"), reported to the runtime's MetricsSink (if any) with
// duroxide's metric names. Departures from duroxide's quirks (listed there too): one
// series per metric, starts counted once per execution, the active-orchestrations gauge raised
// on the first turn of a new instance and never below zero.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <duroxide/error_details.hpp>
#include <duroxide/metrics.hpp>

namespace duroxide::runtime {

class Telemetry {
 public:
  explicit Telemetry(std::shared_ptr<MetricsSink> sink) : sink_(std::move(sink)) {}

  bool enabled() const { return sink_ != nullptr; }

  /// A committed turn of `instance` (counts turns for the completion metrics).
  void turn_committed(const std::string& instance);
  /// The first turn of an execution committed.
  void execution_started(const std::string& name, const std::string& version, bool by_continue_as_new);
  /// Moves the active-orchestrations gauge (never below zero). The dispatcher applies a turn's
  /// change before its ack and takes it back if the ack fails: turns of one instance are then
  /// counted in order even when different slots run them.
  void adjust_active_orchestrations(int delta);
  /// A terminal turn committed: `status` is "success", "failed" or "continuedAsNew".
  void execution_ended(const std::string& instance, const std::string& name, const std::string& version,
                       std::string_view status, double duration_s, std::size_t history_events,
                       const ErrorDetails* failure, std::uint64_t execution_id);
  void orchestration_poisoned();

  /// An activity finished running: `outcome` is "success", "app_error" or "cancelled".
  void activity_finished(const std::string& name, std::string_view outcome, const std::string& tag, double duration_s);
  void activity_infrastructure_error(const std::string& name);
  void activity_poisoned();

  /// Gauges read from the store (start and every gauge_poll_interval).
  void set_gauges(std::uint64_t running_instances, std::uint64_t orchestrator_queue, std::uint64_t worker_queue);

 private:
  std::shared_ptr<MetricsSink> sink_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::uint64_t> turns_;  ///< committed turns of running instances
};

/// "1-5", "6-10", "11-50" or "50+" (duroxide's final_turn_count label).
std::string_view turn_count_bucket(std::uint64_t turns);

}  // namespace duroxide::runtime
