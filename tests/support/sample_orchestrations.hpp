#pragma once
// Orchestrations the tool suites' prepared stores share (tests/cli, tests/dashboard): a greeting
// through one activity, one whose activity fails, one waiting for an approval event.
#include <string>

#include <duroxide/duroxide.hpp>

namespace duroxide::testing::samples {

inline Task<Result<std::string>> hello(OrchestrationContext ctx, std::string name) {
  auto greeting = co_await ctx.schedule_activity("Greet", name);
  if (!greeting) co_return Err(greeting.error());
  co_return *greeting;
}

inline Task<Result<std::string>> failing(OrchestrationContext ctx, std::string input) {
  auto reserved = co_await ctx.schedule_activity("Reserve", input);
  if (!reserved) co_return Err(reserved.error());
  co_return *reserved;
}

inline Task<Result<std::string>> approval(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("awaiting approval");
  ctx.set_kv_value("stage", "waiting");
  auto decision = co_await ctx.schedule_wait("Approve");
  co_return "approved: " + decision;
}

}  // namespace duroxide::testing::samples
