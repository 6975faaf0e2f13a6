// Rewind (docs/rewind.md): which events of an execution an OrchestrationRewound takes back, and the
// history the engine and the runtime see once they are gone. Pure functions over one execution's
// events.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <duroxide/event.hpp>

namespace duroxide::orchestration {

/// The ids every OrchestrationRewound of `history` lists as superseded (empty when it has none).
std::set<std::uint64_t> superseded_events(const std::vector<Event>& history);

/// `history` without the events its rewinds superseded; the rewind markers stay.
std::vector<Event> without_superseded(const std::vector<Event>& history);

/// Why `history` (one execution, rewinds already applied) cannot be rewound, or nothing when it
/// can: its first terminal event must be an OrchestrationFailed that is not a cancellation.
std::optional<std::string> rewind_refusal(const std::vector<Event>& history);

/// The events a rewind of the failed `history` (as rewind_refusal accepts it) supersedes, in
/// ascending order: the failure and everything after it; the events the failing turn appended
/// after its messages (its decisions and breadcrumbs, which the code makes again); and, among the
/// messages recorded since the code last decided, the failed activity and sub-orchestration
/// outcomes (that work runs again). Successful outcomes and everything earlier stay.
std::vector<std::uint64_t> rewind_supersedes(const std::vector<Event>& history);

}  // namespace duroxide::orchestration
