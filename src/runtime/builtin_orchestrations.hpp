// Orchestrations every runtime can run without registering them: the schedule orchestration
// (docs/schedules.md). Looked up after the user's registry, so a user registration of the same
// name takes precedence.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <duroxide/registry.hpp>

namespace duroxide::runtime {

/// The built-in handler of `name` at `version` (nothing: the latest), if there is one.
std::optional<OrchestrationRegistry::Resolved> resolve_builtin_orchestration(
    std::string_view name, const std::optional<Version>& version = std::nullopt);

/// The user's handler, else the built-in one.
std::optional<OrchestrationRegistry::Resolved> resolve_orchestration(const OrchestrationRegistry& registry,
                                                                     std::string_view name,
                                                                     const std::optional<Version>& version);

}  // namespace duroxide::runtime
