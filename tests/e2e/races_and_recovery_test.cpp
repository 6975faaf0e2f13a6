// Mirrors duroxide's tests/races_tests.rs, recovery_tests.rs, concurrency_tests.rs, dispatcher_queues_fs.rs and
// worker_reliability_test.rs: orderings, restarts on the same store, and work lost by a crash.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <map>

#include "support/e2e_support.hpp"
#include "support/fault_injection.hpp"

namespace duroxide::testing {
namespace {

std::size_t count_events(const std::vector<Event>& history, std::string_view type) {
  return static_cast<std::size_t>(
      std::count_if(history.begin(), history.end(), [&](const Event& e) { return e.type_name() == type; }));
}
std::optional<std::size_t> position_of(const std::vector<Event>& history, std::string_view type) {
  for (std::size_t i = 0; i < history.size(); ++i) {
    if (history[i].type_name() == type) return i;
  }
  return std::nullopt;
}

// ---- races_tests.rs ----

Task<Result<std::string>> wait_only(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Only");
  co_return "only=" + data;
}
Task<Result<std::string>> timer_vs_event(OrchestrationContext ctx, std::string) {
  auto winner = co_await OrchestrationContext::select2(ctx.schedule_timer(std::chrono::milliseconds(10)),
                                                       ctx.schedule_wait("Race"));
  co_return winner.is_first() ? "timer" : "event";
}
// The timer is an hour long so that only the event can win, however slow the machine.
Task<Result<std::string>> event_vs_timer(OrchestrationContext ctx, std::string) {
  auto winner =
      co_await OrchestrationContext::select2(ctx.schedule_wait("Race"), ctx.schedule_timer(std::chrono::hours(1)));
  co_return winner.is_first() ? "ok" : "timer";
}

OrchestrationRegistry race_orchestrations() {
  return OrchestrationRegistry::builder()
      .add("WaitOnly", wait_only)
      .add("TimerVsEvent", timer_vs_event)
      .add("EventVsTimer", event_vs_timer)
      .build();
}

TEST(E2eRaces, wait_external_completes_fs) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(), race_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("r1", "WaitOnly", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "r1"));
  ASSERT_TRUE(env.client.raise_event("r1", "Only", "payload"));
  EXPECT_EQ(env.output_of("r1"), "only=payload");
  std::vector<std::string> types;
  for (const auto& e : env.history("r1")) types.emplace_back(e.type_name());
  EXPECT_EQ(types, (std::vector<std::string>{"OrchestrationStarted", "ExternalSubscribed", "ExternalEvent",
                                             "OrchestrationCompleted"}));
}

TEST(E2eRaces, race_external_vs_timer_ordering_fs) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(), race_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("r2", "TimerVsEvent", ""));
  // The event is raised only once the timer has fired, so the timer must win.
  ASSERT_TRUE(wait_for_event_kind<events::TimerFired>(*env.store, "r2"));
  ASSERT_TRUE(env.client.raise_event("r2", "Race", "late"));
  EXPECT_EQ(env.output_of("r2"), "timer");
  const auto history = env.history("r2");
  if (auto event = position_of(history, "ExternalEvent")) {
    EXPECT_GT(*event, *position_of(history, "TimerFired"));
  }
}

TEST(E2eRaces, race_event_vs_timer_event_wins_fs) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(), race_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("r3", "EventVsTimer", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "r3"));
  ASSERT_TRUE(env.client.raise_event("r3", "Race", "now"));
  EXPECT_EQ(env.output_of("r3"), "ok");
  const auto history = env.history("r3");
  const auto event = position_of(history, "ExternalEvent");
  ASSERT_TRUE(event.has_value());
  if (auto timer = position_of(history, "TimerFired")) {
    EXPECT_LT(*event, *timer);
  }
}

// ---- recovery_tests.rs ----

std::mutex g_counts_mutex;
std::map<std::string, int> g_step_runs;

Task<Result<std::string>> steps(OrchestrationContext ctx, std::string) {
  std::string out;
  for (const char* step : {"1", "2"}) out += (co_await ctx.schedule_activity("Step", step)).value_or("?");
  (void)co_await ctx.schedule_wait("Resume");
  for (const char* step : {"3", "4"}) out += (co_await ctx.schedule_activity("Step", step)).value_or("?");
  co_return out;
}

