// Mirrors duroxide's tests/deletion_integration_tests.rs, bulk_deletion_integration_tests.rs and
// prune_integration_tests.rs: deleting and pruning instances a real runtime produced.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

std::atomic<int> g_activity_runs{0};

Task<Result<std::string>> quick(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Count", input);
  if (!r) co_return Err(r.error());
  co_return "done " + input;
}
Task<Result<std::string>> failing(OrchestrationContext, std::string) { co_return Err("failed on purpose"); }
Task<Result<std::string>> waits_for_activity(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Block", "");
  co_return r.value_or("error");
}
Task<Result<std::string>> waits_for_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::hours(1));
  co_return "late";
}
Task<Result<std::string>> waits_for_event(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Go");
  co_return "got " + data;
}
Task<Result<std::string>> leaf(OrchestrationContext, std::string input) { co_return "leaf " + input; }
Task<Result<std::string>> two_children(OrchestrationContext ctx, std::string) {
  auto a = ctx.schedule_sub_orchestration("Leaf", "a");
  auto b = ctx.schedule_sub_orchestration("Leaf", "b");
  auto both = co_await OrchestrationContext::join2(std::move(a), std::move(b));
  co_return std::get<0>(both).value_or("?") + "+" + std::get<1>(both).value_or("?");
}
Task<Result<std::string>> middle(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_sub_orchestration("Leaf", "deep");
  co_return r.value_or("?");
}
Task<Result<std::string>> three_levels(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_sub_orchestration("Middle", "");
  co_return r.value_or("?");
}
Task<Result<std::string>> child_waits(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_sub_orchestration("WaitsForEvent", "");
  co_return r.value_or("?");
}
Task<Result<std::string>> chain(OrchestrationContext ctx, std::string input) {
  // "n/stop": continues as new until n reaches stop; at "park" it waits for "proceed" first.
  const auto slash = input.find('/');
  const int n = std::stoi(input.substr(0, slash));
  const std::string rest = input.substr(slash + 1);
  const bool park = rest.starts_with("park");
  const int stop = std::stoi(park ? rest.substr(4) : rest);
  if (n < stop) co_await ctx.continue_as_new(std::to_string(n + 1) + "/" + rest);
  if (park) (void)co_await ctx.schedule_wait("proceed");
  co_return "chain ended at " + std::to_string(n);
}

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Count",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_activity_runs;
             return input;
           })
      .add("Block",
           [](ActivityContext& ctx, std::string) -> Result<std::string> {
             // Runs until the runtime cancels it (instance deleted) or shuts down.
             (void)wait_for_stop(ctx);
             return Err("stopped");
           })
      .build();
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Quick", quick)
      .add("Failing", failing)
      .add("WaitsForActivity", waits_for_activity)
      .add("WaitsForTimer", waits_for_timer)
      .add("WaitsForEvent", waits_for_event)
      .add("Leaf", leaf)
      .add("TwoChildren", two_children)
      .add("Middle", middle)
      .add("ThreeLevels", three_levels)
      .add("ChildWaits", child_waits)
      .add("Chain", chain)
      .build();
}

RuntimeOptions options() {
  RuntimeOptions o = fast_options();
  o.activity_cancellation_grace_period = std::chrono::milliseconds(100);
  return o;
}

bool gone(const Client& client, const std::string& id) { return !client.get_instance_info(id).has_value(); }

// ---- deletion_integration_tests.rs ----

TEST(E2eDeletionIntegration, test_delete_terminal_orchestrations) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("ok", "Quick", "1"));
  ASSERT_TRUE(env.client.start_orchestration("bad", "Failing", ""));
  env.output_of("ok");
  EXPECT_TRUE(env.wait("bad").is_failed());
  EXPECT_EQ(env.client.get_instance_info("ok").value().status, ExecutionStatus::Completed);
  EXPECT_EQ(env.client.get_instance_info("bad").value().status, ExecutionStatus::Failed);
  for (const char* id : {"ok", "bad"}) {
    const auto deleted = env.client.delete_instance(id, false).value();
    EXPECT_GE(deleted.instances_deleted, 1u);
    EXPECT_GE(deleted.events_deleted, 1u);
    EXPECT_TRUE(gone(env.client, id));
  }
}

