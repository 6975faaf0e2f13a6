// A turn that breaks a size limit (custom status, tag, KV) fails its orchestration and drops the
// turn's work items (docs/orchestration-engine.md, "Limits after a turn"). A sub-orchestration that fails
// that way still tells its parent: a parent left waiting would never finish (docs/runtime.md,
// "Departures from duroxide").
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

Task<Result<std::string>> oversized_status_child(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status(std::string(kMaxCustomStatusBytes + 1, 's'));
  co_return "child done";
}

Task<Result<std::string>> oversized_kv_child(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("big", std::string(kMaxKvValueBytes + 1, 'v'));
  co_return "child done";
}

Task<Result<std::string>> parent(OrchestrationContext ctx, std::string child) {
  auto result = co_await ctx.schedule_sub_orchestration(child, "");
  if (!result) co_return "child failed: " + result.error();
  co_return "child said: " + *result;
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Parent", parent)
      .add("OversizedStatusChild", oversized_status_child)
      .add("OversizedKvChild", oversized_kv_child)
      .build();
}

void expect_parent_learns_of_the_limit(const std::string& child) {
  E2eEnv env(ActivityRegistry::builder().build(), orchestrations());
  const std::string instance = "parent-of-" + child;
  ASSERT_TRUE(env.client.start_orchestration(instance, "Parent", child));
  const auto output = env.output_of(instance, std::chrono::seconds(30));
  EXPECT_EQ(output.rfind("child failed: ", 0), 0u) << output;
  EXPECT_NE(output.find("exceeds limit"), std::string::npos) << output;
}

TEST(E2eTurnLimits, child_failing_on_custom_status_size_fails_its_parents_wait) {
  expect_parent_learns_of_the_limit("OversizedStatusChild");
}

TEST(E2eTurnLimits, child_failing_on_kv_value_size_fails_its_parents_wait) {
  expect_parent_learns_of_the_limit("OversizedKvChild");
}

}  // namespace
}  // namespace duroxide::testing
