// Mirrors duroxide's tests/activity_routing_tests.rs, runtime_options_test.rs, long_poll_tests.rs and
// unit_tests.rs: smaller runtime rows.
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> g_task_calls{0};

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Task",
           [](ActivityContext&, std::string) -> Result<std::string> { return "R" + std::to_string(++g_task_calls); })
      .add("A", [](ActivityContext&, std::string n) -> Result<std::string> { return std::to_string(std::stoi(n) + 1); })
      .add("Echo", [](ActivityContext&, std::string x) -> Result<std::string> { return x; })
      .build();
}

Task<Result<std::string>> same_twice(OrchestrationContext ctx, std::string) {
  auto first = co_await ctx.schedule_activity("Task", "same");
  // The pause the restart falls into, ended by the test once the second runtime runs (the
  // reference's 1 s timer could fire, and the second activity run, before the first one stopped).
  (void)co_await ctx.schedule_wait("Resume");
  auto second = co_await ctx.schedule_activity("Task", "same");
  co_return first.value_or("?") + "," + second.value_or("?");
}
Task<Result<std::string>> activity_a(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("A", "2");
  co_return "a=" + r.value_or("?");
}
Task<Result<std::string>> timer_ok(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(20));
  co_return "ok";
}
Task<Result<std::string>> child_dsc(OrchestrationContext, std::string) { co_return "child"; }
Task<Result<std::string>> parent_dsc(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_sub_orchestration("ChildDsc", "");
  co_return r.value_or("?");
}
Task<Result<std::string>> waits_then_ok(OrchestrationContext ctx, std::string) {
  (void)co_await ctx.schedule_wait("Go");
  co_return "ok";
}
Task<Result<std::string>> boom(OrchestrationContext, std::string) { co_return Err("boom"); }
Task<Result<std::string>> metadata(OrchestrationContext ctx, std::string) {
  if (ctx.instance_id() != "test-instance-123") co_return Err("instance " + ctx.instance_id());
  if (ctx.execution_id() != 1) co_return Err("execution " + std::to_string(ctx.execution_id()));
  if (ctx.orchestration_name() != "MetadataOrch") co_return Err("name " + ctx.orchestration_name());
  if (ctx.orchestration_version() != "2.1.0") co_return Err("version " + ctx.orchestration_version());
  co_return "done";
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("SameTwice", same_twice)
      .add("ActivityA", activity_a)
      .add("TimerOk", timer_ok)
      .add("ChildDsc", child_dsc)
      .add("ParentDsc", parent_dsc)
      .add("WaitsThenOk", waits_then_ok)
      .add("Boom", boom)
      .add_versioned("MetadataOrch", "2.1.0", metadata)
      .build();
}

// ---- activity_routing_tests.rs ----

TEST(E2eActivityRouting, same_activity_name_and_input_routes_correctly_across_restart) {
  DurableStore dir;
  const int before = g_task_calls;
  {
    E2eEnv first(dir.open(), activities(), orchestrations());
    ASSERT_TRUE(first.client.start_orchestration("route", "SameTwice", ""));
    ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*first.store, "route"));
  }
  g_task_calls = before;  // outputs are numbered from here on
  E2eEnv second(dir.open(), activities(), orchestrations());
  ASSERT_TRUE(second.client.raise_event("route", "Resume", ""));
  const auto output = second.output_of("route");
  EXPECT_EQ(output.substr(output.find(',') + 1), "R" + std::to_string(before + 1));
  EXPECT_EQ(g_task_calls - before, 1) << "the first activity must not run again";
}

// ---- runtime_options_test.rs ----

/// Runs ActivityA with `options`: its turns and its activity are all picked up by the dispatchers.
/// (The reference also bounds the wall time; a bound flakes under sanitizers, so none here.)
void completes_with(RuntimeOptions options) {
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("poll", "ActivityA", ""));
  EXPECT_EQ(env.output_of("poll", std::chrono::seconds(30)), "a=3");
}

TEST(E2eRuntimeOptions, test_default_polling_frequency) { completes_with(RuntimeOptions{}); }

