#include "runtime/builtin_orchestrations.hpp"

#include <duroxide/constants.hpp>
#include <duroxide/schedules.hpp>

#include "schedules/schedule_orchestration.hpp"

namespace duroxide::runtime {

std::optional<OrchestrationRegistry::Resolved> resolve_builtin_orchestration(std::string_view name,
                                                                             const std::optional<Version>& version) {
  static const Version kScheduleVersion = *Version::parse(kDefaultHandlerVersion);
  if (name != kScheduleOrchestrationName || (version && *version != kScheduleVersion)) return std::nullopt;
  return OrchestrationRegistry::Resolved{kScheduleVersion, OrchestrationHandler(&schedules::run_schedule)};
}

std::optional<OrchestrationRegistry::Resolved> resolve_orchestration(const OrchestrationRegistry& registry,
                                                                     std::string_view name,
                                                                     const std::optional<Version>& version) {
  auto resolved = version ? registry.resolve_handler_exact(name, *version) : registry.resolve_handler(name);
  if (!resolved && !registry.has(name)) resolved = resolve_builtin_orchestration(name, version);
  return resolved;
}

}  // namespace duroxide::runtime
