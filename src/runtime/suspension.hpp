#pragma once
// Suspend and resume (docs/suspend-resume.md): what a batch does to an instance's suspension.
// Pure: the planner applies the step to its turn.

#include <optional>
#include <string>
#include <vector>

#include <duroxide/event.hpp>
#include <duroxide/provider_types.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide::runtime {

/// What a batch does to the suspension of the execution it runs on.
struct SuspensionStep {
  /// The code does not run this turn: the messages are only recorded.
  bool record_only = false;
  /// OrchestrationSuspended or OrchestrationResumed, recorded before the batch's messages.
  std::optional<EventKind> control_event;
  /// The execution's new status (Suspended, or Running again) unless the turn ends it.
  std::optional<ExecutionStatus> status;
  std::optional<std::string> status_output;  ///< the suspension's reason
};

/// Whether the execution whose events are `history` is suspended: its last OrchestrationSuspended
/// has no OrchestrationResumed after it.
bool is_suspended(const std::vector<Event>& history);

/// The step for a batch's messages on an execution that `suspended` or not. The last suspend or
/// resume of the batch decides; one that changes nothing records nothing. A cancel resumes a
/// suspended instance (its code must run to carry it out) and wins over a suspend in its batch.
SuspensionStep plan_suspension(bool suspended, const std::vector<WorkItem>& messages);

}  // namespace duroxide::runtime
