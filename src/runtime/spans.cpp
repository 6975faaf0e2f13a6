#include "runtime/spans.hpp"

#include <fmt/format.h>

#include "logging/loggers.hpp"
#include "observability/trace_ids.hpp"

namespace duroxide::runtime {

namespace {

std::uint64_t unix_ns(std::chrono::system_clock::time_point time) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count());
}

}  // namespace

std::string trace_fields(std::string_view trace_id, std::string_view span_id) {
  if (trace_id.empty()) return "";
  return fmt::format(" trace_id={} span_id={}", trace_id, span_id);
}

std::string trace_fields(const std::optional<TraceContext>& trace) {
  return trace ? trace_fields(trace->trace_id, trace->span_id) : std::string();
}

void send_span(SpanSink* sink, const SpanRecord& span) {
  if (sink == nullptr) return;
  try {
    sink->on_span(span);
  } catch (const std::exception& e) {
    logging::runtime().warn("the span sink threw; span '{}' lost: {}", span.name, e.what());
  } catch (...) {
    logging::runtime().warn("the span sink threw; span '{}' lost", span.name);
  }
}

void send_activity_span(SpanSink* sink, const ActivityContext::Info& info,
                        std::chrono::system_clock::time_point started, bool ok, const std::string& status_message) {
  if (sink == nullptr || !info.trace) return;
  SpanRecord span;
  span.kind = SpanRecord::Kind::Activity;
  span.context = *info.trace;
  span.name = "activity " + info.activity_name;
  span.start_unix_ns = unix_ns(started);
  span.end_unix_ns = unix_ns(std::chrono::system_clock::now());
  span.ok = ok;
  span.status_message = status_message;
  span.attributes = {{"duroxide.instance_id", info.instance_id},
                     {"duroxide.execution_id", std::to_string(info.execution_id)},
                     {"duroxide.orchestration.name", info.orchestration_name},
                     {"duroxide.activity.name", info.activity_name},
                     {"duroxide.activity.id", std::to_string(info.activity_id)},
                     {"duroxide.worker_id", info.worker_id}};
  send_span(sink, span);
}

void send_orchestration_span(SpanSink* sink, const std::string& instance, std::uint64_t execution_id,
                             const Event& started_event, const std::string& outcome, bool ok,
                             const std::string& status_message) {
  const auto* started = started_event.get_if<events::OrchestrationStarted>();
  if (sink == nullptr || started == nullptr) return;
  SpanRecord span;
  span.kind = SpanRecord::Kind::Orchestration;
  span.context = observability::orchestration_trace(started->trace_parent, instance, execution_id);
  span.name = "orchestration " + started->name;
  span.start_unix_ns = started_event.timestamp_ms * 1'000'000;
  span.end_unix_ns = unix_ns(std::chrono::system_clock::now());
  span.ok = ok;
  span.status_message = status_message;
  span.attributes = {{"duroxide.instance_id", instance},
                     {"duroxide.execution_id", std::to_string(execution_id)},
                     {"duroxide.orchestration.name", started->name},
                     {"duroxide.orchestration.version", started->version},
                     {"duroxide.outcome", outcome}};
  if (started->parent_instance) span.attributes.emplace_back("duroxide.parent_instance_id", *started->parent_instance);
  send_span(sink, span);
}

}  // namespace duroxide::runtime
