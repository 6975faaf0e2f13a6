// Stage 1: completion messages become events (docs/orchestration-engine.md; duroxide's completion_messages.rs,
// event_allocation.rs, failure_handling.rs, edge_cases.rs).
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::seconds;

Task<Result<std::string>> suspend_forever(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_wait("never");
  co_return "";
}
Event act(std::uint64_t id, std::string name = "A") {
  return ev(id, events::ActivityScheduled{std::move(name), "in", {}, {}});
}
/// History where activity 2 is scheduled and the code waits forever on "never" (event 3).
std::vector<Event> activity_then_wait() { return {started(), act(2), ev(3, events::ExternalSubscribed{"never"})}; }
Task<Result<std::string>> activity_then_wait_code(OrchestrationContext ctx, std::string) {
  auto a = ctx.schedule_activity("A", "in");
  auto w = co_await ctx.schedule_wait("never");
  co_return *co_await a;
}

TEST(ReplayCompletionMessages, EachMessageKindConvertsToItsEvent) {
  auto base = std::vector<Event>{
      started(), ev(2, events::ActivityScheduled{"A", "in", {}, {}}), ev(3, events::TimerCreated{5}),
      ev(4, events::SubOrchestrationScheduled{"C", "sub::4", "in"}), ev(5, events::ExternalSubscribed{"never"})};
  TurnDriver inspect([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_activity("A", "in");
    auto t = ctx.schedule_timer(seconds(1));
    auto s = ctx.schedule_sub_orchestration("C", "in");
    co_await ctx.schedule_wait("never");
    co_return "";
  });
  auto out = inspect.replay(base, {activity_ok(2, "result"), timer_fired(3), sub_ok(4, "child-result"),
                                   raised("MyEvent", "event-data"), queued("q", "qd"), cancel("why")});
  ASSERT_EQ(out.history_delta.size(), 6u);
  EXPECT_EQ(kind_of<events::ActivityCompleted>(out.history_delta[0]), events::ActivityCompleted{"result"});
  EXPECT_EQ(out.history_delta[0].source_event_id, 2u);
  EXPECT_TRUE(out.history_delta[1].is<events::TimerFired>());
  EXPECT_EQ(out.history_delta[1].source_event_id, 3u);
  EXPECT_EQ(kind_of<events::SubOrchestrationCompleted>(out.history_delta[2]),
            events::SubOrchestrationCompleted{"child-result"});
  EXPECT_EQ(kind_of<events::ExternalEvent>(out.history_delta[3]), (events::ExternalEvent{"MyEvent", "event-data"}));
  EXPECT_FALSE(out.history_delta[3].source_event_id.has_value());
  EXPECT_EQ(kind_of<events::QueueEventDelivered>(out.history_delta[4]), (events::QueueEventDelivered{"q", "qd"}));
  EXPECT_EQ(kind_of<events::OrchestrationCancelRequested>(out.history_delta[5]),
            events::OrchestrationCancelRequested{"why"});
  for (std::size_t i = 0; i < out.history_delta.size(); ++i) EXPECT_EQ(out.history_delta[i].event_id, 6 + i);
}

TEST(ReplayCompletionMessages, DuplicateOfPersistedCompletionIsDropped) {
  TurnDriver driver(activity_then_wait_code);
  auto history = activity_then_wait();
  history.push_back(ev(4, events::ActivityCompleted{"first"}, 2));
  auto out = driver.replay(history, {activity_ok(2, "again")});
  EXPECT_TRUE(out.history_delta.empty());
  EXPECT_TRUE(is_continue(out));
}

TEST(ReplayCompletionMessages, DuplicateInSameBatchKeepsFirst) {
  TurnDriver driver(activity_then_wait_code);
  auto out = driver.replay(activity_then_wait(),
                           {activity_ok(2, "first-result"), activity_ok(2, "second"), activity_err(2, "late failure")});
  ASSERT_EQ(out.history_delta.size(), 1u);
  EXPECT_EQ(kind_of<events::ActivityCompleted>(out.history_delta[0]).result, "first-result");
}

TEST(ReplayCompletionMessages, WrongExecutionIsFiltered) {
  TurnDriver driver(activity_then_wait_code);
  auto out = driver.replay(activity_then_wait(), {activity_ok(2, "x", 999), sub_ok(2, "x", 999), timer_fired(2, 999)});
  EXPECT_TRUE(out.history_delta.empty());
  EXPECT_TRUE(is_continue(out));
}

