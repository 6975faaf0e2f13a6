// Mirrors duroxide's tests/management_interface_test.rs: the client's management API against a real runtime.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

Task<Result<std::string>> test_orchestration(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Work", input);
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> failing(OrchestrationContext, std::string) { co_return Err("intentional failure"); }

Task<Result<std::string>> waiting(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Never");
  co_return data;
}

Task<Result<std::string>> counter(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  if (n < 3) co_await ctx.continue_as_new(std::to_string(n + 1));
  co_return "final " + input;
}

Task<Result<std::string>> order(OrchestrationContext ctx, std::string input) {
  for (const char* step : {"Validate", "Charge", "Ship"}) {
    auto r = co_await ctx.schedule_activity("Work", std::string(step) + ":" + input);
    if (!r) co_return Err(r.error());
  }
  co_return "order " + input + " done";
}

Task<Result<std::string>> child_orch(OrchestrationContext, std::string input) { co_return "child " + input; }

Task<Result<std::string>> parent_with_ids(OrchestrationContext ctx, std::string) {
  auto a = ctx.schedule_sub_orchestration_with_id("Child", "child-1", "a");
  auto b = ctx.schedule_sub_orchestration_with_id("Child", "child-2", "b");
  auto both = co_await OrchestrationContext::join2(std::move(a), std::move(b));
  co_return std::get<0>(both).value_or("?") + "," + std::get<1>(both).value_or("?");
}

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Work", [](ActivityContext&, std::string input) -> Result<std::string> { return "worked:" + input; })
      .build();
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("TestOrchestration", test_orchestration)
      .add("Failing", failing)
      .add("Waiting", waiting)
      .add("Counter", counter)
      .add("Order", order)
      .add("Child", child_orch)
      .add("ParentWithIds", parent_with_ids)
      .build();
}

std::vector<std::string> sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(E2eManagementInterface, test_capability_discovery) {
  E2eEnv env(activities(), orchestrations());
  EXPECT_TRUE(env.client.has_management_capability());
  EXPECT_TRUE(env.client.list_all_instances().value().empty());
  EXPECT_EQ(env.client.get_system_metrics().value(), SystemMetrics{});
  EXPECT_EQ(env.client.get_queue_depths().value(), QueueDepths{});
}

TEST(E2eManagementInterface, test_management_features_with_workflow) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("test-instance", "TestOrchestration", "x"));
  EXPECT_EQ(env.output_of("test-instance"), "worked:x");
  EXPECT_EQ(env.client.list_all_instances().value(), std::vector<std::string>{"test-instance"});
  const auto info = env.client.get_instance_info("test-instance").value();
  EXPECT_EQ(info.orchestration_name, "TestOrchestration");
  EXPECT_EQ(info.orchestration_version, "1.0.0");
  EXPECT_EQ(info.current_execution_id, 1u);
  EXPECT_EQ(env.client.list_executions("test-instance").value(), std::vector<std::uint64_t>{1});
  const auto metrics = env.client.get_system_metrics().value();
  EXPECT_EQ(metrics.total_instances, 1u);
  EXPECT_EQ(metrics.total_executions, 1u);
}

TEST(E2eManagementInterface, test_instance_discovery) {
  E2eEnv env(activities(), orchestrations());
  for (const char* id : {"d1", "d2", "d3"}) {
    ASSERT_TRUE(env.client.start_orchestration(id, "TestOrchestration", id));
    env.output_of(id);
  }
  EXPECT_EQ(sorted(env.client.list_all_instances().value()), (std::vector<std::string>{"d1", "d2", "d3"}));
  EXPECT_EQ(env.client.list_instances_by_status("Completed").value().size(), 3u);
  EXPECT_TRUE(env.client.list_instances_by_status("Running").value().empty());
}

TEST(E2eManagementInterface, test_instance_info) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("info-1", "TestOrchestration", "in"));
  env.output_of("info-1");
  const auto info = env.client.get_instance_info("info-1").value();
  EXPECT_EQ(info.instance_id, "info-1");
  EXPECT_EQ(info.status, ExecutionStatus::Completed);
  EXPECT_EQ(info.output, "worked:in");
  EXPECT_FALSE(info.parent_instance_id.has_value());
  EXPECT_GT(info.created_at_ms, 0u);
  auto missing = env.client.get_instance_info("nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().to_string().find("not found"), std::string::npos);
}

