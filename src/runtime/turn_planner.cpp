#include "runtime/turn_planner.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/constants.hpp>
#include <duroxide/wire.hpp>

#include "core/overloaded.hpp"
#include "observability/trace_ids.hpp"
#include "orchestration/history_queries.hpp"
#include "orchestration/replay_engine.hpp"
#include "orchestration/rewind_history.hpp"
#include "orchestration/turn_limits.hpp"
#include "runtime/builtin_orchestrations.hpp"
#include "runtime/plan_building.hpp"
#include "runtime/plans_without_code.hpp"
#include "runtime/rewind.hpp"
#include "runtime/suspension.hpp"
#include "runtime/turn_validation.hpp"

namespace duroxide::runtime {

// The building blocks and the plans that run no code live beside this file (plan_building.hpp,
// plans_without_code.hpp); this one runs the turn.
using namespace planning;

ExecutionMetadata metadata_from_delta(const std::vector<Event>& delta) {
  ExecutionMetadata metadata;
  bool have_terminal = false;
  for (const auto& event : delta) {
    if (const auto* started = event.get_if<events::OrchestrationStarted>();
        started != nullptr && !metadata.orchestration_name) {
      metadata.orchestration_name = started->name;
      metadata.orchestration_version = started->version;
      metadata.parent_instance_id = started->parent_instance;
      if (auto pinned = Version::parse(event.duroxide_version)) metadata.pinned_duroxide_version = *pinned;
    }
    if (have_terminal) continue;
    if (const auto* completed = event.get_if<events::OrchestrationCompleted>()) {
      metadata.status = ExecutionStatus::Completed;
      metadata.output = completed->output;
      have_terminal = true;
    } else if (const auto* failed = event.get_if<events::OrchestrationFailed>()) {
      metadata.status = ExecutionStatus::Failed;
      metadata.output = failed->details.display_message();
      have_terminal = true;
    } else if (const auto* can = event.get_if<events::OrchestrationContinuedAsNew>()) {
      metadata.status = ExecutionStatus::ContinuedAsNew;
      metadata.output = can->input;
      have_terminal = true;
    } else if (const auto* terminated = event.get_if<events::OrchestrationTerminated>()) {
      metadata.status = ExecutionStatus::Terminated;
      metadata.output = terminated->reason;
      have_terminal = true;
    }
  }
  return metadata;
}

namespace {

/// The answers that need no run of the orchestration (steps 1-4, in that order, of docs/runtime.md,
/// "What a slot does with a batch"), or nothing when the turn runs.
std::optional<TurnPlan> plan_without_running(const LockedOrchestrationItem& locked, const Batch& batch,
                                             const PlannerContext& context) {
  const auto& item = locked.item;
  // Poison before anything else (also covers undecodable history).
  if (locked.attempt_count > context.options.max_attempts) return poison_plan(locked, batch, context);
  // Unreadable history: retried later, poisoned once the attempts run out.
  if (item.history_error) {
    return abandon(fmt::format("history cannot be decoded: {}", *item.history_error), kRetryLaterDelay);
  }
  const Ended ended = execution_ended(item.history);
  const bool finished = ended == Ended::ForGood || (ended == Ended::ContinuedAsNew && !is_can(batch.start));

  // An operator's terminate runs no code, so it needs neither a compatible version nor a
  // registered handler: it also ends an instance no node can run.
  if (const auto* terminate = find_message<work_items::TerminateInstance>(batch); terminate != nullptr && !finished) {
    if (item.history.empty() && !batch.start)
      return drop(item, "terminate for an instance that never started; dropped");
    return terminate_plan(locked, batch, context, *terminate);
  }

  // Version out of range: defence in depth behind the provider's capability filter.
  if (const auto* started = last_started_event(item.history)) {
    if (auto pinned = Version::parse(started->duroxide_version)) {
      const auto range = context.options.replay_versions();
      if (!range.contains(*pinned)) {
        return abandon(fmt::format("incompatible version: pinned_version={} supported_range=>={}, <={}",
                                   pinned->to_string(), range.min.to_string(), range.max.to_string()),
                       kRetryLaterDelay);
      }
    }
  }

  // Terminal instance, unless a rewind takes its failure back (the turn then runs).
  if (finished) {
    if (find_message<work_items::RewindInstance>(batch) != nullptr && ended == Ended::ForGood) {
      const auto refusal = orchestration::rewind_refusal(orchestration::without_superseded(item.history));
      if (!refusal) return std::nullopt;
      return report_ending_again(locked, context, *refusal);
    }
    return drop(item, "instance already finished; messages dropped");
  }
  if (!item.corrupt_rows.empty()) return corrupt_rows_plan(locked, batch, context);
  return std::nullopt;
}

/// What the turn's execution runs, and how it was started (step 6).
struct ExecutionStart {
  std::string name;  ///< empty: the instance never started
  std::string input;
  std::optional<std::string> requested_version;  ///< nothing: the latest registered
  std::optional<std::string> parent_instance;
  std::optional<std::uint64_t> parent_id;
  std::optional<std::uint64_t> parent_execution_id;
  std::vector<CarriedEvent> carry_forward;
  std::optional<std::string> initial_custom_status;
  std::optional<std::string> trace_parent;
};

/// `history`: the execution's stored history (empty for the new execution of a continue-as-new).
ExecutionStart execution_start(const OrchestrationItem& item, const Batch& batch, const std::vector<Event>& history) {
  ExecutionStart start;
  if (batch.start) {
    if (const auto* begin = std::get_if<work_items::StartOrchestration>(&*batch.start)) {
      start.name = begin->orchestration;
      start.input = begin->input;
      start.requested_version = begin->version;
      start.parent_instance = begin->parent_instance;
      start.parent_id = begin->parent_id;
      start.parent_execution_id = begin->parent_execution_id;
      start.trace_parent = begin->trace_parent;
    } else {
      const auto& can = std::get<work_items::ContinueAsNew>(*batch.start);
      start.name = can.orchestration;
      start.input = can.input;
      start.requested_version = can.version;
      start.carry_forward = can.carry_forward_events;
      start.initial_custom_status = can.initial_custom_status;
      start.trace_parent = can.trace_parent;
      // DESIGN decision on quirk Q6 (docs/runtime.md): the parent link survives continue-as-new, so the final
      // execution reports to the parent.
      if (const auto* previous = last_started(item.history)) {
        start.parent_instance = previous->parent_instance;
        start.parent_id = previous->parent_id;
        start.parent_execution_id = previous->parent_execution_id;
      }
    }
  }
  if (const auto* started = last_started(history)) {
    // A start item for a running instance adds nothing: the execution keeps its own input.
    if (!batch.start) {
      start.name = started->name;
      start.requested_version = started->version;
      start.parent_instance = started->parent_instance;
      start.parent_id = started->parent_id;
      start.parent_execution_id = started->parent_execution_id;
    }
    start.input = started->input;
    if (!batch.start || start.requested_version == std::nullopt) start.requested_version = started->version;
  }
  if (start.requested_version && *start.requested_version == kUnknownVersion) start.requested_version.reset();
  return start;
}

/// The handler of the requested version, or of the latest one (step 7).
std::optional<OrchestrationRegistry::Resolved> resolve_handler(const PlannerContext& context,
                                                               const ExecutionStart& start) {
  if (!start.requested_version) return resolve_orchestration(context.registry, start.name, std::nullopt);
  if (auto version = Version::parse(*start.requested_version)) {
    return resolve_orchestration(context.registry, start.name, *version);
  }
  return std::nullopt;
}

/// No handler: retry with the unregistered backoff (the attempts end it poisoned).
TurnPlan unregistered_plan(const LockedOrchestrationItem& locked, const PlannerContext& context,
                           const ExecutionStart& start) {
  const auto delay = context.options.unregistered_backoff.delay(locked.attempt_count);
  auto plan = abandon(
      fmt::format("orchestration '{}' version {} is not registered (attempt {} of {})", start.name,
                  start.requested_version.value_or("latest"), locked.attempt_count, context.options.max_attempts),
      std::chrono::duration_cast<std::chrono::milliseconds>(delay));
  plan.orchestration_name = start.name;
  plan.orchestration_version = start.requested_version.value_or("latest");
  return plan;
}

/// The replay engine's input (step 8). A new execution's OrchestrationStarted is appended to
/// the plan's delta and marked on the plan.
orchestration::TurnInput turn_input(const OrchestrationItem& item, const PlannerContext& context,
                                    const ExecutionStart& start, const OrchestrationRegistry::Resolved& resolved,
                                    const std::vector<Event>& history, bool new_execution, TurnPlan& plan) {
  orchestration::TurnInput turn;
  turn.instance_id = item.instance;
  turn.execution_id = plan.ack.execution_id;
  turn.orchestration_name = start.name;
  turn.orchestration_version = plan.orchestration_version;
  turn.baseline_view = &history;
  turn.persisted_len = history.size();
  if (history.empty()) {
    turn.baseline_view = nullptr;
    events::OrchestrationStarted started{start.name,
                                         plan.orchestration_version,
                                         start.input,
                                         start.parent_instance,
                                         start.parent_id,
                                         start.carry_forward,
                                         start.initial_custom_status,
                                         start.parent_execution_id,
                                         start.trace_parent};
    Event event = runtime_event(item.instance, plan.ack.execution_id, kInitialEventId, std::move(started));
    turn.baseline.push_back(event);
    plan.ack.history_delta.push_back(std::move(event));
    plan.started_execution = true;
    plan.started_by_continue_as_new = new_execution;
  }
  turn.input = last_started(turn.baseline_events())->input;
  turn.kv_snapshot = item.kv_snapshot;
  turn.handler = resolved.handler;
  turn.now_ms = context.now_ms;
  if (context.trace_sink) {
    // Log lines of the code carry its execution's span (docs/tracing.md), derived only when the
    // code logs: most turns never do.
    turn.trace_sink = [sink = context.trace_sink,
                       recorded = last_started(turn.baseline_events())->trace_parent](const TraceRecord& record) {
      const auto trace = observability::orchestration_trace(recorded, record.instance_id, record.execution_id);
      TraceRecord traced = record;
      traced.trace_id = trace.trace_id;
      traced.span_id = trace.span_id;
      sink(traced);
    };
  }
  return turn;
}

/// Turns the engine's result into the plan's outcome, its terminal events and its work items,
/// one member per result.
class OutcomePlanner {
 public:
  OutcomePlanner(const OrchestrationItem& item, const PlannerContext& context, const std::vector<Event>& history,
                 const events::OrchestrationStarted& started, const orchestration::TurnOutput& out,
                 const std::string& name, DeltaWriter& writer, TurnPlan& plan)
      : item_(item),
        context_(context),
        history_(history),
        started_(started),
        out_(out),
        name_(name),
        writer_(writer),
        plan_(plan),
        ack_(plan.ack) {}

