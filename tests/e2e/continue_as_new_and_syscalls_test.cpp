// Mirrors duroxide's tests/continue_as_new_tests.rs and system_calls_test.rs through a real runtime.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

template <class Kind>
std::size_t count_of(const std::vector<Event>& history) {
  return static_cast<std::size_t>(
      std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is<Kind>(); }));
}

/// Waits until the instance's latest history has a `Kind` event (ExternalSubscribed or ExternalEvent) named `name`.
template <class Kind>
bool wait_for_named(Provider& store, const std::string& instance, const std::string& name) {
  return wait_for_history_event(store, instance, [&](const Event& e) {
    const auto* named = e.get_if<Kind>();
    return named != nullptr && named->name == name;
  });
}

// ---- continue_as_new_tests.rs ----

Task<Result<std::string>> counter(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  if (n < 2) co_await ctx.continue_as_new(std::to_string(n + 1));
  co_return "done:" + input;
}

TEST(E2eContinueAsNew, continue_as_new_multiexec) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("Counter", counter).build());
  ASSERT_TRUE(env.client.start_orchestration("can", "Counter", "0"));
  EXPECT_EQ(env.output_of("can"), "done:2");
  EXPECT_EQ(env.client.list_executions("can").value(), (std::vector<std::uint64_t>{1, 2, 3}));
  for (std::uint64_t e = 1; e <= 3; ++e) {
    const auto history = env.client.read_execution_history("can", e).value();
    ASSERT_EQ(history.size(), 2u) << "execution " << e;
    EXPECT_EQ(std::get<events::OrchestrationStarted>(history[0].kind).input, std::to_string(e - 1));
    if (e < 3) {
      EXPECT_EQ(std::get<events::OrchestrationContinuedAsNew>(history[1].kind).input, std::to_string(e));
    } else {
      EXPECT_EQ(std::get<events::OrchestrationCompleted>(history[1].kind).output, "done:2");
    }
  }
  EXPECT_EQ(env.history("can"), env.client.read_execution_history("can", 3).value());
}

Task<Result<std::string>> can_then_wait(OrchestrationContext ctx, std::string input) {
  if (input != "wait") co_await ctx.continue_as_new("wait");
  auto data = co_await ctx.schedule_wait("Go");
  co_return data;
}

TEST(E2eContinueAsNew, continue_as_new_event_routes_to_latest) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("CW", can_then_wait).build());
  ASSERT_TRUE(env.client.start_orchestration("route", "CW", "start"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "route"));
  ASSERT_TRUE(env.client.raise_event("route", "Go", "ok"));
  EXPECT_EQ(env.output_of("route"), "ok");
  EXPECT_EQ(count_of<events::ExternalEvent>(env.client.read_execution_history("route", 1).value()), 0u);
  const auto second = env.client.read_execution_history("route", 2).value();
  EXPECT_EQ(count_of<events::ExternalSubscribed>(second), 1u);
  EXPECT_EQ(count_of<events::ExternalEvent>(second), 1u);
}

Task<Result<std::string>> can_then_late_wait(OrchestrationContext ctx, std::string input) {
  if (input != "wait") co_await ctx.continue_as_new("wait");
  // A window before the subscription exists, so the test can raise an event into it; the test
  // closes it ("Proceed") once that event is recorded, where a timer would race the raise.
  (void)co_await ctx.schedule_wait("Proceed");
  auto data = co_await ctx.schedule_wait("Go");
  co_return data;
}

TEST(E2eContinueAsNew, continue_as_new_event_drop_then_process) {
  E2eEnv env(ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("CLW", can_then_late_wait).build());
  ASSERT_TRUE(env.client.start_orchestration("drop", "CLW", "start"));
  // Execution 2, before the wait for "Go".
  ASSERT_TRUE(wait_for_named<events::ExternalSubscribed>(*env.store, "drop", "Proceed"));
  ASSERT_TRUE(env.client.raise_event("drop", "Go", "early"));
  ASSERT_TRUE(wait_for_named<events::ExternalEvent>(*env.store, "drop", "Go"));  // recorded, undelivered
  ASSERT_TRUE(env.client.raise_event("drop", "Proceed", ""));
  ASSERT_TRUE(wait_for_named<events::ExternalSubscribed>(*env.store, "drop", "Go"));
  ASSERT_TRUE(env.client.raise_event("drop", "Go", "late"));
  EXPECT_EQ(env.output_of("drop"), "late");
  EXPECT_EQ(count_of<events::ExternalEvent>(env.client.read_execution_history("drop", 1).value()), 0u);
}

