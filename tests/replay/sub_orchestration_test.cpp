// Sub-orchestrations, detached starts, system calls and the retry helper
// (docs/core.md; mirrors duroxide's tests/replay_engine/sub_orchestration.rs, action_to_event.rs).
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Ctx = OrchestrationContext;

TEST(ReplaySubOrchestration, AutoInstanceIdUsesSchedulingEventId) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_sub_orchestration("ChildOrch", "child-input");
    co_return *r;
  });
  auto out = driver.turn();
  ASSERT_EQ(out.pending_actions.size(), 1u);
  auto& start = std::get<actions::StartSubOrchestration>(out.pending_actions[0]);
  EXPECT_EQ(start.instance, "sub::2");
  EXPECT_EQ(start.scheduling_event_id, 2u);
  auto scheduled = events_of<events::SubOrchestrationScheduled>(out.history_delta);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(*scheduled[0], (events::SubOrchestrationScheduled{"ChildOrch", "sub::2", "child-input"}));
  EXPECT_EQ(completed_output(driver.turn({sub_ok(2, "child-result")})), "child-result");
}

TEST(ReplaySubOrchestration, ExplicitInstancePreservedAndVersionPassedThrough) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_sub_orchestration_versioned_with_id("Child", "2.1.0", "my-custom-instance", "in");
    co_return *r;
  });
  auto out = driver.turn();
  auto& start = std::get<actions::StartSubOrchestration>(out.pending_actions[0]);
  EXPECT_EQ(start.instance, "my-custom-instance");
  EXPECT_EQ(start.version, "2.1.0");
}

TEST(ReplaySubOrchestration, ReplayUsesHistoryInstanceAndIgnoresIt) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_return *co_await ctx.schedule_sub_orchestration("Child", "in");
  });
  auto out = driver.replay({started(), ev(2, events::SubOrchestrationScheduled{"Child", "sub::77", "in"}),
                            ev(3, events::SubOrchestrationCompleted{"child-result"}, 2)});
  EXPECT_EQ(completed_output(out), "child-result");
}

TEST(ReplaySubOrchestration, MultipleDroppedChildrenGetUniqueIdsAndAreCancelled) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto a = ctx.schedule_sub_orchestration("Child", "1");
    auto b = ctx.schedule_sub_orchestration("Child", "2");
    co_return "done";
  });
  auto out = driver.turn();
  EXPECT_EQ(completed_output(out), "done");
  ASSERT_EQ(out.pending_actions.size(), 2u);
  EXPECT_EQ(std::get<actions::StartSubOrchestration>(out.pending_actions[0]).instance, "sub::2");
  EXPECT_EQ(std::get<actions::StartSubOrchestration>(out.pending_actions[1]).instance, "sub::3");
  EXPECT_EQ(out.cancelled_child_instances, (std::vector<std::string>{"sub::2", "sub::3"}));
}

TEST(ReplaySubOrchestration, ChildFailureReachesCodeAsDisplayMessage) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_sub_orchestration("Child", "in");
    co_return r ? std::string("ok") : "caught:" + r.error();
  });
  driver.turn();
  auto cancelled = work_items::SubOrchFailed{"inst-1", 1, 2, ErrorDetails::cancelled("parent canceled")};
  EXPECT_EQ(completed_output(driver.turn({cancelled})), "caught:canceled: parent canceled");
}

TEST(ReplaySubOrchestration, TypedSubOrchestration) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_sub_orchestration_typed<int>("Child", 20);
    co_return std::to_string(*r + 1);
  });
  auto out = driver.turn();
  EXPECT_EQ(std::get<actions::StartSubOrchestration>(out.pending_actions[0]).input, "20");
  EXPECT_EQ(completed_output(driver.turn({sub_ok(2, "41")})), "42");
}

TEST(ReplayDetachedOrchestration, RecordedAsOrchestrationChainedAndReplays) {
  auto code = [](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.schedule_orchestration("DetachedChild", "child-instance", "child-input");
    co_return *co_await ctx.schedule_activity("A", "in");
  };
  TurnDriver driver(code);
  auto out = driver.turn();
  auto chained = events_of<events::OrchestrationChained>(out.history_delta);
  ASSERT_EQ(chained.size(), 1u);
  EXPECT_EQ(*chained[0], (events::OrchestrationChained{"DetachedChild", "child-instance", "child-input"}));
  auto& start = std::get<actions::StartOrchestrationDetached>(out.pending_actions[0]);
  EXPECT_EQ(start.instance, "child-instance");
  EXPECT_EQ(start.scheduling_event_id, 2u);
  EXPECT_EQ(completed_output(driver.turn({activity_ok(3, "activity-result")})), "activity-result");
}

