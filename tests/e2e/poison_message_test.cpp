// Mirrors duroxide's tests/poison_message_tests.rs (13): attempt counting in the store, the Poison error details,
// the max_attempts option, and the runtime's poison paths end to end through
// PoisonInjectingProvider (tests/support/fault_injection.hpp), which overrides the attempt count
// a fetch reports (one-shot, persistent, or after skipping N fetches).
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"
#include "support/fault_injection.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

/// Counts runs of user code that a poisoned message must never reach.
std::atomic<int> g_never_runs{0};
std::atomic<int> g_activity_runs{0};

RuntimeOptions poison_options(std::uint32_t max_attempts) {
  auto options = fast_options();
  options.max_attempts = max_attempts;
  options.dispatcher_min_poll_interval = 5ms;
  return options;
}

Task<Result<std::string>> never_runs(OrchestrationContext, std::string) {
  ++g_never_runs;
  co_return std::string("must not run");
}

Task<Result<std::string>> orch_with_activity(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_activity("TestActivity", "{}");
}

Task<Result<std::string>> parent_orch(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_sub_orchestration("ChildOrch", "{}");
}

Task<Result<std::string>> child_orch(OrchestrationContext, std::string) { co_return std::string("child-result"); }

Task<Result<std::string>> multi_activity_orch(OrchestrationContext ctx, std::string) {
  auto first = co_await ctx.schedule_activity("Activity1", "{}");
  if (!first) co_return first;
  auto second = co_await ctx.schedule_activity("Activity2", "{}");
  if (!second) co_return second;
  co_return co_await ctx.schedule_activity("Activity3", "{}");
}

Task<Result<std::string>> grandparent_orch(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_sub_orchestration("ChildWithActivityOrch", "{}");
}

Task<Result<std::string>> child_with_activity_orch(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_activity("ChildActivity", "{}");
}

ActivityHandler counting_activity(std::string result) {
  return [result](ActivityContext&, std::string) -> Result<std::string> {
    ++g_activity_runs;
    return result;
  };
}

/// The Poison details of a Failed status (nullptr and a test failure otherwise).
const error::Poison* poison_of(const OrchestrationStatus& status) {
  const auto* failed = status.get_if<status::Failed>();
  if (failed == nullptr) {
    ADD_FAILURE() << "expected Failed, got " << status.name();
    return nullptr;
  }
  const auto* poison = failed->details.get_if<error::Poison>();
  if (poison == nullptr) ADD_FAILURE() << "expected Poison, got " << failed->details.display_message();
  return poison;
}

/// The Activity message type of a Poison failure with these counts (nullptr and a test failure
/// otherwise).
const poison::Activity* activity_poison_of(const OrchestrationStatus& status, std::uint32_t attempts,
                                           std::uint32_t max_attempts) {
  const auto* details = poison_of(status);
  if (details == nullptr) return nullptr;
  EXPECT_EQ(details->attempt_count, attempts);
  EXPECT_EQ(details->max_attempts, max_attempts);
  const auto* activity = std::get_if<poison::Activity>(&details->message_type);
  if (activity == nullptr) ADD_FAILURE() << "expected the Activity message type";
  return activity;
}

TEST(E2ePoison, orchestration_attempt_count_increments_on_abandon) {
  auto store = test_store();
  ASSERT_TRUE(store->enqueue_for_orchestrator(
      work_items::StartOrchestration{"attempt-test-1", "TestOrch", "{}", "1.0.0", std::nullopt, std::nullopt, 1},
      std::nullopt));
  for (std::uint32_t expected = 1; expected <= 3; ++expected) {
    auto fetched = store->fetch_orchestration_item(5s, 0ms, nullptr);
    ASSERT_TRUE(fetched) << fetched.error().to_string();
    ASSERT_TRUE(fetched->has_value()) << "fetch " << expected << " found no item";
    EXPECT_EQ((*fetched)->attempt_count, expected) << "fetch " << expected;
    if (expected < 3) {
      ASSERT_TRUE(store->abandon_orchestration_item((*fetched)->lock_token, std::nullopt, false));
    }
  }
}

