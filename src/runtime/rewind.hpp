#pragma once
// Rewind (docs/rewind.md): what the runtime sends once a failed execution is rewound. Pure: the
// planner adds these items to the rewind turn's ack.

#include <cstdint>
#include <string>
#include <vector>

#include <duroxide/event.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide::runtime {

/// The work a rewound execution waits for and must set going again.
struct RewindWork {
  std::vector<WorkItem> worker_items;        ///< ActivityExecute for each activity without an outcome
  std::vector<WorkItem> orchestrator_items;  ///< TimerFired for each timer not fired; RewindInstance to open children
};

/// The work to send for `history`: the execution's events as the rewound code sees them (rewinds
/// applied, the new marker included), before the rewind turn's own events. `instance` and
/// `execution_id` address the items; `reason` is passed on to the children.
RewindWork rewind_work(const std::vector<Event>& history, const std::string& instance, std::uint64_t execution_id,
                       const std::string& reason);

}  // namespace duroxide::runtime
