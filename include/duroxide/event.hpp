// Event: one append-only history record (docs/core.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <duroxide/error_details.hpp>

namespace duroxide {

/// A queue message carried forward across continue-as-new: (queue name, data).
using CarriedEvent = std::pair<std::string, std::string>;

/// The payload of each event kind. Type names are duroxide's internal names; the wire tag of each
/// (docs/core.md) is given where it differs and returned by `event_type_name()`.
namespace events {
/// First event of every execution (event_id 1).
struct OrchestrationStarted {
  std::string name;
  std::string version;
  std::string input;
  std::optional<std::string> parent_instance;
  std::optional<std::uint64_t> parent_id;
  /// Non-empty only on an execution started by continue-as-new (audit; docs/orchestration-engine.md).
  std::vector<CarriedEvent> carry_forward_events;
  /// Set only on a continue-as-new execution whose predecessor had a custom status.
  std::optional<std::string> initial_custom_status;
  /// On a sub-orchestration: the parent execution that scheduled it (absent on root instances
  /// and in histories written before the field existed). Recorded, never replayed against.
  /// Declared last so positional initializers that predate it stay complete; on the wire it
  /// follows parent_id (docs/core.md).
  std::optional<std::uint64_t> parent_execution_id = std::nullopt;
  /// The W3C traceparent this execution continues: given at start, or the parent's span for a
  /// child; absent for a trace's root (docs/tracing.md). Recorded, never replayed against.
  std::optional<std::string> trace_parent = std::nullopt;
  bool operator==(const OrchestrationStarted&) const = default;
};
struct OrchestrationCompleted {
  std::string output;
  bool operator==(const OrchestrationCompleted&) const = default;
};
struct OrchestrationFailed {
  ErrorDetails details;
  bool operator==(const OrchestrationFailed&) const = default;
};
struct ActivityScheduled {
  std::string name;
  std::string input;
  std::optional<std::string> session_id;
  std::optional<std::string> tag;
  bool operator==(const ActivityScheduled&) const = default;
};
struct ActivityCompleted {
  std::string result;
  bool operator==(const ActivityCompleted&) const = default;
};
struct ActivityFailed {
  ErrorDetails details;
  bool operator==(const ActivityFailed&) const = default;
};
struct ActivityCancelRequested {
  std::string reason;
  bool operator==(const ActivityCancelRequested&) const = default;
};
struct TimerCreated {
  std::uint64_t fire_at_ms = 0;
  bool operator==(const TimerCreated&) const = default;
};
struct TimerFired {
  std::uint64_t fire_at_ms = 0;
  bool operator==(const TimerFired&) const = default;
};
struct ExternalSubscribed {
  std::string name;
  bool operator==(const ExternalSubscribed&) const = default;
};
struct ExternalEvent {
  std::string name;
  std::string data;
  bool operator==(const ExternalEvent&) const = default;
};
/// A detached orchestration start (wire tag "OrchestrationChained").
struct OrchestrationChained {
  std::string name;
  std::string instance;
  std::string input;
  bool operator==(const OrchestrationChained&) const = default;
};
struct SubOrchestrationScheduled {
  std::string name;
  std::string instance;
  std::string input;
  bool operator==(const SubOrchestrationScheduled&) const = default;
};
struct SubOrchestrationCompleted {
  std::string result;
  bool operator==(const SubOrchestrationCompleted&) const = default;
};
struct SubOrchestrationFailed {
  ErrorDetails details;
  bool operator==(const SubOrchestrationFailed&) const = default;
};
struct SubOrchestrationCancelRequested {
  std::string reason;
  bool operator==(const SubOrchestrationCancelRequested&) const = default;
};
struct OrchestrationContinuedAsNew {
  std::string input;
  bool operator==(const OrchestrationContinuedAsNew&) const = default;
};
struct OrchestrationCancelRequested {
  std::string reason;
  bool operator==(const OrchestrationCancelRequested&) const = default;
};
struct ExternalSubscribedCancelled {
  std::string reason;
  bool operator==(const ExternalSubscribedCancelled&) const = default;
};
/// Wire tag "ExternalSubscribedPersistent".
struct QueueSubscribed {
  std::string name;
  bool operator==(const QueueSubscribed&) const = default;
};
/// Wire tag "ExternalEventPersistent".
struct QueueEventDelivered {
  std::string name;
  std::string data;
  bool operator==(const QueueEventDelivered&) const = default;
};
/// Wire tag "ExternalSubscribedPersistentCancelled".
struct QueueSubscriptionCancelled {
  std::string reason;
  bool operator==(const QueueSubscriptionCancelled&) const = default;
};
/// `status` absent = custom status cleared.
struct CustomStatusUpdated {
  std::optional<std::string> status;
  bool operator==(const CustomStatusUpdated&) const = default;
};
struct KeyValueSet {
  std::string key;
  std::string value;
  std::uint64_t last_updated_at_ms = 0;
  bool operator==(const KeyValueSet&) const = default;
};
struct KeyValueCleared {
  std::string key;
  bool operator==(const KeyValueCleared&) const = default;
};
struct KeyValuesCleared {
  bool operator==(const KeyValuesCleared&) const = default;
};
/// The instance was terminated by an operator (Client::terminate_instance): it ended without
/// running its code again. Our extension: duroxide has no such event (docs/terminate.md).
struct OrchestrationTerminated {
  std::string reason;
  bool operator==(const OrchestrationTerminated&) const = default;
};
/// An operator suspended the instance (Client::suspend_instance): until it is resumed, messages
/// are recorded but its code does not run. Our extension (docs/suspend-resume.md).
struct OrchestrationSuspended {
  std::string reason;
  bool operator==(const OrchestrationSuspended&) const = default;
};
/// The instance was resumed (Client::resume_instance, or a cancel of the suspended instance).
struct OrchestrationResumed {
  std::string reason;
  bool operator==(const OrchestrationResumed&) const = default;
};
/// An operator rewound the failed instance (Client::rewind_instance): the events listed in
/// `superseded` (the failure, the failed outcomes that led to it and what the code did after
/// them) no longer count; the failed work runs again and the code replays without them. Our
/// extension (docs/rewind.md).
struct OrchestrationRewound {
  std::string reason;
  std::vector<std::uint64_t> superseded;
  bool operator==(const OrchestrationRewound&) const = default;
};
}  // namespace events

using EventKind = std::variant<
    events::OrchestrationStarted, events::OrchestrationCompleted, events::OrchestrationFailed,
    events::ActivityScheduled, events::ActivityCompleted, events::ActivityFailed, events::ActivityCancelRequested,
    events::TimerCreated, events::TimerFired, events::ExternalSubscribed, events::ExternalEvent,
    events::OrchestrationChained, events::SubOrchestrationScheduled, events::SubOrchestrationCompleted,
    events::SubOrchestrationFailed, events::SubOrchestrationCancelRequested, events::OrchestrationContinuedAsNew,
    events::OrchestrationCancelRequested, events::ExternalSubscribedCancelled, events::QueueSubscribed,
    events::QueueEventDelivered, events::QueueSubscriptionCancelled, events::CustomStatusUpdated, events::KeyValueSet,
    events::KeyValueCleared, events::KeyValuesCleared, events::OrchestrationTerminated, events::OrchestrationSuspended,
    events::OrchestrationResumed, events::OrchestrationRewound>;

/// One history record: common metadata plus the kind-specific payload.
struct Event {
  /// Position in the execution's history; OrchestrationStarted is 1.
  std::uint64_t event_id = 0;
  /// For completions and cancellation breadcrumbs: the scheduling event they refer to.
  std::optional<std::uint64_t> source_event_id;
  std::string instance_id;
  std::uint64_t execution_id = 0;
  /// Wall-clock ms since the Unix epoch when the event was created. Never drives logic.
  std::uint64_t timestamp_ms = 0;
  /// Semver of the library that created the event; the first event's value pins the execution.
  std::string duroxide_version;
  EventKind kind;

  bool operator==(const Event&) const = default;

  template <class T>
  bool is() const {
    return std::holds_alternative<T>(kind);
  }
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&kind);
  }
  template <class T>
  T* get_if() {
    return std::get_if<T>(&kind);
  }

  /// True for OrchestrationCompleted, OrchestrationFailed, OrchestrationContinuedAsNew and
  /// OrchestrationTerminated.
  bool is_terminal() const;
  /// The wire tag of this event's kind (e.g. "ExternalEventPersistent").
  std::string_view type_name() const;
};

/// The wire tag of an event kind.
std::string_view event_type_name(const EventKind& kind);

/// Builds an event stamped with the current time and kDuroxideCompatVersion.
Event make_event(std::uint64_t event_id, std::optional<std::uint64_t> source_event_id, std::string instance_id,
                 std::uint64_t execution_id, EventKind kind);

}  // namespace duroxide