TEST(E2ePoison, worker_attempt_count_increments_on_lock_expiry) {
  auto store = test_store();
  const work_items::ActivityExecute execute{"attempt-test-2", 1, 1, "TestActivity", "{}", std::nullopt, std::nullopt};
  ASSERT_TRUE(store->enqueue_for_worker(execute));
  // A minute, so that no step below races a lock's expiry on a loaded machine; the one expiry the
  // test needs comes from renewing the first lock for 1 ms.
  const auto lock = 1min;
  auto first = store->fetch_work_item(lock, 0ms, std::nullopt, TagFilter::default_only());
  ASSERT_TRUE(first && first->has_value());
  EXPECT_EQ((*first)->attempt_count, 1u);

  auto while_locked = store->fetch_work_item(lock, 0ms, std::nullopt, TagFilter::default_only());
  ASSERT_TRUE(while_locked);
  EXPECT_FALSE(while_locked->has_value()) << "a locked item is not redelivered before its lock expires";

  // A renewal locks for the given time from now, so this one lapses at once.
  ASSERT_TRUE(store->renew_work_item_lock((*first)->lock_token, 1ms));
  // Neither acked nor abandoned: only the lock's expiry makes it visible again.
  std::optional<LockedWorkItem> second;
  ASSERT_TRUE(wait_until([&] {
    auto fetched = store->fetch_work_item(lock, 0ms, std::nullopt, TagFilter::default_only());
    if (fetched && fetched->has_value()) second = std::move(**fetched);
    return second.has_value();
  })) << "the item was not redelivered after its lock expired";
  EXPECT_EQ(second->attempt_count, 2u);
  EXPECT_EQ(std::get<work_items::ActivityExecute>(second->item), execute);

  ASSERT_TRUE(store->ack_work_item(second->lock_token,
                                   WorkItem(work_items::ActivityCompleted{"attempt-test-2", 1, 1, "done"})));
  auto after_ack = store->fetch_work_item(lock, 0ms, std::nullopt, TagFilter::default_only());
  ASSERT_TRUE(after_ack);
  EXPECT_FALSE(after_ack->has_value()) << "the acked item is gone from the worker queue";
}

TEST(E2ePoison, poison_message_type_orchestration) {
  const ErrorDetails error = error::Poison{11, 10, poison::Orchestration{"test-instance", 1}, "{}"};
  EXPECT_EQ(error.category(), "poison");
  EXPECT_FALSE(error.is_retryable());
  const auto display = error.display_message();
  for (const char* part : {"orchestration", "test-instance", "11", "10"}) {
    EXPECT_NE(display.find(part), std::string::npos) << display << " lacks " << part;
  }
}

TEST(E2ePoison, poison_message_type_activity) {
  const ErrorDetails error = error::Poison{5, 3, poison::Activity{"test-instance", 1, "TestActivity", 42}, "{}"};
  EXPECT_EQ(error.category(), "poison");
  EXPECT_FALSE(error.is_retryable());
  const auto display = error.display_message();
  for (const char* part : {"activity", "TestActivity", "42"}) {
    EXPECT_NE(display.find(part), std::string::npos) << display << " lacks " << part;
  }
}

TEST(E2ePoison, runtime_options_default_max_attempts) { EXPECT_EQ(RuntimeOptions{}.max_attempts, 10u); }

TEST(E2ePoison, runtime_options_configurable_max_attempts) {
  RuntimeOptions options;
  options.max_attempts = 5;
  const RuntimeOptions copy = options;
  EXPECT_EQ(copy.max_attempts, 5u);
  EXPECT_TRUE(copy.validate().has_value());
}