ActivityRegistry step_activities() {
  return ActivityRegistry::builder()
      .add("Step",
           [](ActivityContext&, std::string step) -> Result<std::string> {
             std::lock_guard lock(g_counts_mutex);
             ++g_step_runs[step];
             return step;
           })
      .build();
}

std::size_t scheduled_steps(const std::vector<Event>& history, const std::string& step) {
  return static_cast<std::size_t>(std::count_if(history.begin(), history.end(), [&](const Event& e) {
    const auto* s = e.get_if<events::ActivityScheduled>();
    return s != nullptr && s->input == step;
  }));
}

TEST(E2eRecovery, recovery_across_restart_sqlite_provider) {
  DurableStore dir;
  auto orchestrations = OrchestrationRegistry::builder().add("Steps", steps).build();
  {
    E2eEnv first(dir.open(), step_activities(), orchestrations);
    ASSERT_TRUE(first.client.start_orchestration("rec-1", "Steps", ""));
    ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*first.store, "rec-1"));
    const auto history = first.history("rec-1");
    EXPECT_EQ(scheduled_steps(history, "1"), 1u);
    EXPECT_EQ(scheduled_steps(history, "2"), 1u);
    EXPECT_EQ(scheduled_steps(history, "3"), 0u);
  }
  E2eEnv second(dir.open(), step_activities(), orchestrations);
  ASSERT_TRUE(second.client.raise_event("rec-1", "Resume", ""));
  EXPECT_EQ(second.output_of("rec-1"), "1234");
  const auto history = second.history("rec-1");
  for (const char* step : {"1", "2", "3", "4"}) EXPECT_EQ(scheduled_steps(history, step), 1u) << step;
}

TEST(E2eRecovery, recovery_across_restart_sqlite_memory) {
  auto orchestrations = OrchestrationRegistry::builder().add("Steps", steps).build();
  {
    E2eEnv first(step_activities(), orchestrations);
    ASSERT_TRUE(first.client.start_orchestration("rec-m", "Steps", ""));
    ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*first.store, "rec-m"));
    EXPECT_EQ(scheduled_steps(first.history("rec-m"), "1"), 1u);
  }
  // A new in-memory store knows nothing: the instance starts over and completes there.
  E2eEnv second(step_activities(), orchestrations);
  EXPECT_TRUE(second.client.get_orchestration_status("rec-m").value().is_not_found());
  ASSERT_TRUE(second.client.start_orchestration("rec-m", "Steps", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*second.store, "rec-m"));
  ASSERT_TRUE(second.client.raise_event("rec-m", "Resume", ""));
  EXPECT_EQ(second.output_of("rec-m"), "1234");
  for (const char* step : {"1", "2", "3", "4"}) EXPECT_EQ(scheduled_steps(second.history("rec-m"), step), 1u);
}

Task<Result<std::string>> echo_wait(OrchestrationContext ctx, std::string input) {
  auto a = co_await ctx.schedule_activity("Echo", input);
  co_await ctx.schedule_timer(std::chrono::milliseconds(200));
  auto b = co_await ctx.schedule_activity("Echo", a.value_or("?"));
  co_return "done:" + b.value_or("?");
}
Task<Result<std::string>> upper_only(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Upper", input);
  co_return "upper:" + r.value_or("?");
}
Task<Result<std::string>> wait_event(OrchestrationContext ctx, std::string input) {
  (void)co_await ctx.schedule_wait("Ack");
  auto r = co_await ctx.schedule_activity("Echo", input);
  co_return "acked:" + r.value_or("?");
}
Task<Result<std::string>> compute_sum(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Add", input);
  co_return "sum=" + r.value_or("?");
}
Task<Result<std::string>> two_timers(OrchestrationContext ctx, std::string input) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(150));
  co_await ctx.schedule_timer(std::chrono::milliseconds(150));
  auto r = co_await ctx.schedule_activity("Echo", input);
  co_return "twodone:" + r.value_or("?");
}

ActivityRegistry shape_activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string x) -> Result<std::string> { return x; })
      .add("Upper",
           [](ActivityContext&, std::string x) -> Result<std::string> {
             for (auto& c : x) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
             return x;
           })
      .add("Add",
           [](ActivityContext&, std::string x) -> Result<std::string> {
             const auto comma = x.find(',');
             return std::to_string(std::stoi(x.substr(0, comma)) + std::stoi(x.substr(comma + 1)));
           })
      .build();
}

