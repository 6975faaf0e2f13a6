#include "json_views.hpp"

namespace duroxide::cli {

void print_json(std::ostream& out, const Json& document) {
  out << document.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

Json status_json(const OrchestrationStatus& status) {
  Json out;
  out["status"] = std::string(status.name());
  out.update(tools::status_fields_json(status));
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
