// The instance cache (docs/runtime.md, "Instance cache"): the runtime keeps a running execution's
// suspended code between turns and resumes it, instead of replaying the history, and the histories
// it writes are the same as with the cache off. Runs on every store (test_store()).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include <duroxide/wire.hpp>

#include "support/e2e_support.hpp"
#include "support/fault_injection.hpp"

namespace duroxide::testing {
namespace {

constexpr int kSteps = 5;

ActivityRegistry step_activities() {
  return ActivityRegistry::builder()
      .add("Step",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             return std::to_string(std::stoi(input) + 1);
           })
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return "echo:" + input; })
      .build();
}

/// A chain of kSteps activities that counts how often its code starts.
OrchestrationRegistry counted_chain(std::atomic<int>& starts) {
  return OrchestrationRegistry::builder()
      .add("Chain",
           [&starts](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
             ++starts;
             std::string value = input;
             for (int i = 0; i < kSteps; ++i) value = *co_await ctx.schedule_activity("Step", value);
             co_return value;
           })
      .build();
}

RuntimeOptions with_sessions(std::size_t sessions) {
  auto options = fast_options();
  options.instance_cache_max_sessions = sessions;
  return options;
}

TEST(E2eInstanceCache, AChainStartsItsCodeOnceWithTheCacheOnAndOnEveryTurnWithItOff) {
  for (const bool cache_on : {true, false}) {
    SCOPED_TRACE(cache_on ? "cache on" : "cache off");
    std::atomic<int> starts{0};
    E2eEnv env(step_activities(), counted_chain(starts), with_sessions(cache_on ? 1000 : 0));
    ASSERT_TRUE(env.client.start_orchestration("chain", "Chain", "0"));
    EXPECT_EQ(env.output_of("chain"), std::to_string(kSteps));
    // One turn to start and one per completion.
    EXPECT_EQ(starts.load(), cache_on ? 1 : kSteps + 1);
  }
}

// The CacheOff.* registration (docs/testing.md, "Cache on and off") really runs without the cache:
// with fast_options() the code starts once per turn there and once in the plain run. This suite is
// not an E2eInstanceCache one, so it runs in both.
TEST(E2eCacheMode, FastOptionsFollowTheRunsCacheMode) {
  std::atomic<int> starts{0};
  E2eEnv env(step_activities(), counted_chain(starts), fast_options());
  ASSERT_TRUE(env.client.start_orchestration("chain", "Chain", "0"));
  EXPECT_EQ(env.output_of("chain"), std::to_string(kSteps));
  EXPECT_EQ(starts.load(), e2e_cache_off() ? kSteps + 1 : 1);
}

TEST(E2eInstanceCache, ATurnWhoseAckFailedIsReplayedNotResumed) {
  std::atomic<int> starts{0};
  auto failing = std::make_shared<FailingProvider>(test_store());
  // The first turn's ack fails (retryably, six times: the runtime retries an ack five times before
  // it hands the batch back): its live state ran ahead of the store, and the turn is fetched again
  // with the history it had.
  failing->fail_next_acks_orchestration_transiently(6);
  E2eEnv env(failing, step_activities(), counted_chain(starts), with_sessions(1000));
  ASSERT_TRUE(env.client.start_orchestration("chain", "Chain", "0"));
  EXPECT_EQ(env.output_of("chain"), std::to_string(kSteps));
  // Once for the failed turn, once for its retry (replayed), then resumed to the end.
  EXPECT_EQ(starts.load(), 2);
}

