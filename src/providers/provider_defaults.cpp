// Default implementations of Provider's optional methods, and the names of statuses and error kinds
// (docs/storage.md).
#include <algorithm>

#include <duroxide/provider.hpp>

namespace duroxide {

std::string_view to_string(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::Running:
      return "Running";
    case ExecutionStatus::Completed:
      return "Completed";
    case ExecutionStatus::Failed:
      return "Failed";
    case ExecutionStatus::ContinuedAsNew:
      return "ContinuedAsNew";
    case ExecutionStatus::Terminated:
      return "Terminated";
    case ExecutionStatus::Suspended:
      return "Suspended";
  }
  return "Running";
}

std::optional<ExecutionStatus> parse_execution_status(std::string_view text) {
  for (auto status : {ExecutionStatus::Running, ExecutionStatus::Completed, ExecutionStatus::Failed,
                      ExecutionStatus::ContinuedAsNew, ExecutionStatus::Terminated, ExecutionStatus::Suspended}) {
    if (text == to_string(status)) return status;
  }
  return std::nullopt;
}

std::string_view to_string(ProviderErrorKind kind) {
  switch (kind) {
    case ProviderErrorKind::Other:
      return "Other";
    case ProviderErrorKind::NotFound:
      return "NotFound";
    case ProviderErrorKind::InstanceStillRunning:
      return "InstanceStillRunning";
    case ProviderErrorKind::CannotDeleteSubOrchestration:
      return "CannotDeleteSubOrchestration";
    case ProviderErrorKind::LockLost:
      return "LockLost";
    case ProviderErrorKind::DuplicateEvent:
      return "DuplicateEvent";
    case ProviderErrorKind::InvalidInput:
      return "InvalidInput";
    case ProviderErrorKind::PayloadTooLarge:
      return "PayloadTooLarge";
  }
  return "Other";
}

ProviderResult<std::vector<LockedOrchestrationItem>> Provider::fetch_orchestration_items(
    std::size_t max_items, Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
    const KnownHistory* known) {
  std::vector<LockedOrchestrationItem> items;
  if (max_items == 0) return items;
  auto fetched = fetch_orchestration_item(lock_timeout, poll_timeout, filter, known);
  if (!fetched) return std::unexpected(std::move(fetched.error()));
  if (fetched->has_value()) items.push_back(std::move(**fetched));
  return items;
}

std::vector<ProviderResult<void>> Provider::ack_orchestration_items(const std::vector<TurnCommit>& turns) {
  std::vector<ProviderResult<void>> results;
  results.reserve(turns.size());
  for (const auto& turn : turns) results.push_back(ack_orchestration_item(turn.lock_token, turn.ack));
  return results;
}

ProviderResult<std::optional<InstanceStatusRecord>> Provider::get_instance_status(const std::string& instance) {
  // A store without status metadata: the latest execution's history says it, newest event first.
  auto history = read(instance);
  if (!history) return std::unexpected(std::move(history.error()));
  const bool started = std::any_of(history->begin(), history->end(),
                                   [](const Event& e) { return e.is<events::OrchestrationStarted>(); });
  if (!started) return std::optional<InstanceStatusRecord>();
  InstanceStatusRecord record;
  record.status = ExecutionStatus::Running;
  for (auto it = history->rbegin(); it != history->rend(); ++it) {
    if (const auto* completed = it->get_if<events::OrchestrationCompleted>()) {
      record.status = ExecutionStatus::Completed;
      record.output = completed->output;
      break;
    }
    if (const auto* failed = it->get_if<events::OrchestrationFailed>()) {
      record.status = ExecutionStatus::Failed;
      record.failure = failed->details;
      break;
    }
    if (const auto* terminated = it->get_if<events::OrchestrationTerminated>()) {
      record.status = ExecutionStatus::Terminated;
      record.output = terminated->reason;
      break;
    }
    if (const auto* suspended = it->get_if<events::OrchestrationSuspended>()) {
      record.status = ExecutionStatus::Suspended;
      record.output = suspended->reason;
      break;
    }
    // Resumed, or rewound (what the rewind superseded is older than it): running.
    if (it->is<events::OrchestrationResumed>() || it->is<events::OrchestrationRewound>()) break;
  }
  auto custom = get_custom_status(instance, 0);
  if (!custom) return std::unexpected(std::move(custom.error()));
  if (*custom) {
    record.custom_status = (*custom)->status;
    record.custom_status_version = (*custom)->version;
  }
  return std::optional<InstanceStatusRecord>(std::move(record));
}

}  // namespace duroxide
