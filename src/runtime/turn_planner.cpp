#include "runtime/turn_planner.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/constants.hpp>
#include <duroxide/wire.hpp>

#include "core/overloaded.hpp"
#include "orchestration/history_queries.hpp"
#include "orchestration/replay_engine.hpp"
#include "orchestration/turn_limits.hpp"
#include "runtime/turn_validation.hpp"

namespace duroxide::runtime {

namespace {

using namespace std::chrono_literals;

constexpr auto kRetryLaterDelay = 1000ms;      // undecodable history, incompatible pinned version
constexpr auto kParentReadRetryDelay = 100ms;  // a transient error reading a finished child's parent

std::uint64_t max_event_id(const std::vector<Event>& a, const std::vector<Event>& b = {}) {
  std::uint64_t highest = 0;
  for (const auto& e : a) highest = std::max(highest, e.event_id);
  for (const auto& e : b) highest = std::max(highest, e.event_id);
  return highest;
}

const events::OrchestrationStarted* last_started(const std::vector<Event>& history) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (const auto* started = it->get_if<events::OrchestrationStarted>()) return started;
  }
  return nullptr;
}

const Event* last_started_event(const std::vector<Event>& history) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->is<events::OrchestrationStarted>()) return &*it;
  }
  return nullptr;
}

/// D5: the execution already ended (after its last OrchestrationStarted).
enum class Ended { No, CompletedOrFailed, ContinuedAsNew };
Ended execution_ended(const std::vector<Event>& history) {
  auto start = history.begin();
  for (auto it = history.begin(); it != history.end(); ++it) {
    if (it->is<events::OrchestrationStarted>()) start = it;
  }
  Ended ended = Ended::No;
  for (auto it = start; it != history.end(); ++it) {
    if (it->is<events::OrchestrationCompleted>() || it->is<events::OrchestrationFailed>()) {
      return Ended::CompletedOrFailed;
    }
    if (it->is<events::OrchestrationContinuedAsNew>()) ended = Ended::ContinuedAsNew;
  }
  return ended;
}

/// D3/D4: the start item and the completion messages of a batch.
struct Batch {
  std::optional<WorkItem> start;
  std::vector<WorkItem> completions;
};

Batch classify(const OrchestrationItem& item) {
  Batch batch;
  std::vector<WorkItem> carried;
  for (const auto& message : item.messages) {
    std::visit(detail::Overloaded{
                   [&](const work_items::StartOrchestration&) {
                     if (!batch.start) batch.start = message;
                   },
                   [&](const work_items::ContinueAsNew& can) {
                     if (batch.start) return;
                     batch.start = message;
                     for (const auto& [name, data] : can.carry_forward_events) {
                       carried.push_back(work_items::QueueMessage{item.instance, name, data});
                     }
                   },
                   [](const work_items::ActivityExecute&) {},
                   [&](const auto&) { batch.completions.push_back(message); },
               },
               message);
  }
  // Carried queue messages precede everything else of the batch (FIFO across continue-as-new).
  carried.insert(carried.end(), batch.completions.begin(), batch.completions.end());
  batch.completions = std::move(carried);
  return batch;
}

bool is_can(const std::optional<WorkItem>& start) {
  return start && std::holds_alternative<work_items::ContinueAsNew>(*start);
}

Event runtime_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t id, EventKind kind,
                    std::optional<std::uint64_t> source = std::nullopt) {
  return make_event(id, source, instance, execution_id, std::move(kind));
}

std::string batch_json(const std::vector<WorkItem>& messages) {
  auto array = nlohmann::json::array();
  for (const auto& message : messages) array.push_back(nlohmann::json::parse(serialize_work_item(message)));
  return array.dump();
}

