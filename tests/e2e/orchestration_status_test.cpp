// Mirrors duroxide's tests/orchestration_status_tests.rs: Client::get_orchestration_status through an instance's
// life (NotFound, Running, Completed, Failed, cancelled, after continue-as-new).
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

/// Lets "Gate" activities finish (set by the lifecycle test once it has seen Running).
std::atomic<bool> g_gate_open{false};

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      .add("Fail", [](ActivityContext&, std::string) -> Result<std::string> { return Err("intentional failure"); })
      .add("Block",
           [](ActivityContext& ctx, std::string) -> Result<std::string> {
             // Runs until the runtime asks it to stop (cancellation or shutdown).
             (void)wait_for_stop(ctx);
             return Err("stopped");
           })
      .add("Gate",
           [](ActivityContext& ctx, std::string input) -> Result<std::string> {
             while (!g_gate_open.load() && !ctx.is_cancelled()) std::this_thread::sleep_for(1ms);
             return input;
           })
      .build();
}

Task<Result<std::string>> echo_result(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Echo", input);
  if (!r) co_return Err(r.error());
  co_return "result: " + *r;
}

Task<Result<std::string>> fails_via_activity(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Fail", input);
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> blocks_on_activity(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Block", input);
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> gated(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Gate", "quick");
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> counts_to_two(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  if (n < 2) co_await ctx.continue_as_new(std::to_string(n + 1));
  co_return "done: " + input;
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("EchoResult", echo_result)
      .add("FailsViaActivity", fails_via_activity)
      .add("BlocksOnActivity", blocks_on_activity)
      .add("Gated", gated)
      .add("CountsToTwo", counts_to_two)
      .build();
}

RuntimeOptions options() {
  RuntimeOptions o = fast_options();
  o.activity_cancellation_grace_period = std::chrono::milliseconds(100);
  return o;
}

OrchestrationStatus status_of(const Client& client, const std::string& instance) {
  auto status = client.get_orchestration_status(instance);
  if (!status) {
    ADD_FAILURE() << "get_orchestration_status(" << instance << "): " << status.error().to_string();
    return OrchestrationStatus{status::NotFound{}};
  }
  return *status;
}

TEST(E2eOrchestrationStatus, test_status_not_found) {
  E2eEnv env(activities(), orchestrations(), options());
  EXPECT_TRUE(status_of(env.client, "does-not-exist").is_not_found());
}

TEST(E2eOrchestrationStatus, test_status_running) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("running-1", "BlocksOnActivity", "x"));
  ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*env.store, "running-1"));
  EXPECT_TRUE(wait_until([&] { return status_of(env.client, "running-1").is_running(); }))
      << status_of(env.client, "running-1").name();
  // Still blocked: it stays Running.
  EXPECT_TRUE(status_of(env.client, "running-1").is_running());
}

TEST(E2eOrchestrationStatus, test_status_completed) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("completed-1", "EchoResult", "test-input"));
  EXPECT_EQ(env.output_of("completed-1"), "result: test-input");
  const auto again = status_of(env.client, "completed-1");
  ASSERT_TRUE(again.is_completed()) << again.name();
  EXPECT_EQ(again.get_if<status::Completed>()->output, "result: test-input");
}

TEST(E2eOrchestrationStatus, test_status_failed) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("failed-1", "FailsViaActivity", "x"));
  const auto status = env.wait("failed-1");
  ASSERT_TRUE(status.is_failed()) << status.name();
  const auto& details = status.get_if<status::Failed>()->details;
  const auto* app = details.get_if<error::Application>();
  ASSERT_NE(app, nullptr) << details.display_message();
  EXPECT_NE(details.display_message().find("intentional failure"), std::string::npos) << details.display_message();
  const auto again = status_of(env.client, "failed-1");
  ASSERT_TRUE(again.is_failed()) << again.name();
  EXPECT_EQ(again.get_if<status::Failed>()->details, details);
}

TEST(E2eOrchestrationStatus, test_status_after_continue_as_new) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("can-1", "CountsToTwo", "0"));
  EXPECT_EQ(env.output_of("can-1"), "done: 2");
  const auto history = env.history("can-1");
  ASSERT_FALSE(history.empty());
  const auto* started = history.front().get_if<events::OrchestrationStarted>();
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(started->input, "2");
  EXPECT_TRUE(status_of(env.client, "can-1").is_completed());
}

TEST(E2eOrchestrationStatus, test_status_cancelled) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("cancel-1", "BlocksOnActivity", "x"));
  ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*env.store, "cancel-1"));
  ASSERT_TRUE(env.client.cancel_instance("cancel-1", "test requested cancellation"));
  const auto status = env.wait("cancel-1");
  ASSERT_TRUE(status.is_failed()) << status.name();
  const auto* app = status.get_if<status::Failed>()->details.get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind, AppErrorKind::cancelled("test requested cancellation"));
}

TEST(E2eOrchestrationStatus, test_status_lifecycle_transitions) {
  g_gate_open = false;
  E2eEnv env(activities(), orchestrations(), options());
  EXPECT_TRUE(status_of(env.client, "life-1").is_not_found());
  ASSERT_TRUE(env.client.start_orchestration("life-1", "Gated", ""));
  EXPECT_TRUE(wait_until([&] { return status_of(env.client, "life-1").is_running(); }))
      << status_of(env.client, "life-1").name();
  g_gate_open = true;
  EXPECT_EQ(env.output_of("life-1"), "quick");
  const auto again = status_of(env.client, "life-1");
  ASSERT_TRUE(again.is_completed()) << again.name();
  EXPECT_EQ(again.get_if<status::Completed>()->output, "quick");
}

TEST(E2eOrchestrationStatus, test_status_independence) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("ok-1", "EchoResult", "a"));
  ASSERT_TRUE(env.client.start_orchestration("bad-1", "FailsViaActivity", "b"));
  const auto ok = env.wait("ok-1");
  const auto bad = env.wait("bad-1");
  ASSERT_TRUE(ok.is_completed()) << ok.name();
  EXPECT_EQ(ok.get_if<status::Completed>()->output, "result: a");
  EXPECT_TRUE(bad.is_failed()) << bad.name();
}

}  // namespace
}  // namespace duroxide::testing
