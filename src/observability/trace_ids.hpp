// How spans get their ids (docs/tracing.md, "Ids"): derived from what history records, so a
// replayed turn and a redelivered message name the same span.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <duroxide/tracing.hpp>

namespace duroxide::observability {

/// The span of execution `execution_id` of `instance`. `recorded` is its OrchestrationStarted's
/// trace_parent: the trace and parent span it continues. Without one the instance is the root of
/// a trace whose id is derived from the instance id.
TraceContext orchestration_trace(const std::optional<std::string>& recorded, const std::string& instance,
                                 std::uint64_t execution_id);

/// The span of attempt `attempt` (1, 2, ... as the store counts deliveries) of activity
/// `activity_id`, a child of the orchestration span named by the ActivityExecute's trace_parent;
/// nothing for an item without one (written before tracing existed).
std::optional<TraceContext> activity_trace(const std::optional<std::string>& trace_parent, const std::string& instance,
                                           std::uint64_t activity_id, std::uint32_t attempt);

}  // namespace duroxide::observability
