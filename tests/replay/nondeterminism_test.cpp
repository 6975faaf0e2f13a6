// Nondeterminism detection and corrupt histories (docs/orchestration-engine.md, "Replay rules";
// mirrors duroxide's tests/replay_engine: nondeterminism.rs, history_corruption.rs, action_to_event.rs mismatch rows).
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::seconds;

Event act(std::uint64_t id, std::string name, std::string input = "in") {
  return ev(id, events::ActivityScheduled{std::move(name), std::move(input), {}, {}});
}
Event timer(std::uint64_t id) { return ev(id, events::TimerCreated{kClockMs + 1000}); }

OrchestrationHandler single_activity(std::string name, std::string input = "in") {
  return [name, input](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_activity(name, input);
    if (!r) co_return Err(r.error());
    co_return *r;
  };
}
Task<Result<std::string>> single_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(seconds(1));
  co_return "timer_done";
}
Task<Result<std::string>> single_wait(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_wait("EventY");
}
Task<Result<std::string>> two_timers(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(seconds(1));
  co_await ctx.schedule_timer(seconds(1));
  co_return "done";
}

bool is_nd(const TurnOutput& out) { return !nd_message(out).empty(); }

TEST(ReplayNondeterminism, ScheduleMismatchActivityVsTimer) {
  TurnDriver driver(single_timer);
  auto out = driver.replay({started(), act(2, "A")});
  EXPECT_TRUE(nd_message(out).starts_with("schedule mismatch:")) << nd_message(out);
  EXPECT_EQ(failure(out)->display_message().rfind("nondeterministic: ", 0), 0u);
}

TEST(ReplayNondeterminism, ScheduleMismatchTimerVsActivity) {
  TurnDriver driver(single_activity("A"));
  EXPECT_TRUE(nd_message(driver.replay({started(), timer(2)})).starts_with("schedule mismatch:"));
}

TEST(ReplayNondeterminism, ScheduleMismatchWrongActivityName) {
  TurnDriver driver(single_activity("ActivityB"));
  EXPECT_TRUE(nd_message(driver.replay({started(), act(2, "ActivityA")})).starts_with("schedule mismatch:"));
}

TEST(ReplayNondeterminism, ScheduleMismatchWrongInput) {
  TurnDriver driver(single_activity("A", "y"));
  EXPECT_TRUE(nd_message(driver.replay({started(), act(2, "A", "x")})).starts_with("schedule mismatch:"));
}

TEST(ReplayNondeterminism, ScheduleMismatchWrongExternalName) {
  TurnDriver driver(single_wait);
  EXPECT_TRUE(nd_message(driver.replay({started(), ev(2, events::ExternalSubscribed{"EventX"})}))
                  .starts_with("schedule mismatch:"));
}

TEST(ReplayNondeterminism, SessionIdAddedOnReplayIsMismatch) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_return *co_await ctx.schedule_activity_on_session("A", "in", "sess-1");
  });
  EXPECT_TRUE(is_nd(driver.replay({started(), act(2, "A")})));
}

OrchestrationHandler tagged(std::optional<std::string> tag) {
  return [tag](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    if (tag) co_return *co_await ctx.schedule_activity("A", "in").with_tag(*tag);
    co_return *co_await ctx.schedule_activity("A", "in");
  };
}

TEST(ReplayNondeterminism, TagAddedChangedOrRemovedOnReplayIsMismatch) {
  auto with_tag = [](std::optional<std::string> tag) {
    return ev(2, events::ActivityScheduled{"A", "in", {}, std::move(tag)});
  };
  EXPECT_TRUE(is_nd(TurnDriver(tagged("gpu")).replay({started(), with_tag(std::nullopt)})));
  EXPECT_TRUE(is_nd(TurnDriver(tagged("cpu")).replay({started(), with_tag("gpu")})));
  EXPECT_TRUE(is_nd(TurnDriver(tagged(std::nullopt)).replay({started(), with_tag("gpu")})));
  EXPECT_TRUE(is_continue(TurnDriver(tagged("gpu")).replay({started(), with_tag("gpu")})));
}