/// Appends runtime events with consecutive ids after everything already in history + delta.
class DeltaWriter {
 public:
  /// `stored_floor`: the highest id among the execution's stored rows, which a decoded history
  /// can only understate if the store was edited behind our back.
  DeltaWriter(const std::string& instance, std::uint64_t execution_id, const std::vector<Event>& history,
              std::vector<Event>& delta, std::uint64_t stored_floor = 0)
      : instance_(instance),
        execution_id_(execution_id),
        delta_(delta),
        next_id_(std::max(max_event_id(history, delta), stored_floor) + 1) {}
  void append(EventKind kind, std::optional<std::uint64_t> source = std::nullopt) {
    delta_.push_back(runtime_event(instance_, execution_id_, next_id_++, std::move(kind), source));
  }
  /// After events were removed from the delta: continue right after what is left.
  void resync(const std::vector<Event>& history) { next_id_ = max_event_id(history, delta_) + 1; }

 private:
  const std::string& instance_;
  std::uint64_t execution_id_;
  std::vector<Event>& delta_;
  std::uint64_t next_id_;
};

std::vector<Event> concat(const std::vector<Event>& a, const std::vector<Event>& b) {
  std::vector<Event> all = a;
  all.insert(all.end(), b.begin(), b.end());
  return all;
}

/// §9.2 breadcrumbs for subscriptions still open at a terminal state.
void append_breadcrumbs(DeltaWriter& writer, const std::vector<Event>& full_history) {
  for (auto id : orchestration::outstanding_positional_subscriptions(full_history)) {
    writer.append(events::ExternalSubscribedCancelled{"orchestration_terminal"}, id);
  }
  for (auto id : orchestration::outstanding_persistent_subscriptions(full_history)) {
    writer.append(events::QueueSubscriptionCancelled{"orchestration_terminal"}, id);
  }
}

/// A parent notification for a finished child, or nothing when the parent moved on. When the
/// parent cannot be read, sets `read_error` (the caller must not commit as if it had moved on).
std::optional<WorkItem> notify_parent(const PlannerContext& context, const events::OrchestrationStarted& started,
                                      const std::string& instance,
                                      const std::variant<std::string, ErrorDetails>& outcome,
                                      std::optional<ProviderError>& read_error) {
  if (!started.parent_instance || !started.parent_id) return std::nullopt;
  auto lookup = context.parent_execution(*started.parent_instance, *started.parent_id, instance);
  if (lookup.read_error) {
    read_error = std::move(lookup.read_error);
    return std::nullopt;
  }
  const auto execution = lookup.waiting_execution;
  if (!execution) return std::nullopt;
  if (const auto* output = std::get_if<std::string>(&outcome)) {
    return work_items::SubOrchCompleted{*started.parent_instance, *execution, *started.parent_id, *output};
  }
  return work_items::SubOrchFailed{*started.parent_instance, *execution, *started.parent_id,
                                   std::get<ErrorDetails>(outcome)};
}

TurnPlan abandon(std::string reason, std::chrono::milliseconds delay) {
  TurnPlan plan;
  plan.outcome = TurnOutcome::Abandoned;
  plan.reason = std::move(reason);
  plan.abandon_delay = delay;
  return plan;
}

/// The parent of a finished child could not be read: retry the turn. A transient error does not
/// count as an attempt; a permanent one does, so the poison path ends a retry that cannot succeed.
TurnPlan abandon_for_parent(const std::string& instance, const ProviderError& error) {
  auto plan = abandon(
      fmt::format("cannot read the parent of finished child '{}' to notify it: {}", instance, error.to_string()),
      error.is_retryable() ? kParentReadRetryDelay : kRetryLaterDelay);
  plan.abandon_ignores_attempt = error.is_retryable();
  return plan;
}

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
    ack.metadata.status = "Failed";
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

TurnPlan drop(const OrchestrationItem& item, std::string reason) {
  TurnPlan plan;
  plan.outcome = TurnOutcome::Dropped;
  plan.reason = std::move(reason);
  plan.ack.execution_id = item.execution_id;
  plan.loaded_last_event_id = max_event_id(item.history);
  return plan;
}

