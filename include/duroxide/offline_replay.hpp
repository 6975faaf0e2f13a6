#pragma once
// Offline replay (docs/offline-replay.md): run today's orchestration code against a stored history,
// without a store or a runtime, and report the first place where the code no longer takes the
// decisions the history recorded. Keep histories of production instances as test fixtures and
// replay them in CI before a deploy.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <duroxide/event.hpp>
#include <duroxide/registry.hpp>
#include <duroxide/result.hpp>

namespace duroxide {

/// The first disagreement between the code and the history, side by side.
struct ReplayMismatch {
  std::uint64_t execution_id = 0;
  /// The recorded event the code disagreed with; none when the code went past the history's end
  /// (it took a decision, or ended differently, after the last recorded event).
  std::optional<std::uint64_t> event_id;
  std::string recorded;  ///< what the history says there
  std::string emitted;   ///< what the code did there
  std::string message;   ///< the engine's explanation
  bool operator==(const ReplayMismatch&) const = default;
};

/// What replaying one history found.
struct ReplayReport {
  std::string instance_id;
  std::string orchestration;   ///< name@version of the first execution
  std::size_t executions = 0;  ///< executions replayed
  std::size_t events = 0;      ///< events replayed
  /// The history could not be replayed at all (empty, events of several instances, an execution
  /// without its OrchestrationStarted, an orchestration the registry lacks): the reason. Not a
  /// nondeterminism.
  std::optional<std::string> error;
  std::optional<ReplayMismatch> mismatch;

  /// True when every execution replayed and ended as recorded.
  bool ok() const { return !error && !mismatch; }
  /// A readable report: a line for the outcome, then for a mismatch the event and the code's action.
  std::string to_string() const;
};

/// Replays `history` (the events of one or more executions of one instance, in order, as
/// Client::read_execution_history returns them) against the orchestrations of `registry`. Each
/// execution replays on its own: its code must schedule exactly what it recorded, in order, and
/// end as it ended (the same output, error or continue-as-new input), or, when it had not ended,
/// wait without a decision the history lacks. The clock and KV reads are served from the history.
ReplayReport replay_history(const OrchestrationRegistry& registry, const std::vector<Event>& history);

/// Reads a history saved as JSON: the array of events of `serialize_history`, or the document of
/// `duroxide history ID --json` (an object whose "events" member is that array).
Result<std::vector<Event>> parse_history_document(std::string_view json);
/// parse_history_document of a file's contents; a missing or unreadable file is an error naming it.
Result<std::vector<Event>> load_history_file(const std::filesystem::path& path);

}  // namespace duroxide