TEST(E2eDeletionIntegration, test_force_delete_in_flight_work) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("on-activity", "WaitsForActivity", ""));
  ASSERT_TRUE(env.client.start_orchestration("on-timer", "WaitsForTimer", ""));
  ASSERT_TRUE(env.client.start_orchestration("on-event", "WaitsForEvent", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*env.store, "on-activity"));
  ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*env.store, "on-timer"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "on-event"));
  for (const char* id : {"on-activity", "on-timer", "on-event"}) {
    const auto deleted = env.client.delete_instance(id, true);
    ASSERT_TRUE(deleted) << id << ": " << deleted.error().to_string();
    EXPECT_GE(deleted->instances_deleted, 1u);
    EXPECT_TRUE(gone(env.client, id));
  }
}

TEST(E2eDeletionIntegration, test_cascade_delete_real_sub_orchestrations) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("cascade-parent", "TwoChildren", ""));
  EXPECT_EQ(env.output_of("cascade-parent"), "leaf a+leaf b");
  auto child = env.client.delete_instance("cascade-parent::sub::2", false);
  ASSERT_FALSE(child);
  EXPECT_EQ(child.error().kind, ClientError::Kind::CannotDeleteSubOrchestration);
  const auto deleted = env.client.delete_instance("cascade-parent", false).value();
  EXPECT_EQ(deleted.instances_deleted, 3u);
  for (const char* id : {"cascade-parent", "cascade-parent::sub::2", "cascade-parent::sub::3"}) {
    EXPECT_TRUE(gone(env.client, id)) << id;
  }
}

TEST(E2eDeletionIntegration, test_identity_reuse_after_delete) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("reuse-id", "Quick", "first"));
  EXPECT_EQ(env.output_of("reuse-id"), "done first");
  ASSERT_TRUE(env.client.delete_instance("reuse-id", false));
  ASSERT_TRUE(env.client.start_orchestration("reuse-id", "Quick", "second"));
  EXPECT_NE(env.output_of("reuse-id").find("second"), std::string::npos);

  ASSERT_TRUE(env.client.start_orchestration("reuse-running", "WaitsForEvent", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "reuse-running"));
  ASSERT_TRUE(env.client.delete_instance("reuse-running", true));
  ASSERT_TRUE(env.client.start_orchestration("reuse-running", "Quick", "again"));
  EXPECT_EQ(env.output_of("reuse-running"), "done again");
}

TEST(E2eDeletionIntegration, test_delete_error_cases) {
  E2eEnv env(activities(), orchestrations(), options());
  auto unknown = env.client.delete_instance("no-such-instance", false);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ClientError::Kind::InstanceNotFound);
  EXPECT_NE(unknown.error().to_string().find("not found"), std::string::npos);

  ASSERT_TRUE(env.client.start_orchestration("error-parent", "ChildWaits", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "error-parent::sub::2"));
  auto running = env.client.delete_instance("error-parent", false);
  ASSERT_FALSE(running);
  EXPECT_EQ(running.error().kind, ClientError::Kind::InstanceStillRunning);
  EXPECT_NE(running.error().to_string().find("running"), std::string::npos);
  for (bool force : {false, true}) {
    auto child = env.client.delete_instance("error-parent::sub::2", force);
    ASSERT_FALSE(child);
    EXPECT_EQ(child.error().kind, ClientError::Kind::CannotDeleteSubOrchestration);
    EXPECT_NE(child.error().to_string().find("sub-orchestration"), std::string::npos);
  }
}

TEST(E2eDeletionIntegration, test_dispatcher_resilience_after_delete) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("doomed", "WaitsForEvent", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "doomed"));
  ASSERT_TRUE(env.client.delete_instance("doomed", true));
  const int before = g_activity_runs;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(env.client.start_orchestration("after-" + std::to_string(i), "Quick", "x"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(env.output_of("after-" + std::to_string(i)), "done x");
  EXPECT_EQ(g_activity_runs - before, 3);
}

TEST(E2eDeletionIntegration, test_concurrent_delete_operations) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("twice", "Quick", "1"));
  env.output_of("twice");
  std::atomic<int> successes{0};
  auto remove = [&] {
    if (env.client.delete_instance("twice", false)) ++successes;
  };
  std::thread a(remove);
  std::thread b(remove);
  a.join();
  b.join();
  EXPECT_GE(successes.load(), 1);
  EXPECT_TRUE(gone(env.client, "twice"));
}