  /// A transient or permanent failure to read the parent of a child that finished.
  std::optional<ProviderError> parent_read_error;

  void plan() {
    std::visit(detail::Overloaded{
                   [&](const orchestration::turn_result::Continue&) { continued(); },
                   [&](const orchestration::turn_result::Completed& r) { completed(r); },
                   [&](const orchestration::turn_result::Failed& r) { failed(r); },
                   [&](const orchestration::turn_result::ContinueAsNew& r) { continued_as_new(r); },
                   [&](const orchestration::turn_result::Cancelled& r) { cancelled(r); },
               },
               out_.result);
  }

 private:
  /// Still running: send what the turn scheduled.
  void continued() {
    plan_.outcome = TurnOutcome::Continued;
    const auto execution_id = ack_.execution_id;
    for (const auto& action : out_.pending_actions) {
      std::visit(detail::Overloaded{
                     [&](const actions::CallActivity& a) {
                       ack_.worker_items.push_back(work_items::ActivityExecute{item_.instance, execution_id,
                                                                               a.scheduling_event_id, a.name, a.input,
                                                                               a.session_id, a.tag, span_parent()});
                     },
                     [&](const actions::CreateTimer& t) {
                       ack_.orchestrator_items.push_back(
                           work_items::TimerFired{item_.instance, execution_id, t.scheduling_event_id, t.fire_at_ms});
                     },
                     [&](const actions::StartSubOrchestration& s) {
                       // The child records which parent execution scheduled it, as duroxide
                       // does; routing its outcome still reads the parent (docs/core.md).
                       ack_.orchestrator_items.push_back(work_items::StartOrchestration{
                           build_child_instance_id(item_.instance, s.instance), s.name, s.input, s.version,
                           item_.instance, s.scheduling_event_id, kInitialExecutionId, execution_id, span_parent()});
                     },
                     [&](const actions::StartOrchestrationDetached& d) {
                       ack_.orchestrator_items.push_back(work_items::StartOrchestration{
                           d.instance, d.name, d.input, d.version, std::nullopt, std::nullopt, kInitialExecutionId,
                           std::nullopt, span_parent()});
                     },
                     [](const auto&) {},
                 },
                 action);
    }
  }

