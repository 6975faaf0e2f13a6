#pragma once
// What the orchestration dispatcher commits when a turn's ack failed permanently (docs/runtime.md,
// docs/failure-modes-runtime.md): the instance ends Failed with the store's error instead of
// retrying a commit that can never succeed. Built so that it cannot collide with what made the
// turn fail: the failure is appended after every stored row of the execution (the store's row-level
// maximum, known even when rows cannot be decoded), and a second variant leaves out the payloads of
// the execution's start event in case they were what the store refused.

#include <optional>
#include <vector>

#include <duroxide/provider_types.hpp>

#include "runtime/turn_planner.hpp"

namespace duroxide::runtime {

/// The parent a failing instance reports to: instance, scheduling event id.
struct ParentLink {
  std::string instance;
  std::uint64_t scheduling_event_id = 0;
};

/// The parent link of the execution the plan commits to (from its start event, new or stored).
std::optional<ParentLink> plan_parent_link(const LockedOrchestrationItem& locked, const TurnPlan& plan);

/// The execution's end: its new OrchestrationStarted as planned (if the turn started one), then
/// OrchestrationFailed{Infrastructure} with `error`, plus `notification` (SubOrchFailed for the
/// parent) when given.
OrchestrationAck last_resort_ack(const LockedOrchestrationItem& locked, const TurnPlan& plan,
                                 const ProviderError& error, const std::optional<WorkItem>& notification);

/// The same with the new OrchestrationStarted's input and carried events replaced by a short note,
/// the error saying so and why (`first_error`: how last_resort_ack failed). Nothing when the turn
/// started no execution or its start event carries nothing to leave out.
std::optional<OrchestrationAck> trimmed_last_resort_ack(const LockedOrchestrationItem& locked, const TurnPlan& plan,
                                                        const ProviderError& error, const ProviderError& first_error,
                                                        const std::optional<WorkItem>& notification);

}  // namespace duroxide::runtime
