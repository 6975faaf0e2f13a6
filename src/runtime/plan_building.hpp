#pragma once
// The turn planner's building blocks (docs/runtime.md, "What a slot does with a batch"): the batch
// split into its start and its messages, history lookups, runtime events appended to a delta,
// parent notifications and the plans that only drop or hand back a batch. Shared by the
// planner's files; not part of the public API.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <duroxide/event.hpp>
#include <duroxide/work_item.hpp>

#include "runtime/turn_planner.hpp"

namespace duroxide::runtime::planning {

using namespace std::chrono_literals;

constexpr auto kRetryLaterDelay = 1000ms;      // undecodable history, incompatible pinned version
constexpr auto kParentReadRetryDelay = 100ms;  // a transient error reading a finished child's parent

/// The highest event id of `a` and `b`. A history is in event-id order (every store reads it
/// ORDER BY event_id, the history cache appends in order) and so is a delta, so each one's last
/// event has its highest id: a scan cost long chains a pass over every event per turn.
inline std::uint64_t max_event_id(const std::vector<Event>& a, const std::vector<Event>& b = {}) {
  return std::max(a.empty() ? 0 : a.back().event_id, b.empty() ? 0 : b.back().event_id);
}

const events::OrchestrationStarted* last_started(const std::vector<Event>& history);
const Event* last_started_event(const std::vector<Event>& history);

/// Whether the execution already ended (after its last OrchestrationStarted). An ending a rewind
/// superseded does not count (docs/rewind.md).
enum class Ended { No, ForGood, ContinuedAsNew };
Ended execution_ended(const std::vector<Event>& history);

/// The start item and the completion messages of a batch (docs/runtime.md, "What a slot does with a batch").
struct Batch {
  std::optional<WorkItem> start;
  std::vector<WorkItem> completions;
};

Batch classify(const OrchestrationItem& item);
bool is_can(const std::optional<WorkItem>& start);

/// The batch's first message of type T, if any.
template <class T>
const T* find_message(const Batch& batch) {
  for (const auto& message : batch.completions) {
    if (const auto* found = std::get_if<T>(&message)) return found;
  }
  return nullptr;
}

Event runtime_event(const std::string& instance, std::uint64_t execution_id, std::uint64_t id, EventKind kind,
                    std::optional<std::uint64_t> source = std::nullopt);
/// The batch's messages as a JSON array (a poisoned orchestration's error carries them).
std::string batch_json(const std::vector<WorkItem>& messages);

/// Appends runtime events with consecutive ids after everything already in history + delta.
class DeltaWriter {
 public:
  /// `stored_floor`: the highest id among the execution's stored rows, which a decoded history
  /// can only understate if the store was edited behind our back.
  DeltaWriter(const std::string& instance, std::uint64_t execution_id, const std::vector<Event>& history,
              std::vector<Event>& delta, std::uint64_t stored_floor = 0)
      : instance_(instance),
        execution_id_(execution_id),
        delta_(delta),
        next_id_(std::max(max_event_id(history, delta), stored_floor) + 1) {}
  void append(EventKind kind, std::optional<std::uint64_t> source = std::nullopt) {
    delta_.push_back(runtime_event(instance_, execution_id_, next_id_++, std::move(kind), source));
  }
  /// After events were removed from the delta: continue right after what is left.
  void resync(const std::vector<Event>& history) { next_id_ = max_event_id(history, delta_) + 1; }

 private:
  const std::string& instance_;
  std::uint64_t execution_id_;
  std::vector<Event>& delta_;
  std::uint64_t next_id_;
};

std::vector<Event> concat(const std::vector<Event>& a, const std::vector<Event>& b);
/// History + delta as the code sees it: without what a rewind superseded (docs/rewind.md).
std::vector<Event> effective_concat(const std::vector<Event>& a, const std::vector<Event>& b);
/// Breadcrumbs for subscriptions still open at a terminal state (docs/orchestration-engine.md).
void append_breadcrumbs(DeltaWriter& writer, const std::vector<Event>& full_history);

/// A parent notification for a finished child, or nothing when the parent moved on. When the
/// parent cannot be read, sets `read_error` (the caller must not commit as if it had moved on).
std::optional<WorkItem> notify_parent(const PlannerContext& context, const events::OrchestrationStarted& started,
                                      const std::string& instance,
                                      const std::variant<std::string, ErrorDetails>& outcome,
                                      std::optional<ProviderError>& read_error);
/// Adds the notification of a failed child's `details` to the ack (nothing when it has no
/// parent); returns the plan to use instead when the parent cannot be read.
std::optional<TurnPlan> notify_parent_of_failure(const PlannerContext& context,
                                                 const events::OrchestrationStarted& started,
                                                 const std::string& instance, const ErrorDetails& details,
                                                 OrchestrationAck& ack);

TurnPlan abandon(std::string reason, std::chrono::milliseconds delay);
/// The parent of a finished child could not be read: retry the turn. A transient error does not
/// count as an attempt; a permanent one does, so the poison path ends a retry that cannot succeed.
TurnPlan abandon_for_parent(const std::string& instance, const ProviderError& error);
/// The batch is consumed without a turn, for `reason`.
TurnPlan drop(const OrchestrationItem& item, std::string reason);

}  // namespace duroxide::runtime::planning
