// The built-in orchestration that runs a durable schedule (docs/schedules.md, "How a schedule
// runs"). Registered under kScheduleOrchestrationName in every runtime (turn_planner resolves it
// when the user's registry has no such name).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <duroxide/orchestration_context.hpp>
#include <duroxide/result.hpp>
#include <duroxide/schedule_spec.hpp>
#include <duroxide/task.hpp>

namespace duroxide::schedules {

/// Loop passes after which an execution continues as new, so a schedule's history stays short.
inline constexpr std::uint64_t kPassesPerExecution = 50;
/// BufferOne: the first wait before looking again whether the last run has ended; it doubles up
/// to kMaxRecheckMs.
inline constexpr std::uint64_t kFirstRecheckMs = 1'000;
inline constexpr std::uint64_t kMaxRecheckMs = 60'000;
/// How long after its start a run the store does not know still counts as going (its start may
/// be queued behind other work); after that it counts as deleted.
inline constexpr std::uint64_t kUnstartedGraceMs = 5 * 60'000;
/// Missed firings counted one by one at most; beyond, the schedule jumps to the next firing.
inline constexpr std::uint64_t kMaxMissedCounted = 100'000;

/// The firing after `fired_ms` that is later than `now_ms`, and how many firings in between were
/// missed (due, but the schedule was not running to see them). Nothing when none comes.
struct NextFiring {
  std::optional<std::uint64_t> next_ms;
  std::uint64_t missed = 0;
};
NextFiring next_firing(const ScheduleSpec& spec, std::uint64_t fired_ms, std::uint64_t now_ms);

/// The schedule orchestration: its input is an encoded ScheduleRecord.
Task<Result<std::string>> run_schedule(OrchestrationContext ctx, std::string input);

}  // namespace duroxide::schedules