/// Orchestrations whose histories do not depend on timing (one completion per turn, nothing read
/// from the clock into the history but timer due times), covering what a live state must carry:
/// results, a timer, a race whose loser is dropped, an external event, a sub-orchestration,
/// custom status and KV, and continue-as-new.
Task<Result<std::string>> mixed(OrchestrationContext ctx, std::string input) {
  ctx.set_custom_status("started");
  ctx.set_kv_value("input", input);
  auto first = *co_await ctx.schedule_activity("Echo", input);
  co_await ctx.schedule_timer(std::chrono::milliseconds(5));
  // The activity wins the race against an hour-long timer, which is dropped.
  auto race = co_await OrchestrationContext::select2(ctx.schedule_activity("Echo", "race"),
                                                     ctx.schedule_timer(std::chrono::hours(1)));
  ctx.set_custom_status("waiting for Go");
  auto go = co_await ctx.schedule_wait("Go");
  auto child = co_await ctx.schedule_sub_orchestration("Child", "kid");
  ctx.set_kv_value("child", child ? *child : child.error());
  co_return first + "|" + (race.is_first() ? "0" : "1") + "|" + go + "|" + (child ? *child : "x");
}

Task<Result<std::string>> child(OrchestrationContext ctx, std::string input) {
  co_return *co_await ctx.schedule_activity("Echo", input);
}

Task<Result<std::string>> counter(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  auto next = *co_await ctx.schedule_activity("Step", input);
  if (n < 2) co_await ctx.continue_as_new(next);
  co_return next;
}

/// Orchestrations whose histories do not depend on timing (one completion per turn, nothing read
/// from the clock into the history but timer due times), covering what a live state must carry:
/// results, a timer, a race whose loser is dropped, an external event, a sub-orchestration,
/// custom status and KV, and continue-as-new.
OrchestrationRegistry deterministic_orchestrations() {
  return OrchestrationRegistry::builder().add("Mixed", mixed).add("Child", child).add("Counter", counter).build();
}

/// The history with what legitimately differs between two runs blanked: event timestamps, timer
/// due times and KV write times (wall clock).
std::vector<Event> comparable(std::vector<Event> events) {
  for (auto& e : events) {
    e.timestamp_ms = 0;
    if (auto* t = std::get_if<events::TimerCreated>(&e.kind)) t->fire_at_ms = 0;
    if (auto* t = std::get_if<events::TimerFired>(&e.kind)) t->fire_at_ms = 0;
    if (auto* kv = std::get_if<events::KeyValueSet>(&e.kind)) kv->last_updated_at_ms = 0;
  }
  return events;
}

struct RunHistories {
  std::vector<Event> mixed, child, counter;
};

RunHistories run_deterministic(bool cache_on) {
  E2eEnv env(step_activities(), deterministic_orchestrations(), with_sessions(cache_on ? 1000 : 0));
  EXPECT_TRUE(env.client.start_orchestration("mixed", "Mixed", "in"));
  EXPECT_TRUE(env.client.start_orchestration("counter", "Counter", "0"));
  EXPECT_TRUE(wait_until([&] {
    for (const auto& e : env.history("mixed"))
      if (e.is<events::ExternalSubscribed>()) return true;
    return false;
  })) << "Mixed never waited for Go";
  EXPECT_TRUE(env.client.raise_event("mixed", "Go", "go!"));
  EXPECT_EQ(env.output_of("mixed"), "echo:in|0|go!|echo:kid");
  EXPECT_EQ(env.output_of("counter"), "3");
  RunHistories out;
  out.mixed = comparable(env.history("mixed"));
  for (const auto& e : env.history("mixed"))
    if (const auto* sub = e.get_if<events::SubOrchestrationScheduled>())
      out.child = comparable(env.history(build_child_instance_id("mixed", sub->instance)));
  out.counter = comparable(env.history("counter"));
  return out;
}

TEST(E2eInstanceCache, HistoriesAreTheSameWithTheCacheOnAndOff) {
  const auto on = run_deterministic(true);
  const auto off = run_deterministic(false);
  ASSERT_FALSE(on.mixed.empty());
  // Compared as the stored JSON, so a difference reads as the events themselves.
  EXPECT_EQ(serialize_history(on.mixed), serialize_history(off.mixed));
  EXPECT_EQ(serialize_history(on.child), serialize_history(off.child));
  EXPECT_EQ(serialize_history(on.counter), serialize_history(off.counter));
}

}  // namespace
}  // namespace duroxide::testing
