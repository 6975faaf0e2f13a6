#pragma once
// The orchestration dispatcher's decision for one locked batch (docs/runtime.md, "Runtime", and
// docs/orchestration-engine.md): either abandon it (with a delay) or ack it with exactly this turn's writes. Pure apart
// from the injected lookups, so every rule is testable without threads or storage.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/detail/context_state.hpp>
#include <duroxide/provider_types.hpp>
#include <duroxide/registry.hpp>
#include <duroxide/runtime_options.hpp>

#include "orchestration/replay_engine.hpp"

namespace duroxide::runtime {

/// What the store says about the parent a finished child reports to (docs/runtime.md, "Departures from duroxide").
struct ParentLookup {
  /// The parent's execution still waiting for the child; nothing when the parent moved on.
  std::optional<std::uint64_t> waiting_execution;
  /// The parent's history could not be read, so whether it still waits is unknown: the child's
  /// turn is retried rather than its notification dropped (docs/failure-modes-runtime.md).
  std::optional<ProviderError> read_error;
};

struct PlannerContext {
  const OrchestrationRegistry& registry;
  const RuntimeOptions& options;
  /// Looks up the parent `parent` waiting for child `child_instance` (scheduled as event `parent_id`).
  std::function<ParentLookup(const std::string& parent, std::uint64_t parent_id, const std::string& child_instance)>
      parent_execution;
  std::function<std::uint64_t()> now_ms;
  TraceSink trace_sink;
};

enum class TurnOutcome {
  Abandoned,  ///< batch released for later (delay below)
  Dropped,    ///< messages consumed without a turn (terminal instance, never-started instance)
  Continued,  ///< the turn ran; the instance is still running
  Completed,
  Failed,
  ContinuedAsNew,
  Poisoned,
  Terminated,  ///< ended by a TerminateInstance message without running the code (reason below)
  Suspended,   ///< the instance is suspended: the batch was recorded, the code did not run
};

struct TurnPlan {
  TurnOutcome outcome = TurnOutcome::Dropped;
  /// Why the batch was abandoned or dropped, or the instance terminated (for the log).
  std::string reason;
  std::chrono::milliseconds abandon_delay{0};
  /// The abandon does not count as an attempt (a transient store error, not the batch's fault).
  bool abandon_ignores_attempt = false;
  OrchestrationAck ack;
  std::string orchestration_name;
  std::string orchestration_version;
  /// Set for Failed / Poisoned.
  std::optional<ErrorDetails> failure;
  /// The turn appended OrchestrationStarted (a new execution began).
  bool started_execution = false;
  bool started_by_continue_as_new = false;
  /// Highest event id of the stored history of the execution (for the infrastructure-failure
  /// fallback ack, which appends after it).
  std::uint64_t loaded_last_event_id = 0;
  std::size_t history_events = 0;  ///< history length after the turn
  /// The turn rewound a failed execution (docs/rewind.md): it runs again (reason above).
  bool rewound = false;
};

TurnPlan plan_turn(const LockedOrchestrationItem& locked, const PlannerContext& context);

/// The same, resuming `session` when it holds the execution's live state as of the fetched
/// history (docs/runtime.md, "Instance cache"). Afterwards `session` holds the live state when
/// the plan is Continued, and is empty otherwise.
TurnPlan plan_turn(const LockedOrchestrationItem& locked, const PlannerContext& context,
                   orchestration::ReplaySessionPtr& session);

/// Execution metadata of an ack from its delta: the first OrchestrationStarted and the first
/// terminal event (docs/orchestration-engine.md, "Terminal states").
ExecutionMetadata metadata_from_delta(const std::vector<Event>& delta);

}  // namespace duroxide::runtime
