// The history shapes of a terminate (docs/terminate.md): what the turn planner writes when a batch
// holds a TerminateInstance, checked on the plan itself (no store, no threads), and how the
// replay engine treats a history that ends terminated.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <duroxide/duroxide.hpp>

#include "planner_driver.hpp"

namespace duroxide::testing {
namespace {

using runtime::TurnOutcome;

WorkItem terminate(std::string reason, bool recursive = true) {
  return work_items::TerminateInstance{"inst-1", std::move(reason), recursive};
}

/// Started, activity A scheduled (event 2) and not yet done.
std::vector<Event> waiting_on_an_activity() {
  return {started("in"), ev(2, events::ActivityScheduled{"A", "in", {}, {}})};
}

TEST(ReplayTerminate, ARunningExecutionEndsTerminatedWithoutRunningItsCode) {
  // The registry is empty: had the planner tried to run the code, it would have had no handler.
  Planner planner;
  const auto plan = planner.plan(waiting_on_an_activity(), {activity_ok(2, "late"), terminate("stuck")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Terminated) << plan.reason;
  EXPECT_EQ(plan.reason, "stuck");
  const auto& delta = plan.ack.history_delta;
  ASSERT_EQ(delta.size(), 2u);
  ASSERT_TRUE(delta[0].is<events::OrchestrationTerminated>()) << delta[0].type_name();
  EXPECT_EQ(delta[0].get_if<events::OrchestrationTerminated>()->reason, "stuck");
  EXPECT_EQ(delta[0].event_id, 3u);
  // The activity in flight is abandoned: a breadcrumb, and its worker row removed by the ack.
  ASSERT_TRUE(delta[1].is<events::ActivityCancelRequested>()) << delta[1].type_name();
  EXPECT_EQ(delta[1].get_if<events::ActivityCancelRequested>()->reason, "orchestration_terminated");
  EXPECT_EQ(delta[1].source_event_id, 2u);
  ASSERT_EQ(plan.ack.cancelled_activities.size(), 1u);
  EXPECT_EQ(plan.ack.cancelled_activities[0].activity_id, 2u);
  // The activity's late result is consumed, not recorded; nothing new is scheduled.
  EXPECT_TRUE(plan.ack.worker_items.empty());
  EXPECT_TRUE(plan.ack.orchestrator_items.empty());
  ASSERT_TRUE(plan.ack.metadata.status);
  EXPECT_EQ(*plan.ack.metadata.status, ExecutionStatus::Terminated);
  EXPECT_EQ(plan.ack.metadata.output, "stuck");
  EXPECT_EQ(plan.ack.execution_id, 1u);
}

TEST(ReplayTerminate, OpenChildrenAreTerminatedTooUnlessAskedOtherwise) {
  const std::vector<Event> history = {started("in"), ev(2, events::SubOrchestrationScheduled{"Child", "sub-a", "x"}),
                                      ev(3, events::SubOrchestrationScheduled{"Child", "sub-b", "y"}),
                                      ev(4, events::SubOrchestrationCompleted{"done"}, 3)};
  Planner planner;
  auto plan = planner.plan(history, {terminate("cleanup")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Terminated);
  ASSERT_EQ(plan.ack.orchestrator_items.size(), 1u) << "only the child still open";
  const auto* child = std::get_if<work_items::TerminateInstance>(&plan.ack.orchestrator_items[0]);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->instance, build_child_instance_id("inst-1", "sub-a"));
  EXPECT_EQ(child->reason, "parent 'inst-1' terminated: cleanup");
  EXPECT_TRUE(child->recursive) << "grandchildren go too";

  plan = planner.plan(history, {terminate("cleanup", false)});
  ASSERT_EQ(plan.outcome, TurnOutcome::Terminated);
  EXPECT_TRUE(plan.ack.orchestrator_items.empty()) << "children keep running when asked";
}

TEST(ReplayTerminate, AWaitingParentLearnsOfItAsAFailedSubOrchestration) {
  std::vector<Event> history = waiting_on_an_activity();
  history[0].get_if<events::OrchestrationStarted>()->parent_instance = "parent-1";
  history[0].get_if<events::OrchestrationStarted>()->parent_id = 7;
  Planner planner;
  planner.parent_waits = 1;
  auto plan = planner.plan(history, {terminate("stuck")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Terminated);
  EXPECT_EQ(planner.parents_asked, std::vector<std::string>{"parent-1"});
  ASSERT_EQ(plan.ack.orchestrator_items.size(), 1u);
  const auto* failed = std::get_if<work_items::SubOrchFailed>(&plan.ack.orchestrator_items[0]);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->parent_instance, "parent-1");
  EXPECT_EQ(failed->parent_id, 7u);
  const auto* app = failed->details.get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind, AppErrorKind::orchestration_failed());
  EXPECT_EQ(app->message, "sub-orchestration 'inst-1' was terminated: stuck");

  // A parent that moved on (itself terminated, say) is told nothing.
  planner.parent_waits.reset();
  plan = planner.plan(history, {terminate("stuck")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Terminated);
  EXPECT_TRUE(plan.ack.orchestrator_items.empty());
}

TEST(ReplayTerminate, AFinishedOrNeverStartedInstanceDropsTheTerminate) {
  Planner planner;
  const std::vector<Event> completed = {started("in"), ev(2, events::OrchestrationCompleted{"out"})};
  EXPECT_EQ(planner.plan(completed, {terminate("late")}).outcome, TurnOutcome::Dropped);
  const std::vector<Event> terminated = {started("in"), ev(2, events::OrchestrationTerminated{"first"})};
  const auto again = planner.plan(terminated, {terminate("second")});
  EXPECT_EQ(again.outcome, TurnOutcome::Dropped);
  EXPECT_TRUE(again.ack.history_delta.empty()) << "a second terminate records nothing";
  EXPECT_EQ(planner.plan({}, {terminate("nobody")}).outcome, TurnOutcome::Dropped);
}

TEST(ReplayTerminate, AStartInTheSameBatchIsRecordedThenTerminated) {
  Planner planner;
  const auto plan = planner.plan(
      {}, {work_items::StartOrchestration{"inst-1", "Orch", "in", "2.0.0", {}, {}, 1}, terminate("changed my mind")});
  ASSERT_EQ(plan.outcome, TurnOutcome::Terminated) << plan.reason;
  EXPECT_TRUE(plan.started_execution);
  const auto& delta = plan.ack.history_delta;
  ASSERT_EQ(delta.size(), 2u);
  const auto* start = delta[0].get_if<events::OrchestrationStarted>();
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->name, "Orch");
  EXPECT_EQ(start->version, "2.0.0");
  EXPECT_EQ(start->input, "in");
  EXPECT_TRUE(delta[1].is<events::OrchestrationTerminated>());
  EXPECT_TRUE(plan.ack.worker_items.empty());
}

TEST(ReplayTerminate, AnExecutionNoNodeCanReplayIsStillTerminated) {
  // Pinned to a library version outside the supported range: a turn would be abandoned, but a
  // terminate runs no code, so it needs no compatible node.
  std::vector<Event> history = waiting_on_an_activity();
  history[0].duroxide_version = "99.0.0";
  Planner planner;
  EXPECT_EQ(planner.plan(history, {activity_ok(2, "a")}).outcome, TurnOutcome::Abandoned);
  EXPECT_EQ(planner.plan(history, {terminate("unsupported")}).outcome, TurnOutcome::Terminated);
}

TEST(ReplayTerminate, TheEngineTreatsATerminatedHistoryAsEnded) {
  // The runtime never runs the code of an ended execution; the engine itself also takes no
  // decision past a termination, whatever the messages.
  const std::vector<Event> history = {started("in"), ev(2, events::ActivityScheduled{"A", "in", {}, {}}),
                                      ev(3, events::OrchestrationTerminated{"stuck"})};
  TurnInput input;
  input.instance_id = "inst-1";
  input.execution_id = 1;
  input.orchestration_name = "Orch";
  input.orchestration_version = "1.0.0";
  input.input = "in";
  input.baseline_view = &history;
  input.persisted_len = history.size();
  input.handler = [](OrchestrationContext ctx, std::string in) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", in);
    co_return *a;
  };
  input.messages = {activity_ok(2, "a")};
  input.now_ms = [] { return kClockMs; };
  const auto out = orchestration::run_turn(input);
  EXPECT_TRUE(std::holds_alternative<tr::Continue>(out.result));
  EXPECT_TRUE(out.pending_actions.empty());
  // At most the delivered message is staged (as for any ended history); the code decides nothing.
  for (const auto& event : out.history_delta) EXPECT_TRUE(event.is<events::ActivityCompleted>()) << event.type_name();
}

}  // namespace
}  // namespace duroxide::testing
