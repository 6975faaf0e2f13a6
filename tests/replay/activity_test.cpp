// Fresh executions, replay of activity results, partial completion, sequential progress
// (docs/orchestration-engine.md; mirrors duroxide's replay_engine fresh_execution, replay_with_completions,
// partial_completion, sequential_progress).
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

Task<Result<std::string>> greet(OrchestrationContext ctx, std::string input) {
  auto greeting = co_await ctx.schedule_activity("Greet", input);
  if (!greeting) co_return Err("greet failed: " + greeting.error());
  co_return *greeting;
}

TEST(ReplayActivity, FreshExecutionSchedulesActivityAndContinues) {
  TurnDriver driver(greet, "World");
  auto out = driver.turn();
  EXPECT_TRUE(is_continue(out));
  ASSERT_EQ(out.history_delta.size(), 1u);
  auto* scheduled = out.history_delta[0].get_if<events::ActivityScheduled>();
  ASSERT_NE(scheduled, nullptr);
  EXPECT_EQ(scheduled->name, "Greet");
  EXPECT_EQ(scheduled->input, "World");
  EXPECT_EQ(out.history_delta[0].event_id, 2u);
  ASSERT_EQ(out.pending_actions.size(), 1u);
  auto* call = std::get_if<actions::CallActivity>(&out.pending_actions[0]);
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->scheduling_event_id, 2u);
}

TEST(ReplayActivity, CompletionDeliversResultAndCompletes) {
  TurnDriver driver(greet, "World");
  driver.turn();
  auto out = driver.turn({activity_ok(2, "Hello, World!")});
  EXPECT_EQ(completed_output(out), "Hello, World!");
  ASSERT_EQ(out.history_delta.size(), 1u);
  EXPECT_EQ(out.history_delta[0].source_event_id, 2u);
  EXPECT_EQ(out.history_delta[0].event_id, 3u);
  EXPECT_TRUE(out.pending_actions.empty());
}

TEST(ReplayActivity, FailureReachesCodeAsErrorText) {
  TurnDriver driver(greet, "World");
  driver.turn();
  auto out = driver.turn({activity_err(2, "boom")});
  auto details = failure(out);
  ASSERT_TRUE(details);
  auto* app = details->get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind.code, AppErrorKind::Code::OrchestrationFailed);
  EXPECT_EQ(app->message, "greet failed: boom");
}

TEST(ReplayActivity, ReplayFromHistoryCompletesWithoutNewActions) {
  TurnDriver driver(greet, "World");
  auto out = driver.replay({started("World"), ev(2, events::ActivityScheduled{"Greet", "World", {}, {}}),
                            ev(3, events::ActivityCompleted{"hi"}, 2)});
  EXPECT_EQ(completed_output(out), "hi");
  EXPECT_TRUE(out.history_delta.empty());
  EXPECT_TRUE(out.pending_actions.empty());
}

TEST(ReplayActivity, PartialCompletionScheduleWithoutResultIsNotReemitted) {
  TurnDriver driver(greet, "World");
  auto out = driver.replay({started("World"), ev(2, events::ActivityScheduled{"Greet", "World", {}, {}})});
  EXPECT_TRUE(is_continue(out));
  EXPECT_TRUE(out.pending_actions.empty());
  EXPECT_TRUE(out.history_delta.empty());
  EXPECT_FALSE(out.made_progress());
}

Task<Result<std::string>> chain(OrchestrationContext ctx, std::string input) {
  std::string value = input;
  for (int step = 0; step < 3; ++step) {
    auto next = co_await ctx.schedule_activity("Step", value);
    if (!next) co_return Err(next.error());
    value = *next;
  }
  co_return value;
}

TEST(ReplayActivity, SequentialProgressAcrossTurnsAllocatesContiguousIds) {
  TurnDriver driver(chain, "a");
  auto first = driver.turn();
  ASSERT_EQ(first.pending_actions.size(), 1u);
  auto second = driver.turn({activity_ok(2, "b")});
  ASSERT_EQ(second.history_delta.size(), 2u);
  EXPECT_EQ(second.history_delta[0].event_id, 3u);  // completion
  EXPECT_EQ(second.history_delta[1].event_id, 4u);  // next schedule
  EXPECT_EQ(kind_of<events::ActivityScheduled>(second.history_delta[1]).input, "b");
  driver.turn({activity_ok(4, "c")});
  auto last = driver.turn({activity_ok(6, "d")});
  EXPECT_EQ(completed_output(last), "d");
}

Task<Result<std::string>> two_identical(OrchestrationContext ctx, std::string) {
  auto a = ctx.schedule_activity("Same", "x");
  auto b = ctx.schedule_activity("Same", "x");
  auto ra = co_await a;
  auto rb = co_await b;
  co_return ra.value_or("err") + "," + rb.value_or("err");
}

TEST(ReplayActivity, IdenticalActivitiesRoutedByScheduleIdNotByNameAndInput) {
  TurnDriver driver(two_identical);
  driver.turn();
  // Second activity completes first, in a separate turn.
  auto mid = driver.turn({activity_ok(3, "second")});
  EXPECT_TRUE(is_continue(mid));
  auto out = driver.turn({activity_ok(2, "first")});
  EXPECT_EQ(completed_output(out), "first,second");
}

