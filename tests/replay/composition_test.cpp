// join / select and dropped (unobserved) futures (docs/orchestration-engine.md; duroxide's composition.rs,
// unobserved_futures.rs, fresh_execution.rs multiple_schedules_no_await).
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::seconds;
using Ctx = OrchestrationContext;

Event act(std::uint64_t id, std::string name = "A", std::string input = "in") {
  return ev(id, events::ActivityScheduled{std::move(name), std::move(input), {}, {}});
}
Event timer(std::uint64_t id) { return ev(id, events::TimerCreated{1}); }
Event done(std::uint64_t id, std::uint64_t source, std::string result) {
  return ev(id, events::ActivityCompleted{std::move(result)}, source);
}
Event fired(std::uint64_t id, std::uint64_t source) { return ev(id, events::TimerFired{1}, source); }
Event cancel_requested(std::uint64_t id, std::uint64_t source, std::string reason = "dropped_future") {
  return ev(id, events::ActivityCancelRequested{std::move(reason)}, source);
}

Task<Result<std::string>> select_activity_or_timer(Ctx ctx, std::string) {
  auto race = co_await Ctx::select2(ctx.schedule_activity("A", "in"), ctx.schedule_timer(seconds(5)));
  if (race.is_first()) co_return "activity:" + race.first_value().value_or("err");
  co_return "timeout";
}

TEST(ReplayComposition, Select2ActivityWins) {
  TurnDriver driver(select_activity_or_timer);
  auto out = driver.replay({started(), act(2), timer(3), done(4, 2, "activity-result")});
  EXPECT_EQ(completed_output(out), "activity:activity-result");
  EXPECT_TRUE(out.cancelled_activity_ids.empty()) << "timers are never cancelled";
  EXPECT_TRUE(out.history_delta.empty());
}

TEST(ReplayComposition, Select2TimerWinsAndLoserActivityIsCancelled) {
  TurnDriver driver(select_activity_or_timer);
  auto out = driver.replay({started(), act(2), timer(3), fired(4, 3)});
  EXPECT_EQ(completed_output(out), "timeout");
  EXPECT_EQ(out.cancelled_activity_ids, std::vector<std::uint64_t>{2});
  ASSERT_EQ(out.history_delta.size(), 1u);
  EXPECT_EQ(out.history_delta[0].source_event_id, 2u);
  EXPECT_EQ(kind_of<events::ActivityCancelRequested>(out.history_delta[0]).reason, "dropped_future");
  EXPECT_EQ(out.history_delta[0].event_id, 5u);
}

TEST(ReplayComposition, Select2BothPendingContinues) {
  TurnDriver driver(select_activity_or_timer);
  auto out = driver.turn();
  EXPECT_TRUE(is_continue(out));
  EXPECT_EQ(out.pending_actions.size(), 2u);
  EXPECT_TRUE(out.cancelled_activity_ids.empty());
}

TEST(ReplayComposition, SelectWinnerIsDecidedByHistoryOrderNotArgumentOrder) {
  TurnDriver driver(select_activity_or_timer);
  // Both completed in one batch, timer first: the timer wins because it is applied first.
  driver.turn();
  auto out = driver.turn({timer_fired(3), activity_ok(2, "late")});
  EXPECT_EQ(completed_output(out), "timeout");
}

TEST(ReplayComposition, SelectTieInOnePollGoesToFirstArgument) {
  // Both children are ready at the first poll of select (the join makes select start late).
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_activity("A", "in");
    auto b = ctx.schedule_activity("B", "in");
    co_await ctx.schedule_timer(seconds(1));
    auto race = co_await Ctx::select2(std::move(b), std::move(a));
    co_return race.is_first() ? "B" : "A";
  });
  auto out =
      driver.replay({started(), act(2, "A"), act(3, "B"), timer(4), done(5, 2, "a"), done(6, 3, "b"), fired(7, 4)});
  EXPECT_EQ(completed_output(out), "B");
}

