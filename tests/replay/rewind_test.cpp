// The history shapes of a rewind (docs/rewind.md): which events a rewind supersedes, what the turn
// planner writes when a failed instance is rewound, how the replay engine treats a rewound
// history, and offline replay of one. No store, no threads.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include <duroxide/duroxide.hpp>
#include <duroxide/offline_replay.hpp>

#include "orchestration/rewind_history.hpp"
#include "planner_driver.hpp"

namespace duroxide::testing {
namespace {

using runtime::TurnOutcome;
using Ids = std::vector<std::uint64_t>;

WorkItem rewind(std::string reason) { return work_items::RewindInstance{"inst-1", std::move(reason)}; }

Event failed_at(std::uint64_t id, std::string message = "boom") {
  return ev(id, events::OrchestrationFailed{ErrorDetails::orchestration_failed(std::move(message))});
}
Event scheduled(std::uint64_t id, std::string name) {
  return ev(id, events::ActivityScheduled{std::move(name), "in", {}, {}});
}
Event activity_failed(std::uint64_t id, std::uint64_t source) {
  return ev(id, events::ActivityFailed{ErrorDetails::activity_failed("down")}, source);
}
Event activity_done(std::uint64_t id, std::uint64_t source, std::string result = "ok") {
  return ev(id, events::ActivityCompleted{std::move(result)}, source);
}

// ---------------------------------------------------------------- what a rewind supersedes

TEST(ReplayRewind, AFailedActivityThatEndedTheCodeIsSupersededWithTheFailure) {
  const std::vector<Event> history = {started("in"), scheduled(2, "A"), activity_failed(3, 2), failed_at(4)};
  EXPECT_EQ(orchestration::rewind_supersedes(history), (Ids{3, 4}));
}

TEST(ReplayRewind, TheRuntimesBookkeepingAfterTheFailureIsSupersededToo) {
  const std::vector<Event> history = {
      started("in"),     scheduled(2, "A"),
      scheduled(3, "B"), activity_failed(4, 2),
      failed_at(5),      ev(6, events::ActivityCancelRequested{"orchestration_terminal_failed"}, 3)};
  EXPECT_EQ(orchestration::rewind_supersedes(history), (Ids{4, 5, 6}));
}

TEST(ReplayRewind, EveryFailedOutcomeSinceTheCodeLastDecidedIsSupersededAndSuccessesStay) {
  const std::vector<Event> history = {started("in"),         scheduled(2, "A"),     scheduled(3, "B"),
                                      scheduled(4, "C"),     activity_failed(5, 2), activity_done(6, 3),
                                      activity_failed(7, 4), failed_at(8)};
  EXPECT_EQ(orchestration::rewind_supersedes(history), (Ids{5, 7, 8}));
}

TEST(ReplayRewind, OnlyTheLastAttemptOfARetriedActivityRunsAgain) {
  // Attempt 1 failed, the code waited (timer) and tried again; attempt 2's failure ended it.
  const std::vector<Event> history = {started("in"),
                                      scheduled(2, "A"),
                                      activity_failed(3, 2),
                                      ev(4, events::TimerCreated{kClockMs + 10}),
                                      ev(5, events::TimerFired{kClockMs + 10}, 4),
                                      scheduled(6, "A"),
                                      activity_failed(7, 6),
                                      failed_at(8)};
  EXPECT_EQ(orchestration::rewind_supersedes(history), (Ids{7, 8}));
}

TEST(ReplayRewind, WhatTheFailingTurnDidAfterItsMessagesIsSuperseded) {
  // The code saw A fail, scheduled a compensation X in the same turn, then failed: with A's
  // failure taken back, X is the code's to make again (or not).
  const std::vector<Event> history = {started("in"), scheduled(2, "A"), activity_failed(3, 2), scheduled(4, "X"),
                                      failed_at(5)};
  EXPECT_EQ(orchestration::rewind_supersedes(history), (Ids{3, 4, 5}));
}

TEST(ReplayRewind, AFailureTheCodeHandledLongBeforeStays) {
  // A's failure was handled (the code went on to B); the code itself failed after B.
  const std::vector<Event> history = {started("in"),     scheduled(2, "A"),   activity_failed(3, 2),
                                      scheduled(4, "B"), activity_done(5, 4), failed_at(6)};
  EXPECT_EQ(orchestration::rewind_supersedes(history), (Ids{6}));
}

TEST(ReplayRewind, OnlyAFailureThatIsNotACancellationCanBeRewound) {
  std::vector<Event> history = {started("in"), scheduled(2, "A")};
  EXPECT_EQ(orchestration::rewind_refusal(history), "it has not ended");
  history.push_back(failed_at(3));
  EXPECT_EQ(orchestration::rewind_refusal(history), std::nullopt);

  const std::vector<Event> cancelled = {
      started("in"),
      ev(2, events::OrchestrationFailed{error::Application{AppErrorKind::cancelled("stop"), "", false}})};
  EXPECT_EQ(orchestration::rewind_refusal(cancelled), "it was cancelled, which a rewind does not take back");
  const std::vector<Event> completed = {started("in"), ev(2, events::OrchestrationCompleted{"done"})};
  EXPECT_EQ(orchestration::rewind_refusal(completed), "it ended OrchestrationCompleted, not failed");
  const std::vector<Event> terminated = {started("in"), ev(2, events::OrchestrationTerminated{"op"})};
  EXPECT_EQ(orchestration::rewind_refusal(terminated), "it ended OrchestrationTerminated, not failed");
}

TEST(ReplayRewind, EveryRewindsSupersededEventsAreLeftOut) {
  const std::vector<Event> history = {started("in"),
                                      scheduled(2, "A"),
                                      activity_failed(3, 2),
                                      failed_at(4),
                                      ev(5, events::OrchestrationRewound{"first", {3, 4}}),
                                      activity_failed(6, 2),
                                      failed_at(7),
                                      ev(8, events::OrchestrationRewound{"second", {6, 7}})};
  EXPECT_EQ(orchestration::superseded_events(history), (std::set<std::uint64_t>{3, 4, 6, 7}));
  const auto kept = orchestration::without_superseded(history);
  Ids ids;
  for (const auto& event : kept) ids.push_back(event.event_id);
  EXPECT_EQ(ids, (Ids{1, 2, 5, 8}));
}

// ---------------------------------------------------------------- the planner's rewind turn

std::atomic<int> g_code_runs{0};

/// Two activities in a row; counts how often the code is entered.
Task<Result<std::string>> two_steps(OrchestrationContext ctx, std::string input) {
  ++g_code_runs;
  auto a = co_await ctx.schedule_activity("A", input);
  if (!a) co_return std::unexpected("A failed: " + a.error());
  auto b = co_await ctx.schedule_activity("B", *a);
  if (!b) co_return std::unexpected("B failed: " + b.error());
  co_return *a + "+" + *b;
}

Planner planner() { return Planner(OrchestrationRegistry::builder().add("Orch", two_steps).build()); }

std::vector<Event> after(std::vector<Event> history, const runtime::TurnPlan& plan) {
  history.insert(history.end(), plan.ack.history_delta.begin(), plan.ack.history_delta.end());
  return history;
}

/// Runs two_steps until A fails: the history of a failed instance, as the planner wrote it.
std::vector<Event> failed_on_a(Planner& p) {
  auto first = p.plan({}, {work_items::StartOrchestration{"inst-1", "Orch", "in", {}, {}, {}, 1}});
  EXPECT_EQ(first.outcome, TurnOutcome::Continued) << first.reason;
  auto history = after({}, first);
  auto failing = p.plan(history, {activity_err(2, "bug 1234")});
  EXPECT_EQ(failing.outcome, TurnOutcome::Failed) << failing.reason;
  return after(history, failing);
}

TEST(ReplayRewind, ARewindRecordsWhatItSupersedesRunsTheFailedActivityAgainAndSetsRunning) {
  auto p = planner();
  const auto history = failed_on_a(p);  // 1 Started, 2 A scheduled, 3 A failed, 4 failed
  ASSERT_EQ(history.size(), 4u);
  g_code_runs = 0;
  const auto plan = p.plan(history, {rewind("bug 1234 fixed")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Continued) << plan.reason;
  EXPECT_TRUE(plan.rewound);
  EXPECT_EQ(plan.reason, "bug 1234 fixed");
  ASSERT_EQ(plan.ack.history_delta.size(), 1u) << "only the marker: the code waits for A again";
  const auto* marker = plan.ack.history_delta[0].get_if<events::OrchestrationRewound>();
  ASSERT_NE(marker, nullptr) << plan.ack.history_delta[0].type_name();
  EXPECT_EQ(marker->reason, "bug 1234 fixed");
  EXPECT_EQ(marker->superseded, (Ids{3, 4}));
  EXPECT_EQ(plan.ack.history_delta[0].event_id, 5u);
  EXPECT_GT(g_code_runs, 0) << "the code replays";
  ASSERT_EQ(plan.ack.worker_items.size(), 1u);
  const auto* again = std::get_if<work_items::ActivityExecute>(&plan.ack.worker_items[0]);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->id, 2u) << "under the id of its schedule";
  EXPECT_EQ(again->name, "A");
  EXPECT_EQ(again->input, "in");
  ASSERT_TRUE(plan.ack.metadata.status);
  EXPECT_EQ(*plan.ack.metadata.status, ExecutionStatus::Running);
  EXPECT_FALSE(plan.ack.metadata.output);
}

TEST(ReplayRewind, TheRetriedActivitysResultReachesTheCodeWhichGoesOn) {
  auto p = planner();
  auto history = failed_on_a(p);
  history = after(history, p.plan(history, {rewind("fixed")}));
  // Had the superseded failure counted, this result would be dropped as a duplicate outcome.
  auto plan = p.plan(history, {activity_ok(2, "a")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Continued) << plan.reason;
  ASSERT_EQ(plan.ack.history_delta.size(), 2u);
  EXPECT_TRUE(plan.ack.history_delta[0].is<events::ActivityCompleted>());
  const auto* b = plan.ack.history_delta[1].get_if<events::ActivityScheduled>();
  ASSERT_NE(b, nullptr) << plan.ack.history_delta[1].type_name();
  EXPECT_EQ(b->input, "a");
  EXPECT_EQ(plan.ack.history_delta[1].event_id, 7u) << "new decisions come after the marker";
  history = after(history, plan);
  plan = p.plan(history, {activity_ok(7, "b")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Completed) << plan.reason;
  history = after(history, plan);
  EXPECT_EQ(history.back().get_if<events::OrchestrationCompleted>()->output, "a+b");

  // Offline replay takes the same path: the ending after the rewind is the one it checks.
  const auto report = replay_history(OrchestrationRegistry::builder().add("Orch", two_steps).build(), history);
  EXPECT_TRUE(report.ok()) << report.to_string();
}

TEST(ReplayRewind, ACodeBugFixedMeanwhileIsReplayedPastWithoutRunningAnythingAgain) {
  // Version 1 failed by itself after A succeeded; the deployed fix completes.
  auto buggy = OrchestrationRegistry::builder()
                   .add("Orch",
                        [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
                          auto a = co_await ctx.schedule_activity("A", input);
                          co_return std::unexpected("bug: cannot handle " + *a);
                        })
                   .build();
  Planner before(std::move(buggy));
  auto history = after({}, before.plan({}, {work_items::StartOrchestration{"inst-1", "Orch", "in", {}, {}, {}, 1}}));
  auto failing = before.plan(history, {activity_ok(2, "a")});
  ASSERT_EQ(failing.outcome, TurnOutcome::Failed);
  history = after(history, failing);

  Planner fixed(OrchestrationRegistry::builder()
                    .add("Orch",
                         [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
                           auto a = co_await ctx.schedule_activity("A", input);
                           co_return "handled " + *a;
                         })
                    .build());
  const auto plan = fixed.plan(history, {rewind("deployed the fix")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Completed) << plan.reason;
  EXPECT_TRUE(plan.rewound);
  EXPECT_TRUE(plan.ack.worker_items.empty()) << "A succeeded: it does not run again";
  EXPECT_EQ(*plan.ack.metadata.status, ExecutionStatus::Completed);
  EXPECT_EQ(plan.ack.metadata.output, "handled a");
  const auto* marker = plan.ack.history_delta[0].get_if<events::OrchestrationRewound>();
  ASSERT_NE(marker, nullptr);
  EXPECT_EQ(marker->superseded, (Ids{4}));
}

TEST(ReplayRewind, TimersTheFailureDeletedAreArmedAgainAndFailedChildrenRewound) {
  const std::vector<Event> history = {started("in"), ev(2, events::TimerCreated{kClockMs + 5000}),
                                      ev(3, events::SubOrchestrationScheduled{"Child", "sub::3", "x"}),
                                      ev(4, events::SubOrchestrationFailed{ErrorDetails::orchestration_failed("c")}, 3),
                                      failed_at(5)};
  Planner p(OrchestrationRegistry::builder()
                .add("Orch",
                     [](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
                       auto timer = ctx.schedule_timer(std::chrono::milliseconds(5000));
                       auto child = co_await ctx.schedule_sub_orchestration("Child", "x");
                       if (!child) co_return std::unexpected(child.error());
                       co_await timer;
                       co_return *child;
                     })
                .build());
  const auto plan = p.plan(history, {rewind("child fixed")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Continued) << plan.reason;
  EXPECT_EQ(plan.ack.history_delta[0].get_if<events::OrchestrationRewound>()->superseded, (Ids{4, 5}));
  ASSERT_EQ(plan.ack.orchestrator_items.size(), 2u);
  const auto* timer = std::get_if<work_items::TimerFired>(&plan.ack.orchestrator_items[0]);
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->id, 2u);
  EXPECT_EQ(timer->fire_at_ms, kClockMs + 5000);
  const auto* child = std::get_if<work_items::RewindInstance>(&plan.ack.orchestrator_items[1]);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->instance, build_child_instance_id("inst-1", "sub::3"));
  EXPECT_EQ(child->reason, "parent 'inst-1' rewound: child fixed");
}

TEST(ReplayRewind, ALateResultOfWorkTheRewindTookBackIsIgnored) {
  // The failing turn scheduled X (event 4) before failing; the rewind supersedes it, and X's
  // result arriving afterwards must neither fail the turn nor reach the code.
  const std::vector<Event> history = {started("in"),         scheduled(2, "A"),
                                      activity_failed(3, 2), scheduled(4, "X"),
                                      failed_at(5),          ev(6, events::OrchestrationRewound{"fixed", {3, 4, 5}})};
  auto p = planner();
  const auto plan = p.plan(history, {activity_ok(4, "late x")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Continued) << plan.reason;
  EXPECT_TRUE(plan.ack.history_delta.empty());
}

TEST(ReplayRewind, AnInstanceFailedAgainCanBeRewoundAgain) {
  auto p = planner();
  auto history = failed_on_a(p);
  history = after(history, p.plan(history, {rewind("first fix")}));
  auto failing = p.plan(history, {activity_err(2, "still broken")});
  ASSERT_EQ(failing.outcome, TurnOutcome::Failed) << failing.reason;
  history = after(history, failing);
  const auto plan = p.plan(history, {rewind("second fix")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Continued) << plan.reason;
  const auto* marker = plan.ack.history_delta[0].get_if<events::OrchestrationRewound>();
  ASSERT_NE(marker, nullptr);
  EXPECT_EQ(marker->superseded, (Ids{6, 7})) << "the second failure and its activity failure";
  ASSERT_EQ(plan.ack.worker_items.size(), 1u);
  EXPECT_EQ(std::get<work_items::ActivityExecute>(plan.ack.worker_items[0]).id, 2u);
}

TEST(ReplayRewind, AnInstanceThatDidNotFailIsNotRewound) {
  auto p = planner();
  const std::vector<Event> completed = {started("in"), ev(2, events::OrchestrationCompleted{"done"})};
  auto plan = p.plan(completed, {rewind("oops")});
  EXPECT_EQ(plan.outcome, TurnOutcome::Dropped);
  EXPECT_TRUE(plan.ack.history_delta.empty());
  EXPECT_NE(plan.reason.find("it ended OrchestrationCompleted, not failed"), std::string::npos) << plan.reason;
  EXPECT_TRUE(p.parents_asked.empty()) << "a root instance has no parent to tell";
}

TEST(ReplayRewind, AChildThatEndedOtherwiseReportsItsEndingToItsRewoundParentAgain) {
  std::vector<Event> completed = {started("in"), ev(2, events::OrchestrationCompleted{"child result"})};
  completed[0].get_if<events::OrchestrationStarted>()->parent_instance = "parent-1";
  completed[0].get_if<events::OrchestrationStarted>()->parent_id = 3;
  auto p = planner();
  p.parent_waits = 1;
  const auto plan = p.plan(completed, {rewind("parent 'parent-1' rewound: fixed")});
  EXPECT_EQ(plan.outcome, TurnOutcome::Dropped);
  EXPECT_TRUE(plan.ack.history_delta.empty());
  ASSERT_EQ(plan.ack.orchestrator_items.size(), 1u);
  const auto* report = std::get_if<work_items::SubOrchCompleted>(&plan.ack.orchestrator_items[0]);
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(report->parent_instance, "parent-1");
  EXPECT_EQ(report->parent_id, 3u);
  EXPECT_EQ(report->result, "child result");
}

TEST(ReplayRewind, MessagesForAFailedInstanceWithoutARewindAreStillDropped) {
  auto p = planner();
  const auto plan = p.plan(failed_on_a(p), {activity_ok(2, "too late")});
  EXPECT_EQ(plan.outcome, TurnOutcome::Dropped);
}

}  // namespace
}  // namespace duroxide::testing
