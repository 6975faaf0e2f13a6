#include "json_views.hpp"

#include <duroxide/wire.hpp>

namespace duroxide::cli {

void print_json(std::ostream& out, const Json& document) {
  out << document.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

Json optional_string(const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); }

Json error_json(const ErrorDetails& details) {
  Json out;
  out["category"] = std::string(details.category());
  out["message"] = details.display_message();
  out["retryable"] = details.is_retryable();
  out["details"] = Json::parse(serialize_error_details(details));
  return out;
}

Json instance_info_json(const InstanceInfo& info) {
  Json out;
  out["instance_id"] = info.instance_id;
  out["orchestration_name"] = info.orchestration_name;
  out["orchestration_version"] = info.orchestration_version;
  out["status"] = info.status ? Json(std::string(to_string(*info.status))) : Json(nullptr);
  out["current_execution_id"] = info.current_execution_id;
  out["created_at_ms"] = info.created_at_ms;
  out["updated_at_ms"] = info.updated_at_ms;
  out["parent_instance_id"] = optional_string(info.parent_instance_id);
  out["output"] = optional_string(info.output);
  return out;
}

Json status_json(const OrchestrationStatus& status) {
  Json out;
  out["status"] = std::string(status.name());
  out["output"] = nullptr;
  out["error"] = nullptr;
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
  }
  return out;
}

Json events_json(const std::vector<Event>& events) {
  Json out = Json::array();
  for (const auto& event : events) out.push_back(Json::parse(serialize_event(event)));
  return out;
}

Json metrics_json(const SystemMetrics& metrics) {
  Json out;
  out["total_instances"] = metrics.total_instances;
  out["total_executions"] = metrics.total_executions;
  out["running_instances"] = metrics.running_instances;
  out["completed_instances"] = metrics.completed_instances;
  out["failed_instances"] = metrics.failed_instances;
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

Json delete_result_json(const DeleteInstanceResult& result) {
  Json out;
  out["instances_deleted"] = result.instances_deleted;
  out["executions_deleted"] = result.executions_deleted;
  out["events_deleted"] = result.events_deleted;
  out["queue_messages_deleted"] = result.queue_messages_deleted;
  return out;
}

Json prune_result_json(const PruneResult& result) {
  Json out;
  out["instances_processed"] = result.instances_processed;
  out["executions_deleted"] = result.executions_deleted;
  out["events_deleted"] = result.events_deleted;
  return out;
}

}  // namespace duroxide::cli
