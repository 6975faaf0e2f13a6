// Mirrors duroxide's tests/futures_tests.rs: select/join winners and ordering through a real runtime.
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

std::atomic<int> g_flaky_calls{0};
std::atomic<int> g_a_calls{0};
std::atomic<int> g_b_calls{0};

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Delayed",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             const auto colon = input.find(':');
             std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(input.substr(colon + 1))));
             return input.substr(0, colon);
           })
      .add("FailFast",
           [](ActivityContext&, std::string) -> Result<std::string> {
             ++g_flaky_calls;
             return Err("fast failure");
           })
      .add("Instant", [](ActivityContext&, std::string input) -> Result<std::string> { return "instant:" + input; })
      .add("A",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_a_calls;
             return "A:" + input;
           })
      .add("B",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_b_calls;
             return "B:" + input;
           })
      .build();
}

Task<Result<std::string>> select_two_events(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(ctx.schedule_wait("A"), ctx.schedule_wait("B"));
  co_return race.is_first() ? "A:" + race.first_value() : "B:" + race.second_value();
}

// The loser timers below are an hour long: the race must be decided by the other branch, never by
// how long a loaded machine takes to restart (a 500 ms timer lost to PostgreSQL in CI).
Task<Result<std::string>> block_on_timer(OrchestrationContext ctx) {
  co_await ctx.schedule_timer(std::chrono::hours(1));
  co_return std::string("timer");
}

Task<Result<std::string>> select_three(OrchestrationContext ctx, std::string) {
  auto race =
      co_await OrchestrationContext::select3(ctx.schedule_wait("A"), block_on_timer(ctx), ctx.schedule_wait("B"));
  switch (race.index()) {
    case 0:
      co_return "A:" + race.first_value();
    case 1:
      co_return "timer";
    default:
      co_return "B:" + race.third_value();
  }
}

Task<Result<std::string>> join_order(OrchestrationContext ctx, std::string) {
  auto both = co_await OrchestrationContext::join2(ctx.schedule_activity("Delayed", "A:100"),
                                                   ctx.schedule_activity("Delayed", "B:10"));
  co_return std::get<0>(both).value_or("?") + "," + std::get<1>(both).value_or("?");
}

Task<Result<std::string>> select_then_activity(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(ctx.schedule_timer(std::chrono::hours(1)),
                                                     ctx.schedule_activity("FailFast", ""));
  if (!race.is_second()) co_return Err("the timer should have lost");
  (void)co_await ctx.schedule_activity("FailFast", "again");
  co_return "completed";
}

Task<Result<std::string>> select_instant_then_next(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(ctx.schedule_timer(std::chrono::hours(1)),
                                                     ctx.schedule_activity("Instant", "x"));
  if (!race.is_second()) co_return Err("the timer should have lost");
  auto next = co_await ctx.schedule_activity("Instant", "y");
  if (!next) co_return Err(next.error());
  co_return "done";
}

Task<Result<std::string>> unawaited_first(OrchestrationContext ctx, std::string) {
  auto a = ctx.schedule_activity("A", "first");
  auto b = co_await ctx.schedule_activity("B", "second");
  auto a_result = co_await std::move(a);
  co_return "B=" + b.value_or("?") + ";A=" + a_result.value_or("?");
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("SelectTwo", select_two_events)
      .add("SelectThree", select_three)
      .add("JoinOrder", join_order)
      .add("SelectThenActivity", select_then_activity)
      .add("SelectInstant", select_instant_then_next)
      .add("UnawaitedFirst", unawaited_first)
      .build();
}

/// Starts `name` on a file store, stops the runtime once both waits exist, enqueues B's event
/// before A's, and resumes with a new runtime.
std::string winner_after_restart(const std::string& name, std::chrono::milliseconds shutdown_timeout) {
  DurableStore dir;
  {
    E2eEnv first(dir.open(), activities(), orchestrations());
    EXPECT_TRUE(first.client.start_orchestration("race", name, ""));
    EXPECT_TRUE(wait_until([&] {
      auto history = first.store->read("race");
      return history && std::count_if(history->begin(), history->end(),
                                      [](const Event& e) { return e.is<events::ExternalSubscribed>(); }) == 2;
    }));
    first.runtime->shutdown(shutdown_timeout);
    EXPECT_TRUE(first.store->enqueue_for_orchestrator(work_items::ExternalRaised{"race", "B", "vb"}, std::nullopt));
    EXPECT_TRUE(first.store->enqueue_for_orchestrator(work_items::ExternalRaised{"race", "A", "va"}, std::nullopt));
  }
  E2eEnv second(dir.open(), activities(), orchestrations());
  const auto output = second.output_of("race");
  const auto history = second.history("race");
  std::vector<std::string> delivered;
  for (const auto& e : history) {
    if (const auto* ev = e.get_if<events::ExternalEvent>()) delivered.push_back(ev->name);
  }
  EXPECT_EQ(delivered, (std::vector<std::string>{"B", "A"}));
  return output;
}

TEST(E2eFutures, select2_two_externals_first_delivery_wins) {
  EXPECT_EQ(winner_after_restart("SelectTwo", std::chrono::seconds(5)), "B:vb");
}

TEST(E2eFutures, select3_mixed_branch_order_winner) {
  EXPECT_EQ(winner_after_restart("SelectThree", std::chrono::milliseconds(0)), "B:vb");
}

TEST(E2eFutures, join_returns_schedule_order) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("join", "JoinOrder", ""));
  EXPECT_EQ(env.output_of("join"), "A,B");
}

TEST(E2eFutures, test_select2_loser_event_consumed_during_replay) {
  const int before = g_flaky_calls;
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("loser", "SelectThenActivity", ""));
  EXPECT_EQ(env.output_of("loser"), "completed");
  EXPECT_EQ(g_flaky_calls - before, 2);
  const auto history = env.history("loser");
  EXPECT_EQ(std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is<events::TimerCreated>(); }),
            1);
}

TEST(E2eFutures, test_select2_schedule_after_winner_returns) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("after", "SelectInstant", ""));
  EXPECT_EQ(env.output_of("after"), "done");
}

TEST(E2eFutures, simplified_futures_unawaited_completion_does_not_block) {
  const int a_before = g_a_calls;
  const int b_before = g_b_calls;
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("unawaited", "UnawaitedFirst", ""));
  const auto output = env.output_of("unawaited");
  EXPECT_NE(output.find("B=B:second"), std::string::npos) << output;
  EXPECT_NE(output.find("A=A:first"), std::string::npos) << output;
  EXPECT_EQ(g_a_calls - a_before, 1);
  EXPECT_EQ(g_b_calls - b_before, 1);
  std::vector<std::string> scheduled;
  for (const auto& e : env.history("unawaited")) {
    if (const auto* s = e.get_if<events::ActivityScheduled>()) scheduled.push_back(s->name);
  }
  EXPECT_EQ(scheduled, (std::vector<std::string>{"A", "B"}));
}

}  // namespace
}  // namespace duroxide::testing