Task<Result<std::string>> early_then_wait(OrchestrationContext ctx, std::string) {
  // Held by the test until its early "Data" is recorded: a timer here would race the raise.
  (void)co_await ctx.schedule_wait("Proceed");
  auto race = co_await OrchestrationContext::select2(ctx.schedule_wait("Data"),
                                                     ctx.schedule_timer(std::chrono::milliseconds(500)));
  co_return race.is_first() ? "delivered" : "early-event-dropped";
}

TEST(E2eContinueAsNew, event_drop_then_retry_after_subscribe) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("E", early_then_wait).build());
  ASSERT_TRUE(env.client.start_orchestration("early", "E", ""));
  ASSERT_TRUE(wait_for_named<events::ExternalSubscribed>(*env.store, "early", "Proceed"));
  ASSERT_TRUE(env.client.raise_event("early", "Data", "too soon"));
  ASSERT_TRUE(wait_for_named<events::ExternalEvent>(*env.store, "early", "Data"));
  ASSERT_TRUE(env.client.raise_event("early", "Proceed", ""));
  EXPECT_EQ(env.output_of("early"), "early-event-dropped");
  // The early event is recorded for audit, though nothing received it.
  const auto history = env.history("early");
  EXPECT_EQ(std::count_if(history.begin(), history.end(),
                          [](const Event& e) {
                            const auto* event = e.get_if<events::ExternalEvent>();
                            return event != nullptr && event->name == "Data";
                          }),
            1);
}

Task<Result<std::string>> waits(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Go");
  co_return data;
}

void stray_completion_is_ignored(std::uint64_t execution_id) {
  E2eEnv env(ActivityRegistry::builder().build(), OrchestrationRegistry::builder().add("W", waits).build());
  ASSERT_TRUE(env.client.start_orchestration("stray", "W", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "stray"));
  ASSERT_TRUE(env.store->enqueue_for_orchestrator(work_items::ActivityCompleted{"stray", execution_id, 999, "x"},
                                                  std::nullopt));
  ASSERT_TRUE(wait_until([&] { return env.client.get_queue_depths().value().orchestrator_queue == 0; }));
  ASSERT_TRUE(env.client.raise_event("stray", "Go", "fine"));
  EXPECT_EQ(env.output_of("stray"), "fine");
  EXPECT_EQ(count_of<events::ActivityCompleted>(env.history("stray")), 0u);
}

TEST(E2eContinueAsNew, old_execution_completions_are_ignored) { stray_completion_is_ignored(0); }
TEST(E2eContinueAsNew, future_execution_completions_are_ignored) { stray_completion_is_ignored(999); }

Task<Result<std::string>> counter_without_await(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  if (n < 2) {
    // Not awaited: the request is recorded when it is made, and the code after it never runs.
    auto request = ctx.continue_as_new(std::to_string(n + 1));
    (void)request;
    co_return "unreachable";
  }
  co_return "done:" + input;
}

TEST(E2eContinueAsNew, continue_as_new_without_await) {
  E2eEnv env(ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("C", counter_without_await).build());
  ASSERT_TRUE(env.client.start_orchestration("noawait", "C", "0"));
  EXPECT_EQ(env.output_of("noawait"), "done:2");
  EXPECT_EQ(env.client.list_executions("noawait").value(), (std::vector<std::uint64_t>{1, 2, 3}));
}

// ---- system_calls_test.rs ----

ActivityRegistry syscall_activities() {
  return ActivityRegistry::builder()
      .add("Process", [](ActivityContext&, std::string input) -> Result<std::string> { return "processed:" + input; })
      .add("Task", [](ActivityContext&, std::string) -> Result<std::string> { return std::string("task_done"); })
      .add("Slow",
           [](ActivityContext& ctx, std::string) -> Result<std::string> {
             // Ten minutes unless stopped (the runtime stops it at the end of the test): it loses
             // to "Task" however long a loaded machine takes to run that one.
             (void)wait_for_stop(ctx, std::chrono::minutes(10));
             return std::string("slow_done");
           })
      .build();
}