TEST(ReplayActivity, CompletionInSameTurnAsScheduleIsNotPossibleButReplayAfterRestartIsStable) {
  TurnDriver driver(chain, "a");
  driver.turn();
  driver.turn({activity_ok(2, "b")});
  // A restart replays the full history: same result, nothing new.
  auto out = driver.replay(driver.history());
  EXPECT_TRUE(is_continue(out));
  EXPECT_TRUE(out.history_delta.empty());
}

TEST(ReplayActivity, ImmediateReturnCompletesInFirstTurn) {
  TurnDriver driver(
      [](OrchestrationContext, std::string input) -> Task<Result<std::string>> { co_return "echo:" + input; }, "x");
  auto out = driver.turn();
  EXPECT_EQ(completed_output(out), "echo:x");
  EXPECT_TRUE(out.history_delta.empty());
}

TEST(ReplayActivity, ImmediateErrorFailsWithOrchestrationFailed) {
  TurnDriver driver([](OrchestrationContext, std::string) -> Task<Result<std::string>> { co_return Err("nope"); });
  auto out = driver.turn();
  auto details = failure(out);
  ASSERT_TRUE(details);
  EXPECT_EQ(*details, ErrorDetails::orchestration_failed("nope"));
}

TEST(ReplayActivity, SessionIdAndTagAreRecorded) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity_on_session("A", "in", "s-1");
    auto b = co_await ctx.schedule_activity("B", "in").with_tag("gpu");
    co_return *a + *b;
  });
  auto out = driver.turn();
  auto scheduled = events_of<events::ActivityScheduled>(out.history_delta);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled[0]->session_id, "s-1");
  out = driver.turn({activity_ok(2, "a")});
  scheduled = events_of<events::ActivityScheduled>(out.history_delta);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled[0]->tag, "gpu");
  auto call = actions_of<actions::CallActivity>(out.pending_actions);
  ASSERT_EQ(call.size(), 1u);
  EXPECT_EQ(call[0]->tag, "gpu");
}

TEST(ReplayActivity, WithTagOnNonActivityFutureFailsAsPanic) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_timer(std::chrono::seconds(1)).with_tag("x");
    co_return "";
  });
  auto details = failure(driver.turn());
  ASSERT_TRUE(details);
  auto* app = details->get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind.code, AppErrorKind::Code::Panicked);
  EXPECT_NE(app->message.find("with_tag"), std::string::npos);
}

TEST(ReplayActivity, MapTransformsResultSynchronously) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto length = co_await ctx.schedule_activity("A", "").map(
        [](Result<std::string> r) { return r ? r->size() : std::size_t{0}; });
    co_return std::to_string(length);
  });
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({activity_ok(2, "hello")})), "5");
}

TEST(ReplayActivity, TypedActivityEncodesInputAndDecodesOutput) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    const std::vector<int> operands = {1, 2};  // not inline: GCC 12 rejects init-lists in co_await
    auto sum = co_await ctx.schedule_activity_typed<int>("Add", operands);
    if (!sum) co_return Err(sum.error());
    co_return std::to_string(*sum * 10);
  });
  auto out = driver.turn();
  EXPECT_EQ(events_of<events::ActivityScheduled>(out.history_delta)[0]->input, "[1,2]");
  EXPECT_EQ(completed_output(driver.turn({activity_ok(2, "3")})), "30");
}

TEST(ReplayActivity, TypedActivityDecodeErrorIsErrForCode) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto sum = co_await ctx.schedule_activity_typed<int>("Add", 1);
    co_return sum ? "ok" : "decode-error";
  });
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({activity_ok(2, "not a number")})), "decode-error");
}

TEST(ReplayActivity, PartialCompletionOfTimerWaitAndSubOrchestrationContinues) {
  TurnDriver timer([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_timer(std::chrono::seconds(1));
    co_return "";
  });
  auto out = timer.replay({started(), ev(2, events::TimerCreated{5})});
  EXPECT_TRUE(is_continue(out));
  EXPECT_TRUE(out.pending_actions.empty());
  TurnDriver wait([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_return co_await ctx.schedule_wait("E");
  });
  out = wait.replay({started(), ev(2, events::ExternalSubscribed{"E"})});
  EXPECT_TRUE(is_continue(out));
  EXPECT_TRUE(out.pending_actions.empty());
  TurnDriver sub([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_return *co_await ctx.schedule_sub_orchestration("C", "in");
  });
  out = sub.replay({started(), ev(2, events::SubOrchestrationScheduled{"C", "sub::2", "in"})});
  EXPECT_TRUE(is_continue(out));
  EXPECT_TRUE(out.pending_actions.empty());
}

TEST(ReplayActivity, ActivityThenTimerAndTimerThenActivity) {
  TurnDriver activity_first([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_activity("A", "in");
    co_await ctx.schedule_timer(std::chrono::seconds(1));
    co_return "done";
  });
  activity_first.turn();
  auto out = activity_first.turn({activity_ok(2, "r")});
  ASSERT_EQ(out.pending_actions.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<actions::CreateTimer>(out.pending_actions[0]));
  EXPECT_EQ(completed_output(activity_first.turn({timer_fired(4)})), "done");

  TurnDriver timer_first([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_timer(std::chrono::seconds(1));
    co_return *co_await ctx.schedule_activity("A", "in");
  });
  timer_first.turn();
  out = timer_first.turn({timer_fired(2)});
  ASSERT_EQ(out.pending_actions.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<actions::CallActivity>(out.pending_actions[0]));
  EXPECT_EQ(completed_output(timer_first.turn({activity_ok(4, "r")})), "r");
}

}  // namespace
}  // namespace duroxide::testing
