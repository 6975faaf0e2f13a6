// Mirrors duroxide's tests/custom_status_tests.rs: set/reset/get of the custom status through a real runtime, its
// version counter, the 256 KiB size limit and its carry-over across continue-as-new (docs/orchestration-engine.md).
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

constexpr std::size_t kStatusLimit = 256 * 1024;

ActivityRegistry echo_activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      .build();
}

/// The Completed variant of `status` (a test failure and an empty value otherwise).
status::Completed completed(const OrchestrationStatus& status) {
  if (const auto* c = status.get_if<status::Completed>()) return *c;
  ADD_FAILURE() << "expected Completed, got " << status.name()
                << (status.is_failed() ? ": " + status.get_if<status::Failed>()->details.display_message() : "");
  return {};
}

status::Failed failed(const OrchestrationStatus& status) {
  if (const auto* f = status.get_if<status::Failed>()) return *f;
  ADD_FAILURE() << "expected Failed, got " << status.name();
  return {};
}

std::string show(const std::optional<std::string>& value) { return value ? "'" + *value + "'" : "none"; }

// ---- orchestrations ----

Task<Result<std::string>> set_then_done(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("step-1");
  co_return "done";
}

Task<Result<std::string>> set_then_reset(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("temporary");
  ctx.reset_custom_status();
  co_return "done";
}

Task<Result<std::string>> three_sets(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("first");
  ctx.set_custom_status("second");
  ctx.set_custom_status("third");
  co_return "done";
}

Task<Result<std::string>> set_then_activity(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("processing");
  auto r = co_await ctx.schedule_activity("Echo", "hello");
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> set_activity_set(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("step-1");
  auto r = co_await ctx.schedule_activity("Echo", "x");
  if (!r) co_return Err(r.error());
  ctx.set_custom_status("step-2");
  co_return "done";
}

Task<Result<std::string>> never_sets(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Echo", "plain");
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> set_then_fail(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("about-to-fail");
  co_return Err("boom");
}

Task<Result<std::string>> two_turn_versions(OrchestrationContext ctx, std::string) {
  ctx.set_custom_status("v1");
  auto r = co_await ctx.schedule_activity("Echo", "x");
  if (!r) co_return Err(r.error());
  ctx.set_custom_status("v2");
  co_return "done";
}

/// Sets a status of std::stoul(input) bytes and returns "ok".
Task<Result<std::string>> sized_status(OrchestrationContext ctx, std::string input) {
  ctx.set_custom_status(std::string(std::stoul(input), 'x'));
  co_return "ok";
}

Task<Result<std::string>> big_status_done(OrchestrationContext ctx, std::string input) {
  ctx.set_custom_status(std::string(std::stoul(input), 'x'));
  co_return "done";
}

/// exec1 sets "step-A" and continues; exec2 asks an activity what the provider holds and carries it
/// into exec3, which sets "step-B" and returns what exec2 observed.
Task<Result<std::string>> status_across_can(OrchestrationContext ctx, std::string input) {
  if (input == "start") {
    ctx.set_custom_status("step-A");
    co_await ctx.continue_as_new("second");
  }
  if (input == "second") {
    auto seen = co_await ctx.schedule_activity("ReadStatus", "");
    if (!seen) co_return Err(seen.error());
    co_await ctx.continue_as_new("third:" + *seen);
  }
  ctx.set_custom_status("step-B");
  co_return input.substr(std::string("third:").size());
}

Task<Result<std::string>> reset_across_can(OrchestrationContext ctx, std::string input) {
  if (input == "first") {
    ctx.set_custom_status("foo");
    co_await ctx.continue_as_new("second");
  }
  ctx.reset_custom_status();
  co_return "done";
}

Task<Result<std::string>> getter_across_turns(OrchestrationContext ctx, std::string) {
  if (ctx.get_custom_status()) co_return Err("initially " + show(ctx.get_custom_status()));
  ctx.set_custom_status("step-1");
  if (ctx.get_custom_status() != "step-1") co_return Err("after set " + show(ctx.get_custom_status()));
  auto r = co_await ctx.schedule_activity("Echo", "x");
  if (!r) co_return Err(r.error());
  if (ctx.get_custom_status() != "step-1") co_return Err("after activity " + show(ctx.get_custom_status()));
  ctx.set_custom_status("step-2");
  if (ctx.get_custom_status() != "step-2") co_return Err("after second set " + show(ctx.get_custom_status()));
  co_return "ok";
}

Task<Result<std::string>> getter_carry_forward(OrchestrationContext ctx, std::string input) {
  if (input == "1") {
    ctx.set_custom_status("from-first");
    co_await ctx.continue_as_new("2");
  }
  if (input == "2") {
    if (ctx.get_custom_status() != "from-first") co_return Err("exec2 saw " + show(ctx.get_custom_status()));
    ctx.reset_custom_status();
    co_await ctx.continue_as_new("3");
  }
  if (input == "3") {
    if (ctx.get_custom_status()) co_return Err("exec3 saw " + show(ctx.get_custom_status()));
    ctx.set_custom_status("from-third");
    co_await ctx.continue_as_new("4");
  }
  if (ctx.get_custom_status() != "from-third") co_return Err("exec4 saw " + show(ctx.get_custom_status()));
  auto r = co_await ctx.schedule_activity("Echo", "x");
  if (!r) co_return Err(r.error());
  if (ctx.get_custom_status() != "from-third") {
    co_return Err("exec4 after activity saw " + show(ctx.get_custom_status()));
  }
  co_return "ok";
}

// ---- tests ----

TEST(E2eCustomStatus, custom_status_set_visible_on_completion) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", set_then_done).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-1", "O", ""));
  const auto c = completed(env.wait("cs-1"));
  EXPECT_EQ(c.output, "done");
  EXPECT_EQ(c.custom_status, "step-1");
  EXPECT_GE(c.custom_status_version, 1u);
}

