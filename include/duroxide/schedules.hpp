// Durable schedules: an orchestration started again and again, on a cron expression or at a fixed
// interval, by a schedule that is itself an orchestration (docs/schedules.md). The Client calls
// that create and steer schedules are in client.hpp; this header holds what they take and return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace duroxide {

/// What a firing does while the schedule's previous run has not ended (docs/schedules.md, "Overlap").
enum class OverlapPolicy {
  Skip,       ///< the firing is skipped (counted in ScheduleInfo::skipped)
  BufferOne,  ///< the firing waits for the run to end, then starts it; firings meanwhile are skipped
  AllowAll,   ///< every firing starts a run, whatever the previous one is doing
};

/// "skip", "buffer_one" or "allow_all".
std::string_view to_string(OverlapPolicy policy);
/// The policy of one of those words; nothing for any other text.
std::optional<OverlapPolicy> parse_overlap_policy(std::string_view text);

/// Where a schedule is in its life.
enum class ScheduleStatus {
  Active,   ///< fires as its specification says
  Paused,   ///< fires no more until resumed (pause_schedule, or its instance was suspended)
  Deleted,  ///< delete_schedule ended it; runs already started go on
  Ended,    ///< its orchestration ended otherwise (see ScheduleInfo::ended_reason)
};

/// "Active", "Paused", "Deleted" or "Ended".
std::string_view to_string(ScheduleStatus status);

/// A schedule as its orchestration last recorded it (Client::get_schedule, list_schedules).
struct ScheduleInfo {
  std::string id;                      ///< the id given to create_schedule
  std::string instance_id;             ///< the schedule's own instance: schedule_instance_id(id)
  std::string spec;                    ///< the cron expression or interval (ScheduleSpec)
  std::string orchestration;           ///< what each firing starts
  std::optional<std::string> version;  ///< the version each run is pinned to; nothing: the latest
  std::string input;                   ///< each run's input
  OverlapPolicy overlap = OverlapPolicy::Skip;
  ScheduleStatus status = ScheduleStatus::Active;
  std::string ended_reason;  ///< for Deleted and Ended: why
  /// When it fires next (ms since the Unix epoch, UTC); nothing while paused, once ended, or
  /// before its first turn computed it.
  std::optional<std::uint64_t> next_fire_ms;
  std::uint64_t runs_started = 0;  ///< firings that started a run
  /// Firings that started none: skipped by the overlap policy, or missed while no runtime ran
  /// (missed firings are run once, as one, when a runtime comes back).
  std::uint64_t skipped = 0;
  std::optional<std::string> last_run_instance;  ///< the instance the latest run started as
  std::optional<std::uint64_t> last_fire_ms;     ///< the firing time of that run
  /// BufferOne: a firing that waits for the last run to end (its firing time).
  std::optional<std::uint64_t> buffered_fire_ms;
  bool operator==(const ScheduleInfo&) const = default;
};

/// The name the built-in schedule orchestration runs under. Every runtime can run it; a user
/// orchestration registered under the same name takes its place (do not).
inline constexpr std::string_view kScheduleOrchestrationName = "duroxide.schedule";
/// The event queue a schedule reads pause and resume requests from.
inline constexpr std::string_view kScheduleControlQueue = "duroxide.schedule.control";

/// The instance id of schedule `schedule_id`: "schedule:" followed by it.
std::string schedule_instance_id(std::string_view schedule_id);
/// The instance id of the run fired at `fire_ms`: "<schedule id>@<UTC time>", the time as
/// 2026-12-06T09:30:00Z (with .mmm before the Z when it has milliseconds). Deterministic, so a
/// firing can start its run only once.
std::string schedule_run_instance_id(std::string_view schedule_id, std::uint64_t fire_ms);

}  // namespace duroxide
