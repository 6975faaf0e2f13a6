#include "store_json.hpp"

#include <duroxide/wire.hpp>

namespace duroxide::tools {

Json optional_string(const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); }

Json status_text(const std::optional<ExecutionStatus>& status) {
  return status ? Json(std::string(to_string(*status))) : Json(nullptr);
}

Json error_json(const ErrorDetails& details) {
  Json out;
  out["category"] = std::string(details.category());
  out["message"] = details.display_message();
  out["retryable"] = details.is_retryable();
  out["details"] = Json::parse(serialize_error_details(details));
  return out;
}

Json instance_info_json(const InstanceInfo& info, bool with_output) {
  Json out;
  out["instance_id"] = info.instance_id;
  out["orchestration_name"] = info.orchestration_name;
  out["orchestration_version"] = info.orchestration_version;
  out["status"] = status_text(info.status);
  out["current_execution_id"] = info.current_execution_id;
  out["created_at_ms"] = info.created_at_ms;
  out["updated_at_ms"] = info.updated_at_ms;
  out["parent_instance_id"] = optional_string(info.parent_instance_id);
  if (with_output) out["output"] = optional_string(info.output);
  return out;
}

Json status_fields_json(const OrchestrationStatus& status) {
  Json out;
  out["output"] = nullptr;
  out["error"] = nullptr;
  out["termination_reason"] = nullptr;
  out["suspension_reason"] = nullptr;
  out["custom_status"] = nullptr;
  out["custom_status_version"] = 0;
  const auto custom = [&](const std::optional<std::string>& text, std::uint64_t version) {
    out["custom_status"] = optional_string(text);
    out["custom_status_version"] = version;
  };
  if (const auto* running = status.get_if<status::Running>()) {
    custom(running->custom_status, running->custom_status_version);
  } else if (const auto* completed = status.get_if<status::Completed>()) {
    out["output"] = completed->output;
    custom(completed->custom_status, completed->custom_status_version);
  } else if (const auto* failed = status.get_if<status::Failed>()) {
    out["error"] = error_json(failed->details);
    custom(failed->custom_status, failed->custom_status_version);
  } else if (const auto* terminated = status.get_if<status::Terminated>()) {
    out["termination_reason"] = terminated->reason;
    custom(terminated->custom_status, terminated->custom_status_version);
  } else if (const auto* suspended = status.get_if<status::Suspended>()) {
    out["suspension_reason"] = suspended->reason;
    custom(suspended->custom_status, suspended->custom_status_version);
  }
  return out;
}

Json execution_json(const ExecutionInfo& execution) {
  Json out;
  out["execution_id"] = execution.execution_id;
  out["status"] = status_text(execution.status);
  out["started_at_ms"] = execution.started_at_ms;
  out["completed_at_ms"] = execution.completed_at_ms ? Json(*execution.completed_at_ms) : Json(nullptr);
  out["event_count"] = execution.event_count;
  return out;
}

Json events_json(const std::vector<Event>& events) {
  Json out = Json::array();
  for (const auto& event : events) out.push_back(Json::parse(serialize_event(event)));
  return out;
}

Json kv_json(const std::map<std::string, std::string>& values) {
  Json out = Json::object();
  for (const auto& [key, value] : values) out[key] = value;
  return out;
}

Json metrics_json(const SystemMetrics& metrics) {
  Json out;
  out["total_instances"] = metrics.total_instances;
  out["total_executions"] = metrics.total_executions;
  out["running_instances"] = metrics.running_instances;
  out["completed_instances"] = metrics.completed_instances;
  out["failed_instances"] = metrics.failed_instances;
  out["terminated_instances"] = metrics.terminated_instances;
  out["suspended_instances"] = metrics.suspended_instances;
  out["total_events"] = metrics.total_events;
  return out;
}

Json queue_depths_json(const QueueDepths& depths) {
  Json out;
  out["orchestrator_queue"] = depths.orchestrator_queue;
  out["worker_queue"] = depths.worker_queue;
  out["timer_queue"] = depths.timer_queue;
  return out;
}

Json schedule_json(const ScheduleInfo& schedule) {
  const auto optional_ms = [](const std::optional<std::uint64_t>& ms) { return ms ? Json(*ms) : Json(nullptr); };
  Json out;
  out["id"] = schedule.id;
  out["instance_id"] = schedule.instance_id;
  out["status"] = std::string(to_string(schedule.status));
  out["spec"] = schedule.spec;
  out["orchestration"] = schedule.orchestration;
  out["version"] = optional_string(schedule.version);
  out["input"] = schedule.input;
  out["overlap"] = std::string(to_string(schedule.overlap));
  out["next_fire_ms"] = optional_ms(schedule.next_fire_ms);
  out["runs_started"] = schedule.runs_started;
  out["skipped"] = schedule.skipped;
  out["last_run_instance"] = optional_string(schedule.last_run_instance);
  out["last_fire_ms"] = optional_ms(schedule.last_fire_ms);
  out["buffered_fire_ms"] = optional_ms(schedule.buffered_fire_ms);
  out["ended_reason"] = schedule.ended_reason.empty() ? Json(nullptr) : Json(schedule.ended_reason);
  return out;
}

}  // namespace duroxide::tools