TEST(E2eCustomStatus, custom_status_reset_clears_to_none) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", set_then_reset).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-reset", "O", ""));
  const auto c = completed(env.wait("cs-reset"));
  EXPECT_EQ(c.output, "done");
  EXPECT_EQ(c.custom_status, std::nullopt);
  EXPECT_GE(c.custom_status_version, 1u);
}

TEST(E2eCustomStatus, custom_status_last_write_wins) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", three_sets).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-lww", "O", ""));
  EXPECT_EQ(completed(env.wait("cs-lww")).custom_status, "third");
}

TEST(E2eCustomStatus, custom_status_persists_across_turns) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", set_then_activity).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-turns", "O", ""));
  const auto c = completed(env.wait("cs-turns"));
  EXPECT_EQ(c.output, "hello");
  EXPECT_EQ(c.custom_status, "processing");
}

TEST(E2eCustomStatus, custom_status_updated_in_later_turn) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", set_activity_set).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-later", "O", ""));
  EXPECT_EQ(completed(env.wait("cs-later")).custom_status, "step-2");
}

TEST(E2eCustomStatus, custom_status_none_when_not_set) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", never_sets).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-none", "O", ""));
  const auto c = completed(env.wait("cs-none"));
  EXPECT_EQ(c.output, "plain");
  EXPECT_EQ(c.custom_status, std::nullopt);
  EXPECT_EQ(c.custom_status_version, 0u);
}

TEST(E2eCustomStatus, custom_status_visible_on_failure) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", set_then_fail).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-fail", "O", ""));
  const auto f = failed(env.wait("cs-fail"));
  EXPECT_EQ(f.custom_status, "about-to-fail");
  EXPECT_NE(f.details.display_message().find("boom"), std::string::npos) << f.details.display_message();
}

TEST(E2eCustomStatus, custom_status_version_increments) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", two_turn_versions).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-ver", "O", ""));
  const auto c = completed(env.wait("cs-ver"));
  EXPECT_EQ(c.custom_status, "v2");
  EXPECT_GE(c.custom_status_version, 2u);
}

