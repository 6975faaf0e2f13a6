// Mirrors duroxide's tests/nondeterminism_tests.rs and timer_tests.rs through a real runtime.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

const error::Configuration* nondeterminism_of(const OrchestrationStatus& status) {
  const auto* failed = status.get_if<status::Failed>();
  return failed != nullptr ? failed->details.get_if<error::Configuration>() : nullptr;
}

std::string nd_message(const OrchestrationStatus& status) {
  const auto* config = nondeterminism_of(status);
  return config != nullptr && config->message ? *config->message : "";
}

// ---- nondeterminism_tests.rs ----

Task<Result<std::string>> schedules_a1(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("A1", "");
  co_return r.value_or("err");
}
Task<Result<std::string>> schedules_b1(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("B1", "");
  co_return r.value_or("err");
}

TEST(E2eNondeterminism, code_swap_triggers_nondeterminism) {
  DurableStore dir;
  {
    E2eEnv v1(dir.open(), ActivityRegistry::builder().build(),
              OrchestrationRegistry::builder().add("Swap", schedules_a1).build());
    ASSERT_TRUE(v1.client.start_orchestration("swap", "Swap", ""));
    ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*v1.store, "swap"));
  }
  E2eEnv v2(dir.open(), ActivityRegistry::builder().build(),
            OrchestrationRegistry::builder().add("Swap", schedules_b1).build());
  ASSERT_TRUE(v2.store->enqueue_for_orchestrator(work_items::ActivityCompleted{"swap", 1, 2, "done"}, std::nullopt));
  const auto status = v2.wait("swap");
  ASSERT_NE(nondeterminism_of(status), nullptr) << status.name();
  EXPECT_EQ(nondeterminism_of(status)->kind, ConfigErrorKind::Nondeterminism);
}

// An hour: the injected completion must arrive while the timer is pending, however slow the
// machine; the instance fails at that completion and never waits for the timer.
Task<Result<std::string>> awaits_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::hours(1));
  co_return "timer";
}

TEST(E2eNondeterminism, completion_kind_mismatch_triggers_nondeterminism) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("T", awaits_timer).build());
  ASSERT_TRUE(env.client.start_orchestration("kind", "T", ""));
  ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*env.store, "kind"));
  ASSERT_TRUE(env.store->enqueue_for_orchestrator(work_items::ActivityCompleted{"kind", 1, 2, "x"}, std::nullopt));
  const auto status = env.wait("kind");
  const auto message = nd_message(status);
  EXPECT_NE(message.find("kind mismatch"), std::string::npos) << message;
  EXPECT_NE(message.find("imer"), std::string::npos) << message;
  EXPECT_NE(message.find("ctivity"), std::string::npos) << message;
}

Task<Result<std::string>> waits_signal(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Signal");
  co_return data;
}

TEST(E2eNondeterminism, unexpected_completion_id_triggers_nondeterminism) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("W", waits_signal).build());
  ASSERT_TRUE(env.client.start_orchestration("id", "W", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "id"));
  ASSERT_TRUE(env.store->enqueue_for_orchestrator(work_items::ActivityCompleted{"id", 1, 999, "x"}, std::nullopt));
  const auto message = nd_message(env.wait("id"));
  EXPECT_NE(message.find("no matching schedule"), std::string::npos) << message;
  EXPECT_NE(message.find("999"), std::string::npos) << message;
}

TEST(E2eNondeterminism, unexpected_timer_completion_triggers_nondeterminism) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("W", waits_signal).build());
  ASSERT_TRUE(env.client.start_orchestration("tm", "W", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "tm"));
  ASSERT_TRUE(env.store->enqueue_for_orchestrator(work_items::TimerFired{"tm", 1, 123, 0}, std::nullopt));
  const auto message = nd_message(env.wait("tm"));
  EXPECT_NE(message.find("timer"), std::string::npos) << message;
  EXPECT_NE(message.find("123"), std::string::npos) << message;
}

Task<Result<std::string>> schedules_then_continues(OrchestrationContext ctx, std::string input) {
  if (input == "second") co_return "second execution";
  auto unawaited = ctx.schedule_activity("Never", "");
  (void)co_await ctx.schedule_wait("Go");
  co_await ctx.continue_as_new("second");
  co_return "unreachable";
}

TEST(E2eNondeterminism, continue_as_new_with_unconsumed_completion_triggers_nondeterminism) {
  E2eEnv env(ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("C", schedules_then_continues).build());
  ASSERT_TRUE(env.client.start_orchestration("can", "C", "first"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "can"));
  // Both in one batch: a completion that matches no activity schedule (the reference injects id 1,
  // which is the OrchestrationStarted event) and the signal to continue.
  env.runtime->shutdown(std::chrono::seconds(5));
  ASSERT_TRUE(env.store->enqueue_for_orchestrator(work_items::ActivityCompleted{"can", 1, 1, "late"}, std::nullopt));
  ASSERT_TRUE(env.client.raise_event("can", "Go", ""));
  E2eEnv resumed(env.store, ActivityRegistry::builder().build(),
                 OrchestrationRegistry::builder().add("C", schedules_then_continues).build());
  const auto status = resumed.wait("can");
  EXPECT_FALSE(status.is_completed()) << "a completion of the old execution must not be silently lost";
  EXPECT_NE(nondeterminism_of(status), nullptr) << status.name();
}

