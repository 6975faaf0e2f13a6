// Sub-orchestrations with automatic ids across continue-as-new (issue #12 item 7): event ids
// restart with every execution, so the child of execution 2 used to get the id of execution 1's
// finished child ("p::sub::2"); its start was dropped as "instance already finished" and the
// parent waited forever. Later executions now put their execution id in the child id.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

Task<Result<std::string>> child(OrchestrationContext, std::string input) { co_return "child(" + input + ")"; }

/// Starts an auto-id child in each of three executions, continuing as new in between.
Task<Result<std::string>> looping_parent(OrchestrationContext ctx, std::string input) {
  auto result = co_await ctx.schedule_sub_orchestration("Child", input);
  if (!result) co_return Err(result.error());
  if (input.size() < 3) co_await ctx.continue_as_new(input + "x");
  co_return *result;
}

TEST(E2eContinueAsNewChildren, AutoIdChildInEveryExecutionCompletes) {
  E2eEnv env(ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("Child", child).add("LoopingParent", looping_parent).build());
  ASSERT_TRUE(env.client.start_orchestration("p", "LoopingParent", "x"));
  // Generous: only bounds a hang (before the fix the parent never completed).
  EXPECT_EQ(env.output_of("p", 60s), "child(xxx)");
  EXPECT_EQ(env.client.list_executions("p").value(), (std::vector<std::uint64_t>{1, 2, 3}));
  // Execution 1 keeps duroxide's id; later executions add their execution id.
  EXPECT_EQ(env.output_of("p::sub::2"), "child(x)");
  EXPECT_EQ(env.output_of("p::sub::2_2"), "child(xx)");
  EXPECT_EQ(env.output_of("p::sub::3_2"), "child(xxx)");
}

}  // namespace
}  // namespace duroxide::testing