TEST(E2eCustomStatus, custom_status_exceeding_size_limit_fails_orchestration) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", big_status_done).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-big", "O", std::to_string(kStatusLimit + 1)));
  const auto f = failed(env.wait("cs-big"));
  EXPECT_NE(f.details.display_message().find("exceeds limit"), std::string::npos) << f.details.display_message();
}

TEST(E2eCustomStatus, custom_status_at_size_limit_succeeds) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", big_status_done).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-at", "O", std::to_string(kStatusLimit)));
  const auto c = completed(env.wait("cs-at"));
  EXPECT_EQ(c.output, "done");
  ASSERT_TRUE(c.custom_status.has_value());
  EXPECT_EQ(c.custom_status->size(), kStatusLimit);
}

TEST(E2eCustomStatus, custom_status_persists_across_continue_as_new) {
  auto store = test_store();
  auto activities =
      ActivityRegistry::builder()
          .add("ReadStatus",
               [store](ActivityContext& ctx, std::string) -> Result<std::string> {
                 auto snapshot = store->get_custom_status(ctx.instance_id(), 0);
                 if (!snapshot) return Err(snapshot.error().to_string());
                 if (!*snapshot) return std::string("no-status");
                 return (*snapshot)->status.value_or("null") + "@v" + std::to_string((*snapshot)->version);
               })
          .build();
  E2eEnv env(store, std::move(activities), OrchestrationRegistry::builder().add("O", status_across_can).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-can", "O", "start"));
  const auto c = completed(env.wait("cs-can"));
  EXPECT_EQ(c.output, "step-A@v1");  // what exec2's activity read from the provider
  EXPECT_EQ(c.custom_status, "step-B");
  EXPECT_EQ(c.custom_status_version, 2u);  // per instance, cumulative across executions
}

TEST(E2eCustomStatus, custom_status_reset_across_continue_as_new) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", reset_across_can).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-can-reset", "O", "first"));
  const auto c = completed(env.wait("cs-can-reset"));
  EXPECT_EQ(c.output, "done");
  EXPECT_EQ(c.custom_status, std::nullopt);
  EXPECT_EQ(c.custom_status_version, 2u);
}

TEST(E2eCustomStatus, custom_status_get_reflects_set_across_turns) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", getter_across_turns).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-get", "O", ""));
  const auto c = completed(env.wait("cs-get"));
  EXPECT_EQ(c.output, "ok");
  EXPECT_EQ(c.custom_status, "step-2");
  EXPECT_EQ(c.custom_status_version, 2u);
}

TEST(E2eCustomStatus, custom_status_get_reflects_carry_forward_after_can) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", getter_carry_forward).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-get-can", "O", "1"));
  const auto c = completed(env.wait("cs-get-can"));
  EXPECT_EQ(c.output, "ok");
  EXPECT_EQ(c.custom_status, "from-third");
  EXPECT_EQ(c.custom_status_version, 3u);
  EXPECT_EQ(env.client.list_executions("cs-get-can").value().size(), 4u);
}

TEST(E2eCustomStatus, custom_status_size_limit_precise_boundary) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("O", sized_status).build());
  ASSERT_TRUE(env.client.start_orchestration("cs-below", "O", std::to_string(kStatusLimit - 1)));
  ASSERT_TRUE(env.client.start_orchestration("cs-exact", "O", std::to_string(kStatusLimit)));
  ASSERT_TRUE(env.client.start_orchestration("cs-above", "O", std::to_string(kStatusLimit + 1)));
  EXPECT_EQ(completed(env.wait("cs-below")).output, "ok");
  EXPECT_EQ(completed(env.wait("cs-exact")).output, "ok");
  const auto f = failed(env.wait("cs-above"));
  EXPECT_NE(f.details.display_message().find("exceeds limit"), std::string::npos) << f.details.display_message();
}

}  // namespace
}  // namespace duroxide::testing