TEST(E2eRuntimeOptions, test_custom_polling_frequency) {
  RuntimeOptions options;
  options.dispatcher_min_poll_interval = std::chrono::milliseconds(50);
  completes_with(options);
}

TEST(E2eRuntimeOptions, test_fast_polling) {
  RuntimeOptions options;
  options.dispatcher_min_poll_interval = std::chrono::milliseconds(1);
  completes_with(options);
}

// ---- long_poll_tests.rs (the SQLite store long-polls natively; no wrapper needed) ----

TEST(E2eLongPoll, test_long_poll_waits_for_timeout) {
  auto store = test_store();
  const auto start = Clock::now();
  auto item = store->fetch_orchestration_item(std::chrono::seconds(5), std::chrono::milliseconds(500), nullptr);
  ASSERT_TRUE(item.has_value());
  EXPECT_FALSE(item->has_value());
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(500));
}

TEST(E2eLongPoll, test_long_poll_returns_early_on_work) {
  auto store = test_store();
  // Taken before the enqueue: the item is visible 200 ms after a moment inside that call, so a slow
  // return from it cannot eat into the interval measured below.
  const auto start = Clock::now();
  ASSERT_TRUE(store->enqueue_for_orchestrator(
      work_items::StartOrchestration{"lp", "ActivityA", "", std::nullopt, std::nullopt, std::nullopt, 1},
      std::chrono::milliseconds(200)));
  // The poll would last an hour, far past the test's timeout: returning at all is returning early.
  auto item = store->fetch_orchestration_item(std::chrono::seconds(5), std::chrono::hours(1), nullptr);
  ASSERT_TRUE(item.has_value());
  EXPECT_TRUE(item->has_value());
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(150)) << "fetched before the item was visible";
}

TEST(E2eLongPoll, test_dispatcher_uses_long_polling) {
  RuntimeOptions options;
  options.dispatcher_long_poll_timeout = std::chrono::seconds(1);
  options.dispatcher_min_poll_interval = std::chrono::milliseconds(100);
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("lp", "ActivityA", ""));
  EXPECT_EQ(env.output_of("lp", std::chrono::seconds(5)), "a=3");
}

// ---- unit_tests.rs ----

TEST(E2eUnit, deterministic_replay_activity_only) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("u", "ActivityA", ""));
  EXPECT_EQ(env.output_of("u"), "a=3");
}

TEST(E2eUnit, runtime_duplicate_orchestration_deduped_single_execution) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("dup", "TimerOk", ""));
  ASSERT_TRUE(env.client.start_orchestration("dup", "TimerOk", ""));
  EXPECT_EQ(env.output_of("dup"), "ok");
  ASSERT_TRUE(wait_until([&] { return env.client.get_queue_depths().value().orchestrator_queue == 0; }));
  const auto history = env.history("dup");
  EXPECT_EQ(std::count_if(history.begin(), history.end(),
                          [](const Event& e) { return e.is<events::OrchestrationStarted>(); }),
            1);
  EXPECT_EQ(std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is_terminal(); }), 1);
}

TEST(E2eUnit, orchestration_descriptor_root_and_child) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("inst-desc", "ParentDsc", ""));
  EXPECT_EQ(env.output_of("inst-desc"), "child");
  const auto root = env.runtime->get_orchestration_descriptor("inst-desc");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->name, "ParentDsc");
  EXPECT_FALSE(root->version.empty());
  EXPECT_FALSE(root->parent_instance.has_value());
  const auto child = env.runtime->get_orchestration_descriptor("inst-desc::sub::2");
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(child->name, "ChildDsc");
  EXPECT_EQ(child->parent_instance, "inst-desc");
  EXPECT_EQ(child->parent_id, 2u);
  EXPECT_FALSE(env.runtime->get_orchestration_descriptor("nobody").has_value());
}

