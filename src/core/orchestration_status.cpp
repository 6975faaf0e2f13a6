#include <duroxide/orchestration_status.hpp>

namespace duroxide {

std::string_view OrchestrationStatus::name() const {
  static constexpr std::string_view kNames[] = {"NotFound", "Running",    "Completed",
                                                "Failed",   "Terminated", "Suspended"};
  return kNames[value.index()];
}

}  // namespace duroxide