/// The store could not use rows of this instance (corrupt queue messages, kept as dead letters, or
/// an instance row naming a missing execution). What they held is unknown, so going on as if they
/// never came could wait forever or act on half the facts: the execution fails with the store's
/// reasons (docs/failure-modes-corrupt-rows.md). A new execution still records its start first.
TurnPlan corrupt_rows_plan(const LockedOrchestrationItem& locked, const Batch& batch, const PlannerContext& context) {
  const auto& item = locked.item;
  std::string reasons;
  for (const auto& row : item.corrupt_rows) reasons += (reasons.empty() ? "" : "; ") + row.error;
  const ErrorDetails details = ErrorDetails::infrastructure(
      "fetch_orchestration_item", "stored data of this instance could not be used: " + reasons, false);

  const bool new_execution = is_can(batch.start);
  const std::uint64_t execution_id = new_execution ? item.execution_id + 1 : item.execution_id;
  static const std::vector<Event> kNoHistory;
  const std::vector<Event>& history = new_execution ? kNoHistory : item.history;
  TurnPlan plan;
  plan.outcome = TurnOutcome::Failed;
  plan.failure = details;
  plan.loaded_last_event_id = max_event_id(history);
  plan.ack.execution_id = execution_id;
  std::vector<Event>& delta = plan.ack.history_delta;
  if (history.empty()) {
    events::OrchestrationStarted started{
        item.orchestration_name.empty() ? "unknown" : item.orchestration_name, item.version, "", {}, {}, {}, {}};
    if (const auto* start = batch.start ? std::get_if<work_items::StartOrchestration>(&*batch.start) : nullptr) {
      started.name = start->orchestration;
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
  const auto full = concat(history, delta);
  const auto& started = *last_started(full);
  plan.orchestration_name = started.name;
  plan.orchestration_version = started.version;
  DeltaWriter writer(item.instance, execution_id, history, delta);
  append_breadcrumbs(writer, full);
  writer.append(events::OrchestrationFailed{details});
  for (auto id : orchestration::in_flight_activities(full)) {
    writer.append(events::ActivityCancelRequested{"orchestration_terminal_failed"}, id);
    plan.ack.cancelled_activities.push_back({item.instance, execution_id, id});
  }
  std::optional<ProviderError> read_error;
  if (auto notification = notify_parent(context, started, item.instance, details, read_error)) {
    plan.ack.orchestrator_items.push_back(std::move(*notification));
  }
  if (read_error) return abandon_for_parent(item.instance, *read_error);
  plan.ack.metadata = metadata_from_delta(delta);
  plan.ack.metadata.orchestration_name = started.name;
  plan.ack.metadata.orchestration_version = started.version;
  plan.history_events = history.size() + delta.size();
  return plan;
}

}  // namespace

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
      metadata.status = "Completed";
      metadata.output = completed->output;
      have_terminal = true;
    } else if (const auto* failed = event.get_if<events::OrchestrationFailed>()) {
      metadata.status = "Failed";
      metadata.output = failed->details.display_message();
      have_terminal = true;
    } else if (const auto* can = event.get_if<events::OrchestrationContinuedAsNew>()) {
      metadata.status = "ContinuedAsNew";
      metadata.output = can->input;
      have_terminal = true;
    }
  }
  return metadata;
}

