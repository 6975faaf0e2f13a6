// The API's reads: the listing, one instance, its history, the store's metrics (docs/dashboard.md).
#include <algorithm>

#include <fmt/format.h>

#include "api.hpp"
#include "json_views.hpp"
#include "request_input.hpp"

namespace duroxide::dashboard {

namespace {

/// Execution details returned with an instance: the newest ones (an instance that continued as new
/// many times keeps only its execution ids beyond these).
constexpr std::size_t kMaxExecutionDetails = 20;
/// Children read for an instance page.
constexpr std::size_t kMaxChildren = 200;
/// Events of one history response, by default and at most.
constexpr std::uint64_t kDefaultHistoryEvents = 5000;
constexpr std::uint64_t kMaxHistoryEvents = 20000;

std::string quoted(const std::string& id) { return "'" + id + "'"; }

HttpError instance_not_found(const std::string& id) {
  return HttpError(404, fmt::format("instance {} not found", quoted(id)));
}

/// The instance's status: 404 when the store does not know it.
OrchestrationStatus require_status(const Client& client, const std::string& id) {
  auto status = require(client.get_orchestration_status(id), fmt::format("reading instance {}", quoted(id)));
  if (status.is_not_found()) throw instance_not_found(id);
  return status;
}

/// The execution's OrchestrationStarted event, if its history has one.
std::optional<events::OrchestrationStarted> execution_start(const Client& client, const std::string& id,
                                                            std::uint64_t execution_id) {
  const auto history =
      require(client.read_execution_history(id, execution_id), fmt::format("reading the history of {}", quoted(id)));
  for (const auto& event : history) {
    if (const auto* started = event.get_if<events::OrchestrationStarted>()) return *started;
  }
  return std::nullopt;
}

/// The direct children: the store's tree lists them first, breadth-first, right after the instance.
Json children_json(const Client& client, const std::string& id) {
  const auto tree = require(client.get_instance_tree(id), fmt::format("reading the children of {}", quoted(id)));
  Json children = Json::array();
  for (std::size_t i = 1; i < tree.all_ids.size() && children.size() < kMaxChildren; ++i) {
    auto info = client.get_instance_info(tree.all_ids[i]);
    if (!info) {
      if (info.error().provider && info.error().provider->is(ProviderErrorKind::NotFound)) continue;
      throw client_failure(info.error(), fmt::format("reading instance {}", quoted(tree.all_ids[i])));
    }
    if (info->parent_instance_id != id) break;  // a grandchild: the children are behind
    children.push_back(instance_row_json(*info));
  }
  return children;
}

Json executions_json(const Client& client, const std::string& id, const std::vector<std::uint64_t>& ids) {
  Json executions = Json::array();
  const auto first = ids.size() > kMaxExecutionDetails ? ids.size() - kMaxExecutionDetails : 0;
  for (auto i = first; i < ids.size(); ++i) {
    executions.push_back(execution_json(
        require(client.get_execution_info(id, ids[i]), fmt::format("reading execution {} of {}", ids[i], quoted(id)))));
  }
  return executions;
}

}  // namespace

ApiReply get_config(const ApiContext& context, const httplib::Request&) {
  return {200, Json{{"allow_writes", context.allow_writes}, {"store", context.store_label}}};
}

ApiReply list_instances(const ApiContext& context, const httplib::Request& request) {
  InstanceQuery query;
  if (const auto status = optional_param(request, "status", 32)) {
    query.status = parse_execution_status(*status);
    if (!query.status) {
      throw HttpError(
          400, fmt::format(
                   "unknown status '{}': expected Running, Completed, Failed, ContinuedAsNew, Terminated or Suspended",
                   *status));
    }
  }
  query.orchestration_name = optional_param(request, "name", kMaxIdentifierBytes);
  query.created_from_ms = optional_number_param(request, "created_from_ms", 0, UINT64_MAX);
  query.created_until_ms = optional_number_param(request, "created_until_ms", 0, UINT64_MAX);
  query.cursor = optional_param(request, "cursor", kMaxIdentifierBytes);
  query.limit = optional_number_param(request, "limit", 1, kMaxPageLimit).value_or(query.limit);
  return {200, instance_page_json(require(context.client.list_instances_page(query), "listing instances"))};
}

ApiReply get_instance(const ApiContext& context, const httplib::Request& request) {
  const auto& client = context.client;
  const auto id = required_param(request, "id", kMaxIdentifierBytes);
  const auto what = fmt::format("reading instance {}", quoted(id));
  const auto status = require_status(client, id);
  const auto info = require(client.get_instance_info(id), what);
  const auto execution_ids = require(client.list_executions(id), what);
  const auto status_fields = status_fields_json(status);

  Json out = instance_row_json(info);
  // The instance row's status is the current execution's (ContinuedAsNew included); the client's
  // view has no such state, so an instance without a row status shows the client's.
  if (out["status"].is_null()) out["status"] = std::string(status.name());
  const auto started = execution_start(client, id, info.current_execution_id);
  out["input"] = started ? Json(started->input) : Json(nullptr);
  // The trace the execution continues (docs/tracing.md); null for a trace's root.
  out["trace_parent"] = started ? optional_string(started->trace_parent) : Json(nullptr);
  for (const auto& [key, value] : status_fields.items()) out[key] = value;
  out["kv"] = kv_json(require(client.get_kv_all_values(id), what));
  out["children"] = children_json(client, id);
  out["execution_ids"] = execution_ids;
  out["executions"] = executions_json(client, id, execution_ids);
  return {200, std::move(out)};
}

ApiReply get_history(const ApiContext& context, const httplib::Request& request) {
  const auto& client = context.client;
  const auto id = required_param(request, "id", kMaxIdentifierBytes);
  const auto what = fmt::format("reading the history of {}", quoted(id));
  require_status(client, id);
  const auto execution_ids = require(client.list_executions(id), what);
  if (execution_ids.empty()) throw instance_not_found(id);
  const auto execution = optional_number_param(request, "execution", 1, UINT64_MAX).value_or(execution_ids.back());
  if (std::find(execution_ids.begin(), execution_ids.end(), execution) == execution_ids.end()) {
    throw HttpError(404, fmt::format("execution {} of instance {} not found", execution, quoted(id)));
  }
  const auto limit = optional_number_param(request, "limit", 1, kMaxHistoryEvents).value_or(kDefaultHistoryEvents);
  auto history = require(client.read_execution_history(id, execution), what);
  const auto total = history.size();
  if (history.size() > limit) history.resize(limit);

  Json out;
  out["instance_id"] = id;
  out["execution_id"] = execution;
  out["execution_ids"] = execution_ids;
  out["total_events"] = total;
  out["truncated"] = total > history.size();
  out["events"] = events_json(history);
  return {200, std::move(out)};
}

ApiReply get_metrics(const ApiContext& context, const httplib::Request&) {
  const auto& client = context.client;
  return {200, Json{{"metrics", metrics_json(require(client.get_system_metrics(), "reading the store's metrics"))},
                    {"queues", queue_depths_json(require(client.get_queue_depths(), "reading the queue depths"))}}};
}

}  // namespace duroxide::dashboard
