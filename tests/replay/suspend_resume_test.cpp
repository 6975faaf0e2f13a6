// The history shapes of suspend and resume (docs/suspend-resume.md): what the turn planner writes
// for a batch of a suspended instance, or one that suspends or resumes it, checked on the plan
// itself; and offline replay of a history that was suspended for a while.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include <duroxide/duroxide.hpp>
#include <duroxide/offline_replay.hpp>

#include "planner_driver.hpp"

namespace duroxide::testing {
namespace {

using runtime::TurnOutcome;

std::atomic<int> g_code_runs{0};

/// Two activities in a row; counts how often the code is entered.
Task<Result<std::string>> two_steps(OrchestrationContext ctx, std::string input) {
  ++g_code_runs;
  auto a = co_await ctx.schedule_activity("A", input);
  auto b = co_await ctx.schedule_activity("B", *a);
  co_return *a + "+" + *b;
}

Planner planner() { return Planner(OrchestrationRegistry::builder().add("Orch", two_steps).build()); }

WorkItem suspend(std::string reason) { return work_items::SuspendInstance{"inst-1", std::move(reason)}; }
WorkItem resume(std::string reason) { return work_items::ResumeInstance{"inst-1", std::move(reason)}; }

/// Started, activity A scheduled (event 2) and not yet done.
std::vector<Event> waiting_on_a() { return {started("in"), ev(2, events::ActivityScheduled{"A", "in", {}, {}})}; }

/// The same, suspended at event 3.
std::vector<Event> suspended_waiting_on_a() {
  auto history = waiting_on_a();
  history.push_back(ev(3, events::OrchestrationSuspended{"maintenance"}));
  return history;
}

TEST(ReplaySuspendResume, ASuspendIsRecordedBeforeTheBatchAndTheCodeDoesNotRun) {
  g_code_runs = 0;
  auto p = planner();
  const auto plan = p.plan(waiting_on_a(), {suspend("maintenance"), activity_ok(2, "a")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Suspended) << plan.reason;
  const auto& delta = plan.ack.history_delta;
  ASSERT_EQ(delta.size(), 2u);
  ASSERT_TRUE(delta[0].is<events::OrchestrationSuspended>()) << delta[0].type_name();
  EXPECT_EQ(delta[0].get_if<events::OrchestrationSuspended>()->reason, "maintenance");
  EXPECT_EQ(delta[0].event_id, 3u);
  // The activity's result is kept, in history, for when the instance resumes.
  ASSERT_TRUE(delta[1].is<events::ActivityCompleted>()) << delta[1].type_name();
  EXPECT_EQ(delta[1].source_event_id, 2u);
  EXPECT_EQ(g_code_runs, 0) << "the code must not run";
  EXPECT_TRUE(plan.ack.worker_items.empty()) << "B is not scheduled";
  ASSERT_TRUE(plan.ack.metadata.status);
  EXPECT_EQ(*plan.ack.metadata.status, ExecutionStatus::Suspended);
  EXPECT_EQ(plan.ack.metadata.output, "maintenance");
}

TEST(ReplaySuspendResume, WhileSuspendedMessagesAreRecordedAndNothingIsDecided) {
  g_code_runs = 0;
  auto p = planner();
  const auto plan = p.plan(suspended_waiting_on_a(), {activity_ok(2, "a"), raised("Go", "x")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Suspended) << plan.reason;
  const auto& delta = plan.ack.history_delta;
  ASSERT_EQ(delta.size(), 2u);
  EXPECT_TRUE(delta[0].is<events::ActivityCompleted>());
  EXPECT_TRUE(delta[1].is<events::ExternalEvent>());
  EXPECT_EQ(g_code_runs, 0);
  EXPECT_TRUE(plan.ack.worker_items.empty());
  EXPECT_FALSE(plan.ack.metadata.status) << "the status stays Suspended";
}

TEST(ReplaySuspendResume, AResumeRunsTheCodeWithEverythingRecordedMeanwhile) {
  g_code_runs = 0;
  auto history = suspended_waiting_on_a();
  history.push_back(ev(4, events::ActivityCompleted{"a"}, 2));
  auto p = planner();
  const auto plan = p.plan(history, {resume("maintenance over")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Continued) << plan.reason;
  const auto& delta = plan.ack.history_delta;
  ASSERT_EQ(delta.size(), 2u);
  ASSERT_TRUE(delta[0].is<events::OrchestrationResumed>()) << delta[0].type_name();
  EXPECT_EQ(delta[0].get_if<events::OrchestrationResumed>()->reason, "maintenance over");
  EXPECT_EQ(delta[0].event_id, 5u);
  const auto* b = delta[1].get_if<events::ActivityScheduled>();
  ASSERT_NE(b, nullptr) << delta[1].type_name();
  EXPECT_EQ(b->name, "B");
  EXPECT_EQ(b->input, "a");
  EXPECT_GT(g_code_runs, 0);
  ASSERT_EQ(plan.ack.worker_items.size(), 1u);
  ASSERT_TRUE(plan.ack.metadata.status);
  EXPECT_EQ(*plan.ack.metadata.status, ExecutionStatus::Running);
  EXPECT_FALSE(plan.ack.metadata.output);
}

TEST(ReplaySuspendResume, ACancelResumesASuspendedInstanceSoItsCodeCanCarryItOut) {
  auto p = planner();
  const auto plan = p.plan(suspended_waiting_on_a(), {cancel("no longer needed")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Failed) << plan.reason;
  const auto& delta = plan.ack.history_delta;
  ASSERT_FALSE(delta.empty());
  ASSERT_TRUE(delta[0].is<events::OrchestrationResumed>()) << delta[0].type_name();
  EXPECT_EQ(delta[0].get_if<events::OrchestrationResumed>()->reason,
            "resumed to carry out a cancellation: no longer needed");
  ASSERT_TRUE(plan.failure);
  const auto* app = plan.failure->get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind, AppErrorKind::cancelled("no longer needed"));
}

TEST(ReplaySuspendResume, ACancelInTheSuspendsBatchWins) {
  auto p = planner();
  const auto plan = p.plan(waiting_on_a(), {suspend("pause"), cancel("stop")});
  EXPECT_EQ(plan.outcome, TurnOutcome::Failed);
  for (const auto& event : plan.ack.history_delta) EXPECT_FALSE(event.is<events::OrchestrationSuspended>());
}

TEST(ReplaySuspendResume, ARepeatedSuspendOrAResumeOfARunningInstanceRecordsNothing) {
  auto p = planner();
  auto plan = p.plan(suspended_waiting_on_a(), {suspend("again")});
  EXPECT_EQ(plan.outcome, TurnOutcome::Suspended);
  EXPECT_TRUE(plan.ack.history_delta.empty());
  EXPECT_FALSE(plan.ack.metadata.status);

  plan = p.plan(waiting_on_a(), {resume("not suspended")});
  EXPECT_EQ(plan.outcome, TurnOutcome::Continued);
  EXPECT_TRUE(plan.ack.history_delta.empty());
  EXPECT_FALSE(plan.ack.metadata.status);
}

TEST(ReplaySuspendResume, TheLastSuspendOrResumeOfABatchDecides) {
  auto p = planner();
  auto plan = p.plan(waiting_on_a(), {suspend("pause"), resume("changed my mind")});
  EXPECT_EQ(plan.outcome, TurnOutcome::Continued);
  EXPECT_TRUE(plan.ack.history_delta.empty());
  plan = p.plan(waiting_on_a(), {resume("nothing to resume"), suspend("pause")});
  EXPECT_EQ(plan.outcome, TurnOutcome::Suspended);
  ASSERT_EQ(plan.ack.history_delta.size(), 1u);
  EXPECT_TRUE(plan.ack.history_delta[0].is<events::OrchestrationSuspended>());
}

TEST(ReplaySuspendResume, AStartInTheSuspendsBatchIsRecordedAndTheCodeWaitsForTheResume) {
  g_code_runs = 0;
  auto p = planner();
  const auto plan =
      p.plan({}, {work_items::StartOrchestration{"inst-1", "Orch", "in", {}, {}, {}, 1}, suspend("not yet")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Suspended) << plan.reason;
  ASSERT_EQ(plan.ack.history_delta.size(), 2u);
  EXPECT_TRUE(plan.ack.history_delta[0].is<events::OrchestrationStarted>());
  EXPECT_TRUE(plan.ack.history_delta[1].is<events::OrchestrationSuspended>());
  EXPECT_TRUE(plan.started_execution);
  EXPECT_EQ(g_code_runs, 0);
  ASSERT_TRUE(plan.ack.metadata.status);
  EXPECT_EQ(*plan.ack.metadata.status, ExecutionStatus::Suspended);
}

TEST(ReplaySuspendResume, AHistoryThatWasSuspendedReplaysDeterministically) {
  // Events recorded while suspended and the suspension's own events are replayed like any other:
  // the code's decisions after the resume match the recorded ones.
  const std::vector<Event> history = {started("in"),
                                      ev(2, events::ActivityScheduled{"A", "in", {}, {}}),
                                      ev(3, events::OrchestrationSuspended{"maintenance"}),
                                      ev(4, events::ActivityCompleted{"a"}, 2),
                                      ev(5, events::OrchestrationResumed{"done"}),
                                      ev(6, events::ActivityScheduled{"B", "a", {}, {}}),
                                      ev(7, events::ActivityCompleted{"b"}, 6),
                                      ev(8, events::OrchestrationCompleted{"a+b"})};
  const auto registry = OrchestrationRegistry::builder().add("Orch", two_steps).build();
  const auto report = replay_history(registry, history);
  EXPECT_TRUE(report.ok()) << report.to_string();
  // And a history still suspended: the code, replayed, may want more; nothing recorded disagrees.
  const std::vector<Event> still_suspended(history.begin(), history.begin() + 4);
  EXPECT_TRUE(replay_history(registry, still_suspended).ok());
}

}  // namespace
}  // namespace duroxide::testing