std::int64_t ms_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Task<Result<std::string>> two_guids(OrchestrationContext ctx, std::string) {
  auto a = co_await ctx.new_guid();
  auto b = co_await ctx.new_guid();
  co_return a.value_or("?") + "|" + b.value_or("?");
}
Task<Result<std::string>> two_times(OrchestrationContext ctx, std::string) {
  auto t1 = co_await ctx.utc_now();
  co_await ctx.schedule_timer(std::chrono::milliseconds(100));
  auto t2 = co_await ctx.utc_now();
  if (!t1 || !t2) co_return Err("utc_now failed");
  co_return std::to_string(ms_of(*t1)) + "|" + std::to_string(ms_of(*t2));
}
Task<Result<std::string>> guid_and_time(OrchestrationContext ctx, std::string) {
  auto guid = co_await ctx.new_guid();
  auto now = co_await ctx.utc_now();
  (void)co_await ctx.schedule_wait("continue");
  co_return guid.value_or("?") + "@" + std::to_string(now ? ms_of(*now) : 0);
}
Task<Result<std::string>> with_select(OrchestrationContext ctx, std::string) {
  auto guid = co_await ctx.new_guid();
  auto now = co_await ctx.utc_now();
  auto race =
      co_await OrchestrationContext::select2(ctx.schedule_activity("Task", ""), ctx.schedule_activity("Slow", ""));
  const std::string result = race.is_first() ? race.first_value().value_or("?") : race.second_value().value_or("?");
  co_return std::string("winner:") + (race.is_first() ? "task" : "slow") + ",result:" + result +
      ",guid_len:" + std::to_string(guid.value_or("").size()) +
      ",time_valid:" + (now && ms_of(*now) > 0 ? "true" : "false");
}
Task<Result<std::string>> with_join(OrchestrationContext ctx, std::string) {
  auto guid = co_await ctx.new_guid();
  auto now = co_await ctx.utc_now();
  auto both = co_await OrchestrationContext::join2(ctx.schedule_activity("Process", "data1"),
                                                   ctx.schedule_activity("Task", ""));
  co_return "guid_len:" + std::to_string(guid.value_or("").size()) + ",time:" + std::to_string(now ? ms_of(*now) : 0) +
      "," + std::get<0>(both).value_or("?") + ",winner:" + std::get<1>(both).value_or("?");
}
Task<Result<std::string>> time_as_input(OrchestrationContext ctx, std::string) {
  auto now = co_await ctx.utc_now();
  (void)co_await ctx.schedule_wait("continue");
  auto r = co_await ctx.schedule_activity("Process", std::to_string(now ? ms_of(*now) : 0));
  co_return r.value_or("?");
}
Task<Result<std::string>> guid_as_input(OrchestrationContext ctx, std::string) {
  auto guid = co_await ctx.new_guid();
  (void)co_await ctx.schedule_wait("continue");
  auto r = co_await ctx.schedule_activity("Process", guid.value_or("?"));
  co_return r.value_or("?");
}
Task<Result<std::string>> activity_then_syscall(OrchestrationContext ctx, std::string) {
  (void)co_await ctx.schedule_activity("Process", "a");
  auto guid = co_await ctx.new_guid();
  (void)co_await ctx.schedule_activity("Process", guid.value_or("?"));
  co_return "ok";
}
Task<Result<std::string>> syscall_then_hold(OrchestrationContext ctx, std::string) {
  (void)co_await ctx.new_guid();
  (void)co_await ctx.schedule_wait("hold");
  co_return "released";
}

OrchestrationRegistry syscall_orchestrations() {
  return OrchestrationRegistry::builder()
      .add("TwoGuids", two_guids)
      .add("TwoTimes", two_times)
      .add("GuidAndTime", guid_and_time)
      .add("WithSelect", with_select)
      .add("WithJoin", with_join)
      .add("TimeAsInput", time_as_input)
      .add("GuidAsInput", guid_as_input)
      .add("ActivityThenSyscall", activity_then_syscall)
      .add("SyscallThenHold", syscall_then_hold)
      .build();
}

bool is_guid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

TEST(E2eSystemCalls, test_new_guid) {
  E2eEnv env(syscall_activities(), syscall_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("g", "TwoGuids", ""));
  const auto output = env.output_of("g");
  const auto bar = output.find('|');
  ASSERT_NE(bar, std::string::npos);
  const auto a = output.substr(0, bar);
  const auto b = output.substr(bar + 1);
  EXPECT_TRUE(is_guid(a)) << a;
  EXPECT_TRUE(is_guid(b)) << b;
  EXPECT_NE(a, b);
}

TEST(E2eSystemCalls, test_utc_now_ms) {
  E2eEnv env(syscall_activities(), syscall_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("t", "TwoTimes", ""));
  const auto output = env.output_of("t");
  const auto bar = output.find('|');
  const auto t1 = std::stoll(output.substr(0, bar));
  const auto t2 = std::stoll(output.substr(bar + 1));
  constexpr std::int64_t k2020 = 1577836800000;
  EXPECT_GT(t1, k2020);
  EXPECT_GE(t2, t1);
}