Task<Result<std::string>> join_two(Ctx ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> futures;
  futures.push_back(ctx.schedule_activity("A", "a"));
  futures.push_back(ctx.schedule_activity("B", "b"));
  auto results = co_await Ctx::join(std::move(futures));
  std::string joined;
  for (auto& r : results) {
    if (!r) co_return Err(r.error());
    joined += (joined.empty() ? "" : ",") + *r;
  }
  co_return joined;
}

TEST(ReplayComposition, JoinAllCompleteInArgumentOrder) {
  TurnDriver driver(join_two);
  auto out =
      driver.replay({started(), act(2, "A", "a"), act(3, "B", "b"), done(4, 3, "result-b"), done(5, 2, "result-a")});
  EXPECT_EQ(completed_output(out), "result-a,result-b");
}

TEST(ReplayComposition, JoinPartialCompleteContinues) {
  TurnDriver driver(join_two);
  EXPECT_TRUE(is_continue(driver.replay({started(), act(2, "A", "a"), act(3, "B", "b"), done(4, 2, "result-a")})));
}

TEST(ReplayComposition, JoinFreshScheduleEmitsAll) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    std::vector<DurableFuture<Result<std::string>>> futures;
    for (int i = 0; i < 3; ++i) futures.push_back(ctx.schedule_activity("A", std::to_string(i)));
    co_await Ctx::join(std::move(futures));
    co_return "";
  });
  auto out = driver.turn();
  EXPECT_TRUE(is_continue(out));
  EXPECT_EQ(out.pending_actions.size(), 3u);
}

TEST(ReplayComposition, JoinOneFailsPropagates) {
  TurnDriver driver(join_two);
  auto out = driver.replay({started(), act(2, "A", "a"), act(3, "B", "b"), done(4, 2, "ok"),
                            ev(5, events::ActivityFailed{ErrorDetails::activity_failed("b broke")}, 3)});
  EXPECT_EQ(*failure(out), ErrorDetails::orchestration_failed("b broke"));
}

TEST(ReplayComposition, Join3AndSelect3OverMixedFuturesAndTasks) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto block = [](Ctx c) -> Task<std::string> {
      auto x = co_await c.schedule_activity("Inner", "1");
      co_return "block:" + x.value_or("?");
    };
    auto [a, w, b] = co_await Ctx::join3(ctx.schedule_activity("A", "in"), ctx.schedule_wait("Go"), block(ctx));
    auto race = co_await Ctx::select3(ctx.schedule_wait("X"), ctx.schedule_wait("Y"), ctx.schedule_timer(seconds(1)));
    co_return *a + "|" + w + "|" + b + "|" + std::to_string(race.index());
  });
  auto out = driver.turn();
  // Lazily started block emits after the futures created at call time.
  ASSERT_EQ(out.pending_actions.size(), 3u);
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[2]).name, "Inner");
  driver.turn({activity_ok(2, "a"), raised("Go", "go"), activity_ok(4, "i")});
  out = driver.turn({raised("Y", "y")});
  EXPECT_EQ(completed_output(out), "a|go|block:i|1");
  // Losers: wait X (positional breadcrumb) and the timer (nothing).
  auto crumbs = events_of<events::ExternalSubscribedCancelled>(out.history_delta);
  ASSERT_EQ(crumbs.size(), 1u);
}

// ---- dropped futures ----

TEST(ReplayUnobservedFutures, MultipleSchedulesNoAwaitAreCancelledAtCompletion) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_activity("A", "1");
    auto b = ctx.schedule_activity("B", "2");
    auto t = ctx.schedule_timer(seconds(1));
    auto c = ctx.schedule_activity("C", "3");
    co_return "done";
  });
  auto out = driver.turn();
  EXPECT_EQ(completed_output(out), "done");
  EXPECT_EQ(out.cancelled_activity_ids, (std::vector<std::uint64_t>{2, 3, 5})) << "the timer (4) is not cancelled";
}