TEST(E2eDeletionIntegration, test_get_instance_tree) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("tree-parent", "TwoChildren", ""));
  env.output_of("tree-parent");
  const auto tree = env.client.get_instance_tree("tree-parent").value();
  EXPECT_EQ(tree.root_id, "tree-parent");
  EXPECT_EQ(tree.size(), 3u);
  EXPECT_FALSE(tree.is_root_only());
  EXPECT_EQ(std::count_if(tree.all_ids.begin(), tree.all_ids.end(),
                          [](const std::string& id) { return id.find("::sub::") != std::string::npos; }),
            2);
}

TEST(E2eDeletionIntegration, test_list_children_primitive) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("top", "ThreeLevels", ""));
  EXPECT_EQ(env.output_of("top"), "leaf deep");
  auto* admin = env.store->as_management_capability();
  EXPECT_EQ(admin->list_children("top").value(), std::vector<std::string>{"top::sub::2"});
  EXPECT_EQ(admin->list_children("top::sub::2").value(), std::vector<std::string>{"top::sub::2::sub::2"});
  EXPECT_TRUE(admin->list_children("top::sub::2::sub::2").value().empty());
}

TEST(E2eDeletionIntegration, test_get_parent_id_primitive) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("root", "Middle", ""));
  env.output_of("root");
  auto* admin = env.store->as_management_capability();
  EXPECT_EQ(admin->get_parent_id("root").value(), std::nullopt);
  EXPECT_EQ(admin->get_parent_id("root::sub::2").value(), "root");
  EXPECT_FALSE(admin->get_parent_id("nobody"));
}

TEST(E2eDeletionIntegration, test_delete_orphan_race_condition_detection) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("race-parent", "Middle", ""));
  env.output_of("race-parent");
  auto* admin = env.store->as_management_capability();
  auto partial = admin->delete_instances_atomic({"race-parent"}, true);
  ASSERT_FALSE(partial);
  EXPECT_NE(partial.error().message.find("child"), std::string::npos);
  EXPECT_FALSE(gone(env.client, "race-parent"));
  EXPECT_TRUE(admin->delete_instances_atomic({"race-parent", "race-parent::sub::2"}, true));
  EXPECT_TRUE(gone(env.client, "race-parent"));
}

// ---- bulk_deletion_integration_tests.rs ----

TEST(E2eBulkDeletionIntegration, test_delete_instance_bulk_retention_policies) {
  E2eEnv env(activities(), orchestrations(), options());
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back("bulk-" + std::to_string(i));
    ASSERT_TRUE(env.client.start_orchestration(ids.back(), "Quick", "x"));
  }
  for (const auto& id : ids) env.output_of(id);
  InstanceFilter by_ids;
  by_ids.instance_ids = std::vector<std::string>{ids[0], ids[1]};
  EXPECT_EQ(env.client.delete_instance_bulk(by_ids).value().instances_deleted, 2u);
  EXPECT_TRUE(gone(env.client, ids[0]));
  EXPECT_TRUE(gone(env.client, ids[1]));
  EXPECT_FALSE(gone(env.client, ids[2]));
  InstanceFilter limited;
  limited.limit = 2;
  EXPECT_EQ(env.client.delete_instance_bulk(limited).value().instances_deleted, 2u);
  EXPECT_EQ(env.client.delete_instance_bulk(limited).value().instances_deleted, 2u);
  EXPECT_EQ(env.client.delete_instance_bulk(limited).value().instances_deleted, 0u);
  EXPECT_TRUE(env.client.list_all_instances().value().empty());
}

TEST(E2eBulkDeletionIntegration, test_delete_instance_bulk_safety) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("done", "Quick", "x"));
  ASSERT_TRUE(env.client.start_orchestration("running", "WaitsForEvent", ""));
  ASSERT_TRUE(env.client.start_orchestration("parent", "Middle", ""));
  env.output_of("done");
  env.output_of("parent");
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "running"));
  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"done", "running"};
  EXPECT_EQ(env.client.delete_instance_bulk(filter).value().instances_deleted, 1u);
  EXPECT_TRUE(gone(env.client, "done"));
  EXPECT_FALSE(gone(env.client, "running"));
  filter.instance_ids = std::vector<std::string>{"parent"};
  EXPECT_EQ(env.client.delete_instance_bulk(filter).value().instances_deleted, 2u);
  EXPECT_TRUE(gone(env.client, "parent"));
  EXPECT_TRUE(gone(env.client, "parent::sub::2"));
}