TEST(ReplayCompletionMessages, ExternalEventsAreMaterialisedWithoutSubscriptionAndNeverDeduplicated) {
  TurnDriver driver(suspend_forever);
  std::vector<Event> history = {started(), ev(2, events::ExternalSubscribed{"never"}),
                                ev(3, events::ExternalEvent{"Other", "d"})};
  auto out = driver.replay(history, {raised("Other", "d"), raised("Other", "d")});
  EXPECT_EQ(events_of<events::ExternalEvent>(out.history_delta).size(), 2u);
}

TEST(ReplayCompletionMessages, MultipleCompletionsInOneBatchAreAllAdded) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_activity("A", "in");
    auto b = ctx.schedule_activity("B", "in");
    auto [ra, rb] = co_await OrchestrationContext::join2(std::move(a), std::move(b));
    co_return *ra + "," + *rb;
  });
  driver.turn();
  auto out = driver.turn({activity_ok(3, "b"), activity_ok(2, "a")});
  EXPECT_EQ(events_of<events::ActivityCompleted>(out.history_delta).size(), 2u);
  EXPECT_EQ(completed_output(out), "a,b");
}

TEST(ReplayCompletionMessages, LateOutcomeOfOtherKindIsIgnoredFirstOutcomeWinsDesignQ3) {
  // DESIGN decision Q3 (docs/orchestration-engine.md; a fix over the reference): a failure arriving after a persisted
  // completion, or a completion after a persisted failure, is a duplicate and is dropped.
  TurnDriver driver(activity_then_wait_code);
  auto completed = activity_then_wait();
  completed.push_back(ev(4, events::ActivityCompleted{"first"}, 2));
  auto out = driver.replay(completed, {activity_err(2, "late")});
  EXPECT_TRUE(out.history_delta.empty());
  EXPECT_TRUE(is_continue(out));
  auto failed = activity_then_wait();
  failed.push_back(ev(4, events::ActivityFailed{ErrorDetails::activity_failed("first")}, 2));
  EXPECT_TRUE(driver.replay(failed, {activity_ok(2, "late")}).history_delta.empty());

  TurnDriver sub([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto child = ctx.schedule_sub_orchestration("C", "in");
    co_await ctx.schedule_wait("never");
    co_return *co_await child;
  });
  std::vector<Event> sub_done{started(), ev(2, events::SubOrchestrationScheduled{"C", "sub::2", "in"}),
                              ev(3, events::ExternalSubscribed{"never"}),
                              ev(4, events::SubOrchestrationCompleted{"first"}, 2)};
  EXPECT_TRUE(sub.replay(sub_done, {sub_err(2, "late")}).history_delta.empty());
  sub_done.back() = ev(4, events::SubOrchestrationFailed{ErrorDetails::orchestration_failed("first")}, 2);
  EXPECT_TRUE(sub.replay(sub_done, {sub_ok(2, "late")}).history_delta.empty());
}

TEST(ReplayCompletionMessages, DuplicateCancelInstanceIsNotRecorded) {
  TurnDriver driver(suspend_forever);
  auto out = driver.replay(
      {started(), ev(2, events::ExternalSubscribed{"never"}), ev(3, events::OrchestrationCancelRequested{"first"})},
      {cancel("second")});
  EXPECT_TRUE(out.history_delta.empty());
  EXPECT_EQ(std::get<tr::Cancelled>(out.result).reason, "first");
}

TEST(ReplayEventAllocation, SequentialAllocationIsContiguous) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_activity("A", "1");
    auto b = ctx.schedule_activity("B", "2");
    auto c = ctx.schedule_activity("C", "3");
    co_return "done";
  });
  auto out = driver.turn();
  EXPECT_EQ(completed_output(out), "done");
  ASSERT_EQ(out.history_delta.size(), 6u);  // 3 schedules + 3 dropped-future cancel requests
  for (std::size_t i = 0; i < out.history_delta.size(); ++i) EXPECT_EQ(out.history_delta[i].event_id, 2 + i);
  EXPECT_EQ(events_of<events::ActivityCancelRequested>(out.history_delta).size(), 3u);
  EXPECT_EQ(out.pending_actions.size(), 3u);
  EXPECT_EQ(out.cancelled_activity_ids, (std::vector<std::uint64_t>{2, 3, 4}));
}

TEST(ReplayEventAllocation, AllocationAfterReplayAndWithGaps) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_timer(seconds(1));
    co_await ctx.schedule_activity("A", "in");
    co_return "";
  });
  auto out = driver.replay({started(), ev(2, events::TimerCreated{1}), ev(3, events::TimerFired{1}, 2)});
  ASSERT_EQ(out.pending_actions.size(), 1u);
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).scheduling_event_id, 4u);

  out = driver.replay({started(), ev(5, events::TimerCreated{1})}, {timer_fired(5)});
  ASSERT_EQ(out.history_delta.size(), 2u);
  EXPECT_EQ(out.history_delta[0].event_id, 6u);
  EXPECT_EQ(out.history_delta[1].event_id, 7u);
}