TEST(E2eManagementInterface, test_execution_info) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("exec-1", "TestOrchestration", "in"));
  env.output_of("exec-1");
  EXPECT_EQ(env.client.list_executions("exec-1").value(), std::vector<std::uint64_t>{1});
  const auto info = env.client.get_execution_info("exec-1", 1).value();
  EXPECT_EQ(info.execution_id, 1u);
  EXPECT_EQ(info.status, ExecutionStatus::Completed);
  EXPECT_EQ(info.output, "worked:in");
  EXPECT_GT(info.event_count, 0u);
  ASSERT_TRUE(info.completed_at_ms.has_value());
  const auto history = env.client.read_execution_history("exec-1", 1).value();
  ASSERT_GE(history.size(), 2u);
  EXPECT_TRUE(history.front().is<events::OrchestrationStarted>());
  EXPECT_TRUE(history.back().is<events::OrchestrationCompleted>());
  EXPECT_FALSE(env.client.get_execution_info("exec-1", 7));
}

TEST(E2eManagementInterface, test_multi_execution_support) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("can-1", "Counter", "0"));
  EXPECT_EQ(env.output_of("can-1"), "final 3");
  EXPECT_EQ(env.client.list_executions("can-1").value(), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  for (std::uint64_t e = 1; e <= 3; ++e)
    EXPECT_EQ(env.client.get_execution_info("can-1", e).value().status, ExecutionStatus::ContinuedAsNew);
  EXPECT_EQ(env.client.get_execution_info("can-1", 4).value().status, ExecutionStatus::Completed);
  const auto info = env.client.get_instance_info("can-1").value();
  EXPECT_EQ(info.current_execution_id, 4u);
  EXPECT_EQ(info.status, ExecutionStatus::Completed);
}

TEST(E2eManagementInterface, test_system_metrics) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("ok-1", "TestOrchestration", "a"));
  ASSERT_TRUE(env.client.start_orchestration("ok-2", "TestOrchestration", "b"));
  ASSERT_TRUE(env.client.start_orchestration("bad-1", "Failing", ""));
  ASSERT_TRUE(env.client.start_orchestration("wait-1", "Waiting", ""));
  env.output_of("ok-1");
  env.output_of("ok-2");
  EXPECT_TRUE(env.wait("bad-1").is_failed());
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "wait-1"));
  const auto metrics = env.client.get_system_metrics().value();
  EXPECT_EQ(metrics.total_instances, 4u);
  EXPECT_EQ(metrics.total_executions, 4u);
  EXPECT_EQ(metrics.running_instances, 1u);
  EXPECT_EQ(metrics.completed_instances, 2u);
  EXPECT_EQ(metrics.failed_instances, 1u);
  EXPECT_GT(metrics.total_events, 0u);
  EXPECT_EQ(sorted(env.client.list_instances_by_status("Completed").value()),
            (std::vector<std::string>{"ok-1", "ok-2"}));
  EXPECT_EQ(env.client.list_instances_by_status("Failed").value(), std::vector<std::string>{"bad-1"});
  EXPECT_EQ(env.client.list_instances_by_status("Running").value(), std::vector<std::string>{"wait-1"});
}

TEST(E2eManagementInterface, test_queue_depths) {
  E2eEnv env(activities(), orchestrations());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(env.client.start_orchestration("q" + std::to_string(i), "Order", "x"));
  EXPECT_TRUE(env.client.get_queue_depths().has_value());  // readable under load
  for (int i = 0; i < 5; ++i) env.output_of("q" + std::to_string(i));
  const auto depths = env.client.get_queue_depths().value();
  EXPECT_LE(depths.orchestrator_queue, 1u);
  EXPECT_LE(depths.worker_queue, 1u);
  EXPECT_EQ(depths.timer_queue, 0u);
}

TEST(E2eManagementInterface, test_error_handling) {
  E2eEnv env(activities(), orchestrations());
  auto info = env.client.get_instance_info("ghost");
  ASSERT_FALSE(info);
  EXPECT_NE(info.error().to_string().find("not found"), std::string::npos);
  auto execution = env.client.get_execution_info("ghost", 1);
  ASSERT_FALSE(execution);
  EXPECT_NE(execution.error().to_string().find("not found"), std::string::npos);
  EXPECT_TRUE(env.client.list_executions("ghost").value().empty());
  EXPECT_TRUE(env.client.read_execution_history("ghost", 1).value().empty());
  EXPECT_TRUE(env.client.list_instances_by_status("Bogus").value().empty());
}