TEST(E2eRecovery, recovery_multiple_orchestrations_sqlite_provider) {
  DurableStore dir;
  auto orchestrations = OrchestrationRegistry::builder()
                            .add("EchoWait", echo_wait)
                            .add("UpperOnly", upper_only)
                            .add("WaitEvent", wait_event)
                            .add("ComputeSum", compute_sum)
                            .add("TwoTimers", two_timers)
                            .build();
  {
    E2eEnv first(dir.open(), shape_activities(), orchestrations);
    ASSERT_TRUE(first.client.start_orchestration("m-echo", "EchoWait", "e"));
    ASSERT_TRUE(first.client.start_orchestration("m-upper", "UpperOnly", "u"));
    ASSERT_TRUE(first.client.start_orchestration("m-wait", "WaitEvent", "w"));
    ASSERT_TRUE(first.client.start_orchestration("m-sum", "ComputeSum", "2,3"));
    ASSERT_TRUE(first.client.start_orchestration("m-timers", "TwoTimers", "t"));
    // Stop mid-flight: the timers are still pending.
    ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*first.store, "m-echo"));
    ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*first.store, "m-timers"));
  }
  E2eEnv second(dir.open(), shape_activities(), orchestrations);
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*second.store, "m-wait"));
  ASSERT_TRUE(second.client.raise_event("m-wait", "Ack", ""));
  EXPECT_EQ(second.output_of("m-echo"), "done:e");
  EXPECT_EQ(second.output_of("m-upper"), "upper:U");
  EXPECT_EQ(second.output_of("m-wait"), "acked:w");
  EXPECT_EQ(second.output_of("m-sum"), "sum=5");
  EXPECT_EQ(second.output_of("m-timers"), "twodone:t");
}

// ---- concurrency_tests.rs ----

Task<Result<std::string>> add_and_wait(OrchestrationContext ctx, std::string) {
  auto activity = ctx.schedule_activity("Add", "2,3");
  auto event = ctx.schedule_wait("Go");
  auto timer = ctx.schedule_timer(std::chrono::milliseconds(1));
  auto all = co_await OrchestrationContext::join3(std::move(activity), std::move(event), std::move(timer));
  co_return "o1:sum=" + std::get<0>(all).value_or("?") + ";evt=" + std::get<1>(all);
}
Task<Result<std::string>> upper_and_wait(OrchestrationContext ctx, std::string) {
  auto activity = ctx.schedule_activity("Upper", "hi");
  auto event = ctx.schedule_wait("Go");
  auto timer = ctx.schedule_timer(std::chrono::milliseconds(1));
  auto all = co_await OrchestrationContext::join3(std::move(activity), std::move(event), std::move(timer));
  co_return "o2:up=" + std::get<0>(all).value_or("?") + ";evt=" + std::get<1>(all);
}
Task<Result<std::string>> proc_and_wait(OrchestrationContext ctx, std::string input) {
  auto activity = ctx.schedule_activity("Proc", input);
  auto event = ctx.schedule_wait("Go");
  auto timer = ctx.schedule_timer(std::chrono::milliseconds(1));
  auto all = co_await OrchestrationContext::join3(std::move(activity), std::move(event), std::move(timer));
  co_return (input == "10" ? "o1:a=" : "o2:a=") + std::get<0>(all).value_or("?") + ";evt=" + std::get<1>(all);
}

ActivityRegistry concurrency_activities() {
  return ActivityRegistry::builder_from(shape_activities())
      .add("Proc",
           [](ActivityContext&, std::string x) -> Result<std::string> { return std::to_string(std::stoi(x) + 1); })
      .build();
}
OrchestrationRegistry concurrency_orchestrations() {
  return OrchestrationRegistry::builder()
      .add("AddWait", add_and_wait)
      .add("UpperWait", upper_and_wait)
      .add("ProcWait", proc_and_wait)
      .build();
}

void raise_after_subscription(E2eEnv& env, const std::string& instance, const std::string& data) {
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, instance));
  ASSERT_TRUE(env.client.raise_event(instance, "Go", data));
}

