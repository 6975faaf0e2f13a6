// The workload of the multi-process tests: a fan-out of three activities, then a timer, with an
// output computable from the input alone. Uses the activities of mixed_workflow.hpp.
#pragma once

#include <string>
#include <tuple>

#include <duroxide/duroxide.hpp>

namespace duroxide::testing::crash {

inline constexpr const char* kFanOut = "FanOut";

inline Task<Result<std::string>> fan_out(OrchestrationContext ctx, std::string input) {
  const std::string next = std::to_string(std::stoi(input) + 1);
  auto all =
      co_await OrchestrationContext::join3(ctx.schedule_activity("Double", input), ctx.schedule_activity("Inc", input),
                                           ctx.schedule_activity("Double", next));
  co_await ctx.schedule_timer(std::chrono::milliseconds(50));
  for (const auto* result : {&std::get<0>(all), &std::get<1>(all), &std::get<2>(all)}) {
    if (!*result) co_return Err(result->error());
  }
  co_return *std::get<0>(all) + ":" + *std::get<1>(all) + ":" + *std::get<2>(all);
}

/// What fan_out(n) returns.
inline std::string expected_fan_out_output(int n) {
  return std::to_string(2 * n) + ":" + std::to_string(n + 1) + ":" + std::to_string(2 * (n + 1));
}

}  // namespace duroxide::testing::crash
