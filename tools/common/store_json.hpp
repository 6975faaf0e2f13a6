// The store's values as JSON, shared by the command-line tool's --json output (docs/cli.md,
// "Output") and the dashboard's API (docs/dashboard.md, "The JSON API"), so both speak the same
// documents: keys in a fixed order, strings exactly as stored, times as milliseconds since the
// Unix epoch, absent values as null.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>
#include <duroxide/orchestration_status.hpp>
#include <duroxide/provider_types.hpp>
#include <duroxide/schedules.hpp>

namespace duroxide::tools {

using Json = nlohmann::ordered_json;

/// A string, or null when absent.
Json optional_string(const std::optional<std::string>& value);

/// "Running", "Completed", ... or null.
Json status_text(const std::optional<ExecutionStatus>& status);

/// {"category", "message" (what the orchestration sees), "retryable", "details" (the stored form)}.
Json error_json(const ErrorDetails& details);

/// An instance: id, name, version, status, current execution, times, parent, and with
/// `with_output` its output (a listing of many instances may leave that out).
Json instance_info_json(const InstanceInfo& info, bool with_output = true);

/// {"output", "error", "termination_reason", "suspension_reason", "custom_status",
/// "custom_status_version"} of a client
/// status.
Json status_fields_json(const OrchestrationStatus& status);

Json execution_json(const ExecutionInfo& execution);

/// The events in duroxide's stored wire format (docs/core.md), in order.
Json events_json(const std::vector<Event>& events);

/// The KV values, as one object.
Json kv_json(const std::map<std::string, std::string>& values);

Json metrics_json(const SystemMetrics& metrics);
Json queue_depths_json(const QueueDepths& depths);
/// A schedule (docs/schedules.md): its fields as named in ScheduleInfo, times in ms since the
/// epoch, null for what it does not have.
Json schedule_json(const ScheduleInfo& schedule);

}  // namespace duroxide::tools