TEST(E2eNondeterminism, execution_id_filtering_prevents_cross_execution_completions) {
  // Placeholder row in the reference (asserts a constant); the behaviour is the next test's.
  GTEST_SKIP() << "reference placeholder; covered by execution_id_filtering_without_continue_as_new_...";
}

Task<Result<std::string>> one_activity(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Act", "");
  co_return r.value_or("err");
}

TEST(E2eNondeterminism, execution_id_filtering_without_continue_as_new_triggers_nondeterminism) {
  std::atomic<bool> release{false};
  auto activities = ActivityRegistry::builder()
                        .add("Act",
                             [&release](ActivityContext&, std::string) -> Result<std::string> {
                               while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(2));
                               return std::string("activity result");
                             })
                        .build();
  E2eEnv env(activities, OrchestrationRegistry::builder().add("O", one_activity).build());
  ASSERT_TRUE(env.client.start_orchestration("xid", "O", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*env.store, "xid"));
  ASSERT_TRUE(env.store->enqueue_for_orchestrator(work_items::ActivityCompleted{"xid", 999, 2, "wrong execution"},
                                                  std::nullopt));
  release = true;
  EXPECT_EQ(env.output_of("xid"), "activity result");
}

TEST(E2eNondeterminism, duplicate_external_events_are_handled_gracefully) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("W", waits_signal).build());
  ASSERT_TRUE(env.client.start_orchestration("dup", "W", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "dup"));
  ASSERT_TRUE(env.client.raise_event("dup", "Signal", "first"));
  ASSERT_TRUE(env.client.raise_event("dup", "Signal", "first"));
  EXPECT_EQ(env.output_of("dup"), "first");
}

// ---- timer_tests.rs ----

ActivityRegistry timer_activities() {
  return ActivityRegistry::builder()
      .add("Process", [](ActivityContext&, std::string input) -> Result<std::string> { return "processed: " + input; })
      .add("Slow",
           [](ActivityContext&, std::string) -> Result<std::string> {
             std::this_thread::sleep_for(std::chrono::seconds(2));  // the work being timed
             return std::string("slow");
           })
      .add("Fast",
           [](ActivityContext&, std::string) -> Result<std::string> {
             std::this_thread::sleep_for(std::chrono::milliseconds(100));
             return std::string("activity_done");
           })
      .build();
}

Task<Result<std::string>> single_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(100));
  co_return "done";
}
Task<Result<std::string>> sequential_timers(OrchestrationContext ctx, std::string) {
  for (int ms : {100, 50, 75}) co_await ctx.schedule_timer(std::chrono::milliseconds(ms));
  co_return "all fired";
}
Task<Result<std::string>> timer_with_activity(OrchestrationContext ctx, std::string) {
  auto both = co_await OrchestrationContext::join2(ctx.schedule_timer(std::chrono::milliseconds(50)),
                                                   ctx.schedule_activity("Process", "input"));
  co_return "timer: fired, activity: " + std::get<1>(both).value_or("err");
}
Task<Result<std::string>> timer_then_activity(OrchestrationContext ctx, std::string input) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(std::stoi(input)));
  auto r = co_await ctx.schedule_activity("Process", "x");
  (void)r;
  co_return "Timer fired, then: done";
}
Task<Result<std::string>> zero_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(0));
  co_return "zero-timer-fired";
}
Task<Result<std::string>> awaited_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(100));
  co_return "timer-completed";
}
Task<Result<std::string>> joined_timers(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<std::monostate>> timers;
  for (int ms : {300, 400, 500}) timers.push_back(ctx.schedule_timer(std::chrono::milliseconds(ms)));
  co_await OrchestrationContext::join(std::move(timers));
  co_return "all-timers-fired";
}
constexpr auto kRacedTimer = std::chrono::hours(1);
Task<Result<std::string>> timer_after_slow_activity(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(100));
  (void)co_await ctx.schedule_activity("Slow", "");
  // The reference races a 1 s timer, which a loaded machine can let fire before the 100 ms
  // activity's round trip ends. An hour cannot; the test checks the timer's fire time instead.
  auto race =
      co_await OrchestrationContext::select2(ctx.schedule_timer(kRacedTimer), ctx.schedule_activity("Fast", ""));
  if (race.is_second()) co_return race.second_value().value_or("err");
  co_return "timer_won";
}