TEST(E2eUnit, orchestration_status_apis) {
  E2eEnv env(activities(), orchestrations());
  EXPECT_TRUE(env.client.get_orchestration_status("s").value().is_not_found());
  ASSERT_TRUE(env.client.start_orchestration("s", "WaitsThenOk", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "s"));
  EXPECT_TRUE(env.client.get_orchestration_status("s").value().is_running());
  ASSERT_TRUE(env.client.raise_event("s", "Go", ""));
  EXPECT_EQ(env.output_of("s"), "ok");
  ASSERT_TRUE(env.client.start_orchestration("f", "Boom", ""));
  const auto failed = env.wait("f");
  ASSERT_TRUE(failed.is_failed());
  EXPECT_EQ(failed.get_if<status::Failed>()->details.display_message(), "boom");
}

void multi_execution_persistence(std::shared_ptr<Provider> store) {
  auto make = [](std::uint64_t execution, std::uint64_t id, EventKind kind) {
    return make_event(id, std::nullopt, "multi", execution, std::move(kind));
  };
  ASSERT_TRUE(store->enqueue_for_orchestrator(
      work_items::StartOrchestration{"multi", "Counter", "0", "1.0.0", std::nullopt, std::nullopt, 1}, std::nullopt));
  auto first = store->fetch_orchestration_item(std::chrono::seconds(5), std::chrono::milliseconds(0), nullptr).value();
  ASSERT_TRUE(first);
  OrchestrationAck ack1;
  ack1.execution_id = 1;
  ack1.history_delta = {make(1, 1, events::OrchestrationStarted{"Counter", "1.0.0", "0", {}, {}, {}, {}}),
                        make(1, 2, events::OrchestrationContinuedAsNew{"1"})};
  ack1.metadata.orchestration_name = "Counter";
  ack1.metadata.orchestration_version = "1.0.0";
  ack1.metadata.status = ExecutionStatus::ContinuedAsNew;
  ack1.metadata.output = "1";
  ack1.orchestrator_items.push_back(work_items::ContinueAsNew{"multi", "Counter", "1", "1.0.0", {}, std::nullopt});
  ASSERT_TRUE(store->ack_orchestration_item(first->lock_token, ack1));
  auto second = store->fetch_orchestration_item(std::chrono::seconds(5), std::chrono::milliseconds(0), nullptr).value();
  ASSERT_TRUE(second);
  OrchestrationAck ack2;
  ack2.execution_id = 2;
  ack2.history_delta = {make(2, 1, events::OrchestrationStarted{"Counter", "1.0.0", "1", {}, {}, {}, {}}),
                        make(2, 2, events::OrchestrationCompleted{"ok"})};
  ack2.metadata.status = ExecutionStatus::Completed;
  ack2.metadata.output = "ok";
  ASSERT_TRUE(store->ack_orchestration_item(second->lock_token, ack2));

  Client client(store);
  EXPECT_EQ(client.list_executions("multi").value(), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(client.read_execution_history("multi", 1).value(), ack1.history_delta);
  EXPECT_EQ(store->read("multi").value(), ack2.history_delta);
}

TEST(E2eUnit, providers_fs_multi_execution_persistence_and_latest_read) {
  DurableStore dir;
  multi_execution_persistence(dir.open());
}

TEST(E2eUnit, providers_inmem_multi_execution_persistence_and_latest_read) {
  multi_execution_persistence(test_store());
}

TEST(E2eUnit, orchestration_context_metadata_accessors) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("test-instance-123", "MetadataOrch", ""));
  EXPECT_EQ(env.output_of("test-instance-123"), "done");
}

// ---- runtime ids (issue #12 item 11) ----

// The runtime id names the session owners and lock holders of a process; two processes sharing a
// file must not pick the same one, so it carries 64 random bits (16 hex digits).
TEST(E2eRuntimeId, RuntimeIdsAreSixteenHexDigitsAndDiffer) {
  auto first = Runtime::start(test_store(), activities(), OrchestrationRegistry::builder().build(), fast_options());
  auto second = Runtime::start(test_store(), activities(), OrchestrationRegistry::builder().build(), fast_options());
  for (const auto* id : {&first->runtime_id(), &second->runtime_id()}) {
    EXPECT_EQ(id->size(), 16u) << *id;
    EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos) << *id;
  }
  EXPECT_NE(first->runtime_id(), second->runtime_id());
  first->shutdown(5s);
  second->shutdown(5s);
}

}  // namespace
}  // namespace duroxide::testing