TEST(ReplayUnobservedFutures, CompletedFutureIsNotCancelled) {
  TurnDriver driver(
      [](Ctx ctx, std::string) -> Task<Result<std::string>> { co_return *co_await ctx.schedule_activity("A", "in"); });
  driver.turn();
  auto out = driver.turn({activity_ok(2, "r")});
  EXPECT_TRUE(out.cancelled_activity_ids.empty());
  EXPECT_TRUE(events_of<events::ActivityCancelRequested>(out.history_delta).empty());
}

TEST(ReplayUnobservedFutures, DeliveredButUnconsumedResultStillCountsAsDropped) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    {
      auto a = ctx.schedule_activity("A", "in");
      co_await ctx.schedule_timer(seconds(1));
    }
    co_await ctx.schedule_timer(seconds(1));
    co_return "";
  });
  auto out = driver.replay({started(), act(2), timer(3), done(4, 2, "r"), fired(5, 3)});
  EXPECT_EQ(out.cancelled_activity_ids, std::vector<std::uint64_t>{2});
}

TEST(ReplayUnobservedFutures, ExplicitDropThenAwaitCapturesCancellationInContinueTurn) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    { auto dropped = ctx.schedule_activity("A", "in"); }
    co_await ctx.schedule_timer(seconds(1));
    co_return "completed_after_dropping_activity";
  });
  auto out = driver.turn();
  EXPECT_TRUE(is_continue(out));
  EXPECT_EQ(out.cancelled_activity_ids, std::vector<std::uint64_t>{2});
  // Replay of the persisted breadcrumb does not re-cancel and is not ND.
  out = driver.turn({timer_fired(3)});
  EXPECT_EQ(completed_output(out), "completed_after_dropping_activity");
  EXPECT_TRUE(out.cancelled_activity_ids.empty());
  EXPECT_TRUE(events_of<events::ActivityCancelRequested>(out.history_delta).empty());
}

TEST(ReplayUnobservedFutures, DroppedTimerAndWaitDoNotCancelActivities) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    { auto t = ctx.schedule_timer(seconds(1)); }
    { auto w = ctx.schedule_wait("E"); }
    { auto q = ctx.dequeue_event("Q"); }
    co_return "done";
  });
  auto out = driver.turn();
  EXPECT_TRUE(out.cancelled_activity_ids.empty());
  EXPECT_EQ(events_of<events::ExternalSubscribedCancelled>(out.history_delta).size(), 1u);
  EXPECT_EQ(events_of<events::QueueSubscriptionCancelled>(out.history_delta).size(), 1u);
  EXPECT_TRUE(events_of<events::ActivityCancelRequested>(out.history_delta).empty());
}

Task<Result<std::string>> child_or_timer(Ctx ctx, std::string) {
  auto race = co_await Ctx::select2(ctx.schedule_sub_orchestration("Child", "in"), ctx.schedule_timer(seconds(1)));
  co_return race.is_first() ? *race.first_value() : std::string("timer_won");
}

TEST(ReplayUnobservedFutures, SubOrchestrationSelectLoserIsCancelledOnce) {
  TurnDriver driver(child_or_timer);
  driver.turn();
  auto out = driver.turn({timer_fired(3)});
  EXPECT_EQ(completed_output(out), "timer_won");
  EXPECT_EQ(out.cancelled_child_instances, std::vector<std::string>{"sub::2"});
  auto crumbs = events_of<events::SubOrchestrationCancelRequested>(out.history_delta);
  ASSERT_EQ(crumbs.size(), 1u);
  EXPECT_EQ(crumbs[0]->reason, "dropped_future");
  // Replaying the persisted history does not re-emit the side channel.
  auto replayed = driver.replay(driver.history());
  EXPECT_EQ(completed_output(replayed), "timer_won");
  EXPECT_TRUE(replayed.cancelled_child_instances.empty());
  EXPECT_TRUE(replayed.history_delta.empty());
}

