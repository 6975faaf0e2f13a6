// Mirrors duroxide's tests/reliability_tests.rs: duplicate deliveries (as after a crash between steps) are
// recorded at most once where the engine dedupes, and never break the orchestration.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

template <class Kind>
std::size_t count_of(const std::vector<Event>& history) {
  return static_cast<std::size_t>(
      std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is<Kind>(); }));
}

Task<Result<std::string>> waits_evt(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Evt");
  co_return data;
}
Task<Result<std::string>> long_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::hours(1));
  co_return "t";
}
Task<Result<std::string>> blocked_activity(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("NeverRegistered", "");
  co_return r.value_or("err");
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("WaitsEvt", waits_evt)
      .add("LongTimer", long_timer)
      .add("Blocked", blocked_activity)
      .build();
}

/// Stops the runtime, enqueues `items` directly (the same message twice, as a crashed sender
/// would), and lets a new runtime process them in one batch.
E2eEnv& redeliver(std::unique_ptr<E2eEnv>& env, const std::vector<WorkItem>& items) {
  auto store = env->store;
  env.reset();
  for (const auto& item : items) EXPECT_TRUE(store->enqueue_for_orchestrator(item, std::nullopt));
  env = std::make_unique<E2eEnv>(store, ActivityRegistry::builder().build(), orchestrations());
  return *env;
}

void duplicate_event(const std::string& instance) {
  auto env = std::make_unique<E2eEnv>(ActivityRegistry::builder().build(), orchestrations());
  ASSERT_TRUE(env->client.start_orchestration(instance, "WaitsEvt", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env->store, instance));
  const WorkItem raised = work_items::ExternalRaised{instance, "Evt", "ok"};
  auto& resumed = redeliver(env, {raised, raised});
  EXPECT_EQ(resumed.output_of(instance), "ok");
  // Both arrivals are recorded; only the first was delivered to the wait.
  EXPECT_EQ(count_of<events::ExternalEvent>(resumed.history(instance)), 2u);
}

TEST(E2eReliability, external_duplicate_workitems_dedup) { duplicate_event("dup-evt"); }
TEST(E2eReliability, crash_after_dequeue_before_append_completion) { duplicate_event("crash-evt"); }

void duplicate_timer(const std::string& instance) {
  auto env = std::make_unique<E2eEnv>(ActivityRegistry::builder().build(), orchestrations());
  ASSERT_TRUE(env->client.start_orchestration(instance, "LongTimer", ""));
  ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*env->store, instance));
  const WorkItem fired = work_items::TimerFired{instance, 1, 2, 0};
  auto& resumed = redeliver(env, {fired, fired});
  EXPECT_EQ(resumed.output_of(instance), "t");
  EXPECT_EQ(count_of<events::TimerFired>(resumed.history(instance)), 1u);
}

TEST(E2eReliability, timer_duplicate_workitems_dedup) { duplicate_timer("dup-timer"); }
TEST(E2eReliability, crash_after_append_before_ack_timer) { duplicate_timer("crash-timer"); }

TEST(E2eReliability, activity_duplicate_completion_workitems_dedup) {
  auto env = std::make_unique<E2eEnv>(ActivityRegistry::builder().build(), orchestrations());
  ASSERT_TRUE(env->client.start_orchestration("dup-act", "Blocked", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*env->store, "dup-act"));
  const WorkItem completed = work_items::ActivityCompleted{"dup-act", 1, 2, "x"};
  auto& resumed = redeliver(env, {completed, completed});
  EXPECT_EQ(resumed.output_of("dup-act"), "x");
  const auto history = resumed.history("dup-act");
  EXPECT_EQ(std::count_if(history.begin(), history.end(),
                          [](const Event& e) { return e.is<events::ActivityCompleted>() && e.source_event_id == 2u; }),
            1);
}

}  // namespace
}  // namespace duroxide::testing
