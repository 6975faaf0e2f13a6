#include "runtime/suspension.hpp"

#include <fmt/format.h>

namespace duroxide::runtime {

bool is_suspended(const std::vector<Event>& history) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->is<events::OrchestrationSuspended>()) return true;
    if (it->is<events::OrchestrationResumed>() || it->is<events::OrchestrationStarted>()) return false;
  }
  return false;
}

SuspensionStep plan_suspension(bool suspended, const std::vector<WorkItem>& messages) {
  const work_items::SuspendInstance* suspend = nullptr;
  const work_items::ResumeInstance* resume = nullptr;
  const work_items::CancelInstance* cancel = nullptr;
  for (const auto& message : messages) {
    if (const auto* s = std::get_if<work_items::SuspendInstance>(&message)) {
      suspend = s;
      resume = nullptr;
    } else if (const auto* r = std::get_if<work_items::ResumeInstance>(&message)) {
      resume = r;
      suspend = nullptr;
    } else if (const auto* c = std::get_if<work_items::CancelInstance>(&message); c != nullptr && !cancel) {
      cancel = c;
    }
  }
  SuspensionStep step;
  if (suspended) {
    if (resume == nullptr && cancel == nullptr) {
      step.record_only = true;
      return step;
    }
    const std::string reason =
        resume != nullptr ? resume->reason : fmt::format("resumed to carry out a cancellation: {}", cancel->reason);
    step.control_event = events::OrchestrationResumed{reason};
    step.status = ExecutionStatus::Running;
    return step;
  }
  if (suspend != nullptr && cancel == nullptr) {
    step.record_only = true;
    step.control_event = events::OrchestrationSuspended{suspend->reason};
    step.status = ExecutionStatus::Suspended;
    step.status_output = suspend->reason;
  }
  return step;
}

}  // namespace duroxide::runtime