  void completed(const orchestration::turn_result::Completed& completed) {
    plan_.outcome = TurnOutcome::Completed;
    append_breadcrumbs(writer_, full_before_terminal());
    writer_.append(events::OrchestrationCompleted{completed.output});
    dispatch_detached();
    notify(completed.output);
  }

  void failed(const orchestration::turn_result::Failed& failed) {
    plan_.outcome = TurnOutcome::Failed;
    plan_.failure = failed.details;
    append_breadcrumbs(writer_, full_before_terminal());
    writer_.append(events::OrchestrationFailed{failed.details});
    dispatch_detached();
    notify(failed.details);
  }

  void continued_as_new(const orchestration::turn_result::ContinueAsNew& can) {
    plan_.outcome = TurnOutcome::ContinuedAsNew;
    // Computed before the breadcrumbs so they do not count as consumption.
    auto carried = orchestration::unmatched_queue_messages(full_before_terminal());
    if (carried.size() > kMaxCarryForwardEvents) carried.resize(kMaxCarryForwardEvents);
    append_breadcrumbs(writer_, full_before_terminal());
    writer_.append(events::OrchestrationContinuedAsNew{can.input});
    ack_.orchestrator_items.push_back(
        work_items::ContinueAsNew{item_.instance, name_, can.input, can.version, std::move(carried),
                                  orchestration::final_custom_status(full_before_terminal()), started_.trace_parent});
  }