TEST(E2ePoison, e2e_orchestration_item_poison_fails_orchestration) {
  g_never_runs = 0;
  auto poison = std::make_shared<PoisonInjectingProvider>(test_store());
  poison->inject_orchestration_poison(11);  // before the runtime starts: its first fetch is poisoned
  E2eEnv env(poison, ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("SimpleOrch", never_runs).build(), poison_options(10));
  const std::string instance = "poison-orch-test-1";
  ASSERT_TRUE(env.client.start_orchestration(instance, "SimpleOrch", "{}"));
  const auto status = env.wait(instance);
  const auto* details = poison_of(status);
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->attempt_count, 11u);
  EXPECT_EQ(details->max_attempts, 10u);
  EXPECT_EQ(details->message_type, PoisonMessageType(poison::Orchestration{instance, 1}));
  EXPECT_FALSE(details->message.empty()) << "the message carries the serialized work items";
  EXPECT_EQ(g_never_runs.load(), 0) << "orchestration code must not run for a poisoned item";
}

TEST(E2ePoison, e2e_activity_item_poison_fails_orchestration) {
  g_activity_runs = 0;
  auto poison = std::make_shared<PoisonInjectingProvider>(test_store());
  E2eEnv env(poison, ActivityRegistry::builder().add("TestActivity", counting_activity("activity-result")).build(),
             OrchestrationRegistry::builder().add("OrchWithActivity", orch_with_activity).build(), poison_options(10));
  poison->inject_worker_poison_persistent(11);
  const std::string instance = "poison-activity-test-1";
  ASSERT_TRUE(env.client.start_orchestration(instance, "OrchWithActivity", "{}"));
  const auto status = env.wait(instance);
  const auto* activity = activity_poison_of(status, 11, 10);
  ASSERT_NE(activity, nullptr);
  EXPECT_EQ(activity->instance, instance);
  EXPECT_EQ(activity->execution_id, 1u);
  EXPECT_EQ(activity->activity_name, "TestActivity");
  EXPECT_GT(activity->activity_id, 0u);
  EXPECT_EQ(g_activity_runs.load(), 0) << "activity code must not run for a poisoned item";
}

TEST(E2ePoison, e2e_sub_orchestration_poison_fails_parent) {
  auto poison = std::make_shared<PoisonInjectingProvider>(test_store());
  E2eEnv env(poison, ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("ParentOrch", parent_orch).add("ChildOrch", child_orch).build(),
             poison_options(10));
  poison->inject_orchestration_poison_after_skip(1, 11);  // the parent's start passes, the child's is poisoned
  const std::string instance = "poison-suborg-test-1";
  ASSERT_TRUE(env.client.start_orchestration(instance, "ParentOrch", "{}"));
  const auto status = env.wait(instance);
  const auto* details = poison_of(status);
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->attempt_count, 11u);
  EXPECT_EQ(details->max_attempts, 10u);
  const auto* child = std::get_if<poison::Orchestration>(&details->message_type);
  ASSERT_NE(child, nullptr) << "expected the child's Orchestration message type";
  EXPECT_EQ(child->instance.rfind(instance, 0), 0u) << "child instance " << child->instance;
  EXPECT_NE(child->instance, instance) << "the poison is the child's, not the parent's";
  EXPECT_EQ(child->execution_id, 1u);
  EXPECT_FALSE(details->message.empty());
}

TEST(E2ePoison, e2e_one_poisoned_activity_among_many) {
  g_activity_runs = 0;
  auto poison = std::make_shared<PoisonInjectingProvider>(test_store());
  E2eEnv env(poison,
             ActivityRegistry::builder()
                 .add("Activity1", counting_activity("result1"))
                 .add("Activity2", counting_activity("result2"))
                 .add("Activity3", counting_activity("result3"))
                 .build(),
             OrchestrationRegistry::builder().add("MultiActivityOrch", multi_activity_orch).build(), poison_options(5));
  poison->inject_worker_poison_persistent(6);
  const std::string instance = "poison-multi-activity-test";
  ASSERT_TRUE(env.client.start_orchestration(instance, "MultiActivityOrch", "{}"));
  const auto status = env.wait(instance);
  ASSERT_TRUE(status.is_failed()) << status.name();
  const auto* details = poison_of(status);
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->max_attempts, 5u);
  EXPECT_EQ(g_activity_runs.load(), 0);
  for (const auto& event : env.history(instance)) {
    if (const auto* scheduled = event.get_if<events::ActivityScheduled>()) {
      EXPECT_NE(scheduled->name, "Activity3") << "the orchestration stops at the poisoned activity";
    }
  }
}

