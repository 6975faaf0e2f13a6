#include <duroxide/work_item.hpp>

#include <array>

#include "core/overloaded.hpp"

namespace duroxide {
namespace {
// Wire variant names in WorkItem's alternative order.
constexpr std::array<std::string_view, std::variant_size_v<WorkItem>> kWorkItemTypeNames = {
    "StartOrchestration", "ActivityExecute",   "ActivityCompleted", "ActivityFailed", "TimerFired",
    "ExternalRaised",     "SubOrchCompleted",  "SubOrchFailed",     "CancelInstance", "ContinueAsNew",
    "QueueMessage",       "TerminateInstance", "SuspendInstance",   "ResumeInstance", "RewindInstance",
};
}  // namespace

std::string_view work_item_type_name(const WorkItem& item) { return kWorkItemTypeNames[item.index()]; }

std::string_view work_item_log_name(const WorkItem& item) {
  if (std::holds_alternative<work_items::QueueMessage>(item)) return "ExternalRaisedPersistent";
  return work_item_type_name(item);
}

const std::string& work_item_instance(const WorkItem& item) {
  return std::visit(
      detail::Overloaded{[](const work_items::SubOrchCompleted& w) -> const std::string& { return w.parent_instance; },
                         [](const work_items::SubOrchFailed& w) -> const std::string& { return w.parent_instance; },
                         [](const auto& w) -> const std::string& { return w.instance; }},
      item);
}

bool is_worker_item(const WorkItem& item) { return std::holds_alternative<work_items::ActivityExecute>(item); }

}  // namespace duroxide
