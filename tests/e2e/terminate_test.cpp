// Client::terminate_instance on a real runtime (docs/terminate.md), on every store: the instance
// ends Terminated at once, without its code or its activities, its children go with it unless
// asked otherwise, a waiting parent learns of it, and listings and metrics count it.
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"
#include "support/gate.hpp"

namespace duroxide::testing {
namespace {

Gate g_slow_gate;
std::atomic<int> g_slow_started{0};
std::atomic<bool> g_slow_returned{false};
std::atomic<int> g_after_slow_runs{0};

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Slow",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_slow_started;
             g_slow_gate.wait();  // ignores cancellation: the terminate must not wait for it
             g_slow_returned = true;
             return input;
           })
      .add("AfterSlow",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_after_slow_runs;
             return input;
           })
      .build();
}

Task<Result<std::string>> slow_then_more(OrchestrationContext ctx, std::string input) {
  auto slow = co_await ctx.schedule_activity("Slow", input);
  auto more = co_await ctx.schedule_activity("AfterSlow", *slow);
  co_return *more;
}

/// Waits for an event that never comes unless the test raises it.
Task<Result<std::string>> waits_for_go(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_wait("Go");
}

/// Starts child "<input>-child" (waits_for_go) and returns its result, or its error's message.
Task<Result<std::string>> parent_of_a_waiting_child(OrchestrationContext ctx, std::string input) {
  auto child = co_await ctx.schedule_sub_orchestration_with_id("WaitsForGo", input + "-child", "");
  if (!child) co_return "child failed: " + child.error();
  co_return "child said " + *child;
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("SlowThenMore", slow_then_more)
      .add("WaitsForGo", waits_for_go)
      .add("Parent", parent_of_a_waiting_child)
      .build();
}

const status::Terminated* terminated(const OrchestrationStatus& status) { return status.get_if<status::Terminated>(); }

/// Waits until `instance` has a Running status (its first turn committed).
void wait_running(E2eEnv& env, const std::string& instance) {
  ASSERT_TRUE(wait_until([&] {
    auto status = env.client.get_orchestration_status(instance);
    return status && status->is_running();
  }));
}

/// Waits until the store's queues hold nothing for anyone (every message handled).
void wait_queues_drained(E2eEnv& env) {
  ASSERT_TRUE(wait_until([&] {
    auto depths = env.client.get_queue_depths();
    return depths && depths->orchestrator_queue == 0 && depths->worker_queue == 0;
  }));
}

TEST(E2eTerminate, ARunningInstanceEndsTerminatedAtOnceWithoutWaitingForItsActivity) {
  g_slow_gate.close();
  OpenOnExit open{g_slow_gate};
  g_slow_started = 0;
  g_slow_returned = false;
  g_after_slow_runs = 0;
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("term-1", "SlowThenMore", "x"));
  ASSERT_TRUE(wait_until([] { return g_slow_started.load() == 1; }));

  ASSERT_TRUE(env.client.terminate_instance("term-1", "stuck on a bad card"));
  const auto status = env.wait("term-1");
  ASSERT_NE(terminated(status), nullptr) << status.name();
  EXPECT_EQ(terminated(status)->reason, "stuck on a bad card");
  EXPECT_EQ(status.name(), "Terminated");
  EXPECT_TRUE(status.is_terminal());
  EXPECT_FALSE(g_slow_returned) << "the activity is still running: the terminate did not wait for it";

  // The history: the termination, then the activity in flight recorded as cancelled.
  auto history = env.history("term-1");
  ASSERT_GE(history.size(), 2u);
  const auto& cancel = history.back();
  const auto& ending = history[history.size() - 2];
  ASSERT_TRUE(ending.is<events::OrchestrationTerminated>()) << ending.type_name();
  EXPECT_EQ(ending.get_if<events::OrchestrationTerminated>()->reason, "stuck on a bad card");
  ASSERT_TRUE(cancel.is<events::ActivityCancelRequested>()) << cancel.type_name();
  EXPECT_EQ(cancel.get_if<events::ActivityCancelRequested>()->reason, "orchestration_terminated");

  // The activity's late result changes nothing: the code never runs again.
  g_slow_gate.open();
  ASSERT_TRUE(wait_until([] { return g_slow_returned.load(); }));
  wait_queues_drained(env);
  EXPECT_EQ(env.history("term-1"), history);
  EXPECT_EQ(g_after_slow_runs, 0);
  EXPECT_EQ(env.runtime->metrics_snapshot().orch_terminations, 1u);
}

TEST(E2eTerminate, ChildrenAreTerminatedWithTheirParent) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("tree-1", "Parent", "tree-1"));
  wait_running(env, "tree-1-child");
  ASSERT_TRUE(env.client.terminate_instance("tree-1", "retired"));
  const auto parent = env.wait("tree-1");
  ASSERT_NE(terminated(parent), nullptr) << parent.name();
  const auto child = env.wait("tree-1-child");
  ASSERT_NE(terminated(child), nullptr) << child.name();
  EXPECT_EQ(terminated(child)->reason, "parent 'tree-1' terminated: retired");
}

