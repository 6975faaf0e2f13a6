#include "runtime/plan_building.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/wire.hpp>

#include "core/overloaded.hpp"
#include "orchestration/history_queries.hpp"
#include "orchestration/rewind_history.hpp"

namespace duroxide::runtime::planning {

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

Ended execution_ended(const std::vector<Event>& history) {
  auto start = history.begin();
  for (auto it = history.begin(); it != history.end(); ++it) {
    if (it->is<events::OrchestrationStarted>()) start = it;
  }
  std::optional<std::set<std::uint64_t>> superseded;  // read only once an ending is found
  Ended ended = Ended::No;
  for (auto it = start; it != history.end(); ++it) {
    if (it->is<events::OrchestrationCompleted>() || it->is<events::OrchestrationFailed>() ||
        it->is<events::OrchestrationTerminated>()) {
      if (!superseded) superseded = orchestration::superseded_events(history);
      if (!superseded->contains(it->event_id)) return Ended::ForGood;
      continue;
    }
    if (it->is<events::OrchestrationContinuedAsNew>()) ended = Ended::ContinuedAsNew;
  }
  return ended;
}

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
                    std::optional<std::uint64_t> source) {
  return make_event(id, source, instance, execution_id, std::move(kind));
}

std::string batch_json(const std::vector<WorkItem>& messages) {
  auto array = nlohmann::json::array();
  for (const auto& message : messages) array.push_back(nlohmann::json::parse(serialize_work_item(message)));
  return array.dump();
}

std::vector<Event> concat(const std::vector<Event>& a, const std::vector<Event>& b) {
  std::vector<Event> all = a;
  all.insert(all.end(), b.begin(), b.end());
  return all;
}

/// History + delta as the code sees it: without what a rewind superseded (docs/rewind.md).
std::vector<Event> effective_concat(const std::vector<Event>& a, const std::vector<Event>& b) {
  // Every terminal turn comes here: filter in place, and only a rewound history, not a copy of each.
  auto all = concat(a, b);
  if (const auto superseded = orchestration::superseded_events(all); !superseded.empty())
    std::erase_if(all, [&](const Event& event) { return superseded.contains(event.event_id); });
  return all;
}

/// Breadcrumbs for subscriptions still open at a terminal state (docs/orchestration-engine.md).
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

/// Adds the notification of a failed child's `details` to the ack (nothing when it has no
/// parent); returns the plan to use instead when the parent cannot be read.
std::optional<TurnPlan> notify_parent_of_failure(const PlannerContext& context,
                                                 const events::OrchestrationStarted& started,
                                                 const std::string& instance, const ErrorDetails& details,
                                                 OrchestrationAck& ack) {
  std::optional<ProviderError> read_error;
  if (auto n = notify_parent(context, started, instance, details, read_error)) {
    ack.orchestrator_items.push_back(std::move(*n));
  }
  if (read_error) return abandon_for_parent(instance, *read_error);
  return std::nullopt;
}

TurnPlan drop(const OrchestrationItem& item, std::string reason) {
  TurnPlan plan;
  plan.outcome = TurnOutcome::Dropped;
  plan.reason = std::move(reason);
  plan.ack.execution_id = item.execution_id;
  plan.loaded_last_event_id = max_event_id(item.history);
  return plan;
}

}  // namespace duroxide::runtime::planning
