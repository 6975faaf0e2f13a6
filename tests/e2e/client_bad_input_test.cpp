// Bad input through the client (issue #5 item 9): each case behaves as duroxide's client does, errors name
// the problem, and nothing is half-written.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

Task<Result<std::string>> wait_for_go(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Go");
  co_return "got " + data;
}

Task<Result<std::string>> echo(OrchestrationContext, std::string input) { co_return input; }

OrchestrationRegistry registry() {
  return OrchestrationRegistry::builder().add("WaitForGo", wait_for_go).add("Echo", echo).build();
}

bool names(const ClientError& error, std::string_view fragment) {
  return error.to_string().find(fragment) != std::string::npos;
}

TEST(E2eClientBadInput, EmptyAndOverlongInstanceIdsAreRejectedWithoutWriting) {
  E2eEnv env(ActivityRegistry::builder().build(), registry());
  auto empty = env.client.start_orchestration("", "Echo", "x");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ClientError::Kind::Provider);
  EXPECT_FALSE(empty.error().is_retryable());
  EXPECT_TRUE(names(empty.error(), "instance id must not be empty")) << empty.error().to_string();

  auto overlong = env.client.raise_event(std::string(5000, 'i'), "Go", "x");
  ASSERT_FALSE(overlong);
  EXPECT_TRUE(names(overlong.error(), "instance id is 5000 bytes")) << overlong.error().to_string();
  EXPECT_EQ(env.client.get_queue_depths().value().orchestrator_queue, 0u);
}

TEST(E2eClientBadInput, OversizePayloadIsRejectedWithoutWriting) {
  E2eEnv env(ActivityRegistry::builder().build(), registry());
  const std::string huge(SqliteOptions{}.max_payload_bytes + 1, 'x');
  auto started = env.client.start_orchestration("big", "Echo", huge);
  ASSERT_FALSE(started);
  EXPECT_TRUE(names(started.error(), "limit")) << started.error().to_string().substr(0, 200);
  EXPECT_EQ(env.client.get_queue_depths().value().orchestrator_queue, 0u);
  EXPECT_TRUE(env.client.get_orchestration_status("big").value().is_not_found());
}

TEST(E2eClientBadInput, StartingARunningInstanceAgainAddsNothing) {
  E2eEnv env(ActivityRegistry::builder().build(), registry());
  ASSERT_TRUE(env.client.start_orchestration("dup", "WaitForGo", "first"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "dup"));
  ASSERT_TRUE(env.client.start_orchestration("dup", "WaitForGo", "second"));
  // The second start is consumed by the running execution: wait until the queue drained.
  ASSERT_TRUE(wait_until([&] { return env.client.get_queue_depths().value().orchestrator_queue == 0; }));
  ASSERT_TRUE(env.client.raise_event("dup", "Go", "now"));
  EXPECT_EQ(env.output_of("dup"), "got now");
  const auto history = env.history("dup");
  EXPECT_EQ(std::count_if(history.begin(), history.end(),
                          [](const Event& e) { return e.is<events::OrchestrationStarted>(); }),
            1);
  EXPECT_EQ(std::get<events::OrchestrationStarted>(history.front().kind).input, "first");
}

TEST(E2eClientBadInput, StartingAFinishedInstanceLeavesItUnchanged) {
  E2eEnv env(ActivityRegistry::builder().build(), registry());
  ASSERT_TRUE(env.client.start_orchestration("done", "Echo", "one"));
  EXPECT_EQ(env.output_of("done"), "one");
  const auto before = env.history("done");
  ASSERT_TRUE(env.client.start_orchestration("done", "Echo", "two"));
  ASSERT_TRUE(wait_until([&] { return env.client.get_queue_depths().value().orchestrator_queue == 0; }));
  EXPECT_EQ(env.history("done"), before);
  EXPECT_EQ(env.output_of("done"), "one");
}

TEST(E2eClientBadInput, RaisingToUnknownOrFinishedInstancesIsHarmless) {
  E2eEnv env(ActivityRegistry::builder().build(), registry());
  ASSERT_TRUE(env.client.raise_event("nobody", "Go", "x"));
  ASSERT_TRUE(env.client.start_orchestration("done", "Echo", "one"));
  EXPECT_EQ(env.output_of("done"), "one");
  const auto before = env.history("done");
  ASSERT_TRUE(env.client.raise_event("done", "Go", "late"));
  ASSERT_TRUE(env.client.cancel_instance("done", "too late"));
  // Both messages for the finished instance are consumed and dropped.
  ASSERT_TRUE(wait_until([&] { return env.client.get_queue_depths().value().orchestrator_queue <= 1; }));
  EXPECT_TRUE(env.client.get_orchestration_status("nobody").value().is_not_found());
  // Another instance still runs: the stray message blocks nothing.
  ASSERT_TRUE(env.client.start_orchestration("other", "Echo", "fine"));
  EXPECT_EQ(env.output_of("other"), "fine");
  EXPECT_EQ(env.history("done"), before);
  // Only the event for the never-started instance is still queued (kept for a later start). Waited
  // for: while the dispatcher holds it between fetch and abandon, the depth leaves it out (a
  // window that PostgreSQL's slower round trips made visible).
  EXPECT_TRUE(wait_until([&] { return env.client.get_queue_depths().value().orchestrator_queue == 1u; }));
}

TEST(E2eClientBadInput, UnregisteredOrchestrationEndsAsPoisonAfterBackoff) {
  RuntimeOptions options = fast_options();
  options.unregistered_backoff.base_delay = std::chrono::milliseconds(5);
  options.unregistered_backoff.max_delay = std::chrono::milliseconds(20);
  options.max_attempts = 3;
  E2eEnv env(ActivityRegistry::builder().build(), registry(), options);
  ASSERT_TRUE(env.client.start_orchestration("ghost", "NoSuchOrchestration", ""));
  auto status = env.wait("ghost");
  ASSERT_TRUE(status.is_failed());
  const auto* poison = status.get_if<status::Failed>()->details.get_if<error::Poison>();
  ASSERT_NE(poison, nullptr) << status.get_if<status::Failed>()->details.display_message();
  EXPECT_EQ(poison->max_attempts, 3u);
  EXPECT_GT(poison->attempt_count, 3u);
  EXPECT_NE(poison->message.find("NoSuchOrchestration"), std::string::npos);
}

TEST(E2eClientBadInput, TypedEncodeFailureIsInvalidInput) {
  E2eEnv env(ActivityRegistry::builder().build(), registry());
  // Invalid UTF-8 has no JSON encoding.
  const std::string invalid_utf8 = "\xff\xfe";
  auto started = env.client.start_orchestration_typed("typed", "Echo", std::vector<std::string>{invalid_utf8});
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().kind, ClientError::Kind::InvalidInput);
  EXPECT_TRUE(names(started.error(), "Invalid input: encode")) << started.error().to_string();
  EXPECT_EQ(env.client.get_queue_depths().value().orchestrator_queue, 0u);
}

}  // namespace
}  // namespace duroxide::testing
