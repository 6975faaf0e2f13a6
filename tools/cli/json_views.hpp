// The --json documents (docs/cli.md, "Output"): the store's values as JSON, keys in a fixed
// order, strings exactly as stored, times as milliseconds since the Unix epoch.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>
#include <duroxide/orchestration_status.hpp>
#include <duroxide/provider_types.hpp>

namespace duroxide::cli {

using Json = nlohmann::ordered_json;

/// Writes one JSON document and a newline (indented; bytes that are not UTF-8 become U+FFFD).
void print_json(std::ostream& out, const Json& document);

/// A string, or null when absent.
Json optional_string(const std::optional<std::string>& value);

/// {"category", "message" (what the orchestration sees), "retryable", "details" (the stored form)}.
Json error_json(const ErrorDetails& details);

/// An instance's row of the management view: id, name, version, status, execution, times, parent, output.
Json instance_info_json(const InstanceInfo& info);

/// {"status", "output", "error", "custom_status", "custom_status_version"} of a client status.
Json status_json(const OrchestrationStatus& status);

/// The events in duroxide's stored wire format (docs/core.md), in order.
Json events_json(const std::vector<Event>& events);

Json metrics_json(const SystemMetrics& metrics);
Json queue_depths_json(const QueueDepths& depths);
Json delete_result_json(const DeleteInstanceResult& result);
Json prune_result_json(const PruneResult& result);

}  // namespace duroxide::cli