/// Runs `name` until it waits for "continue", restarts the runtime, releases it, returns the output.
std::string output_across_restart(const std::string& name) {
  DurableStore dir;
  {
    E2eEnv first(dir.open(), syscall_activities(), syscall_orchestrations());
    EXPECT_TRUE(first.client.start_orchestration("r", name, ""));
    EXPECT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*first.store, "r"));
  }
  E2eEnv second(dir.open(), syscall_activities(), syscall_orchestrations());
  EXPECT_TRUE(second.client.raise_event("r", "continue", ""));
  const auto output = second.output_of("r");
  // Replaying again (a third runtime reading the finished history) changes nothing.
  EXPECT_EQ(second.client.get_orchestration_status("r").value().get_if<status::Completed>()->output, output);
  return output;
}

TEST(E2eSystemCalls, test_system_calls_deterministic_replay) {
  const auto output = output_across_restart("GuidAndTime");
  EXPECT_TRUE(is_guid(output.substr(0, output.find('@')))) << output;
}

TEST(E2eSystemCalls, test_system_calls_with_select) {
  E2eEnv env(syscall_activities(), syscall_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("s", "WithSelect", ""));
  const auto output = env.output_of("s");
  EXPECT_TRUE(output.starts_with("winner:")) << output;
  EXPECT_NE(output.find("result:task_done"), std::string::npos) << output;
  EXPECT_NE(output.find("guid_len:36"), std::string::npos) << output;
  EXPECT_NE(output.find("time_valid:true"), std::string::npos) << output;
}

TEST(E2eSystemCalls, test_system_calls_join_with_activities) {
  E2eEnv env(syscall_activities(), syscall_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("j", "WithJoin", ""));
  const auto output = env.output_of("j");
  EXPECT_NE(output.find("guid_len:36"), std::string::npos) << output;
  EXPECT_EQ(output.find("time:0,"), std::string::npos) << output;
  EXPECT_NE(output.find("processed:data1"), std::string::npos) << output;
  EXPECT_NE(output.find("winner:task_done"), std::string::npos) << output;
}

TEST(E2eSystemCalls, test_utc_now_as_activity_input_replays_correctly) {
  EXPECT_TRUE(output_across_restart("TimeAsInput").starts_with("processed:"));
}

TEST(E2eSystemCalls, test_new_guid_as_activity_input_replays_correctly) {
  EXPECT_TRUE(output_across_restart("GuidAsInput").starts_with("processed:"));
}

TEST(E2eSystemCalls, test_activity_then_syscall_ordering) {
  E2eEnv env(syscall_activities(), syscall_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("o", "ActivityThenSyscall", ""));
  EXPECT_EQ(env.output_of("o"), "ok");
  std::vector<std::string> names;
  for (const auto& e : env.history("o")) {
    if (const auto* s = e.get_if<events::ActivityScheduled>()) names.push_back(s->name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"Process", std::string(kSyscallNewGuid), "Process"}));
}

TEST(E2eSystemCalls, test_multiple_syscalls_same_type) {
  DurableStore dir;
  std::string before;
  {
    E2eEnv first(dir.open(), syscall_activities(), syscall_orchestrations());
    ASSERT_TRUE(first.client.start_orchestration("m", "TwoGuids", ""));
    before = first.output_of("m");
  }
  E2eEnv second(dir.open(), syscall_activities(), syscall_orchestrations());
  EXPECT_EQ(second.output_of("m"), before);
  EXPECT_NE(before.substr(0, 36), before.substr(37));
}

TEST(E2eSystemCalls, test_syscalls_work_in_single_thread_mode) {
  RuntimeOptions options = fast_options();
  options.orchestration_concurrency = 1;
  options.worker_concurrency = 1;
  E2eEnv env(syscall_activities(), syscall_orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("single", "TwoGuids", ""));
  EXPECT_TRUE(env.wait("single").is_completed());
}

TEST(E2eSystemCalls, test_cancellation_with_pending_syscall) {
  E2eEnv env(syscall_activities(), syscall_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("c", "SyscallThenHold", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "c"));
  ASSERT_TRUE(env.client.cancel_instance("c", "stop"));
  const auto status = env.wait("c");
  ASSERT_TRUE(status.is_failed());
  const auto* app = status.get_if<status::Failed>()->details.get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind, AppErrorKind::cancelled("stop"));
}

}  // namespace
}  // namespace duroxide::testing
