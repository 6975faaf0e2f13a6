// Pure queries over an execution's history that the runtime needs when a turn ends
// (docs/orchestration-engine.md: terminal activity cancellation and subscription breadcrumbs, outstanding
// children, continue-as-new carry-forward and custom status).
// `history` is always the full working history: persisted events followed by the turn's delta.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/event.hpp>

namespace duroxide::orchestration {

/// Positional subscriptions neither resolved by an event nor cancelled, in subscription order.
std::vector<std::uint64_t> outstanding_positional_subscriptions(const std::vector<Event>& history);

/// Persistent (queue) subscriptions neither resolved nor cancelled, in subscription order.
std::vector<std::uint64_t> outstanding_persistent_subscriptions(const std::vector<Event>& history);

/// Queue messages no active subscription consumed, in history order (uncapped; continue-as-new
/// keeps the first kMaxCarryForwardEvents).
std::vector<CarriedEvent> unmatched_queue_messages(const std::vector<Event>& history);

/// The custom status a continue-as-new carries: the last value of initial_custom_status followed
/// by every CustomStatusUpdated (a null update clears it).
std::optional<std::string> final_custom_status(const std::vector<Event>& history);

/// ActivityScheduled ids with no completion, failure or cancel request (any reason), ascending.
std::vector<std::uint64_t> in_flight_activities(const std::vector<Event>& history);

/// Child instances (as recorded, e.g. "sub::5") scheduled with no outcome and no cancel request.
std::vector<std::string> outstanding_children(const std::vector<Event>& history);

}  // namespace duroxide::orchestration