  void cancelled(const orchestration::turn_result::Cancelled& cancelled) {
    plan_.outcome = TurnOutcome::Failed;
    ErrorDetails details = error::Application{AppErrorKind::cancelled(cancelled.reason), "", false};
    plan_.failure = details;
    append_breadcrumbs(writer_, full_before_terminal());
    writer_.append(events::OrchestrationFailed{details});
    for (const auto& child : orchestration::outstanding_children(full_before_terminal())) {
      ack_.orchestrator_items.push_back(
          work_items::CancelInstance{build_child_instance_id(item_.instance, child), "parent canceled"});
    }
    notify(details);
  }

  /// This execution's span as the traceparent of what it starts: activities and children are
  /// spans inside it (docs/tracing.md).
  std::string span_parent() {
    if (!span_parent_) {
      span_parent_ =
          observability::orchestration_trace(started_.trace_parent, item_.instance, ack_.execution_id).traceparent();
    }
    return *span_parent_;
  }

  /// History + delta before any terminal event: only terminal results need it (built once, lazily).
  const std::vector<Event>& full_before_terminal() {
    if (!full_history_) full_history_ = effective_concat(history_, ack_.history_delta);
    return *full_history_;
  }

  /// Detached orchestrations scheduled in the turn that ended the instance still start.
  void dispatch_detached() {
    for (const auto& action : out_.pending_actions) {
      if (const auto* detached = std::get_if<actions::StartOrchestrationDetached>(&action)) {
        ack_.orchestrator_items.push_back(work_items::StartOrchestration{
            detached->instance, detached->name, detached->input, detached->version, std::nullopt, std::nullopt,
            kInitialExecutionId, std::nullopt, span_parent()});
      }
    }
  }