OrchestrationRegistry timer_orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Single", single_timer)
      .add("Sequential", sequential_timers)
      .add("WithActivity", timer_with_activity)
      .add("TimerThenActivity", timer_then_activity)
      .add("Zero", zero_timer)
      .add("Awaited", awaited_timer)
      .add("Joined", joined_timers)
      .add("AfterSlow", timer_after_slow_activity)
      .build();
}

TEST(E2eTimer, single_timer_fires) {
  E2eEnv env(timer_activities(), timer_orchestrations());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(env.client.start_orchestration("t", "Single", ""));
  EXPECT_EQ(env.output_of("t"), "done");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(E2eTimer, multiple_timers_fire_in_order) {
  E2eEnv env(timer_activities(), timer_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("t", "Sequential", ""));
  EXPECT_EQ(env.output_of("t"), "all fired");
  std::vector<std::uint64_t> fired_sources;
  for (const auto& e : env.history("t")) {
    if (e.is<events::TimerFired>()) fired_sources.push_back(*e.source_event_id);
  }
  EXPECT_EQ(fired_sources.size(), 3u);
  EXPECT_TRUE(std::is_sorted(fired_sources.begin(), fired_sources.end()));
}

TEST(E2eTimer, timer_with_activity) {
  E2eEnv env(timer_activities(), timer_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("t", "WithActivity", ""));
  const auto output = env.output_of("t");
  EXPECT_NE(output.find("timer:"), std::string::npos);
  EXPECT_NE(output.find("activity: processed: input"), std::string::npos);
}

void timer_crash_recovery(bool crash_after_fire) {
  DurableStore dir;
  {
    E2eEnv first(dir.open(), ActivityRegistry::builder().build(), timer_orchestrations());
    ASSERT_TRUE(first.client.start_orchestration("t", "TimerThenActivity", crash_after_fire ? "50" : "500"));
    // Before the fire: the timer is scheduled. After: it fired (the activity is not registered here).
    if (crash_after_fire) {
      ASSERT_TRUE(wait_for_event_kind<events::TimerFired>(*first.store, "t"));
    } else {
      ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*first.store, "t"));
    }
  }
  E2eEnv second(dir.open(), timer_activities(), timer_orchestrations());
  EXPECT_EQ(second.output_of("t"), "Timer fired, then: done");
}

TEST(E2eTimer, timer_recovery_after_crash_before_fire) { timer_crash_recovery(false); }
TEST(E2eTimer, timer_recovery_after_crash_after_fire) { timer_crash_recovery(true); }

TEST(E2eTimer, zero_duration_timer) {
  E2eEnv env(timer_activities(), timer_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("t", "Zero", ""));
  EXPECT_EQ(env.output_of("t"), "zero-timer-fired");
}

TEST(E2eTimer, timer_cancellation) {
  E2eEnv env(timer_activities(), timer_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("t", "Awaited", ""));
  EXPECT_EQ(env.output_of("t"), "timer-completed");
}

TEST(E2eTimer, multiple_timers_recovery_after_crash) {
  DurableStore dir;
  {
    E2eEnv first(dir.open(), timer_activities(), timer_orchestrations());
    ASSERT_TRUE(first.client.start_orchestration("t", "Joined", ""));
    ASSERT_TRUE(wait_until([&] {
      auto history = first.store->read("t");
      return history && std::count_if(history->begin(), history->end(),
                                      [](const Event& e) { return e.is<events::TimerCreated>(); }) == 3;
    }));
  }
  E2eEnv second(dir.open(), timer_activities(), timer_orchestrations());
  EXPECT_EQ(second.output_of("t"), "all-timers-fired");
}

TEST(E2eTimer, timer_fires_at_correct_time_after_previous_timer) {
  E2eEnv env(timer_activities(), timer_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("t", "AfterSlow", ""));
  EXPECT_EQ(env.output_of("t", std::chrono::seconds(20)), "activity_done");
  // The raced timer is due its duration after the turn that created it, which came after the slow
  // activity's 2 s of work, so well over a second after the first timer fired; the regression
  // computed it from that fire time (an immediate fire with the reference's 1 s timer).
  std::vector<std::uint64_t> fire_times;
  std::optional<std::uint64_t> first_fired_at;
  for (const auto& e : env.history("t")) {
    if (const auto* created = e.get_if<events::TimerCreated>()) fire_times.push_back(created->fire_at_ms);
    if (const auto* fired = e.get_if<events::TimerFired>(); fired != nullptr && !first_fired_at) {
      first_fired_at = fired->fire_at_ms;
    }
  }
  ASSERT_EQ(fire_times.size(), 2u);
  ASSERT_TRUE(first_fired_at.has_value());
  const auto raced_ms = static_cast<std::uint64_t>(std::chrono::milliseconds(kRacedTimer).count());
  EXPECT_GE(fire_times[1], *first_fired_at + 1000 + raced_ms)
      << "raced timer due " << fire_times[1] - *first_fired_at << " ms after the first timer fired";
}

}  // namespace
}  // namespace duroxide::testing