// ---- prune_integration_tests.rs ----

TEST(E2ePruneIntegration, test_prune_continue_as_new_chain) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("chain", "Chain", "1/6"));
  env.output_of("chain");
  ASSERT_EQ(env.client.list_executions("chain").value().size(), 6u);
  PruneOptions keep2;
  keep2.keep_last = 2;
  const auto pruned = env.client.prune_executions("chain", keep2).value();
  EXPECT_EQ(pruned.instances_processed, 1u);
  EXPECT_GE(pruned.executions_deleted, 4u);
  EXPECT_EQ(env.client.list_executions("chain").value(), (std::vector<std::uint64_t>{5, 6}));
}

TEST(E2ePruneIntegration, test_prune_bulk_operations) {
  E2eEnv env(activities(), orchestrations(), options());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(env.client.start_orchestration("pb-" + std::to_string(i), "Chain", "1/4"));
  for (int i = 0; i < 3; ++i) env.output_of("pb-" + std::to_string(i));
  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"pb-0", "pb-1"};
  PruneOptions keep1;
  keep1.keep_last = 1;
  const auto pruned = env.client.prune_executions_bulk(filter, keep1).value();
  EXPECT_EQ(pruned.instances_processed, 2u);
  EXPECT_GE(pruned.executions_deleted, 6u);
  EXPECT_EQ(env.client.list_executions("pb-0").value().size(), 1u);
  EXPECT_EQ(env.client.list_executions("pb-1").value().size(), 1u);
  EXPECT_EQ(env.client.list_executions("pb-2").value().size(), 4u);
}

TEST(E2ePruneIntegration, test_prune_safety) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("safe", "Chain", "1/3"));
  env.output_of("safe");
  PruneOptions keep0;
  keep0.keep_last = 0;
  ASSERT_TRUE(env.client.prune_executions("safe", keep0));
  EXPECT_EQ(env.client.list_executions("safe").value(), std::vector<std::uint64_t>{3});
  ASSERT_TRUE(env.client.prune_executions("safe", PruneOptions{}));
  EXPECT_EQ(env.client.list_executions("safe").value(), std::vector<std::uint64_t>{3});
  EXPECT_EQ(env.output_of("safe"), "chain ended at 3");
}

TEST(E2ePruneIntegration, test_prune_during_active_continue_as_new) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("active", "Chain", "1/park3"));
  ASSERT_TRUE(wait_until([&] {
    auto executions = env.client.list_executions("active");
    return executions && executions->size() >= 3 && !env.client.list_instances_by_status("Running").value().empty();
  }));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "active"));
  PruneOptions keep1;
  keep1.keep_last = 1;
  EXPECT_EQ(env.client.prune_executions("active", keep1).value().instances_processed, 1u);
  EXPECT_EQ(env.client.get_instance_info("active").value().status, ExecutionStatus::Running);
  ASSERT_TRUE(env.client.raise_event("active", "proceed", ""));
  EXPECT_EQ(env.output_of("active"), "chain ended at 3");
}

TEST(E2ePruneIntegration, test_prune_bulk_includes_running_instances) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("parked", "Chain", "1/park5"));
  ASSERT_TRUE(wait_until([&] {
    auto history = env.store->read("parked");
    return history && !history->empty() && history->front().execution_id == 5 &&
           std::any_of(history->begin(), history->end(),
                       [](const Event& e) { return e.is<events::ExternalSubscribed>(); });
  }));
  PruneOptions keep1;
  keep1.keep_last = 1;
  const auto pruned = env.client.prune_executions_bulk(InstanceFilter{}, keep1).value();
  EXPECT_EQ(pruned.instances_processed, 1u);
  EXPECT_LE(env.client.list_executions("parked").value().size(), 2u);
  EXPECT_EQ(env.client.get_instance_info("parked").value().status, ExecutionStatus::Running);
  ASSERT_TRUE(env.client.raise_event("parked", "proceed", ""));
  EXPECT_EQ(env.output_of("parked"), "chain ended at 5");
}

}  // namespace
}  // namespace duroxide::testing