TEST(ReplayEventAllocation, ContinueAsNewConsumesAnIdWithoutEvent) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    (void)ctx.continue_as_new("next");  // not awaited: still continues-as-new
    ctx.schedule_orchestration("D", "d-1", "in");
    co_return "unused";
  });
  auto out = driver.turn();
  ASSERT_EQ(out.history_delta.size(), 1u);
  EXPECT_EQ(out.history_delta[0].event_id, 3u);  // id 2 went to the continue-as-new action
  // The engine leaves the detached start in pending_actions; the runtime drops it in a continue-as-new turn.
  EXPECT_EQ(actions_of<actions::StartOrchestrationDetached>(out.pending_actions).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<tr::ContinueAsNew>(out.result));
}

TEST(ReplayFailureHandling, ApplicationErrorReachesCode) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_activity("A", "in");
    co_return r ? Result<std::string>("ok") : Result<std::string>(Err("handled: " + r.error()));
  });
  driver.turn();
  EXPECT_EQ(*failure(driver.turn({activity_err(2, "bad")})), ErrorDetails::orchestration_failed("handled: bad"));
}

TEST(ReplayFailureHandling, SystemErrorsAbortTheTurnBeforeCodeRuns) {
  bool code_saw_error = false;
  auto code = [&code_saw_error](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_activity("A", "in");
    if (!r) code_saw_error = true;
    co_return "";
  };
  const ErrorDetails infra = ErrorDetails::infrastructure("db", "down", true);
  const ErrorDetails config = ErrorDetails::nondeterminism("weird");
  for (const auto& details : {infra, config}) {
    TurnDriver driver(code);
    driver.turn();
    auto out = driver.turn({work_items::ActivityFailed{"inst-1", 1, 2, details}});
    EXPECT_EQ(*failure(out), details);
    EXPECT_EQ(events_of<events::ActivityFailed>(out.history_delta).size(), 1u) << "the event is still recorded";
  }
  EXPECT_FALSE(code_saw_error);
}

TEST(ReplayFailureHandling, SubOrchestrationInfrastructureFailureAbortsParentAndAppErrorPropagates) {
  auto code = [](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_sub_orchestration("Child", "in");
    if (!r) co_return Err("child: " + r.error());
    co_return *r;
  };
  TurnDriver infra(code);
  infra.turn();
  const auto details = ErrorDetails::infrastructure("x", "y", false);
  EXPECT_EQ(*failure(infra.turn({work_items::SubOrchFailed{"inst-1", 1, 2, details}})), details);
  TurnDriver app(code);
  app.turn();
  EXPECT_EQ(*failure(app.turn({sub_err(2, "oops")})), ErrorDetails::orchestration_failed("child: oops"));
}

TEST(ReplayEdgeCases, HandlerInvokedExactlyOncePerTurn) {
  int invocations = 0;
  TurnDriver driver([&invocations](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    ++invocations;
    co_return *co_await ctx.schedule_activity("A", "");
  });
  driver.replay_every_turn();  // counts the replays themselves (a resumed turn runs none)
  driver.turn();
  EXPECT_EQ(invocations, 1);
  EXPECT_EQ(completed_output(driver.turn({activity_ok(2, "result")})), "result");
  EXPECT_EQ(invocations, 2);
}

TEST(ReplayEdgeCases, ZeroDelayTimerIsStillPending) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_timer(std::chrono::milliseconds(0));
    co_return "fired";
  });
  auto out = driver.turn();
  EXPECT_TRUE(is_continue(out));
  ASSERT_EQ(out.pending_actions.size(), 1u);
  EXPECT_EQ(std::get<actions::CreateTimer>(out.pending_actions[0]).fire_at_ms, kClockMs);
  EXPECT_EQ(completed_output(driver.turn({timer_fired(2)})), "fired");
}

TEST(ReplayEdgeCases, TimerFireTimeIsClockPlusDelayInMilliseconds) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_timer(std::chrono::microseconds(2'500'900));
    co_return "";
  });
  auto out = driver.turn();
  EXPECT_EQ(events_of<events::TimerCreated>(out.history_delta)[0]->fire_at_ms, kClockMs + 2500);
}

TEST(ReplayEdgeCases, MadeProgressOnlyWhenDeltaNonEmpty) {
  TurnDriver driver(activity_then_wait_code);
  EXPECT_FALSE(driver.replay(activity_then_wait()).made_progress());
  EXPECT_TRUE(driver.replay(activity_then_wait(), {activity_ok(2, "r")}).made_progress());
}

}  // namespace
}  // namespace duroxide::testing
