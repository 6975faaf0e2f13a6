#include "runtime/rewind.hpp"

#include <set>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

#include "observability/trace_ids.hpp"
#include "orchestration/history_queries.hpp"

namespace duroxide::runtime {

RewindWork rewind_work(const std::vector<Event>& history, const std::string& instance, std::uint64_t execution_id,
                       const std::string& reason) {
  RewindWork work;
  // The failure's cancellations were superseded with it, so an activity it cancelled counts as in
  // flight again: its worker row was deleted, so it is queued anew under its old id.
  const auto in_flight = orchestration::in_flight_activities(history);
  const std::set<std::uint64_t> activities(in_flight.begin(), in_flight.end());
  // Activities run again inside the execution's span (docs/tracing.md).
  const auto* started = history.empty() ? nullptr : history.front().get_if<events::OrchestrationStarted>();
  const auto span_parent =
      observability::orchestration_trace(started ? started->trace_parent : std::nullopt, instance, execution_id)
          .traceparent();
  std::set<std::uint64_t> fired;
  for (const Event& event : history)
    if (event.is<events::TimerFired>() && event.source_event_id) fired.insert(*event.source_event_id);
  for (const Event& event : history) {
    if (const auto* activity = event.get_if<events::ActivityScheduled>();
        activity != nullptr && activities.contains(event.event_id)) {
      work.worker_items.push_back(work_items::ActivityExecute{instance, execution_id, event.event_id, activity->name,
                                                              activity->input, activity->session_id, activity->tag,
                                                              span_parent});
    }
    // The failure deleted the execution's pending timers: each is armed again for its own time
    // (one already due fires at once).
    if (const auto* timer = event.get_if<events::TimerCreated>(); timer != nullptr && !fired.contains(event.event_id))
      work.orchestrator_items.push_back(
          work_items::TimerFired{instance, execution_id, event.event_id, timer->fire_at_ms});
  }
  // An open child either failed (it is rewound too) or ended while the parent was failed, when its
  // outcome was not delivered (it sends it again); a child still running reports when it ends.
  for (const auto& child : orchestration::outstanding_children(history)) {
    work.orchestrator_items.push_back(work_items::RewindInstance{
        build_child_instance_id(instance, child), fmt::format("parent '{}' rewound: {}", instance, reason)});
  }
  return work;
}

}  // namespace duroxide::runtime
