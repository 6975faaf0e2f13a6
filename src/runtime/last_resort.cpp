#include "runtime/last_resort.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace duroxide::runtime {

namespace {

/// The planned delta's new OrchestrationStarted, if the turn started an execution.
const Event* planned_start(const TurnPlan& plan) {
  if (!plan.started_execution || plan.ack.history_delta.empty()) return nullptr;
  const Event& first = plan.ack.history_delta.front();
  return first.is<events::OrchestrationStarted>() ? &first : nullptr;
}

OrchestrationAck failure_ack(const LockedOrchestrationItem& locked, const TurnPlan& plan, std::optional<Event> start,
                             ErrorDetails details, const std::optional<WorkItem>& notification) {
  const auto& item = locked.item;
  OrchestrationAck ack;
  ack.execution_id = plan.ack.execution_id;
  // After every event of the execution: the decoded history's maximum and, for the stored
  // execution, the store's row-level maximum (which a corrupt row may put higher).
  std::uint64_t last_id = plan.loaded_last_event_id;
  if (ack.execution_id == item.execution_id) last_id = std::max(last_id, item.stored_last_event_id);
  for (const auto& e : item.history) {
    if (ack.execution_id == item.execution_id) last_id = std::max(last_id, e.event_id);
  }
  if (start) {
    last_id = std::max(last_id, start->event_id);
    ack.history_delta.push_back(std::move(*start));
  }
  ack.history_delta.push_back(make_event(last_id + 1, std::nullopt, item.instance, ack.execution_id,
                                         events::OrchestrationFailed{std::move(details)}));
  ack.metadata = metadata_from_delta(ack.history_delta);
  if (notification) ack.orchestrator_items.push_back(*notification);
  return ack;
}

const events::OrchestrationStarted* last_started(const std::vector<Event>& history) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (const auto* started = it->get_if<events::OrchestrationStarted>()) return started;
  }
  return nullptr;
}

}  // namespace

std::optional<ParentLink> plan_parent_link(const LockedOrchestrationItem& locked, const TurnPlan& plan) {
  const events::OrchestrationStarted* started = nullptr;
  if (const auto* start = planned_start(plan)) {
    started = start->get_if<events::OrchestrationStarted>();
  } else if (plan.ack.execution_id == locked.item.execution_id) {
    started = last_started(locked.item.history);
  }
  if (started == nullptr || !started->parent_instance || !started->parent_id) return std::nullopt;
  return ParentLink{*started->parent_instance, *started->parent_id};
}

OrchestrationAck last_resort_ack(const LockedOrchestrationItem& locked, const TurnPlan& plan,
                                 const ProviderError& error, const std::optional<WorkItem>& notification) {
  std::optional<Event> start;
  if (const auto* planned = planned_start(plan)) start = *planned;
  return failure_ack(locked, plan, std::move(start), error.to_infrastructure_error(), notification);
}

std::optional<OrchestrationAck> trimmed_last_resort_ack(const LockedOrchestrationItem& locked, const TurnPlan& plan,
                                                        const ProviderError& error, const ProviderError& first_error,
                                                        const std::optional<WorkItem>& notification) {
  const auto* planned = planned_start(plan);
  if (planned == nullptr) return std::nullopt;
  Event start = *planned;
  auto& started = std::get<events::OrchestrationStarted>(start.kind);
  if (started.input.empty() && started.carry_forward_events.empty()) return std::nullopt;
  const auto input_bytes = started.input.size();
  const auto carried = started.carry_forward_events.size();
  started.input = fmt::format("[input of {} bytes not stored: see the orchestration's failure]", input_bytes);
  started.carry_forward_events.clear();
  const auto message = fmt::format(
      "{}; the execution's start event could not be stored with its input of {} bytes{} either ({}), so the "
      "input was replaced by a note",
      error.message, input_bytes, carried == 0 ? "" : fmt::format(" and {} carried events", carried),
      first_error.to_string());
  return failure_ack(locked, plan, std::move(start), ErrorDetails::infrastructure(error.operation, message, false),
                     notification);
}

}  // namespace duroxide::runtime
