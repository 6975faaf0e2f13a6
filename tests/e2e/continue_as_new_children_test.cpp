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

// Like duroxide 0.1.30, the runtime stamps the scheduling parent execution on each child's start:
// the execution id current at scheduling time, not always 1 (docs/core.md).
TEST(E2eContinueAsNewChildren, ChildStartRecordsTheParentExecutionThatScheduledIt) {
  E2eEnv env(ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("Child", child).add("LoopingParent", looping_parent).build());
  ASSERT_TRUE(env.client.start_orchestration("p", "LoopingParent", "x"));
  ASSERT_EQ(env.output_of("p", 60s), "child(xxx)");
  const std::pair<const char*, std::uint64_t> children[] = {{"p::sub::2", 1}, {"p::sub::2_2", 2}, {"p::sub::3_2", 3}};
  for (const auto& [child_id, parent_execution] : children) {
    auto history = env.client.read_execution_history(child_id, 1);
    ASSERT_TRUE(history.has_value()) << child_id;
    ASSERT_FALSE(history->empty()) << child_id;
    const auto* started = history->front().get_if<events::OrchestrationStarted>();
    ASSERT_NE(started, nullptr) << child_id;
    EXPECT_EQ(started->parent_instance, "p") << child_id;
    EXPECT_EQ(started->parent_execution_id, parent_execution) << child_id;
  }
  // The parent's own start is a root start: no parent link at all.
  auto parent = env.client.read_execution_history("p", 1);
  ASSERT_TRUE(parent.has_value());
  EXPECT_EQ(parent->front().get_if<events::OrchestrationStarted>()->parent_execution_id, std::nullopt);
}

}  // namespace
}  // namespace duroxide::testing
