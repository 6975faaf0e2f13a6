// The history shapes of trace spans (docs/tracing.md): what the turn planner records of a
// traceparent and passes on to activities, children and the next execution, all derived from
// history so that planning a turn again names the same spans. No store, no threads.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <duroxide/duroxide.hpp>

#include "observability/trace_ids.hpp"
#include "planner_driver.hpp"

namespace duroxide::testing {
namespace {

constexpr const char* kCaller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// An activity, a child and a detached start in its first turn.
Task<Result<std::string>> fans_out(OrchestrationContext ctx, std::string input) {
  ctx.schedule_orchestration("Audit", "audit-1", input);
  auto child = ctx.schedule_sub_orchestration_with_id("Child", "child-1", input);
  auto activity = ctx.schedule_activity("A", input);
  auto both = co_await OrchestrationContext::join2(std::move(child), std::move(activity));
  co_return *std::get<0>(both) + *std::get<1>(both);
}

Task<Result<std::string>> continues(OrchestrationContext ctx, std::string input) {
  co_await ctx.continue_as_new(input + "+");
  co_return "unreachable";
}

Planner planner() {
  return Planner(OrchestrationRegistry::builder().add("Orch", fans_out).add("Again", continues).build());
}

WorkItem start(std::string name, std::optional<std::string> trace_parent) {
  work_items::StartOrchestration item{"inst-1", std::move(name), "in", {}, {}, {}, 1};
  item.trace_parent = std::move(trace_parent);
  return item;
}

template <class W>
std::vector<W> items_of(const std::vector<WorkItem>& items) {
  std::vector<W> found;
  for (const auto& item : items)
    if (const auto* w = std::get_if<W>(&item)) found.push_back(*w);
  return found;
}

TEST(ReplayTraceSpans, ATraceparentGivenAtStartIsRecordedAndItsSpanParentsTheWorkStarted) {
  auto p = planner();
  const auto plan = p.plan({}, {start("Orch", kCaller)});
  ASSERT_EQ(plan.outcome, runtime::TurnOutcome::Continued) << plan.reason;
  const auto* started = plan.ack.history_delta.front().get_if<events::OrchestrationStarted>();
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(started->trace_parent, kCaller);

  const auto span = observability::orchestration_trace(std::string(kCaller), "inst-1", 1);
  EXPECT_EQ(span.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  const auto activities = items_of<work_items::ActivityExecute>(plan.ack.worker_items);
  ASSERT_EQ(activities.size(), 1u);
  EXPECT_EQ(activities[0].trace_parent, span.traceparent());
  const auto starts = items_of<work_items::StartOrchestration>(plan.ack.orchestrator_items);
  ASSERT_EQ(starts.size(), 2u);
  for (const auto& child : starts) EXPECT_EQ(child.trace_parent, span.traceparent()) << child.instance;
}

TEST(ReplayTraceSpans, AnInstanceStartedWithoutOneRecordsNothingAndIsTheRootOfItsOwnTrace) {
  auto p = planner();
  const auto plan = p.plan({}, {start("Orch", std::nullopt)});
  const auto* started = plan.ack.history_delta.front().get_if<events::OrchestrationStarted>();
  ASSERT_NE(started, nullptr);
  EXPECT_FALSE(started->trace_parent) << "a history without tracing is unchanged";
  const auto span = observability::orchestration_trace(std::nullopt, "inst-1", 1);
  const auto activities = items_of<work_items::ActivityExecute>(plan.ack.worker_items);
  ASSERT_EQ(activities.size(), 1u);
  EXPECT_EQ(activities[0].trace_parent, span.traceparent());
}

TEST(ReplayTraceSpans, ATurnPlannedAgainNamesTheSameSpans) {
  auto p = planner();
  const auto first = p.plan({}, {start("Orch", kCaller)});
  const auto again = p.plan({}, {start("Orch", kCaller)});
  EXPECT_EQ(first.ack.worker_items, again.ack.worker_items);
  EXPECT_EQ(first.ack.orchestrator_items, again.ack.orchestrator_items);
}

TEST(ReplayTraceSpans, ContinueAsNewCarriesTheRecordedTraceparentToTheNextExecution) {
  auto p = planner();
  const auto plan = p.plan({}, {start("Again", kCaller)});
  ASSERT_EQ(plan.outcome, runtime::TurnOutcome::ContinuedAsNew) << plan.reason;
  const auto next = items_of<work_items::ContinueAsNew>(plan.ack.orchestrator_items);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].trace_parent, kCaller);
  // Without one, nothing is carried: the next execution derives the same root trace.
  const auto root = p.plan({}, {start("Again", std::nullopt)});
  EXPECT_FALSE(items_of<work_items::ContinueAsNew>(root.ack.orchestrator_items).at(0).trace_parent);
}

}  // namespace
}  // namespace duroxide::testing
