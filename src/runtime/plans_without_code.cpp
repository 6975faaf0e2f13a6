#include "runtime/plans_without_code.hpp"

#include <fmt/format.h>

#include <duroxide/constants.hpp>

#include "orchestration/history_queries.hpp"
#include "orchestration/rewind_history.hpp"

namespace duroxide::runtime::planning {

namespace {

/// How an execution ends without running its code: a corrupt store, or an operator's terminate.
struct EndingWithoutCode {
  TurnOutcome outcome = TurnOutcome::Failed;
  EventKind terminal;                       ///< OrchestrationFailed or OrchestrationTerminated
  ErrorDetails parent_details;              ///< what a waiting parent is told
  std::string_view activity_cancel_reason;  ///< recorded on each activity still in flight
  /// Set: every sub-orchestration still open is terminated too, with this reason.
  std::optional<std::string> terminate_children_reason;
};

/// Ends the execution as `ending` says, without running its code. A new execution (started by
/// this very batch, or by a continue-as-new in it) still records its start first.
TurnPlan end_without_running(const LockedOrchestrationItem& locked, const Batch& batch, const PlannerContext& context,
                             const EndingWithoutCode& ending) {
  const auto& item = locked.item;
  const bool new_execution = is_can(batch.start);
  const std::uint64_t execution_id = new_execution ? item.execution_id + 1 : item.execution_id;
  static const std::vector<Event> kNoHistory;
  const std::vector<Event>& history = new_execution ? kNoHistory : item.history;
  TurnPlan plan;
  plan.outcome = ending.outcome;
  plan.loaded_last_event_id = max_event_id(history);
  plan.ack.execution_id = execution_id;
  std::vector<Event>& delta = plan.ack.history_delta;
  if (history.empty()) {
    events::OrchestrationStarted started{
        item.orchestration_name.empty() ? "unknown" : item.orchestration_name, item.version, "", {}, {}, {}, {}};
    if (const auto* start = batch.start ? std::get_if<work_items::StartOrchestration>(&*batch.start) : nullptr) {
      started.name = start->orchestration;
      if (start->version) started.version = *start->version;
      started.input = start->input;
      started.parent_instance = start->parent_instance;
      started.parent_id = start->parent_id;
      started.parent_execution_id = start->parent_execution_id;
    } else if (new_execution) {
      const auto& can = std::get<work_items::ContinueAsNew>(*batch.start);
      started.name = can.orchestration;
      started.input = can.input;
      if (const auto* previous = last_started(item.history)) {
        started.parent_instance = previous->parent_instance;
        started.parent_id = previous->parent_id;
        started.parent_execution_id = previous->parent_execution_id;
      }
    }
    delta.push_back(runtime_event(item.instance, execution_id, kInitialEventId, std::move(started)));
    plan.started_execution = true;
    plan.started_by_continue_as_new = new_execution;
  }
  const auto full = effective_concat(history, delta);
  const auto& started = *last_started(full);
  plan.orchestration_name = started.name;
  plan.orchestration_version = started.version;
  DeltaWriter writer(item.instance, execution_id, history, delta);
  append_breadcrumbs(writer, full);
  writer.append(ending.terminal);
  for (auto id : orchestration::in_flight_activities(full)) {
    writer.append(events::ActivityCancelRequested{std::string(ending.activity_cancel_reason)}, id);
    plan.ack.cancelled_activities.push_back({item.instance, execution_id, id});
  }
  if (ending.terminate_children_reason) {
    for (const auto& child : orchestration::outstanding_children(full)) {
      plan.ack.orchestrator_items.push_back(work_items::TerminateInstance{build_child_instance_id(item.instance, child),
                                                                          *ending.terminate_children_reason, true});
    }
  }
  std::optional<ProviderError> read_error;
  if (auto notification = notify_parent(context, started, item.instance, ending.parent_details, read_error)) {
    plan.ack.orchestrator_items.push_back(std::move(*notification));
  }
  if (read_error) return abandon_for_parent(item.instance, *read_error);
  plan.ack.metadata = metadata_from_delta(delta);
  plan.ack.metadata.orchestration_name = started.name;
  plan.ack.metadata.orchestration_version = started.version;
  plan.history_events = history.size() + delta.size();
  return plan;
}

/// What a waiting parent is told of a child terminated with `reason`.
ErrorDetails terminated_child_details(const std::string& instance, const std::string& reason) {
  return error::Application{AppErrorKind::orchestration_failed(),
                            fmt::format("sub-orchestration '{}' was terminated: {}", instance, reason), false};
}

}  // namespace

TurnPlan poison_plan(const LockedOrchestrationItem& locked, const Batch& batch, const PlannerContext& context) {
  const auto& item = locked.item;
  TurnPlan plan;
  plan.outcome = TurnOutcome::Poisoned;
  plan.orchestration_name = item.orchestration_name;
  plan.orchestration_version = item.version;
  plan.loaded_last_event_id = max_event_id(item.history);
  auto& ack = plan.ack;
  ack.execution_id = item.execution_id;
  const auto max_attempts = context.options.max_attempts;

  if (item.history_error) {
    // The stored history cannot be read: append one sentinel event without touching the rest.
    ErrorDetails details = error::Poison{
        locked.attempt_count, max_attempts,
        poison::FailedDeserialization{item.instance, item.execution_id, *item.history_error}, *item.history_error};
    // The sentinel id unless stored rows already reach it: the failure must land after every row.
    const auto id = std::max(kPoisonSentinelEventId, item.stored_last_event_id + 1);
    ack.history_delta.push_back(
        runtime_event(item.instance, item.execution_id, id, events::OrchestrationFailed{details}));
    ack.metadata.status = ExecutionStatus::Failed;
    ack.metadata.output = details.display_message();
    ack.metadata.orchestration_name = item.orchestration_name;
    ack.metadata.orchestration_version = item.version;
    plan.failure = details;
    return plan;
  }

  std::vector<Event>& delta = ack.history_delta;
  std::optional<std::string> parent_instance;
  std::optional<std::uint64_t> parent_id;
  if (item.history.empty()) {
    events::OrchestrationStarted started{item.orchestration_name, item.version, "", {}, {}, {}, {}};
    if (batch.start) {
      if (const auto* start = std::get_if<work_items::StartOrchestration>(&*batch.start)) {
        started.name = start->orchestration;
        started.input = start->input;
        started.parent_instance = start->parent_instance;
        started.parent_id = start->parent_id;
        started.parent_execution_id = start->parent_execution_id;
      } else {
        const auto& can = std::get<work_items::ContinueAsNew>(*batch.start);
        started.name = can.orchestration;
        started.input = can.input;
        started.carry_forward_events = can.carry_forward_events;
      }
    }
    parent_instance = started.parent_instance;
    parent_id = started.parent_id;
    delta.push_back(runtime_event(item.instance, item.execution_id, 1, std::move(started)));
    plan.started_execution = true;
  } else if (const auto* started = last_started(item.history)) {
    parent_instance = started->parent_instance;
    parent_id = started->parent_id;
  }
  ErrorDetails details =
      error::Poison{locked.attempt_count, max_attempts, poison::Orchestration{item.instance, item.execution_id},
                    batch_json(item.messages)};
  DeltaWriter writer(item.instance, item.execution_id, item.history, delta, item.stored_last_event_id);
  writer.append(events::OrchestrationFailed{details});
  if (parent_instance && parent_id) {
    events::OrchestrationStarted link{"", "", "", parent_instance, parent_id, {}, {}};
    std::optional<ProviderError> read_error;
    if (auto notification = notify_parent(context, link, item.instance, details, read_error)) {
      ack.orchestrator_items.push_back(std::move(*notification));
    }
    if (read_error && read_error->is_retryable()) return abandon_for_parent(item.instance, *read_error);
    // A parent that cannot be read at all cannot run either: the failure is committed without it.
    if (read_error) plan.reason = fmt::format("parent not notified: {}", read_error->to_string());
  }
  ack.metadata = metadata_from_delta(delta);
  ack.metadata.orchestration_name = item.orchestration_name;
  ack.metadata.orchestration_version = item.version;
  plan.failure = details;
  plan.history_events = item.history.size() + delta.size();
  return plan;
}

TurnPlan corrupt_rows_plan(const LockedOrchestrationItem& locked, const Batch& batch, const PlannerContext& context) {
  std::string reasons;
  for (const auto& row : locked.item.corrupt_rows) reasons += (reasons.empty() ? "" : "; ") + row.error;
  const ErrorDetails details = ErrorDetails::infrastructure(
      "fetch_orchestration_item", "stored data of this instance could not be used: " + reasons, false);
  auto plan = end_without_running(locked, batch, context,
                                  EndingWithoutCode{TurnOutcome::Failed, events::OrchestrationFailed{details}, details,
                                                    "orchestration_terminal_failed", std::nullopt});
  if (plan.outcome == TurnOutcome::Failed) plan.failure = details;
  return plan;
}

TurnPlan terminate_plan(const LockedOrchestrationItem& locked, const Batch& batch, const PlannerContext& context,
                        const work_items::TerminateInstance& terminate) {
  const ErrorDetails parent_details = terminated_child_details(locked.item.instance, terminate.reason);
  std::optional<std::string> children_reason;
  if (terminate.recursive)
    children_reason = fmt::format("parent '{}' terminated: {}", locked.item.instance, terminate.reason);
  auto plan =
      end_without_running(locked, batch, context,
                          EndingWithoutCode{TurnOutcome::Terminated, events::OrchestrationTerminated{terminate.reason},
                                            parent_details, "orchestration_terminated", std::move(children_reason)});
  if (plan.outcome == TurnOutcome::Terminated) plan.reason = terminate.reason;
  return plan;
}

TurnPlan report_ending_again(const LockedOrchestrationItem& locked, const PlannerContext& context,
                             const std::string& refusal) {
  const auto& item = locked.item;
  const auto history = orchestration::without_superseded(item.history);
  const auto* started = last_started(history);
  const auto terminal = std::find_if(history.begin(), history.end(), [](const Event& e) { return e.is_terminal(); });
  if (started == nullptr || !started->parent_instance || terminal == history.end())
    return drop(item, fmt::format("rewind refused: {}; dropped", refusal));
  std::variant<std::string, ErrorDetails> outcome = std::string();
  if (const auto* completed = terminal->get_if<events::OrchestrationCompleted>()) {
    outcome = completed->output;
  } else if (const auto* failed = terminal->get_if<events::OrchestrationFailed>()) {
    outcome = failed->details;
  } else if (const auto* terminated = terminal->get_if<events::OrchestrationTerminated>()) {
    outcome = terminated_child_details(item.instance, terminated->reason);
  } else {
    return drop(item, fmt::format("rewind refused: {}; dropped", refusal));
  }
  std::optional<ProviderError> read_error;
  auto notification = notify_parent(context, *started, item.instance, outcome, read_error);
  if (read_error) return abandon_for_parent(item.instance, *read_error);
  TurnPlan plan = drop(item, fmt::format("rewind refused: {}; {}", refusal,
                                         notification ? "its ending was reported to its parent again"
                                                      : "its parent does not wait for it"));
  if (notification) plan.ack.orchestrator_items.push_back(std::move(*notification));
  return plan;
}

}  // namespace duroxide::runtime::planning
