// Sending finished spans to the application's SpanSink, and the trace fields of log lines
// (docs/tracing.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <duroxide/activity_context.hpp>
#include <duroxide/event.hpp>
#include <duroxide/tracing.hpp>

namespace duroxide::runtime {

/// " trace_id=<id> span_id=<id>" for a log line's correlation fields; "" without a trace.
std::string trace_fields(std::string_view trace_id, std::string_view span_id);
std::string trace_fields(const std::optional<TraceContext>& trace);

/// Hands `span` to `sink` (if any); an exception from the sink is logged and swallowed.
void send_span(SpanSink* sink, const SpanRecord& span);

/// The span of an activity attempt that ran from `started` to now.
void send_activity_span(SpanSink* sink, const ActivityContext::Info& info,
                        std::chrono::system_clock::time_point started, bool ok, const std::string& status_message);

/// The span of an execution that ended now: from its OrchestrationStarted's time to now.
/// `outcome` is "completed", "failed", "continued_as_new" or "terminated".
void send_orchestration_span(SpanSink* sink, const std::string& instance, std::uint64_t execution_id,
                             const Event& started_event, const std::string& outcome, bool ok,
                             const std::string& status_message);

}  // namespace duroxide::runtime
