// The --json documents (docs/cli.md, "Output"): the store's values as JSON, keys in a fixed
// order, strings exactly as stored, times as milliseconds since the Unix epoch.
#pragma once

#include <ostream>

#include <duroxide/orchestration_status.hpp>
#include <duroxide/provider_types.hpp>

#include "store_json.hpp"

namespace duroxide::cli {

using tools::error_json;
using tools::events_json;
using tools::instance_info_json;
using tools::Json;
using tools::metrics_json;
using tools::optional_string;
using tools::queue_depths_json;
using tools::schedule_json;

/// Writes one JSON document and a newline (indented; bytes that are not UTF-8 become U+FFFD).
void print_json(std::ostream& out, const Json& document);

/// {"status", "output", "error", "custom_status", "custom_status_version"} of a client status.
Json status_json(const OrchestrationStatus& status);

Json delete_result_json(const DeleteInstanceResult& result);
Json prune_result_json(const PruneResult& result);

}  // namespace duroxide::cli
