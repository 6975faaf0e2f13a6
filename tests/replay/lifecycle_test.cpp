// Cancellation, continue-as-new, panics, is_replaying and replay-safe tracing
// (docs/orchestration-engine.md; mirrors duroxide's replay_engine cancellation.rs, fresh_execution.rs,
// panic_handling.rs, is_replaying.rs).
#include <stdexcept>

#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::seconds;
using Ctx = OrchestrationContext;

Task<Result<std::string>> single_activity(Ctx ctx, std::string) {
  auto r = co_await ctx.schedule_activity("A", "in");
  if (!r) co_return Err(r.error());
  co_return *r;
}

TEST(ReplayCancellation, CancelViaMessage) {
  TurnDriver driver(single_activity);
  driver.turn();
  auto out = driver.turn({cancel("user requested")});
  EXPECT_EQ(std::get<tr::Cancelled>(out.result).reason, "user requested");
}

TEST(ReplayCancellation, CancelInHistory) {
  TurnDriver driver(single_activity);
  auto out = driver.replay({started(), ev(2, events::ActivityScheduled{"A", "in", {}, {}}),
                            ev(3, events::OrchestrationCancelRequested{"admin cancelled"})});
  EXPECT_EQ(std::get<tr::Cancelled>(out.result).reason, "admin cancelled");
}

TEST(ReplayCancellation, CancelTakesPrecedenceOverCompletionAndContinueAsNew) {
  TurnDriver completes([](Ctx, std::string) -> Task<Result<std::string>> { co_return "ok"; });
  EXPECT_TRUE(std::holds_alternative<tr::Cancelled>(completes.turn({cancel("stop")}).result));
  TurnDriver continues([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.continue_as_new("x");
    co_return "";
  });
  EXPECT_TRUE(std::holds_alternative<tr::Cancelled>(continues.turn({cancel("stop")}).result));
}

TEST(ReplayCancellation, StartAndCancelInOneBatchRunsCodeOnceAndEndsCancelled) {
  int runs = 0;
  TurnDriver driver([&runs](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ++runs;
    co_return *co_await ctx.schedule_activity("A", "in");
  });
  auto out = driver.turn({cancel("early")});
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(std::holds_alternative<tr::Cancelled>(out.result));
  // The code's actions are still recorded (the runtime discards them).
  EXPECT_EQ(events_of<events::ActivityScheduled>(out.history_delta).size(), 1u);
  EXPECT_TRUE(out.cancelled_activity_ids.empty()) << "no dropped-future collection when cancelled";
}

TEST(ReplayCancellation, ErrorsWinOverCancellation) {
  TurnDriver driver([](Ctx, std::string) -> Task<Result<std::string>> {
    throw std::runtime_error("bug");
    co_return "";
  });
  auto out = driver.turn({cancel("stop")});
  EXPECT_EQ(application_error(failure(out)).kind.code, AppErrorKind::Code::Panicked);
}

TEST(ReplayContinueAsNew, ContinueAsNewEndsTheTurn) {
  bool ran_after = false;
  TurnDriver driver([&ran_after](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.continue_as_new("new-input");
    ran_after = true;
    co_return "unreachable";
  });
  auto out = driver.turn();
  auto& can = std::get<tr::ContinueAsNew>(out.result);
  EXPECT_EQ(can.input, "new-input");
  EXPECT_FALSE(can.version.has_value());
  EXPECT_FALSE(ran_after);
}

TEST(ReplayContinueAsNew, VersionedAndTypedVariants) {
  TurnDriver versioned([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.continue_as_new_versioned("2.0.0", "in");
    co_return "";
  });
  EXPECT_EQ(std::get<tr::ContinueAsNew>(versioned.turn().result).version, "2.0.0");
  TurnDriver typed([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.continue_as_new_typed(7);
    co_return "";
  });
  EXPECT_EQ(std::get<tr::ContinueAsNew>(typed.turn().result).input, "7");
}

TEST(ReplayContinueAsNew, NotAwaitedStillWinsOverReturnedValueAndFirstCallWins) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    (void)ctx.continue_as_new("first");
    (void)ctx.continue_as_new("second");
    co_return "returned";
  });
  EXPECT_EQ(std::get<tr::ContinueAsNew>(driver.turn().result).input, "first");
}

TEST(ReplayContinueAsNew, SubOrchestrationThenContinueAsNewKeepsBothActions) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto child = ctx.schedule_sub_orchestration("Child", "in");
    co_await ctx.continue_as_new("new-input");
    co_return "";
  });
  auto out = driver.turn();
  EXPECT_EQ(std::get<tr::ContinueAsNew>(out.result).input, "new-input");
  EXPECT_EQ(out.pending_actions.size(), 2u);
  EXPECT_TRUE(out.cancelled_child_instances.empty());
}

TEST(ReplayContinueAsNew, CarriedQueueMessagesAreDeliveredToNewExecution) {
  // The dispatcher turns carried messages into QueueMessages placed first in the batch (docs/runtime.md).
  TurnDriver driver(
      [](Ctx ctx, std::string input) -> Task<Result<std::string>> {
        auto message = co_await ctx.dequeue_event("Q");
        co_return input + ":" + message;
      },
      "gen2");
  EXPECT_EQ(completed_output(driver.turn({queued("Q", "carried"), queued("Q", "fresh")})), "gen2:carried");
}