TEST(ReplayUnobservedFutures, CompletedSubOrchestrationIsNotCancelled) {
  TurnDriver driver(child_or_timer);
  driver.turn();
  auto out = driver.turn({sub_ok(2, "child_result")});
  EXPECT_EQ(completed_output(out), "child_result");
  EXPECT_TRUE(out.cancelled_child_instances.empty());
}

TEST(ReplayUnobservedFutures, CrossTurnActivityCancellationEmitsBothSignals) {
  TurnDriver driver(select_activity_or_timer);
  driver.turn();
  auto out = driver.turn({timer_fired(3)});
  EXPECT_EQ(out.cancelled_activity_ids, std::vector<std::uint64_t>{2});
  EXPECT_EQ(events_of<events::ActivityCancelRequested>(out.history_delta).size(), 1u);
}

TEST(ReplayUnobservedFutures, ReplayToleratesCompletionAfterCancelRequest) {
  TurnDriver driver(select_activity_or_timer);
  auto out =
      driver.replay({started(), act(2), timer(3), fired(4, 3), cancel_requested(5, 2)}, {activity_ok(2, "late")});
  EXPECT_EQ(completed_output(out), "timeout");
  EXPECT_EQ(events_of<events::ActivityCompleted>(out.history_delta).size(), 1u);
  EXPECT_TRUE(out.cancelled_activity_ids.empty());
}

TEST(ReplayUnobservedFutures, DuplicateCancelRequestsAreBenign) {
  TurnDriver driver(select_activity_or_timer);
  auto out = driver.replay({started(), act(2), timer(3), fired(4, 3), cancel_requested(5, 2), cancel_requested(6, 2)});
  EXPECT_EQ(completed_output(out), "timeout");
  TurnDriver sub(child_or_timer);
  auto sub_crumb = [](std::uint64_t id) {
    return ev(id, events::SubOrchestrationCancelRequested{"dropped_future"}, 2);
  };
  out = sub.replay({started(), ev(2, events::SubOrchestrationScheduled{"Child", "sub::2", "in"}), timer(3), fired(4, 3),
                    sub_crumb(5), sub_crumb(6)});
  EXPECT_EQ(completed_output(out), "timer_won");
}

TEST(ReplayUnobservedFutures, ReplayFailsWhenPersistedDropIsNoLongerEmitted) {
  // History says activity 2 was dropped; the code now awaits it.
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_activity("A", "in");
    co_await ctx.schedule_timer(seconds(1));
    co_return *co_await a;
  });
  auto out = driver.replay({started(), act(2), timer(3), cancel_requested(4, 2)});
  EXPECT_TRUE(nd_message(out).starts_with("cancellation mismatch (activities)")) << nd_message(out);
}

TEST(ReplayUnobservedFutures, NonDroppedFutureReasonsAreNotEnforced) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_activity("A", "in");
    co_await ctx.schedule_timer(seconds(1));
    co_return *co_await a;
  });
  auto out = driver.replay({started(), act(2), timer(3), cancel_requested(4, 2, "orchestration_terminal_failed")});
  EXPECT_TRUE(is_continue(out));
}

TEST(ReplayUnobservedFutures, NewDropsAllowedWhenEarlierDropsArePersisted) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto race = co_await Ctx::select2(ctx.schedule_activity("A", "in"), ctx.schedule_timer(seconds(1)));
    { auto extra = ctx.schedule_activity("Extra", "in"); }
    co_return race.is_second() ? "timer_won_plus_extra_drop" : "activity";
  });
  auto out = driver.replay({started(), act(2), timer(3), fired(4, 3), cancel_requested(5, 2)});
  EXPECT_EQ(completed_output(out), "timer_won_plus_extra_drop");
  EXPECT_EQ(out.cancelled_activity_ids, std::vector<std::uint64_t>{6});
}