TurnPlan plan_turn(const LockedOrchestrationItem& locked, const PlannerContext& context) {
  const auto& item = locked.item;
  const Batch batch = classify(item);

  // P4 / D1: poison before anything else (also covers undecodable history).
  if (locked.attempt_count > context.options.max_attempts) return poison_plan(locked, batch, context);
  // P5 / D2
  if (item.history_error) {
    return abandon(fmt::format("history cannot be decoded: {}", *item.history_error), kRetryLaterDelay);
  }

  // P1: defence in depth behind the provider's capability filter.
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

  // D5: terminal instance.
  const Ended ended = execution_ended(item.history);
  if (ended == Ended::CompletedOrFailed || (ended == Ended::ContinuedAsNew && !is_can(batch.start))) {
    return drop(item, "instance already finished; messages dropped");
  }
  if (!item.corrupt_rows.empty()) return corrupt_rows_plan(locked, batch, context);

  // D6 / D7
  const bool new_execution = is_can(batch.start);
  const std::uint64_t execution_id = new_execution ? item.execution_id + 1 : item.execution_id;
  static const std::vector<Event> kNoHistory;
  const std::vector<Event>& history = new_execution ? kNoHistory : item.history;
  std::string name;
  std::string input;
  std::optional<std::string> requested_version;
  std::optional<std::string> parent_instance;
  std::optional<std::uint64_t> parent_id;
  std::optional<std::uint64_t> parent_execution_id;
  std::vector<CarriedEvent> carry_forward;
  std::optional<std::string> initial_custom_status;
  if (batch.start) {
    if (const auto* start = std::get_if<work_items::StartOrchestration>(&*batch.start)) {
      name = start->orchestration;
      input = start->input;
      requested_version = start->version;
      parent_instance = start->parent_instance;
      parent_id = start->parent_id;
      parent_execution_id = start->parent_execution_id;
    } else {
      const auto& can = std::get<work_items::ContinueAsNew>(*batch.start);
      name = can.orchestration;
      input = can.input;
      requested_version = can.version;
      carry_forward = can.carry_forward_events;
      initial_custom_status = can.initial_custom_status;
      // DESIGN decision on spec/02 Q6: the parent link survives continue-as-new, so the final
      // execution reports to the parent.
      if (const auto* previous = last_started(item.history)) {
        parent_instance = previous->parent_instance;
        parent_id = previous->parent_id;
        parent_execution_id = previous->parent_execution_id;
      }
    }
  }
  if (const auto* started = last_started(history)) {
    // A start item for a running instance adds nothing: the execution keeps its own input.
    if (!batch.start) {
      name = started->name;
      requested_version = started->version;
      parent_instance = started->parent_instance;
      parent_id = started->parent_id;
      parent_execution_id = started->parent_execution_id;
    }
    input = started->input;
    if (!batch.start || requested_version == std::nullopt) requested_version = started->version;
  }
  if (requested_version && *requested_version == kUnknownVersion) requested_version.reset();

  // D8
  if (name.empty()) return drop(item, "messages for an instance that never started; dropped");

  // D9: handler resolution (spec/02 §16 X3).
  std::optional<OrchestrationRegistry::Resolved> resolved;
  if (requested_version) {
    if (auto version = Version::parse(*requested_version)) {
      resolved = context.registry.resolve_handler_exact(name, *version);
    }
  } else {
    resolved = context.registry.resolve_handler(name);
  }
  if (!resolved) {
    const auto delay = context.options.unregistered_backoff.delay(locked.attempt_count);
    auto plan =
        abandon(fmt::format("orchestration '{}' version {} is not registered (attempt {} of {})", name,
                            requested_version.value_or("latest"), locked.attempt_count, context.options.max_attempts),
                std::chrono::duration_cast<std::chrono::milliseconds>(delay));
    plan.orchestration_name = name;
    plan.orchestration_version = requested_version.value_or("latest");
    return plan;
  }
  const std::string version = resolved->version.to_string();

  TurnPlan plan;
  plan.orchestration_name = name;
  plan.orchestration_version = version;
  plan.loaded_last_event_id = max_event_id(history);
  plan.ack.execution_id = execution_id;
  std::vector<Event>& delta = plan.ack.history_delta;

  // D10 / D11
  orchestration::TurnInput turn;
  turn.instance_id = item.instance;
  turn.execution_id = execution_id;
  turn.orchestration_name = name;
  turn.orchestration_version = version;
  turn.baseline_view = &history;
  turn.persisted_len = history.size();
  if (history.empty()) {
    turn.baseline_view = nullptr;
    events::OrchestrationStarted started{
        name, version, input, parent_instance, parent_id, carry_forward, initial_custom_status, parent_execution_id};
    Event event = runtime_event(item.instance, execution_id, kInitialEventId, std::move(started));
    turn.baseline.push_back(event);
    delta.push_back(std::move(event));
    plan.started_execution = true;
    plan.started_by_continue_as_new = new_execution;
  }
  turn.input = last_started(turn.baseline_events())->input;
  turn.messages = batch.completions;
  turn.kv_snapshot = item.kv_snapshot;
  turn.handler = resolved->handler;
  turn.now_ms = context.now_ms;
  turn.trace_sink = context.trace_sink;

  orchestration::TurnOutput out = orchestration::run_turn(turn);
  delta.insert(delta.end(), out.history_delta.begin(), out.history_delta.end());
  const std::size_t turn_events_end = delta.size();  // what follows is the runtime's (outcome, breadcrumbs)
  const auto& started = *last_started(turn.baseline_events());
  // History + delta before any terminal event: only terminal results need it (built once, lazily).
  std::optional<std::vector<Event>> full_history;
  auto full_before_terminal = [&]() -> const std::vector<Event>& {
    if (!full_history) full_history = concat(history, delta);
    return *full_history;
  };
  DeltaWriter writer(item.instance, execution_id, history, delta);
  auto& ack = plan.ack;
  std::optional<ProviderError> parent_read_error;

  auto dispatch_detached = [&] {
    for (const auto& action : out.pending_actions) {
      if (const auto* detached = std::get_if<actions::StartOrchestrationDetached>(&action)) {
        ack.orchestrator_items.push_back(
            work_items::StartOrchestration{detached->instance, detached->name, detached->input, detached->version,
                                           std::nullopt, std::nullopt, kInitialExecutionId});
      }
    }
  };

  std::visit(
      detail::Overloaded{
          [&](const orchestration::turn_result::Continue&) {
            plan.outcome = TurnOutcome::Continued;
            for (const auto& action : out.pending_actions) {
              std::visit(
                  detail::Overloaded{
                      [&](const actions::CallActivity& a) {
                        ack.worker_items.push_back(work_items::ActivityExecute{
                            item.instance, execution_id, a.scheduling_event_id, a.name, a.input, a.session_id, a.tag});
                      },
                      [&](const actions::CreateTimer& t) {
                        ack.orchestrator_items.push_back(
                            work_items::TimerFired{item.instance, execution_id, t.scheduling_event_id, t.fire_at_ms});
                      },
                      [&](const actions::StartSubOrchestration& s) {
                        // The child records which parent execution scheduled it, as duroxide
                        // does; routing its outcome still reads the parent (docs/core.md).
                        ack.orchestrator_items.push_back(work_items::StartOrchestration{
                            build_child_instance_id(item.instance, s.instance), s.name, s.input, s.version,
                            item.instance, s.scheduling_event_id, kInitialExecutionId, execution_id});
                      },
                      [&](const actions::StartOrchestrationDetached& d) {
                        ack.orchestrator_items.push_back(work_items::StartOrchestration{
                            d.instance, d.name, d.input, d.version, std::nullopt, std::nullopt, kInitialExecutionId});
                      },
                      [](const auto&) {},
                  },
                  action);
            }
          },
          [&](const orchestration::turn_result::Completed& completed) {
            plan.outcome = TurnOutcome::Completed;
            append_breadcrumbs(writer, full_before_terminal());
            writer.append(events::OrchestrationCompleted{completed.output});
            dispatch_detached();
            if (auto n = notify_parent(context, started, item.instance, completed.output, parent_read_error)) {
              ack.orchestrator_items.push_back(std::move(*n));
            }
          },
          [&](const orchestration::turn_result::Failed& failed) {
            plan.outcome = TurnOutcome::Failed;
            plan.failure = failed.details;
            append_breadcrumbs(writer, full_before_terminal());
            writer.append(events::OrchestrationFailed{failed.details});
            dispatch_detached();
            if (auto n = notify_parent(context, started, item.instance, failed.details, parent_read_error)) {
              ack.orchestrator_items.push_back(std::move(*n));
            }
          },
          [&](const orchestration::turn_result::ContinueAsNew& can) {
            plan.outcome = TurnOutcome::ContinuedAsNew;
            // Computed before the breadcrumbs so they do not count as consumption.
            auto carried = orchestration::unmatched_queue_messages(full_before_terminal());
            if (carried.size() > kMaxCarryForwardEvents) carried.resize(kMaxCarryForwardEvents);
            append_breadcrumbs(writer, full_before_terminal());
            writer.append(events::OrchestrationContinuedAsNew{can.input});
            ack.orchestrator_items.push_back(
                work_items::ContinueAsNew{item.instance, name, can.input, can.version, std::move(carried),
                                          orchestration::final_custom_status(full_before_terminal())});
          },
          [&](const orchestration::turn_result::Cancelled& cancelled) {
            plan.outcome = TurnOutcome::Failed;
            ErrorDetails details = error::Application{AppErrorKind::cancelled(cancelled.reason), "", false};
            plan.failure = details;
            append_breadcrumbs(writer, full_before_terminal());
            writer.append(events::OrchestrationFailed{details});
            for (const auto& child : orchestration::outstanding_children(full_before_terminal())) {
              ack.orchestrator_items.push_back(
                  work_items::CancelInstance{build_child_instance_id(item.instance, child), "parent canceled"});
            }
            if (auto n = notify_parent(context, started, item.instance, details, parent_read_error)) {
              ack.orchestrator_items.push_back(std::move(*n));
            }
          },
      },
      out.result);
  if (parent_read_error) return abandon_for_parent(item.instance, *parent_read_error);

  // Side channels of every turn: dropped futures.
  std::set<std::uint64_t> cancelled_ids(out.cancelled_activity_ids.begin(), out.cancelled_activity_ids.end());
  for (const auto& child : out.cancelled_child_instances) {
    ack.orchestrator_items.push_back(work_items::CancelInstance{build_child_instance_id(item.instance, child),
                                                                "parent dropped sub-orchestration future"});
  }

  ack.metadata = metadata_from_delta(delta);

  // §17 limits: the first violation fails the orchestration and discards its work items.
  if (auto violation = orchestration::check_turn_limits(history, delta, item.kv_snapshot)) {
    ErrorDetails details = error::Application{AppErrorKind::orchestration_failed(), *violation, false};
    writer.append(events::OrchestrationFailed{details});
    ack.worker_items.clear();
    ack.orchestrator_items.clear();
    ack.metadata.status = "Failed";
    ack.metadata.output = details.display_message();
    plan.outcome = TurnOutcome::Failed;
    plan.failure = details;
  }

  // Stored strings must be UTF-8 (docs/core.md): a turn that would store other bytes ends the
  // orchestration Failed, naming the field, instead of committing them. Events from the first bad
  // one on (and the runtime's outcome events) are not committed; the OrchestrationStarted always is.
  if (auto invalid = find_invalid_utf8(delta, ack.orchestrator_items, ack.worker_items)) {
    const std::size_t keep =
        std::max<std::size_t>(std::min(invalid->first_bad_event, turn_events_end), plan.started_execution ? 1 : 0);
    delta.erase(delta.begin() + static_cast<std::ptrdiff_t>(keep), delta.end());
    writer.resync(history);
    ack.worker_items.clear();
    ack.orchestrator_items.clear();
    ErrorDetails details = error::Application{AppErrorKind::orchestration_failed(), invalid->message, false};
    append_breadcrumbs(writer, concat(history, delta));
    writer.append(events::OrchestrationFailed{details});
    if (auto n = notify_parent(context, started, item.instance, details, parent_read_error)) {
      ack.orchestrator_items.push_back(std::move(*n));
    }
    if (parent_read_error) return abandon_for_parent(item.instance, *parent_read_error);
    ack.metadata = metadata_from_delta(delta);
    plan.outcome = TurnOutcome::Failed;
    plan.failure = details;
  }

  // §9.1 terminal cancellation of in-flight activities (their worker rows are deleted by the ack).
  if (ack.metadata.status && *ack.metadata.status != "Running") {
    const char* reason = *ack.metadata.status == "Completed" ? "orchestration_terminal_completed"
                         : *ack.metadata.status == "Failed"  ? "orchestration_terminal_failed"
                                                             : "orchestration_terminal_continued_as_new";
    for (auto id : orchestration::in_flight_activities(concat(history, delta))) {
      writer.append(events::ActivityCancelRequested{reason}, id);
      cancelled_ids.insert(id);
    }
  }
  for (auto id : cancelled_ids) ack.cancelled_activities.push_back({item.instance, execution_id, id});

  plan.history_events = history.size() + delta.size();
  return plan;
}

}  // namespace duroxide::runtime
