#include "runtime/telemetry.hpp"

namespace duroxide::runtime {

namespace {

/// Bound on the per-instance turn counters (instances that moved to another runtime leave theirs).
constexpr std::size_t kMaxTrackedInstances = 100000;

std::string_view error_type_of(const ErrorDetails* failure) {
  if (failure == nullptr) return "unknown";
  const auto category = failure->category();
  if (category == "application") return "app_error";
  if (category == "infrastructure") return "infrastructure_error";
  if (category == "configuration") return "config_error";
  return "unknown";
}

}  // namespace

std::string_view turn_count_bucket(std::uint64_t turns) {
  if (turns <= 5) return "1-5";
  if (turns <= 10) return "6-10";
  if (turns <= 50) return "11-50";
  return "50+";
}

void Telemetry::turn_committed(const std::string& instance) {
  if (!sink_) return;
  std::lock_guard lock(mutex_);
  if (turns_.size() >= kMaxTrackedInstances && !turns_.contains(instance)) turns_.clear();
  ++turns_[instance];
}

void Telemetry::execution_started(const std::string& name, const std::string& version, bool by_continue_as_new) {
  if (!sink_) return;
  sink_->add_counter("duroxide_orchestration_starts_total",
                     {{"orchestration_name", name},
                      {"version", version},
                      {"initiated_by", by_continue_as_new ? "continueAsNew" : "client"}},
                     1);
}

void Telemetry::adjust_active_orchestrations(int delta) {
  if (!sink_ || delta == 0) return;
  sink_->add_gauge("duroxide_active_orchestrations", {}, delta);
}

void Telemetry::execution_ended(const std::string& instance, const std::string& name, const std::string& version,
                                std::string_view status, double duration_s, std::size_t history_events,
                                const ErrorDetails* failure, std::uint64_t execution_id) {
  if (!sink_) return;
  std::uint64_t turns = 1;
  {
    std::lock_guard lock(mutex_);
    if (auto it = turns_.find(instance); it != turns_.end()) {
      turns = it->second;
      turns_.erase(it);
    }
  }
  const std::string status_label(status);
  sink_->observe_histogram("duroxide_orchestration_duration_seconds",
                           {{"orchestration_name", name}, {"version", version}, {"status", status_label}}, duration_s);
  sink_->observe_histogram("duroxide_orchestration_turns", {{"orchestration_name", name}}, static_cast<double>(turns));
  sink_->observe_histogram("duroxide_orchestration_history_size", {{"orchestration_name", name}},
                           static_cast<double>(history_events));
  // Last: whoever sees the completion counted also sees its duration, turns and history size.
  sink_->add_counter("duroxide_orchestration_completions_total",
                     {{"orchestration_name", name},
                      {"version", version},
                      {"status", status_label},
                      {"final_turn_count", std::string(turn_count_bucket(turns))}},
                     1);
  if (status == "continuedAsNew") {
    sink_->add_counter("duroxide_orchestration_continue_as_new_total",
                       {{"orchestration_name", name}, {"execution_id", std::to_string(execution_id)}}, 1);
    return;
  }
  if (status != "failed") return;
  const auto error_type = std::string(error_type_of(failure));
  const auto category = failure != nullptr ? std::string(failure->category()) : std::string("unknown");
  sink_->add_counter(
      "duroxide_orchestration_failures_total",
      {{"orchestration_name", name}, {"version", version}, {"error_type", error_type}, {"error_category", category}},
      1);
  if (error_type == "infrastructure_error") {
    sink_->add_counter("duroxide_orchestration_infrastructure_errors_total",
                       {{"orchestration_name", name}, {"error_category", category}}, 1);
  } else if (error_type == "config_error") {
    sink_->add_counter("duroxide_orchestration_configuration_errors_total",
                       {{"orchestration_name", name}, {"error_category", category}}, 1);
  }
}

void Telemetry::orchestration_poisoned() {
  if (sink_) sink_->add_counter("duroxide_orchestration_poison_total", {}, 1);
}

void Telemetry::activity_finished(const std::string& name, std::string_view outcome, const std::string& tag,
                                  double duration_s) {
  if (!sink_) return;
  const std::string outcome_label(outcome);
  const std::string tag_label = tag.empty() ? "default" : tag;
  sink_->add_counter("duroxide_activity_executions_total",
                     {{"activity_name", name}, {"outcome", outcome_label}, {"retry_attempt", "0"}, {"tag", tag_label}},
                     1);
  sink_->observe_histogram("duroxide_activity_duration_seconds",
                           {{"activity_name", name}, {"outcome", outcome_label}, {"tag", tag_label}}, duration_s);
}

void Telemetry::activity_infrastructure_error(const std::string& name) {
  if (sink_) sink_->add_counter("duroxide_activity_infrastructure_errors_total", {{"activity_name", name}}, 1);
}

void Telemetry::activity_poisoned() {
  if (sink_) sink_->add_counter("duroxide_activity_poison_total", {}, 1);
}

void Telemetry::set_gauges(std::uint64_t running_instances, std::uint64_t orchestrator_queue,
                           std::uint64_t worker_queue) {
  if (!sink_) return;
  sink_->set_gauge("duroxide_active_orchestrations", {}, static_cast<double>(running_instances));
  sink_->set_gauge("duroxide_orchestrator_queue_depth", {}, static_cast<double>(orchestrator_queue));
  sink_->set_gauge("duroxide_worker_queue_depth", {}, static_cast<double>(worker_queue));
}

}  // namespace duroxide::runtime
