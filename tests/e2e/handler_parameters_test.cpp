// Orchestration handlers take their parameters by value (issue #12 item 10): reference parameters
// are a compile error (tests/compile_fail, run as UnitCompileFail.*); these forms compile and run.
// Typed handlers may take references (their coroutine frame owns the arguments), and so may
// activities, which are plain functions.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

Task<Result<std::string>> free_function(OrchestrationContext ctx, std::string input) {
  co_return input + "@" + ctx.instance_id();
}

Task<Result<int>> typed_by_reference(OrchestrationContext ctx, const int& input) {
  auto doubled = co_await ctx.schedule_activity("Double", std::to_string(input));
  if (!doubled) co_return Err(doubled.error());
  co_return std::stoi(*doubled);
}

TEST(E2eHandlerParameters, ByValueHandlersCompileAndRun) {
  auto activities = ActivityRegistry::builder()
                        .add("Double",
                             [](ActivityContext&, const std::string& input) -> Result<std::string> {
                               return std::to_string(2 * std::stoi(input));
                             })
                        .build();
  auto orchestrations = OrchestrationRegistry::builder()
                            .add("Function", free_function)
                            .add("Lambda",
                                 [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
                                   auto doubled = co_await ctx.schedule_activity("Double", input);
                                   co_return doubled ? *doubled : doubled.error();
                                 })
                            .add_versioned("Versioned", "2.0.0",
                                           [](OrchestrationContext, std::string input) -> Task<Result<std::string>> {
                                             co_return "v2:" + input;
                                           })
                            .add_typed("TypedByReference", typed_by_reference)
                            .build();
  E2eEnv env(std::move(activities), std::move(orchestrations));
  ASSERT_TRUE(env.client.start_orchestration("f", "Function", "in"));
  ASSERT_TRUE(env.client.start_orchestration("l", "Lambda", "21"));
  ASSERT_TRUE(env.client.start_orchestration("v", "Versioned", "in"));
  ASSERT_TRUE(env.client.start_orchestration_typed("t", "TypedByReference", 4));
  EXPECT_EQ(env.output_of("f"), "in@f");
  EXPECT_EQ(env.output_of("l"), "42");
  EXPECT_EQ(env.output_of("v"), "v2:in");
  EXPECT_EQ(env.output_of("t"), "8");
}

}  // namespace
}  // namespace duroxide::testing
