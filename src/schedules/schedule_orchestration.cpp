// The schedule orchestration (docs/schedules.md, "How a schedule runs"). Orchestration code like
// any other: every clock reading, run start and pause request is recorded in its history, so a
// schedule replays after a crash and, being one instance, fires once however many runtimes share
// the store.
#include "schedules/schedule_orchestration.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <duroxide/constants.hpp>
#include <duroxide/schedules.hpp>

#include "schedules/schedule_record.hpp"

namespace duroxide::schedules {

namespace {

/// Publishes the record as the custom status when it changed: what the client reads.
void publish(OrchestrationContext& ctx, const ScheduleRecord& record) {
  auto text = encode_record(record);
  if (ctx.get_custom_status() != text) ctx.set_custom_status(std::move(text));
}

// Built outside the coroutine: g++ 12 cannot keep an initializer list across a co_await.
std::string status_request(const std::string& instance) {
  nlohmann::json request;
  request["instance_id"] = instance;
  return request.dump();
}

/// Whether the last run has ended (Completed, Failed, Terminated), read from the store by a
/// system activity so that the answer is recorded. A run the store does not know has not started
/// yet (its start is queued) or was deleted: within kUnstartedGraceMs of its start it counts as
/// going, after that as ended (docs/schedules.md, "Overlap").
Task<Result<bool>> last_run_has_ended(OrchestrationContext ctx, std::string instance, std::uint64_t started_ms,
                                      std::uint64_t now_ms) {
  auto status = co_await ctx.schedule_activity(std::string(kSyscallInstanceStatus), status_request(instance));
  if (!status) co_return Err(std::move(status.error()));
  const std::string& name = *status;
  bool ended = name == "Completed" || name == "Failed" || name == "Terminated";
  if (name == "NotFound") ended = now_ms >= started_ms + kUnstartedGraceMs;
  co_return ended;
}

void start_run(OrchestrationContext& ctx, ScheduleRecord& record, std::uint64_t fire_ms, std::uint64_t now_ms) {
  auto instance = schedule_run_instance_id(record.id, fire_ms);
  ctx.schedule_orchestration_versioned(record.orchestration, record.version, instance, record.input);
  ctx.trace_info(fmt::format("schedule {} started {} as {}", record.id, record.orchestration, instance));
  ++record.runs_started;
  record.last_run_instance = std::move(instance);
  record.last_fire_ms = fire_ms;
  record.last_started_ms = now_ms;
}

void apply_control(OrchestrationContext& ctx, ScheduleRecord& record, const std::string& message) {
  auto request = decode_control(message);
  if (!request) {
    ctx.trace_warn(fmt::format("schedule {} ignored a control message: {}", record.id, request.error()));
    return;
  }
  if (request->op == ControlRequest::Op::Pause) {
    record.paused = true;
    record.pause_reason = request->reason;
  } else {
    record.paused = false;
    record.pause_reason.clear();
  }
  // Firings due while paused are not made up: the next one is computed afresh on resume.
  record.next_fire_ms = 0;
}

std::uint64_t to_ms(std::chrono::system_clock::time_point time) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count());
}

}  // namespace

NextFiring next_firing(const ScheduleSpec& spec, std::uint64_t fired_ms, std::uint64_t now_ms) {
  NextFiring result;
  if (auto interval = spec.interval_ms()) {
    // Stays on the grid of the first firing: a late timer does not shift the later ones.
    const std::uint64_t behind = now_ms >= fired_ms ? (now_ms - fired_ms) / *interval : 0;
    result.missed = behind;
    result.next_ms = fired_ms + (behind + 1) * *interval;
    return result;
  }
  result.next_ms = spec.next_after(fired_ms);
  while (result.next_ms && *result.next_ms <= now_ms) {
    if (result.missed == kMaxMissedCounted) {
      result.next_ms = spec.next_after(now_ms);
      break;
    }
    ++result.missed;
    result.next_ms = spec.next_after(*result.next_ms);
  }
  return result;
}

Task<Result<std::string>> run_schedule(OrchestrationContext ctx, std::string input) {
  auto decoded = decode_record(input);
  if (!decoded) co_return Err(decoded.error());
  ScheduleRecord record = std::move(*decoded);
  auto spec = ScheduleSpec::parse(record.spec);
  if (!spec) co_return Err("schedule " + record.id + ": " + spec.error());
  const std::string control_queue(kScheduleControlQueue);

  for (std::uint64_t pass = 0;; ++pass) {
    publish(ctx, record);
    if (record.paused) {
      apply_control(ctx, record, co_await ctx.dequeue_event(control_queue));
      continue;
    }
    auto now = co_await ctx.utc_now();
    if (!now) co_return Err(std::move(now.error()));
    const std::uint64_t now_ms = to_ms(*now);
    // Here the turn that started the last run (if any) has ended: the code waited for the clock.
    // A continue-as-new discards what its own turn started, so it is only ever asked for here.
    if (pass >= kPassesPerExecution) co_await ctx.continue_as_new(encode_record(record));

    if (record.next_fire_ms == 0) {
      auto next = spec->next_after(now_ms);
      if (!next) co_return fmt::format("schedule {}: no further firing", record.id);
      record.next_fire_ms = *next;
    }
    if (record.buffered_fire_ms) {
      auto ended = co_await last_run_has_ended(ctx, *record.last_run_instance, record.last_started_ms, now_ms);
      if (!ended) co_return Err(std::move(ended.error()));
      if (*ended) {
        start_run(ctx, record, *record.buffered_fire_ms, now_ms);
        record.buffered_fire_ms.reset();
        record.recheck_ms = 0;
      } else {
        record.recheck_ms = std::clamp(record.recheck_ms * 2, kFirstRecheckMs, kMaxRecheckMs);
      }
    }

    if (now_ms >= record.next_fire_ms) {
      const std::uint64_t fire_ms = record.next_fire_ms;
      const auto next = next_firing(*spec, fire_ms, now_ms);
      record.skipped += next.missed;
      bool start = true;
      if (record.overlap != OverlapPolicy::AllowAll && record.last_run_instance) {
        if (record.buffered_fire_ms) {
          start = false;  // the buffer holds one firing already, and its run was just looked at
        } else {
          auto ended = co_await last_run_has_ended(ctx, *record.last_run_instance, record.last_started_ms, now_ms);
          if (!ended) co_return Err(std::move(ended.error()));
          start = *ended;
        }
      }
      if (start) {
        start_run(ctx, record, fire_ms, now_ms);
      } else if (record.overlap == OverlapPolicy::BufferOne && !record.buffered_fire_ms) {
        record.buffered_fire_ms = fire_ms;
        record.recheck_ms = kFirstRecheckMs;
      } else {
        ++record.skipped;
      }
      if (!next.next_ms) {
        publish(ctx, record);
        co_return fmt::format("schedule {}: no further firing", record.id);
      }
      record.next_fire_ms = *next.next_ms;  // after now_ms
    }

    publish(ctx, record);
    std::uint64_t wait_ms = record.next_fire_ms - now_ms;
    if (record.buffered_fire_ms) wait_ms = std::min(wait_ms, record.recheck_ms);
    auto woken = co_await OrchestrationContext::select2(ctx.schedule_timer(std::chrono::milliseconds(wait_ms)),
                                                        ctx.dequeue_event(control_queue));
    if (woken.is_second()) apply_control(ctx, record, woken.second_value());
  }
}

}  // namespace duroxide::schedules