TEST(ReplayPanic, ExceptionTextBecomesPanickedFailure) {
  TurnDriver driver([](Ctx, std::string) -> Task<Result<std::string>> {
    throw std::runtime_error("oops something went wrong");
    co_return "";
  });
  auto details = *failure(driver.turn());
  EXPECT_EQ(details, ErrorDetails::panicked("oops something went wrong"));
  EXPECT_EQ(details.display_message(), "orchestration panicked: oops something went wrong");
}

TEST(ReplayPanic, NonStandardExceptionUsesGenericMessage) {
  TurnDriver driver([](Ctx, std::string) -> Task<Result<std::string>> {
    throw 42;
    co_return "";
  });
  EXPECT_EQ(*failure(driver.turn()), ErrorDetails::panicked("orchestration panicked"));
}

TEST(ReplayPanic, ExceptionWithFormattedPayload) {
  TurnDriver driver([](Ctx, std::string) -> Task<Result<std::string>> {
    throw std::runtime_error("value was " + std::to_string(42));
    co_return "";
  });
  EXPECT_NE(failure(driver.turn())->display_message().find("42"), std::string::npos);
}

TEST(ReplayPanic, PanicAfterAwaitOnReplay) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_activity("A", "in");
    throw std::logic_error("panic after activity");
    co_return "";
  });
  auto out = driver.replay(
      {started(), ev(2, events::ActivityScheduled{"A", "in", {}, {}}), ev(3, events::ActivityCompleted{"r"}, 2)});
  EXPECT_EQ(*failure(out), ErrorDetails::panicked("panic after activity"));
}

TEST(ReplayPanic, ExceptionInNestedTaskPropagates) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto inner = [](Ctx c) -> Task<int> {
      co_await c.schedule_timer(seconds(1));
      throw std::runtime_error("inner failure");
      co_return 0;
    };
    co_await Ctx::join2(inner(ctx), ctx.schedule_activity("A", ""));
    co_return "";
  });
  driver.turn();
  EXPECT_EQ(*failure(driver.turn({timer_fired(3)})), ErrorDetails::panicked("inner failure"));
}

TEST(ReplayPanic, ThrowingHandlerFactoryIsCaught) {
  TurnDriver driver(
      [](Ctx, std::string) -> Task<Result<std::string>> { throw std::runtime_error("before coroutine"); });
  EXPECT_EQ(*failure(driver.turn()), ErrorDetails::panicked("before coroutine"));
}

TEST(ReplayPanic, RetryPolicyWithZeroAttemptsIsProgrammingError) {
  TurnDriver driver([](Ctx, std::string) -> Task<Result<std::string>> {
    RetryPolicy policy(0);
    co_return "";
  });
  EXPECT_EQ(application_error(failure(driver.turn())).kind.code, AppErrorKind::Code::Panicked);
}

// ---- is_replaying ----

struct ReplayProbe {
  std::vector<bool> seen;
  OrchestrationHandler handler() {
    return [this](Ctx ctx, std::string) -> Task<Result<std::string>> {
      seen.push_back(ctx.is_replaying());
      co_await ctx.schedule_activity("A", "in");
      seen.push_back(ctx.is_replaying());
      co_await ctx.schedule_activity("B", "in");
      seen.push_back(ctx.is_replaying());
      co_return "done";
    };
  }
};

TEST(ReplayIsReplaying, FreshStartWithZeroPersistedIsNotReplaying) {
  ReplayProbe probe;
  TurnDriver driver(probe.handler());
  driver.turn();
  EXPECT_EQ(probe.seen, std::vector<bool>{false});
}

TEST(ReplayIsReplaying, PersistedStartedEventMeansReplayingAtFirstPoll) {
  ReplayProbe probe;
  TurnDriver driver(probe.handler());
  driver.replay({started()}, {}, 1);
  ASSERT_FALSE(probe.seen.empty());
  EXPECT_TRUE(probe.seen[0]);
}

TEST(ReplayIsReplaying, TransitionsToFalseForNewCompletions) {
  ReplayProbe probe;
  TurnDriver driver(probe.handler());
  driver.replay_every_turn();  // observes the replay itself
  driver.turn();
  driver.turn({activity_ok(2, "a")});
  probe.seen.clear();
  auto out = driver.turn({activity_ok(4, "b")});
  EXPECT_EQ(completed_output(out), "done");
  // Start and after A: persisted history; after B: the new completion of this turn.
  EXPECT_EQ(probe.seen, (std::vector<bool>{true, true, false}));
}

TEST(ReplayIsReplaying, TraceIsSilentWhileReplayingWithContextFields) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.trace_info("start");
    co_await ctx.schedule_activity("A", "in");
    ctx.trace_warn("after A");
    co_return "";
  });
  driver.replay_every_turn();  // observes the replay itself
  driver.turn();
  ASSERT_EQ(driver.traces().size(), 1u);
  EXPECT_EQ(driver.traces()[0].level, "info");
  EXPECT_EQ(driver.traces()[0].instance_id, "inst-1");
  EXPECT_EQ(driver.traces()[0].orchestration_name, "Orch");
  driver.turn({activity_ok(2, "a")});
  ASSERT_EQ(driver.traces().size(), 2u) << "'start' is not logged again on replay";
  EXPECT_EQ(driver.traces()[1].message, "after A");
  EXPECT_EQ(driver.traces()[1].level, "warn");
}

TEST(ReplayIsReplaying, IdentityAccessors) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_return ctx.instance_id() + "/" + std::to_string(ctx.execution_id()) + "/" + ctx.orchestration_name() + "/" +
        ctx.orchestration_version();
  });
  EXPECT_EQ(completed_output(driver.turn()), "inst-1/1/Orch/1.0.0");
}

}  // namespace
}  // namespace duroxide::testing
