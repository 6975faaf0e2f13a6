// The workload of the crash-recovery test: activities, a timer, a sub-orchestration and an
// external event per instance, with an output computable from the input alone.
#pragma once

#include <string>

#include <duroxide/duroxide.hpp>

#include "fan_out_workflow.hpp"

namespace duroxide::testing::crash {

inline constexpr const char* kOrchestration = "Mixed";
inline constexpr const char* kChild = "MixedChild";
inline constexpr const char* kEvent = "Go";

inline Task<Result<std::string>> mixed_child(OrchestrationContext ctx, std::string input) {
  auto incremented = co_await ctx.schedule_activity("Inc", input);
  if (!incremented) co_return Err(incremented.error());
  co_return *incremented;
}

inline Task<Result<std::string>> mixed(OrchestrationContext ctx, std::string input) {
  auto doubled = co_await ctx.schedule_activity("Double", input);
  if (!doubled) co_return Err(doubled.error());
  // Long enough that no instance can finish before the test's first kill (see kFirstKillMaxMs).
  co_await ctx.schedule_timer(std::chrono::milliseconds(200));
  auto child = co_await ctx.schedule_sub_orchestration(kChild, *doubled);
  if (!child) co_return Err(child.error());
  auto event = co_await ctx.schedule_wait(kEvent);
  auto again = co_await ctx.schedule_activity("Double", *child);
  if (!again) co_return Err(again.error());
  co_return input + ":" + *doubled + ":" + *child + ":" + event + ":" + *again;
}

/// What mixed(n) returns when the event carries `event_data`.
inline std::string expected_output(int n, const std::string& event_data) {
  const int doubled = 2 * n;
  const int child = doubled + 1;
  return std::to_string(n) + ":" + std::to_string(doubled) + ":" + std::to_string(child) + ":" + event_data + ":" +
         std::to_string(2 * child);
}

inline ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Double",
           [](ActivityContext&, std::string x) -> Result<std::string> { return std::to_string(2 * std::stoi(x)); })
      .add("Inc",
           [](ActivityContext&, std::string x) -> Result<std::string> { return std::to_string(std::stoi(x) + 1); })
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