TEST(ReplayUnobservedFutures, DropsAreNotCollectedOnContinueAsNewOrCancel) {
  auto code = [](Ctx ctx, std::string) -> Task<Result<std::string>> {
    { auto a = ctx.schedule_activity("A", "in"); }
    co_await ctx.continue_as_new("next");
    co_return "";
  };
  TurnDriver driver(code);
  auto out = driver.turn();
  EXPECT_TRUE(std::holds_alternative<tr::ContinueAsNew>(out.result));
  EXPECT_TRUE(out.cancelled_activity_ids.empty());
  EXPECT_TRUE(events_of<events::ActivityCancelRequested>(out.history_delta).empty());
}

TEST(ReplayUnobservedFutures, TeardownOfSuspendedCoroutineRecordsNothing) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_activity("A", "in");  // alive while suspended: not dropped
    co_await ctx.schedule_timer(seconds(1));
    co_return *co_await a;
  });
  auto out = driver.turn();
  EXPECT_TRUE(out.cancelled_activity_ids.empty());
  out = driver.turn();  // replay; the suspended frame is destroyed again at turn end
  EXPECT_TRUE(is_continue(out));
  EXPECT_TRUE(out.history_delta.empty());
}

TEST(ReplayUnobservedFutures, Select3TimerWinsBothActivitiesCancelled) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto race = co_await Ctx::select3(ctx.schedule_activity("A", "1"), ctx.schedule_activity("B", "2"),
                                      ctx.schedule_timer(seconds(1)));
    co_return race.index() == 2 ? "timer_won" : "activity_won";
  });
  driver.turn();
  auto out = driver.turn({timer_fired(4)});
  EXPECT_EQ(completed_output(out), "timer_won");
  EXPECT_EQ(out.cancelled_activity_ids, (std::vector<std::uint64_t>{2, 3}));
}

TEST(ReplayUnobservedFutures, DroppedChildAfterScheduleIsCancelledAndEnforcedOnReplay) {
  auto dropping = [](Ctx ctx, std::string) -> Task<Result<std::string>> {
    { auto child = ctx.schedule_sub_orchestration_with_id("Child", "explicit-child", "in"); }
    co_await ctx.schedule_timer(seconds(1));
    co_return "";
  };
  TurnDriver driver(dropping);
  auto out = driver.turn();
  EXPECT_EQ(out.cancelled_child_instances, std::vector<std::string>{"explicit-child"});
  // Code that now keeps the child contradicts the persisted breadcrumb.
  TurnDriver keeping([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto child = ctx.schedule_sub_orchestration_with_id("Child", "explicit-child", "in");
    co_await ctx.schedule_timer(seconds(1));
    co_return *co_await child;
  });
  EXPECT_TRUE(nd_message(keeping.replay(driver.history())).starts_with("cancellation mismatch (sub-orchestrations)"));
}

TEST(ReplayComposition, VoidTasksAndJoinOverAVectorOfTasks) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto notify = [](Ctx c, std::string who) -> Task<void> {
      co_await c.schedule_activity("Notify", who);
      co_return;
    };
    auto work = [](Ctx c, int i) -> Task<int> {
      auto r = co_await c.schedule_activity("Work", std::to_string(i));
      co_return std::stoi(*r);
    };
    co_await notify(ctx, "start");
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(work(ctx, i));
    int sum = 0;
    for (int value : co_await Ctx::join(std::move(tasks))) sum += value;
    auto race = co_await Ctx::select2(notify(ctx, "end"), ctx.schedule_timer(seconds(1)));
    co_return std::to_string(sum) + (race.is_first() ? ":notified" : ":timeout");
  });
  driver.turn();
  auto out = driver.turn({activity_ok(2, "")});
  // Lazily started tasks emit in argument order during join's first poll.
  ASSERT_EQ(out.pending_actions.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[i]).input, std::to_string(i));
  out = driver.turn({activity_ok(6, "30"), activity_ok(4, "1"), activity_ok(5, "2")});
  EXPECT_EQ(out.pending_actions.size(), 2u);
  // The timer is emitted at call time (id 10), the lazy task's activity at select's first poll (11).
  EXPECT_EQ(completed_output(driver.turn({activity_ok(11, "")})), "33:notified");
}

}  // namespace
}  // namespace duroxide::testing