TEST(ReplayNondeterminism, HistoryScheduleWithNoEmittedActionWhileSuspended) {
  TurnDriver driver(single_timer);
  auto out = driver.replay({started(), timer(2), act(3, "Extra")});
  EXPECT_EQ(nd_message(out), "history schedule but no emitted action");
}

TEST(ReplayNondeterminism, TrailingScheduleIgnoredWhenCodeFinished) {
  TurnDriver driver([](OrchestrationContext, std::string) -> Task<Result<std::string>> { co_return "done"; });
  EXPECT_EQ(completed_output(driver.replay({started(), act(2, "A")})), "done");
}

TEST(ReplayNondeterminism, CompletionWithoutScheduleMessage) {
  TurnDriver driver(single_activity("A"));
  auto out = driver.replay({started(), act(2, "A")}, {activity_ok(999, "x")});
  EXPECT_EQ(nd_message(out), "no matching schedule for completion id=999");
  EXPECT_TRUE(out.history_delta.empty()) << "the message is not materialised";
}

TEST(ReplayNondeterminism, CompletionKindMismatchMessages) {
  TurnDriver timer_driver(single_timer);
  EXPECT_TRUE(nd_message(timer_driver.replay({started(), timer(2)}, {activity_ok(2, "x")}))
                  .starts_with("completion kind mismatch for id=2, expected 'timer', got 'activity'"));
  TurnDriver activity_driver(single_activity("A"));
  EXPECT_TRUE(nd_message(activity_driver.replay({started(), act(2, "A")}, {timer_fired(2)}))
                  .starts_with("completion kind mismatch"));
  EXPECT_TRUE(nd_message(activity_driver.replay({started(), act(2, "A")}, {sub_ok(2, "x")}))
                  .starts_with("completion kind mismatch"));
  EXPECT_TRUE(
      nd_message(timer_driver.replay({started(), timer(2)}, {sub_ok(2, "x")})).starts_with("completion kind mismatch"));
  TurnDriver sub_driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_return *co_await ctx.schedule_sub_orchestration("Child", "in");
  });
  EXPECT_TRUE(
      nd_message(sub_driver.replay({started(), ev(2, events::SubOrchestrationScheduled{"Child", "sub::2", "in"})},
                                   {timer_fired(2)}))
          .starts_with("completion kind mismatch"));
}

TEST(ReplayNondeterminism, UnknownTimerAndSubOrchCompletionMessages) {
  TurnDriver driver(single_timer);
  EXPECT_EQ(nd_message(driver.replay({started(), timer(2)}, {timer_fired(7)})), "no matching schedule for timer id=7");
  EXPECT_EQ(nd_message(driver.replay({started(), timer(2)}, {sub_ok(7, "x")})),
            "no matching schedule for sub-orchestration id=7");
}

TEST(ReplayNondeterminism, OrchestrationChainedWithoutMatchingAction) {
  TurnDriver driver(single_timer);
  auto out = driver.replay({started(), ev(2, events::OrchestrationChained{"ChildA", "c", "in"})});
  EXPECT_NE(nd_message(out).find("OrchestrationChained"), std::string::npos);
}

TEST(ReplayNondeterminism, OrchestrationChainedNameMismatch) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    ctx.schedule_orchestration("ChildB", "c", "in");
    co_await ctx.schedule_timer(seconds(1));
    co_return "";
  });
  auto out = driver.replay({started(), ev(2, events::OrchestrationChained{"ChildA", "c", "in"})});
  EXPECT_TRUE(nd_message(out).starts_with("schedule mismatch:"));
}

TEST(ReplayNondeterminism, ActivityCompletedForTimerInHistory) {
  TurnDriver driver(single_timer);
  auto out = driver.replay({started(), timer(2), ev(3, events::ActivityCompleted{"x"}, 2)});
  EXPECT_EQ(nd_message(out), "completion kind mismatch: expected activity");
}

