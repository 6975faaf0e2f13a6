// The replay engine: one orchestration turn as a pure function (docs/orchestration-engine.md, "Replay rules").
// (baseline history, completion messages, handler, input, KV snapshot) ->
// (history delta, pending actions, cancellations, TurnResult). No threads, storage or clock
// reads except through TurnInput::now_ms.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <duroxide/action.hpp>
#include <duroxide/error_details.hpp>
#include <duroxide/event.hpp>
#include <duroxide/orchestration_context.hpp>
#include <duroxide/task.hpp>
#include <duroxide/work_item.hpp>

namespace duroxide::orchestration {

/// Type-erased orchestration code: (context, input) -> coroutine producing the output.
using OrchestrationHandler = std::function<Task<Result<std::string>>(OrchestrationContext, std::string)>;

namespace turn_result {
struct Continue {
  bool operator==(const Continue&) const = default;
};
struct Completed {
  std::string output;
  bool operator==(const Completed&) const = default;
};
struct Failed {
  ErrorDetails details;
  bool operator==(const Failed&) const = default;
};
struct ContinueAsNew {
  std::string input;
  std::optional<std::string> version;
  bool operator==(const ContinueAsNew&) const = default;
};
struct Cancelled {
  std::string reason;
  bool operator==(const Cancelled&) const = default;
};
}  // namespace turn_result
using TurnResult = std::variant<turn_result::Continue, turn_result::Completed, turn_result::Failed,
                                turn_result::ContinueAsNew, turn_result::Cancelled>;

struct TurnInput {
  std::string instance_id;
  std::uint64_t execution_id = 1;
  std::string orchestration_name;
  std::string orchestration_version = "1.0.0";
  /// Input of the current execution's OrchestrationStarted.
  std::string input;
  /// Events of the current execution, including a just-created OrchestrationStarted on a first turn.
  std::vector<Event> baseline;
  /// When set, the baseline is this vector and `baseline` is ignored: the planner points at the
  /// stored history instead of copying every event of it on every turn. Must outlive the turn.
  const std::vector<Event>* baseline_view = nullptr;
  const std::vector<Event>& baseline_events() const { return baseline_view ? *baseline_view : baseline; }
  /// How many baseline events came from storage (0 on the first turn of an execution).
  std::size_t persisted_len = 0;
  /// Completion messages in batch order (carried-forward queue messages first).
  std::vector<WorkItem> messages;
  std::map<std::string, KvEntry> kv_snapshot;
  OrchestrationHandler handler;
  /// The only clock the turn reads (timer fire times, KV timestamps). Empty = 0.
  std::function<std::uint64_t()> now_ms;
  TraceSink trace_sink;
  /// The instance is suspended (docs/suspend-resume.md): the messages become history events as in
  /// any turn, but the code does not run. The result is Continue with no actions.
  bool record_only = false;
};

/// Where replayed code left its recorded history: the event it disagreed with and what it did
/// there instead (offline replay reports it side by side, docs/offline-replay.md).
struct Divergence {
  std::uint64_t event_id = 0;          ///< the recorded event
  std::string recorded;                ///< that event, described
  std::optional<std::string> emitted;  ///< the code's action at that point, described; none: no action
  bool operator==(const Divergence&) const = default;
};

struct TurnOutput {
  std::vector<Event> history_delta;
  /// New actions in emission order, each with scheduling_event_id set.
  std::vector<Action> pending_actions;
  /// Schedule ids of activities whose futures were dropped (lock stealing).
  std::vector<std::uint64_t> cancelled_activity_ids;
  /// Child instance ids as recorded (e.g. "sub::5") whose futures were dropped.
  std::vector<std::string> cancelled_child_instances;
  TurnResult result = turn_result::Continue{};
  /// Set with a nondeterminism result when it arose at a recorded schedule or record event.
  std::optional<Divergence> divergence;

  bool made_progress() const { return !history_delta.empty(); }
};

/// The live state of an execution between turns: its suspended coroutine and what the engine
/// knows about it (docs/orchestration-engine.md, "Instance cache"). Opaque; owned by the caller.
class ReplaySession;
struct ReplaySessionDeleter {
  void operator()(ReplaySession* session) const noexcept;
};
using ReplaySessionPtr = std::unique_ptr<ReplaySession, ReplaySessionDeleter>;

/// Runs one turn, replaying the whole history. Never throws: every failure is a TurnResult::Failed.
TurnOutput run_turn(const TurnInput& input);

/// Runs one turn, resuming `session` when it holds the live state of this execution as of exactly
/// the input's persisted history (same execution, as many events, the same last event): then only
/// this turn's messages are applied and nothing replays. Otherwise `session` is discarded and the
/// whole history replays. Afterwards `session` holds the live state when the code is still
/// suspended (a Continue result), and is empty otherwise. The output is the same either way.
TurnOutput run_turn(const TurnInput& input, ReplaySessionPtr& session);
/// True when run_turn would resume `session` for `input` (it holds the live state of exactly the
/// input's persisted history) rather than replay.
bool resumes(const ReplaySessionPtr& session, const TurnInput& input);

/// Converts an emitted action into the history event recording it, or nothing for
/// ContinueAsNew.
std::optional<EventKind> action_to_event(const Action& action);

/// True when `action` matches the history event `kind` (docs/orchestration-engine.md).
bool action_matches_event(const Action& action, const EventKind& kind);

std::string describe_action(const Action& action);
std::string describe_event(const EventKind& kind);

}  // namespace duroxide::orchestration
