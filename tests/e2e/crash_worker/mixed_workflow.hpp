// The workload of the crash-recovery and multi-node tests: per instance a fan-out of two
// activities, a timer, a sub-orchestration, an external event and a session-bound activity, with
// an output computable from the input alone.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <tuple>

#include <duroxide/duroxide.hpp>

#include "fan_out_workflow.hpp"
#include "session_log.hpp"

namespace duroxide::testing::crash {

inline constexpr const char* kOrchestration = "Mixed";
inline constexpr const char* kChild = "MixedChild";
inline constexpr const char* kEvent = "Go";
/// Instances share this many sessions, so a session's activities come from many instances and
/// processes compete for every session.
inline constexpr int kSessions = 4;

inline std::string session_of(int n) { return "session-" + std::to_string(n % kSessions); }

inline Task<Result<std::string>> mixed_child(OrchestrationContext ctx, std::string input) {
  auto incremented = co_await ctx.schedule_activity("Inc", input);
  if (!incremented) co_return Err(incremented.error());
  co_return *incremented;
}

inline Task<Result<std::string>> mixed(OrchestrationContext ctx, std::string input) {
  auto fan =
      co_await OrchestrationContext::join2(ctx.schedule_activity("Double", input), ctx.schedule_activity("Inc", input));
  auto& [doubled, incremented] = fan;
  if (!doubled) co_return Err(doubled.error());
  if (!incremented) co_return Err(incremented.error());
  // Long enough that no instance can finish before the crash test's first kill (kFirstKillMaxMs).
  co_await ctx.schedule_timer(std::chrono::milliseconds(200));
  auto child = co_await ctx.schedule_sub_orchestration(kChild, *doubled);
  if (!child) co_return Err(child.error());
  auto event = co_await ctx.schedule_wait(kEvent);
  auto again = co_await ctx.schedule_activity_on_session("SessionDouble", *child, session_of(std::stoi(input)));
  if (!again) co_return Err(again.error());
  co_return input + ":" + *doubled + ":" + *incremented + ":" + *child + ":" + event + ":" + *again;
}

/// What mixed(n) returns when the event carries `event_data`.
inline std::string expected_output(int n, const std::string& event_data) {
  const int doubled = 2 * n;
  const int child = doubled + 1;
  return fmt::format("{}:{}:{}:{}:{}:{}", n, doubled, n + 1, child, event_data, 2 * child);
}

/// Activities scheduled by one mixed instance (its child schedules one more).
inline constexpr std::size_t kMixedActivities = 3;

/// The activities of both workloads. With a `session_log`, every run of the session-bound
/// activity is recorded there (the multi-node test's evidence of session exclusivity).
inline ActivityRegistry activities(std::shared_ptr<SessionLog> session_log = nullptr) {
  return ActivityRegistry::builder()
      .add("Double",
           [](ActivityContext&, std::string x) -> Result<std::string> { return std::to_string(2 * std::stoi(x)); })
      .add("Inc",
           [](ActivityContext&, std::string x) -> Result<std::string> { return std::to_string(std::stoi(x) + 1); })
      .add("SessionDouble",
           [session_log](ActivityContext& ctx, std::string x) -> Result<std::string> {
             const auto session = ctx.session_id().value_or("none");
             const auto run = fmt::format("{}#{}", ctx.instance_id(), ctx.activity_id());
             if (session_log) session_log->begin(session, run);
             // A run that takes a while: were a session ever owned by two processes, their runs
             // would overlap in time rather than slip between each other.
             std::this_thread::sleep_for(std::chrono::milliseconds(5));
             if (session_log) session_log->end(session, run);
             return std::to_string(2 * std::stoi(x));
           })
      .build();
}

inline OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add(kOrchestration, mixed)
      .add(kChild, mixed_child)
      .add(kFanOut, fan_out)
      .build();
}

}  // namespace duroxide::testing::crash
