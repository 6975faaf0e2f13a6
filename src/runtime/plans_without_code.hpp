#pragma once
// The plans that end an execution or answer a batch without running the orchestration's code
// (docs/runtime.md, "What a slot does with a batch"): poison, a corrupt store, an operator's
// terminate (docs/terminate.md), a rewind that cannot be carried out (docs/rewind.md).

#include <string>

#include <duroxide/work_item.hpp>

#include "runtime/plan_building.hpp"
#include "runtime/turn_planner.hpp"

namespace duroxide::runtime::planning {

/// The batch has run out of attempts (or its history cannot be decoded): the execution fails with
/// a Poison error holding the batch.
TurnPlan poison_plan(const LockedOrchestrationItem& locked, const Batch& batch, const PlannerContext& context);

/// The store could not use rows of this instance (corrupt queue messages, kept as dead letters, or
/// an instance row naming a missing execution). What they held is unknown, so going on as if they
/// never came could wait forever or act on half the facts: the execution fails with the store's
/// reasons (docs/failure-modes-corrupt-rows.md).
TurnPlan corrupt_rows_plan(const LockedOrchestrationItem& locked, const Batch& batch, const PlannerContext& context);

/// An operator's TerminateInstance (docs/terminate.md): the execution ends Terminated at once; its
/// activities in flight are cancelled, its open children terminated when asked, and a waiting
/// parent learns it as a failed sub-orchestration.
TurnPlan terminate_plan(const LockedOrchestrationItem& locked, const Batch& batch, const PlannerContext& context,
                        const work_items::TerminateInstance& terminate);

/// A RewindInstance for an execution that ended in a way a rewind does not take back
/// (docs/rewind.md). A child tells its parent how it ended once more: the parent was rewound and
/// waits for it, and the first report may have come while the parent was failed, when it was not
/// delivered (the parent ignores a second one). Anything else is dropped.
TurnPlan report_ending_again(const LockedOrchestrationItem& locked, const PlannerContext& context,
                             const std::string& refusal);

}  // namespace duroxide::runtime::planning