TEST(E2eTerminate, ChildrenKeepRunningWhenAskedAndTheirLateResultIsDropped) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("tree-2", "Parent", "tree-2"));
  wait_running(env, "tree-2-child");
  ASSERT_TRUE(env.client.terminate_instance("tree-2", "parent only", false));
  ASSERT_TRUE(env.wait("tree-2").is_terminated());
  auto child = env.client.get_orchestration_status("tree-2-child");
  ASSERT_TRUE(child);
  EXPECT_TRUE(child->is_running());
  ASSERT_TRUE(env.client.raise_event("tree-2-child", "Go", "done"));
  EXPECT_EQ(env.output_of("tree-2-child"), "done");
  wait_queues_drained(env);
  const auto parent = env.client.get_orchestration_status("tree-2");
  ASSERT_TRUE(parent);
  EXPECT_TRUE(parent->is_terminated()) << "the child's result does not revive its parent";
}

TEST(E2eTerminate, ATerminatedChildFailsItsWaitingParent) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("tree-3", "Parent", "tree-3"));
  wait_running(env, "tree-3-child");
  ASSERT_TRUE(env.client.terminate_instance("tree-3-child", "bad data"));
  EXPECT_EQ(env.output_of("tree-3"), "child failed: sub-orchestration 'tree-3-child' was terminated: bad data");
  ASSERT_TRUE(env.wait("tree-3-child").is_terminated());
}

TEST(E2eTerminate, AFinishedInstanceIsLeftAsItEnded) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("done-1", "WaitsForGo", ""));
  wait_running(env, "done-1");
  ASSERT_TRUE(env.client.raise_event("done-1", "Go", "finished"));
  EXPECT_EQ(env.output_of("done-1"), "finished");
  const auto before = env.history("done-1");
  ASSERT_TRUE(env.client.terminate_instance("done-1", "too late"));
  wait_queues_drained(env);
  EXPECT_EQ(env.history("done-1"), before);
  const auto status = env.client.get_orchestration_status("done-1");
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->is_completed());
}

TEST(E2eTerminate, AnUnknownInstanceIsAClearErrorAndQueuesNothing) {
  E2eEnv env(activities(), orchestrations());
  const auto result = env.client.terminate_instance("no-such-instance", "typo");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ClientError::Kind::InstanceNotFound);
  EXPECT_NE(result.error().to_string().find("no-such-instance"), std::string::npos) << result.error().to_string();
  const auto depths = env.client.get_queue_depths();
  ASSERT_TRUE(depths);
  EXPECT_EQ(depths->orchestrator_queue, 0u);
}

TEST(E2eTerminate, AnInstanceWhoseCodeIsGoneCanStillBeTerminated) {
  // A deploy removed the orchestration while an instance waited: its next turn cannot run on any
  // node (abandoned with the unregistered backoff), but a terminate needs no code.
  auto store = test_store();
  {
    E2eEnv before(store, activities(), orchestrations());
    ASSERT_TRUE(before.client.start_orchestration("orphan-1", "WaitsForGo", ""));
    wait_running(before, "orphan-1");
  }
  E2eEnv after(store, activities(), OrchestrationRegistry::builder().add("Parent", parent_of_a_waiting_child).build());
  ASSERT_TRUE(after.client.raise_event("orphan-1", "Go", "nobody can run this"));
  ASSERT_TRUE(after.client.terminate_instance("orphan-1", "code removed"));
  const auto status = after.wait("orphan-1");
  ASSERT_NE(terminated(status), nullptr) << status.name();
  EXPECT_EQ(terminated(status)->reason, "code removed");
}

TEST(E2eTerminate, ListingsAndStoreMetricsCountTerminatedInstances) {
  E2eEnv env(activities(), orchestrations());
  for (const char* id : {"count-1", "count-2"}) {
    ASSERT_TRUE(env.client.start_orchestration(id, "WaitsForGo", ""));
    wait_running(env, id);
  }
  ASSERT_TRUE(env.client.terminate_instance("count-1", "one of two"));
  ASSERT_TRUE(env.wait("count-1").is_terminated());

  const auto listed = env.client.list_instances_by_status("Terminated");
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(*listed, std::vector<std::string>{"count-1"});
  const auto metrics = env.client.get_system_metrics();
  ASSERT_TRUE(metrics) << metrics.error().to_string();
  EXPECT_EQ(metrics->terminated_instances, 1u);
  EXPECT_EQ(metrics->running_instances, 1u);
  const auto info = env.client.get_instance_info("count-1");
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->status, ExecutionStatus::Terminated);
  EXPECT_EQ(info->output, "one of two");
  auto typed = env.client.wait_for_orchestration_typed<std::string>("count-1", std::chrono::seconds(5));
  ASSERT_TRUE(typed);
  ASSERT_FALSE(*typed);
  EXPECT_EQ(typed->error(), "terminated: one of two");
  // A terminated instance is finished: it can be deleted without force.
  ASSERT_TRUE(env.client.delete_instance("count-1", false));
}

}  // namespace
}  // namespace duroxide::testing