TEST(E2eConcurrency, concurrent_orchestrations_different_activities_fs) {
  DurableStore dir;
  E2eEnv env(dir.open(), concurrency_activities(), concurrency_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("c1", "AddWait", ""));
  ASSERT_TRUE(env.client.start_orchestration("c2", "UpperWait", ""));
  raise_after_subscription(env, "c1", "E1");
  raise_after_subscription(env, "c2", "E2");
  EXPECT_EQ(env.output_of("c1"), "o1:sum=5;evt=E1");
  EXPECT_NE(env.output_of("c2").find("o2:up=HI;evt=E2"), std::string::npos);
  for (const auto& [id, result, data] : {std::tuple{"c1", "5", "E1"}, std::tuple{"c2", "HI", "E2"}}) {
    const auto history = env.history(id);
    const auto completed =
        std::find_if(history.begin(), history.end(), [](const Event& e) { return e.is<events::ActivityCompleted>(); });
    ASSERT_NE(completed, history.end());
    EXPECT_EQ(completed->source_event_id, 2u);
    EXPECT_EQ(completed->get_if<events::ActivityCompleted>()->result, result);
    const auto raised =
        std::find_if(history.begin(), history.end(), [](const Event& e) { return e.is<events::ExternalEvent>(); });
    ASSERT_NE(raised, history.end());
    EXPECT_EQ(raised->get_if<events::ExternalEvent>()->data, data);
    EXPECT_EQ(count_events(history, "TimerFired"), 1u);
  }
}

TEST(E2eConcurrency, concurrent_orchestrations_same_activities_fs) {
  DurableStore dir;
  E2eEnv env(dir.open(), concurrency_activities(), concurrency_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("p1", "ProcWait", "10"));
  ASSERT_TRUE(env.client.start_orchestration("p2", "ProcWait", "20"));
  raise_after_subscription(env, "p1", "P1");
  raise_after_subscription(env, "p2", "P2");
  EXPECT_EQ(env.output_of("p1"), "o1:a=11;evt=P1");
  EXPECT_EQ(env.output_of("p2"), "o2:a=21;evt=P2");
  EXPECT_EQ(count_events(env.history("p1"), "TimerFired"), 1u);
  EXPECT_EQ(count_events(env.history("p2"), "TimerFired"), 1u);
}

TEST(E2eConcurrency, single_orchestration_with_join_test) {
  E2eEnv env(concurrency_activities(), concurrency_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("p1", "ProcWait", "10"));
  raise_after_subscription(env, "p1", "P1");
  EXPECT_EQ(env.output_of("p1"), "o1:a=11;evt=P1");
}

// ---- dispatcher_queues_fs.rs ----

Task<Result<std::string>> short_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(50));
  co_return "ok";
}
Task<Result<std::string>> detached_parent(OrchestrationContext ctx, std::string) {
  ctx.schedule_orchestration("Child", "W1", "A");
  co_return "scheduled";
}
Task<Result<std::string>> echo_child(OrchestrationContext, std::string input) { co_return input; }

TEST(E2eDispatcherQueues, dispatcher_enqueues_timer_schedule_then_completes) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("ShortTimer", short_timer).build());
  ASSERT_TRUE(env.client.start_orchestration("t1", "ShortTimer", ""));
  EXPECT_EQ(env.output_of("t1"), "ok");
  EXPECT_EQ(count_events(env.history("t1"), "OrchestrationCompleted"), 1u);
}

TEST(E2eDispatcherQueues, dispatcher_enqueues_start_orchestration_to_orch_queue) {
  DurableStore dir;
  E2eEnv env(dir.open(), ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("Parent", detached_parent).add("Child", echo_child).build());
  ASSERT_TRUE(env.client.start_orchestration("parent", "Parent", ""));
  EXPECT_EQ(env.output_of("parent"), "scheduled");
  EXPECT_EQ(env.output_of("W1"), "A");
}

// ---- worker_reliability_test.rs ----

std::atomic<int> g_processed_runs{0};
std::atomic<bool> g_release_held{false};
std::atomic<int> g_held_running{0};

ActivityRegistry processing_activities() {
  return ActivityRegistry::builder()
      .add("Process",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_processed_runs;
             return "Processed: " + input;
           })
      .build();
}

/// The first runtime's "Process" never finishes while it runs: the runtime "crashes" around it.
/// Released at the end of the test; its late ack then fails because the work was redone.
ActivityRegistry holding_activities() {
  return ActivityRegistry::builder()
      .add("Process",
           [](ActivityContext&, std::string) -> Result<std::string> {
             ++g_held_running;
             while (!g_release_held) std::this_thread::sleep_for(std::chrono::milliseconds(5));
             --g_held_running;
             return Err("released after the crash");
           })
      .build();
}