TEST(ReplayNondeterminism, CompletionForClosedScheduleIsRejected) {
  TurnDriver timers(two_timers);
  EXPECT_EQ(nd_message(timers.replay(
                {started(), timer(2), ev(3, events::TimerFired{1}, 2), timer(4), ev(5, events::TimerFired{1}, 2)})),
            "completion without open schedule");
  auto waits_two = [](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_activity("A", "in");
    co_await ctx.schedule_timer(seconds(1));
    co_return "";
  };
  TurnDriver activity(waits_two);
  EXPECT_EQ(nd_message(activity.replay({started(), act(2, "A"), ev(3, events::ActivityCompleted{"x"}, 2), timer(4),
                                        ev(5, events::ActivityCompleted{"y"}, 2)})),
            "completion without open schedule");
  EXPECT_EQ(nd_message(activity.replay({started(), act(2, "A"), ev(3, events::ActivityCompleted{"x"}, 2), timer(4),
                                        ev(5, events::ActivityFailed{ErrorDetails::activity_failed("e")}, 2)})),
            "completion without open schedule");
  auto sub_then_timer = [](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_sub_orchestration("C", "in");
    co_await ctx.schedule_timer(seconds(1));
    co_return "";
  };
  TurnDriver sub(sub_then_timer);
  auto sub_sched = ev(2, events::SubOrchestrationScheduled{"C", "sub::2", "in"});
  EXPECT_EQ(nd_message(sub.replay({started(), sub_sched, ev(3, events::SubOrchestrationCompleted{"x"}, 2), timer(4),
                                   ev(5, events::SubOrchestrationCompleted{"x"}, 2)})),
            "completion without open schedule");
  EXPECT_EQ(nd_message(sub.replay({started(), sub_sched, ev(3, events::SubOrchestrationCompleted{"x"}, 2), timer(4),
                                   ev(5, events::SubOrchestrationFailed{ErrorDetails::orchestration_failed("e")}, 2)})),
            "completion without open schedule");
}

TEST(ReplayNondeterminism, DuplicateScheduleEventsInHistory) {
  TurnDriver activity(single_activity("A"));
  EXPECT_TRUE(is_nd(activity.replay({started(), act(2, "A"), act(3, "A")})));
  TurnDriver timer_driver(single_timer);
  EXPECT_TRUE(is_nd(timer_driver.replay({started(), timer(2), timer(3)})));
  TurnDriver wait(single_wait);
  EXPECT_TRUE(is_nd(wait.replay(
      {started(), ev(2, events::ExternalSubscribed{"EventY"}), ev(3, events::ExternalSubscribed{"EventY"})})));
}

TEST(ReplayHistoryCorruption, EmptyHistoryFails) {
  TurnDriver driver(single_timer);
  auto out = driver.replay({});
  EXPECT_NE(nd_message(out).find("empty"), std::string::npos);
}

TEST(ReplayHistoryCorruption, FirstEventMustBeOrchestrationStarted) {
  TurnDriver driver(single_timer);
  EXPECT_NE(nd_message(driver.replay({act(2, "A")})).find("OrchestrationStarted"), std::string::npos);
  EXPECT_NE(nd_message(driver.replay({act(1, "A"), started()})).find("OrchestrationStarted"), std::string::npos);
}

TEST(ReplayHistoryCorruption, EventIdZeroGapsAndNonMonotonicIdsAreTolerated) {
  TurnDriver driver(single_activity("A"));
  EXPECT_EQ(completed_output(driver.replay({ev(0, started().kind), ev(0, events::ActivityScheduled{"A", "in", {}, {}}),
                                            ev(0, events::ActivityCompleted{"done"}, 0)})),
            "done");
  EXPECT_EQ(completed_output(driver.replay({started(), act(5, "A"), ev(9, events::ActivityCompleted{"result"}, 5)})),
            "result");
  auto out = driver.replay({started(), act(7, "A"), ev(3, events::ActivityCompleted{"result"}, 7)});
  EXPECT_EQ(completed_output(out), "result");
}

TEST(ReplayHistoryCorruption, NextEventIdIsLastBaselineIdPlusOneEvenWhenNotMonotonic) {
  TurnDriver driver([](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_activity("A", "in");
    co_await ctx.schedule_activity("B", "in");
    co_return "";
  });
  auto out = driver.replay({started(), act(7, "A"), ev(3, events::ActivityCompleted{"r"}, 7)});
  ASSERT_EQ(out.history_delta.size(), 1u);
  EXPECT_EQ(out.history_delta[0].event_id, 4u);
}