TEST(E2eManagementInterface, test_complex_workflow_management) {
  E2eEnv env(activities(), orchestrations());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(env.client.start_orchestration("order-" + std::to_string(i), "Order", std::to_string(i)));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(env.output_of("order-" + std::to_string(i)), "order " + std::to_string(i) + " done");
  EXPECT_EQ(env.client.list_all_instances().value().size(), 5u);
  EXPECT_EQ(env.client.list_instances_by_status("Completed").value().size(), 5u);
  const auto metrics = env.client.get_system_metrics().value();
  EXPECT_EQ(metrics.total_instances, 5u);
  EXPECT_EQ(metrics.total_executions, 5u);
  EXPECT_EQ(metrics.completed_instances, 5u);
  EXPECT_EQ(metrics.failed_instances, 0u);
  EXPECT_EQ(metrics.running_instances, 0u);
  for (int i = 0; i < 5; ++i) {
    const auto id = "order-" + std::to_string(i);
    EXPECT_EQ(env.client.get_instance_info(id).value().status, ExecutionStatus::Completed);
    EXPECT_EQ(env.client.get_execution_info(id, 1).value().status, ExecutionStatus::Completed);
    const auto history = env.client.read_execution_history(id, 1).value();
    EXPECT_TRUE(history.front().is<events::OrchestrationStarted>());
    EXPECT_EQ(
        std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is<events::ActivityCompleted>(); }),
        3);
    EXPECT_TRUE(history.back().is<events::OrchestrationCompleted>());
  }
  EXPECT_EQ(env.client.get_queue_depths().value(), QueueDepths{});
}

TEST(E2eManagementInterface, test_management_unknown_instance_errors) {
  E2eEnv env(activities(), orchestrations());
  auto* admin = env.store->as_management_capability();
  ASSERT_NE(admin, nullptr);
  EXPECT_FALSE(admin->get_instance_info("unknown"));
  EXPECT_FALSE(admin->get_execution_info("unknown", 1));
  EXPECT_TRUE(admin->list_executions("unknown").value().empty());
  EXPECT_TRUE(admin->read_history_with_execution_id("unknown", 1).value().empty());
  EXPECT_EQ(admin->latest_execution_id("unknown").value(), 1u);
}

TEST(E2eManagementInterface, test_management_read_execution_specific) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("can-2", "Counter", "1"));
  env.output_of("can-2");
  const auto executions = env.client.list_executions("can-2").value();
  ASSERT_EQ(executions.size(), 3u);
  for (auto e : executions) {
    const auto history = env.client.read_execution_history("can-2", e).value();
    ASSERT_FALSE(history.empty());
    EXPECT_TRUE(history.front().is<events::OrchestrationStarted>()) << "execution " << e;
  }
  EXPECT_EQ(env.store->as_management_capability()->latest_execution_id("can-2").value(), executions.back());
}

TEST(E2eManagementInterface, test_management_get_instance_tree) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("parent-1", "ParentWithIds", ""));
  EXPECT_EQ(env.output_of("parent-1"), "child a,child b");
  const auto tree = env.client.get_instance_tree("parent-1").value();
  EXPECT_EQ(tree.root_id, "parent-1");
  EXPECT_FALSE(tree.is_root_only());
  EXPECT_EQ(sorted(tree.all_ids), (std::vector<std::string>{"child-1", "child-2", "parent-1"}));
}

TEST(E2eManagementInterface, test_management_all_status_types) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("s-completed", "TestOrchestration", "x"));
  ASSERT_TRUE(env.client.start_orchestration("s-failed", "Failing", ""));
  ASSERT_TRUE(env.client.start_orchestration("s-can", "Counter", "2"));
  ASSERT_TRUE(env.client.start_orchestration("s-running", "Waiting", ""));
  env.output_of("s-completed");
  EXPECT_TRUE(env.wait("s-failed").is_failed());
  env.output_of("s-can");
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "s-running"));
  EXPECT_EQ(sorted(env.client.list_instances_by_status("Completed").value()),
            (std::vector<std::string>{"s-can", "s-completed"}));
  EXPECT_EQ(env.client.list_instances_by_status("Failed").value(), std::vector<std::string>{"s-failed"});
  EXPECT_EQ(env.client.list_instances_by_status("Running").value(), std::vector<std::string>{"s-running"});
  EXPECT_TRUE(env.client.list_instances_by_status("ContinuedAsNew").value().empty());
  EXPECT_TRUE(env.client.list_instances_by_status("Sleeping").value().empty());
}

}  // namespace
}  // namespace duroxide::testing