void release_held_activities() {
  g_release_held = true;
  EXPECT_TRUE(wait_until([] { return g_held_running == 0; }));
  g_release_held = false;
}

Task<Result<std::string>> one_activity(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Process", input);
  co_return "Activity result: " + r.value_or("?");
}
Task<Result<std::string>> three_activities(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> work;
  for (const char* task : {"task1", "task2", "task3"}) work.push_back(ctx.schedule_activity("Process", task));
  auto results = co_await OrchestrationContext::join(std::move(work));
  for (auto& r : results) {
    if (!r) co_return Err(r.error());
  }
  co_return "All activities completed";
}

RuntimeOptions crashable_options() {
  RuntimeOptions options = fast_options();
  options.worker_lock_timeout = std::chrono::seconds(1);
  options.worker_lock_renewal_buffer = std::chrono::milliseconds(500);
  options.session_idle_timeout = std::chrono::seconds(10);
  return options;
}

TEST(E2eWorkerReliability, activity_reliability_after_crash_before_completion_enqueue) {
  DurableStore dir;
  auto orchestrations = OrchestrationRegistry::builder().add("One", one_activity).build();
  {
    E2eEnv first(dir.open(), holding_activities(), orchestrations, crashable_options());
    ASSERT_TRUE(first.client.start_orchestration("wr-1", "One", "test-data"));
    ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*first.store, "wr-1"));
    ASSERT_TRUE(wait_until([] { return g_held_running == 1; }));
    first.runtime->shutdown(std::chrono::milliseconds(100));  // the held activity is abandoned
    EXPECT_EQ(count_events(first.history("wr-1"), "ActivityCompleted"), 0u);
  }
  E2eEnv second(dir.open(), processing_activities(), orchestrations, crashable_options());
  EXPECT_EQ(second.output_of("wr-1"), "Activity result: Processed: test-data");
  const auto history = second.history("wr-1");
  EXPECT_EQ(count_events(history, "ActivityScheduled"), 1u);
  EXPECT_EQ(count_events(history, "ActivityCompleted"), 1u);
  release_held_activities();
  EXPECT_EQ(count_events(second.history("wr-1"), "ActivityFailed"), 0u);
}

TEST(E2eWorkerReliability, multiple_activities_reliability_after_crash) {
  DurableStore dir;
  auto orchestrations = OrchestrationRegistry::builder().add("Three", three_activities).build();
  {
    RuntimeOptions options = crashable_options();
    options.worker_concurrency = 3;
    E2eEnv first(dir.open(), holding_activities(), orchestrations, options);
    ASSERT_TRUE(first.client.start_orchestration("wr-3", "Three", ""));
    ASSERT_TRUE(wait_until([] { return g_held_running == 3; }));
    first.runtime->shutdown(std::chrono::milliseconds(100));
  }
  E2eEnv second(dir.open(), processing_activities(), orchestrations, crashable_options());
  EXPECT_NE(second.output_of("wr-3").find("All activities completed"), std::string::npos);
  const auto history = second.history("wr-3");
  EXPECT_EQ(count_events(history, "ActivityCompleted"), 3u);
  for (const auto& e : history) {
    if (const auto* done = e.get_if<events::ActivityCompleted>()) {
      EXPECT_TRUE(done->result.starts_with("Processed: task"));
    }
  }
  release_held_activities();
}

TEST(E2eWorkerReliability, worker_abandon_on_ack_failure_enables_retry) {
  auto failing = std::make_shared<FailingProvider>(test_store());
  failing->set_ack_then_fail(true);
  RuntimeOptions options = fast_options();
  options.worker_lock_timeout = std::chrono::seconds(30);
  const int before = g_processed_runs;
  E2eEnv env(failing, processing_activities(), OrchestrationRegistry::builder().add("One", one_activity).build(),
             options);
  ASSERT_TRUE(env.client.start_orchestration("ack-fail", "One", "x"));
  auto status = env.client.wait_for_orchestration("ack-fail", std::chrono::seconds(5));
  ASSERT_TRUE(status && status->is_completed());
  EXPECT_GE(g_processed_runs - before, 1);
}

}  // namespace
}  // namespace duroxide::testing