TEST(E2ePoison, e2e_custom_max_attempts_respected) {
  auto poison = std::make_shared<PoisonInjectingProvider>(test_store());
  poison->inject_orchestration_poison(4);
  E2eEnv env(poison, ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("CustomMaxOrch", child_orch).build(), poison_options(3));
  const std::string instance = "custom-max-attempts-test";
  ASSERT_TRUE(env.client.start_orchestration(instance, "CustomMaxOrch", "{}"));
  const auto status = env.wait(instance);
  const auto* details = poison_of(status);
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->attempt_count, 4u);
  EXPECT_EQ(details->max_attempts, 3u);
}

TEST(E2ePoison, e2e_activity_poisons_suborchestration_poisons_parent) {
  auto poison = std::make_shared<PoisonInjectingProvider>(test_store());
  E2eEnv env(poison, ActivityRegistry::builder().add("ChildActivity", counting_activity("activity-result")).build(),
             OrchestrationRegistry::builder()
                 .add("GrandparentOrch", grandparent_orch)
                 .add("ChildWithActivityOrch", child_with_activity_orch)
                 .build(),
             poison_options(10));
  poison->inject_worker_poison_persistent(11);
  const std::string instance = "poison-chain-test";
  ASSERT_TRUE(env.client.start_orchestration(instance, "GrandparentOrch", "{}"));
  const auto status = env.wait(instance);
  const auto* activity = activity_poison_of(status, 11, 10);  // propagated unchanged to the grandparent
  ASSERT_NE(activity, nullptr);
  EXPECT_EQ(activity->activity_name, "ChildActivity");
  EXPECT_NE(activity->instance, instance) << "the poisoned activity belongs to the child";
}

TEST(E2ePoison, e2e_poison_message_creates_instance_if_missing) {
  g_never_runs = 0;
  auto poison = std::make_shared<PoisonInjectingProvider>(test_store());
  poison->inject_orchestration_poison(11);
  E2eEnv env(poison, ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("NeverRuns", never_runs).build(), poison_options(10));
  const std::string instance = "poison-creates-instance-test";
  ASSERT_TRUE(env.client.start_orchestration(instance, "NeverRuns", R"({"test":"data"})"));
  const auto status = env.wait(instance);
  const auto* details = poison_of(status);
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->attempt_count, 11u);
  EXPECT_EQ(details->max_attempts, 10u);
  EXPECT_EQ(details->message_type, PoisonMessageType(poison::Orchestration{instance, 1}));
  EXPECT_EQ(g_never_runs.load(), 0);

  auto info = env.client.get_instance_info(instance);
  ASSERT_TRUE(info) << "the instance must exist after poison handling: " << info.error().to_string();
  EXPECT_EQ(info->instance_id, instance);
  EXPECT_EQ(info->orchestration_name, "NeverRuns");
  EXPECT_EQ(info->status, ExecutionStatus::Failed);

  auto history = env.client.read_execution_history(instance, 1);
  ASSERT_TRUE(history) << history.error().to_string();
  ASSERT_GE(history->size(), 2u);
  const auto* started = history->front().get_if<events::OrchestrationStarted>();
  ASSERT_NE(started, nullptr) << "the first event is a synthesised OrchestrationStarted";
  EXPECT_EQ(started->name, "NeverRuns");
  EXPECT_FALSE(started->version.empty());
  EXPECT_NE(started->input.find("test"), std::string::npos) << started->input;
  const auto* failed = history->back().get_if<events::OrchestrationFailed>();
  ASSERT_NE(failed, nullptr) << "the last event is OrchestrationFailed";
  EXPECT_NE(failed->details.get_if<error::Poison>(), nullptr) << failed->details.display_message();
}

}  // namespace
}  // namespace duroxide::testing
