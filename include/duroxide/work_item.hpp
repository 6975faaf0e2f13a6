// WorkItem: queue messages between the runtime, the store and the workers (docs/core.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>

namespace duroxide {

namespace work_items {
/// Start an instance (client, sub-orchestration or detached start). Orchestrator queue.
struct StartOrchestration {
  std::string instance;
  std::string orchestration;
  std::string input;
  std::optional<std::string> version;  ///< absent = resolve by the registry's version policy
  std::optional<std::string> parent_instance;
  std::optional<std::uint64_t> parent_id;
  std::uint64_t execution_id = 1;
  /// For a sub-orchestration: the execution of parent_instance that scheduled it; absent for
  /// client and detached starts. Declared last so older positional initializers stay complete;
  /// on the wire it sits between parent_id and execution_id (docs/core.md).
  std::optional<std::uint64_t> parent_execution_id = std::nullopt;
  /// The W3C traceparent the new instance continues (docs/tracing.md); absent: a new trace.
  std::optional<std::string> trace_parent = std::nullopt;
  bool operator==(const StartOrchestration&) const = default;
};
/// Run an activity. Worker queue.
struct ActivityExecute {
  std::string instance;
  std::uint64_t execution_id = 0;
  std::uint64_t id = 0;  ///< event_id of the ActivityScheduled event
  std::string name;
  std::string input;
  std::optional<std::string> session_id;
  std::optional<std::string> tag;
  /// The orchestration span this activity runs in, as a W3C traceparent (docs/tracing.md).
  std::optional<std::string> trace_parent = std::nullopt;
  bool operator==(const ActivityExecute&) const = default;
};
struct ActivityCompleted {
  std::string instance;
  std::uint64_t execution_id = 0;
  std::uint64_t id = 0;
  std::string result;
  bool operator==(const ActivityCompleted&) const = default;
};
struct ActivityFailed {
  std::string instance;
  std::uint64_t execution_id = 0;
  std::uint64_t id = 0;
  ErrorDetails details;
  bool operator==(const ActivityFailed&) const = default;
};
/// Not visible in the orchestrator queue before fire_at_ms.
struct TimerFired {
  std::string instance;
  std::uint64_t execution_id = 0;
  std::uint64_t id = 0;  ///< event_id of the TimerCreated event
  std::uint64_t fire_at_ms = 0;
  bool operator==(const TimerFired&) const = default;
};
struct ExternalRaised {
  std::string instance;
  std::string name;
  std::string data;
  bool operator==(const ExternalRaised&) const = default;
};
/// Routed to parent_instance.
struct SubOrchCompleted {
  std::string parent_instance;
  std::uint64_t parent_execution_id = 0;
  std::uint64_t parent_id = 0;  ///< event_id of SubOrchestrationScheduled in the parent
  std::string result;
  bool operator==(const SubOrchCompleted&) const = default;
};
/// Routed to parent_instance.
struct SubOrchFailed {
  std::string parent_instance;
  std::uint64_t parent_execution_id = 0;
  std::uint64_t parent_id = 0;
  ErrorDetails details;
  bool operator==(const SubOrchFailed&) const = default;
};
struct CancelInstance {
  std::string instance;
  std::string reason;
  bool operator==(const CancelInstance&) const = default;
};
struct ContinueAsNew {
  std::string instance;
  std::string orchestration;
  std::string input;
  std::optional<std::string> version;
  std::vector<CarriedEvent> carry_forward_events;
  std::optional<std::string> initial_custom_status;
  /// The ending execution's recorded trace_parent, kept by the next one (docs/tracing.md).
  std::optional<std::string> trace_parent = std::nullopt;
  bool operator==(const ContinueAsNew&) const = default;
};
/// A message for the instance's persistent event queue (log name "ExternalRaisedPersistent").
struct QueueMessage {
  std::string instance;
  std::string name;
  std::string data;
  bool operator==(const QueueMessage&) const = default;
};
/// End the instance at once as Terminated, without running its code (Client::terminate_instance;
/// docs/terminate.md). Our extension: duroxide cannot read it. `recursive`: its open
/// sub-orchestrations are terminated too.
struct TerminateInstance {
  std::string instance;
  std::string reason;
  bool recursive = true;
  bool operator==(const TerminateInstance&) const = default;
};
/// Suspend the instance: its code runs no more turns until resumed; messages keep being recorded
/// (Client::suspend_instance; docs/suspend-resume.md). Our extension.
struct SuspendInstance {
  std::string instance;
  std::string reason;
  bool operator==(const SuspendInstance&) const = default;
};
/// Resume a suspended instance (Client::resume_instance). Our extension.
struct ResumeInstance {
  std::string instance;
  std::string reason;
  bool operator==(const ResumeInstance&) const = default;
};
/// Take a failed instance back to before its failure (Client::rewind_instance; docs/rewind.md).
/// Sent to the open children of a rewound parent too: a failed child is rewound, one that ended
/// otherwise reports its outcome to the parent again. Our extension.
struct RewindInstance {
  std::string instance;
  std::string reason;
  bool operator==(const RewindInstance&) const = default;
};
}  // namespace work_items

using WorkItem =
    std::variant<work_items::StartOrchestration, work_items::ActivityExecute, work_items::ActivityCompleted,
                 work_items::ActivityFailed, work_items::TimerFired, work_items::ExternalRaised,
                 work_items::SubOrchCompleted, work_items::SubOrchFailed, work_items::CancelInstance,
                 work_items::ContinueAsNew, work_items::QueueMessage, work_items::TerminateInstance,
                 work_items::SuspendInstance, work_items::ResumeInstance, work_items::RewindInstance>;

/// The wire variant name ("StartOrchestration", ..., "RewindInstance").
std::string_view work_item_type_name(const WorkItem& item);
/// The name used in logs and metrics: the variant name, except "ExternalRaisedPersistent" for
/// QueueMessage.
std::string_view work_item_log_name(const WorkItem& item);
/// The instance whose queue the item belongs to (parent_instance for sub-orchestration outcomes).
const std::string& work_item_instance(const WorkItem& item);
/// True for ActivityExecute (the worker queue); every other kind goes to the orchestrator queue.
bool is_worker_item(const WorkItem& item);

}  // namespace duroxide