TEST(ReplaySystemCalls, NewGuidAndUtcNowAreSyscallActivitiesReplayedFromHistory) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto guid = co_await ctx.new_guid();
    auto now = co_await ctx.utc_now();
    if (!now) co_return Err(now.error());
    auto ms = std::chrono::duration_cast<milliseconds>(now->time_since_epoch()).count();
    co_return *co_await ctx.schedule_activity("Process", *guid + "@" + std::to_string(ms));
  });
  auto out = driver.turn();
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).name, kSyscallNewGuid);
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).input, "");
  out = driver.turn({activity_ok(2, "0b5f0e2c-0000-4000-8000-000000000001")});
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).name, kSyscallUtcNowMs);
  out = driver.turn({activity_ok(4, "1700000000123")});
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).input,
            "0b5f0e2c-0000-4000-8000-000000000001@1700000000123");
  EXPECT_EQ(completed_output(driver.turn({activity_ok(6, "processed")})), "processed");
}

TEST(ReplaySystemCalls, UtcNowParseErrorIsErrWithText) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto now = co_await ctx.utc_now();
    co_return now ? std::string("ok") : "err:" + now.error();
  });
  driver.turn();
  EXPECT_EQ(completed_output(driver.turn({activity_ok(2, "soon")})), "err:soon");
}

// ---- retry helper (docs/core.md, "Retry policy") ----

OrchestrationHandler retrying(RetryPolicy policy) {
  return [policy](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_activity_with_retry("Flaky", "in", policy);
    if (!r) co_return Err("error:" + r.error());
    co_return *r;
  };
}

TEST(ReplayRetry, RetriesWithBackoffTimersAndSucceeds) {
  TurnDriver driver(retrying(RetryPolicy(3).with_backoff(backoff::Fixed{milliseconds(250)})));
  auto out = driver.turn();
  ASSERT_EQ(out.pending_actions.size(), 1u);
  out = driver.turn({activity_err(2, "transient")});
  auto timers = actions_of<actions::CreateTimer>(out.pending_actions);
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0]->fire_at_ms, kClockMs + 250);
  EXPECT_EQ(timers[0]->scheduling_event_id, 4u);
  out = driver.turn({timer_fired(4)});
  ASSERT_EQ(actions_of<actions::CallActivity>(out.pending_actions).size(), 1u);
  EXPECT_EQ(completed_output(driver.turn({activity_ok(6, "ok")})), "ok");
  ASSERT_EQ(driver.traces().size(), 1u) << "one replay-safe warning for the retry";
}

TEST(ReplayRetry, ExhaustedAttemptsReturnLastError) {
  TurnDriver driver(retrying(RetryPolicy(2).with_backoff(backoff::None{})));
  driver.turn();
  auto out = driver.turn({activity_err(2, "first")});
  ASSERT_EQ(actions_of<actions::CallActivity>(out.pending_actions).size(), 1u) << "no timer for zero backoff";
  out = driver.turn({activity_err(4, "second")});
  EXPECT_EQ(*failure(out), ErrorDetails::orchestration_failed("error:second"));
}

TEST(ReplayRetry, TimeoutIsNotRetriedAndCancelsTheActivity) {
  TurnDriver driver(retrying(RetryPolicy(3).with_timeout(seconds(5))));
  auto out = driver.turn();
  ASSERT_EQ(out.pending_actions.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<actions::CallActivity>(out.pending_actions[0]));
  EXPECT_EQ(std::get<actions::CreateTimer>(out.pending_actions[1]).fire_at_ms, kClockMs + 5000);
  out = driver.turn({timer_fired(3)});
  EXPECT_EQ(*failure(out), ErrorDetails::orchestration_failed("error:timeout: activity timed out"));
  EXPECT_EQ(out.cancelled_activity_ids, std::vector<std::uint64_t>{2});
}

TEST(ReplayRetry, LazyUntilPolledAndOnSessionPinsEveryAttempt) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto retry =
        ctx.schedule_activity_with_retry_on_session("A", "in", RetryPolicy(2).with_backoff(backoff::None{}), "s-1");
    auto first = ctx.schedule_activity("First", "in");
    auto r = co_await retry;
    co_return *r + *co_await first;
  });
  auto out = driver.turn();
  ASSERT_EQ(out.pending_actions.size(), 2u);
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).name, "First") << "retry emits only when polled";
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[1]).session_id, "s-1");
  out = driver.turn({activity_err(3, "x")});
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).session_id, "s-1");
}

TEST(ReplayRetry, ActivityCompletingBeforeTimeoutReplaysCleanly) {
  TurnDriver driver(retrying(RetryPolicy(3).with_timeout(seconds(5))));
  auto out = driver.replay({started(), ev(2, events::ActivityScheduled{"Flaky", "in", {}, {}}),
                            ev(3, events::TimerCreated{kClockMs + 5000}), ev(4, events::ActivityCompleted{"fast"}, 2)});
  EXPECT_EQ(completed_output(out), "fast");
  EXPECT_TRUE(out.history_delta.empty());
}

struct Point {
  int x = 0;
  int y = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Point, x, y)
};