TEST(ReplayHistoryCorruption, CompletionBeforeScheduleIsNondeterminism) {
  TurnDriver activity(single_activity("A"));
  EXPECT_EQ(nd_message(activity.replay({started(), ev(2, events::ActivityCompleted{"x"}, 3), act(3, "A")})),
            "completion without open schedule");
  TurnDriver timer_driver(single_timer);
  EXPECT_EQ(nd_message(timer_driver.replay({started(), ev(2, events::TimerFired{1}, 3), timer(3)})),
            "completion without open schedule");
}

TEST(ReplayHistoryCorruption, NullSourceCompletionIsIgnored) {
  TurnDriver driver(single_activity("A"));
  auto out = driver.replay({started(), act(2, "A"), ev(3, events::ActivityCompleted{"x"})});
  EXPECT_TRUE(is_continue(out));
}

TEST(ReplayHistoryCorruption, TerminalHistoryIsANoOp) {
  TurnDriver driver(single_activity("A"));
  for (EventKind terminal : {EventKind(events::OrchestrationCompleted{"x"}),
                             EventKind(events::OrchestrationFailed{ErrorDetails::orchestration_failed("e")}),
                             EventKind(events::OrchestrationContinuedAsNew{"i"})}) {
    auto out = driver.replay({started(), ev(2, terminal), ev(3, events::OrchestrationCompleted{"again"}), act(4, "Z")});
    EXPECT_TRUE(is_continue(out));
    EXPECT_TRUE(out.pending_actions.empty());
  }
}

TEST(ReplayHistoryCorruption, CancelAfterCompletedRecordsNothing) {
  TurnDriver driver(single_activity("A"));
  auto out = driver.replay({started(), ev(2, events::OrchestrationCompleted{"x"})}, {cancel("late")});
  EXPECT_TRUE(is_continue(out));
  EXPECT_TRUE(out.history_delta.empty());
}

TEST(ReplayHistoryCorruption, OrphanExternalEventIsRecordedAndCodeCompletes) {
  TurnDriver driver([](OrchestrationContext, std::string) -> Task<Result<std::string>> { co_return "done"; });
  auto out = driver.replay({started()}, {raised("Nobody", "x")});
  EXPECT_EQ(completed_output(out), "done");
  EXPECT_EQ(events_of<events::ExternalEvent>(out.history_delta).size(), 1u);
}

TEST(ReplayHistoryCorruption, FieldEdgeCasesRoundTrip) {
  const std::string unicode = "emoji result \xF0\x9F\x91\x8D";
  const std::string special("Result\0WithNull\n\t", 17);
  const std::string long_text(1 << 20, 'x');
  for (const std::string& value : {unicode, special, long_text, std::string()}) {
    TurnDriver driver(single_activity("", value));
    auto out = driver.replay({started(), act(2, "", value), ev(3, events::ActivityCompleted{value}, 2)});
    EXPECT_EQ(completed_output(out), value);
  }
}

TEST(ReplayHistoryCorruption, StageOneEventsStayInDeltaWhenHistoryIsTerminal) {
  TurnDriver driver(single_activity("A"));
  auto out = driver.replay({started(), act(2, "A"), ev(3, events::OrchestrationFailed{ErrorDetails::panicked("x")})},
                           {activity_ok(2, "late"), raised("E", "d")});
  EXPECT_TRUE(is_continue(out));
  EXPECT_EQ(out.history_delta.size(), 2u);
  EXPECT_TRUE(out.pending_actions.empty());
}

TEST(ReplayHistoryCorruption, AbortErrorWinsAndLaterNdOverwritesEarlierNd) {
  TurnDriver driver(single_activity("A"));
  auto out = driver.replay({started(), act(2, "A")}, {activity_ok(8, "x"), timer_fired(9)});
  EXPECT_EQ(nd_message(out), "no matching schedule for timer id=9");
}

}  // namespace
}  // namespace duroxide::testing
