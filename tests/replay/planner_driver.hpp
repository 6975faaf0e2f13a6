// Test harness: plans one batch with the runtime's turn planner (src/runtime/turn_planner.hpp),
// no store and no threads, for the history shapes of operator actions (terminate, suspend).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <duroxide/duroxide.hpp>

#include "runtime/turn_planner.hpp"
#include "turn_driver.hpp"

namespace duroxide::testing {

/// Plans one batch of "inst-1" against `history`; the parent lookup answers `parent_waits`.
class Planner {
 public:
  explicit Planner(OrchestrationRegistry registry = OrchestrationRegistry::builder().build())
      : registry_(std::move(registry)) {}

  std::optional<std::uint64_t> parent_waits;  ///< the parent's waiting execution, if it waits
  std::vector<std::string> parents_asked;

  runtime::TurnPlan plan(std::vector<Event> history, std::vector<WorkItem> messages, std::uint32_t attempt = 1) {
    LockedOrchestrationItem locked;
    locked.item.instance = "inst-1";
    locked.item.orchestration_name = history.empty() ? "" : "Orch";
    locked.item.version = "1.0.0";
    locked.item.execution_id = 1;
    locked.item.stored_last_event_id = history.empty() ? 0 : history.back().event_id;
    locked.item.history = std::move(history);
    locked.item.messages = std::move(messages);
    locked.lock_token = "token";
    locked.attempt_count = attempt;
    runtime::PlannerContext context{registry_, options_,
                                    [this](const std::string& parent, std::uint64_t, const std::string&) {
                                      parents_asked.push_back(parent);
                                      return runtime::ParentLookup{parent_waits, std::nullopt};
                                    },
                                    [] { return kClockMs; }, nullptr};
    return runtime::plan_turn(locked, context);
  }

 private:
  OrchestrationRegistry registry_;
  RuntimeOptions options_;
};

}  // namespace duroxide::testing