  void notify(const std::variant<std::string, ErrorDetails>& outcome) {
    if (auto n = notify_parent(context_, started_, item_.instance, outcome, parent_read_error)) {
      ack_.orchestrator_items.push_back(std::move(*n));
    }
  }

  const OrchestrationItem& item_;
  const PlannerContext& context_;
  const std::vector<Event>& history_;
  const events::OrchestrationStarted& started_;
  const orchestration::TurnOutput& out_;
  const std::string& name_;
  DeltaWriter& writer_;
  std::optional<std::string> span_parent_;
  TurnPlan& plan_;
  OrchestrationAck& ack_;
  std::optional<std::vector<Event>> full_history_;
};

/// Turn limits (docs/orchestration-engine.md, "Limits after a turn"): the first violation fails the
/// orchestration and discards the turn's work items, but a parent still learns of the failure
/// (duroxide drops that notification too and leaves the parent waiting forever; docs/runtime.md,
/// "Departures from duroxide"). Returns the plan to use instead when the parent cannot be read.
std::optional<TurnPlan> fail_on_turn_limits(const OrchestrationItem& item, const PlannerContext& context,
                                            const std::vector<Event>& history,
                                            const events::OrchestrationStarted& started, DeltaWriter& writer,
                                            TurnPlan& plan) {
  auto& ack = plan.ack;
  auto violation = orchestration::check_turn_limits(history, ack.history_delta, item.kv_snapshot);
  if (!violation) return std::nullopt;
  ErrorDetails details = error::Application{AppErrorKind::orchestration_failed(), *violation, false};
  writer.append(events::OrchestrationFailed{details});
  ack.worker_items.clear();
  ack.orchestrator_items.clear();
  if (auto retry = notify_parent_of_failure(context, started, item.instance, details, ack)) return retry;
  ack.metadata.status = ExecutionStatus::Failed;
  ack.metadata.output = details.display_message();
  plan.outcome = TurnOutcome::Failed;
  plan.failure = details;
  return std::nullopt;
}

/// Stored strings must be UTF-8 (docs/core.md): a turn that would store other bytes ends the
/// orchestration Failed, naming the field, instead of committing them. Events from the first bad
/// one on (and the runtime's outcome events, from `turn_events_end`) are not committed; the
/// OrchestrationStarted always is. Returns the plan to use instead when the parent cannot be read.
std::optional<TurnPlan> fail_on_invalid_utf8(const OrchestrationItem& item, const PlannerContext& context,
                                             const std::vector<Event>& history,
                                             const events::OrchestrationStarted& started, std::size_t turn_events_end,
                                             DeltaWriter& writer, TurnPlan& plan) {
  auto& ack = plan.ack;
  auto& delta = ack.history_delta;
  auto invalid = find_invalid_utf8(delta, ack.orchestrator_items, ack.worker_items);
  if (!invalid) return std::nullopt;
  const std::size_t keep =
      std::max<std::size_t>(std::min(invalid->first_bad_event, turn_events_end), plan.started_execution ? 1 : 0);
  delta.erase(delta.begin() + static_cast<std::ptrdiff_t>(keep), delta.end());
  writer.resync(history);
  ack.worker_items.clear();
  ack.orchestrator_items.clear();
  ErrorDetails details = error::Application{AppErrorKind::orchestration_failed(), invalid->message, false};
  append_breadcrumbs(writer, concat(history, delta));
  writer.append(events::OrchestrationFailed{details});
  if (auto retry = notify_parent_of_failure(context, started, item.instance, details, ack)) return retry;
  ack.metadata = metadata_from_delta(delta);
  plan.outcome = TurnOutcome::Failed;
  plan.failure = details;
  return std::nullopt;
}

/// Terminal cancellation of in-flight activities (their worker rows are deleted by the ack),
/// along with the activities whose futures the turn dropped.
void cancel_activities(const OrchestrationItem& item, const std::vector<Event>& history,
                       std::set<std::uint64_t> cancelled_ids, DeltaWriter& writer, OrchestrationAck& ack) {
  if (ack.metadata.status && is_terminal(*ack.metadata.status)) {
    const char* reason = *ack.metadata.status == ExecutionStatus::Completed ? "orchestration_terminal_completed"
                         : *ack.metadata.status == ExecutionStatus::Failed  ? "orchestration_terminal_failed"
                                                                            : "orchestration_terminal_continued_as_new";
    for (auto id : orchestration::in_flight_activities(effective_concat(history, ack.history_delta))) {
      writer.append(events::ActivityCancelRequested{reason}, id);
      cancelled_ids.insert(id);
    }
  }
  for (auto id : cancelled_ids) ack.cancelled_activities.push_back({item.instance, ack.execution_id, id});
}

/// The rewound execution's work goes out again, except what the rewind turn's own messages
/// already settled (a late outcome in the same batch).
void add_rewind_work(RewindWork work, const std::vector<Event>& turn_events, OrchestrationAck& ack) {
  std::set<std::uint64_t> settled;
  for (const Event& event : turn_events)
    if (event.source_event_id) settled.insert(*event.source_event_id);
  for (auto& item : work.worker_items)
    if (!settled.contains(std::get<work_items::ActivityExecute>(item).id)) ack.worker_items.push_back(std::move(item));
  for (auto& item : work.orchestrator_items) {
    if (const auto* timer = std::get_if<work_items::TimerFired>(&item); timer && settled.contains(timer->id)) continue;
    ack.orchestrator_items.push_back(std::move(item));
  }
}

TurnPlan plan_with_session(const LockedOrchestrationItem& locked, const PlannerContext& context,
                           orchestration::ReplaySessionPtr& session) {
  const auto& item = locked.item;
  const Batch batch = classify(item);
  if (auto answered = plan_without_running(locked, batch, context)) return std::move(*answered);

  // Step 6: execution and identity.
  const bool new_execution = is_can(batch.start);
  static const std::vector<Event> kNoHistory;
  const std::vector<Event>& history = new_execution ? kNoHistory : item.history;
  const ExecutionStart start = execution_start(item, batch, history);
  // No name: stray messages for an instance that never started.
  if (start.name.empty()) return drop(item, "messages for an instance that never started; dropped");
  // Step 7: handler.
  const auto resolved = resolve_handler(context, start);
  if (!resolved) return unregistered_plan(locked, context, start);

  TurnPlan plan;
  plan.orchestration_name = start.name;
  plan.orchestration_version = resolved->version.to_string();
  plan.loaded_last_event_id = max_event_id(history);
  plan.ack.execution_id = new_execution ? item.execution_id + 1 : item.execution_id;
  auto& ack = plan.ack;

  // Step 8: the turn.
  orchestration::TurnInput turn = turn_input(item, context, start, *resolved, history, new_execution, plan);
  turn.messages = batch.completions;
  // Only a rewindable failure reaches this point ended (plan_without_running): the rewind is
  // recorded before the batch's messages and the code replays without what it supersedes.
  const auto* rewind = find_message<work_items::RewindInstance>(batch);
  std::optional<RewindWork> rewind_work_items;
  if (rewind != nullptr && !new_execution && execution_ended(history) == Ended::ForGood) {
    if (turn.baseline_view != nullptr) {
      turn.baseline = *turn.baseline_view;
      turn.baseline_view = nullptr;
    }
    events::OrchestrationRewound rewound{
        rewind->reason, orchestration::rewind_supersedes(orchestration::without_superseded(turn.baseline))};
    Event marker = runtime_event(item.instance, ack.execution_id, max_event_id(turn.baseline) + 1, std::move(rewound));
    turn.baseline.push_back(marker);
    ack.history_delta.push_back(std::move(marker));
    session.reset();
    rewind_work_items =
        rewind_work(orchestration::without_superseded(turn.baseline), item.instance, ack.execution_id, rewind->reason);
  }
  // A session kept from the last turn means that turn ran the code on exactly this history, so the
  // instance is not suspended; only a turn that replays anyway pays for the history scan.
  const bool suspended = !orchestration::resumes(session, turn) && is_suspended(turn.baseline_events());
  const SuspensionStep suspension = plan_suspension(suspended, batch.completions);
  if (suspension.control_event) {
    // Recorded before the batch's messages, as if it had been stored already; the kept session
    // does not have it, so this turn replays (suspending and resuming are rare).
    if (turn.baseline_view != nullptr) {
      turn.baseline = *turn.baseline_view;
      turn.baseline_view = nullptr;
    }
    Event control =
        runtime_event(item.instance, ack.execution_id, max_event_id(turn.baseline) + 1, *suspension.control_event);
    turn.baseline.push_back(control);
    ack.history_delta.push_back(std::move(control));
  }
  turn.record_only = suspension.record_only;
  if (suspension.control_event || suspension.record_only) session.reset();
  orchestration::TurnOutput out = orchestration::run_turn(turn, session);
  ack.history_delta.insert(ack.history_delta.end(), out.history_delta.begin(), out.history_delta.end());
  const std::size_t turn_events_end = ack.history_delta.size();  // what follows is the runtime's
  const auto& started = *last_started(turn.baseline_events());
  DeltaWriter writer(item.instance, ack.execution_id, history, ack.history_delta);

  OutcomePlanner outcome(item, context, history, started, out, start.name, writer, plan);
  outcome.plan();
  if (outcome.parent_read_error) return abandon_for_parent(item.instance, *outcome.parent_read_error);

  // Side channels of every turn: dropped futures.
  for (const auto& child : out.cancelled_child_instances) {
    ack.orchestrator_items.push_back(work_items::CancelInstance{build_child_instance_id(item.instance, child),
                                                                "parent dropped sub-orchestration future"});
  }
  ack.metadata = metadata_from_delta(ack.history_delta);
  if (suspension.status && !ack.metadata.status) {
    ack.metadata.status = suspension.status;
    ack.metadata.output = suspension.status_output;
  }
  if (suspension.record_only && plan.outcome == TurnOutcome::Continued) plan.outcome = TurnOutcome::Suspended;
  if (rewind_work_items) {
    plan.rewound = true;
    plan.reason = rewind->reason;
    if (!ack.metadata.status) ack.metadata.status = ExecutionStatus::Running;
    if (plan.outcome == TurnOutcome::Continued) add_rewind_work(std::move(*rewind_work_items), out.history_delta, ack);
  }

  if (auto retry = fail_on_turn_limits(item, context, history, started, writer, plan)) return std::move(*retry);
  if (auto retry = fail_on_invalid_utf8(item, context, history, started, turn_events_end, writer, plan)) {
    return std::move(*retry);
  }
  cancel_activities(item, history, {out.cancelled_activity_ids.begin(), out.cancelled_activity_ids.end()}, writer, ack);

  plan.history_events = history.size() + ack.history_delta.size();
  return plan;
}

}  // namespace

TurnPlan plan_turn(const LockedOrchestrationItem& locked, const PlannerContext& context) {
  orchestration::ReplaySessionPtr none;
  return plan_turn(locked, context, none);
}

TurnPlan plan_turn(const LockedOrchestrationItem& locked, const PlannerContext& context,
                   orchestration::ReplaySessionPtr& session) {
  TurnPlan plan = plan_with_session(locked, context, session);
  // Only a turn that ran the code and goes on leaves a state the next turn can resume.
  if (plan.outcome != TurnOutcome::Continued) session.reset();
  return plan;
}

}  // namespace duroxide::runtime