TEST(ReplayTypedApis, TypedVariantsEncodeInputsWithTheCodec) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.schedule_orchestration_typed("Detached", "d-1", Point{1, 2});
    auto on_session = co_await ctx.schedule_activity_on_session_typed<Point>("Move", Point{3, 4}, "s");
    auto child = co_await ctx.schedule_sub_orchestration_with_id_typed<int>("Child", "c-1", std::string("raw"));
    auto retried = co_await ctx.schedule_activity_with_retry_typed<int>("Count", 5, RetryPolicy(1));
    auto remote = co_await ctx.get_kv_value_from_instance_typed<Point>("other", "p");
    co_return std::to_string(on_session->x + *child + *retried + (*remote)->y);
  });
  auto out = driver.turn();
  EXPECT_EQ(std::get<actions::StartOrchestrationDetached>(out.pending_actions[0]).input, R"({"x":1,"y":2})");
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[1]).input, R"({"x":3,"y":4})");
  out = driver.turn({activity_ok(3, R"({"x":10,"y":0})")});
  EXPECT_EQ(std::get<actions::StartSubOrchestration>(out.pending_actions[0]).input, "raw") << "strings stored raw";
  out = driver.turn({sub_ok(5, "100")});
  EXPECT_EQ(std::get<actions::CallActivity>(out.pending_actions[0]).input, "5");
  out = driver.turn({activity_ok(7, "1000")});
  out = driver.turn({activity_ok(9, R"("{\"x\":0,\"y\":10000}")")});
  EXPECT_EQ(completed_output(out), "11110");
}

// Issue #12 item 7: event ids restart with every execution, so later executions put their
// execution id in an automatic child id; execution 1 keeps duroxide's "sub::{event_id}".
TurnInput execution_input(std::uint64_t execution, std::vector<Event> baseline, std::size_t persisted) {
  TurnInput in;
  in.instance_id = "inst-1";
  in.execution_id = execution;
  in.orchestration_name = "Orch";
  in.orchestration_version = "1.0.0";
  in.persisted_len = persisted;
  in.baseline = std::move(baseline);
  for (auto& e : in.baseline) e.execution_id = execution;
  in.handler = [](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_return *co_await ctx.schedule_sub_orchestration("Child", "in");
  };
  in.now_ms = [] { return kClockMs; };
  return in;
}

TEST(ReplaySubOrchestration, AutoInstanceIdIncludesExecutionIdAfterTheFirstExecution) {
  auto first = orchestration::run_turn(execution_input(1, {started()}, 0));
  ASSERT_EQ(first.pending_actions.size(), 1u);
  EXPECT_EQ(std::get<actions::StartSubOrchestration>(first.pending_actions[0]).instance, "sub::2");

  auto third = orchestration::run_turn(execution_input(3, {started()}, 0));
  ASSERT_EQ(third.pending_actions.size(), 1u);
  EXPECT_EQ(std::get<actions::StartSubOrchestration>(third.pending_actions[0]).instance, "sub::3_2");
  auto scheduled = events_of<events::SubOrchestrationScheduled>(third.history_delta);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled[0]->instance, "sub::3_2");
  EXPECT_EQ(build_child_instance_id("p", scheduled[0]->instance), "p::sub::3_2");
}

TEST(ReplaySubOrchestration, LaterExecutionHistoryWithDuroxideIdStillReplays) {
  // Histories written by duroxide (or before this change) hold "sub::2" in execution 2: the child
  // id is not compared on replay, so they replay and complete.
  auto out = orchestration::run_turn(
      execution_input(2,
                      {started(), ev(2, events::SubOrchestrationScheduled{"Child", "sub::2", "in"}),
                       ev(3, events::SubOrchestrationCompleted{"child-result"}, 2)},
                      3));
  EXPECT_EQ(completed_output(out), "child-result");
}

// A child's start event with or without parent_execution_id (duroxide 0.1.30 writes it, older
// histories lack it) replays the same: the field is recorded, never matched (docs/core.md).
TEST(ReplaySubOrchestration, ChildHistoryReplaysTheSameWithOrWithoutParentExecutionId) {
  TurnDriver driver(
      [](Ctx ctx, std::string input) -> Task<Result<std::string>> {
        co_return *co_await ctx.schedule_activity("Work", input);
      },
      "in");
  auto history_with = [](std::optional<std::uint64_t> parent_execution) {
    return std::vector<Event>{
        ev(1, events::OrchestrationStarted{"Orch", "1.0.0", "in", "parent-1", 2, {}, {}, parent_execution}),
        ev(2, events::ActivityScheduled{"Work", "in", {}, {}}), ev(3, events::ActivityCompleted{"done"}, 2)};
  };
  const auto with = driver.replay(history_with(3));
  const auto without = driver.replay(history_with(std::nullopt));
  EXPECT_EQ(completed_output(with), "done");
  EXPECT_EQ(completed_output(without), "done");
  EXPECT_EQ(with.history_delta, without.history_delta);
}

}  // namespace
}  // namespace duroxide::testing
