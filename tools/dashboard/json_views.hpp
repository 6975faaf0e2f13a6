// The JSON documents of the API (docs/dashboard.md, "The JSON API"): the store's values, strings
// exactly as stored, times as milliseconds since the Unix epoch, absent values as null.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>
#include <duroxide/orchestration_status.hpp>
#include <duroxide/provider_types.hpp>

#include "http_response.hpp"

namespace duroxide::dashboard {

/// A string, or null when absent.
Json optional_string(const std::optional<std::string>& value);

/// "Running", "Completed", ... or null.
Json status_text(const std::optional<ExecutionStatus>& status);

/// {"category", "message" (what the orchestration sees), "retryable", "details" (the stored form)}.
Json error_json(const ErrorDetails& details);

/// An instance's row: id, name, version, status, current execution, times, parent.
Json instance_row_json(const InstanceInfo& info);

/// {"instances": [rows], "next_cursor": id or null}.
Json instance_page_json(const InstancePage& page);

/// {"output", "error", "custom_status", "custom_status_version"} of a client status.
Json status_fields_json(const OrchestrationStatus& status);

Json execution_json(const ExecutionInfo& execution);

/// The events in duroxide's stored wire format (docs/core.md), in order.
Json events_json(const std::vector<Event>& events);

Json kv_json(const std::map<std::string, std::string>& values);

Json metrics_json(const SystemMetrics& metrics);
Json queue_depths_json(const QueueDepths& depths);

}  // namespace duroxide::dashboard
