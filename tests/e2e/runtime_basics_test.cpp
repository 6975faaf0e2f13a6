// End-to-end basics: one of each kind of durable step through a real runtime and SQLite store.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"
#include "support/forwarding_provider.hpp"

namespace duroxide::testing {
namespace {

ActivityRegistry echo_activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      .add("Upper",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             for (auto& c : input) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
             return input;
           })
      .add("Fail", [](ActivityContext&, std::string input) -> Result<std::string> { return Err("boom: " + input); })
      .build();
}

Task<Result<std::string>> chain(OrchestrationContext ctx, std::string input) {
  auto a = co_await ctx.schedule_activity("Echo", input);
  if (!a) co_return Err(a.error());
  auto b = co_await ctx.schedule_activity("Upper", *a);
  if (!b) co_return Err(b.error());
  co_return *b;
}

TEST(E2eRuntimeBasics, SequentialActivitiesComplete) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("Chain", chain).build());
  ASSERT_TRUE(env.client.start_orchestration("i1", "Chain", "hello"));
  EXPECT_EQ(env.output_of("i1"), "HELLO");
  const auto history = env.history("i1");
  ASSERT_FALSE(history.empty());
  EXPECT_TRUE(history.front().is<events::OrchestrationStarted>());
  EXPECT_TRUE(history.back().is<events::OrchestrationCompleted>());
}

Task<Result<std::string>> failing(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Fail", input);
  if (!r) co_return Err("activity said: " + r.error());
  co_return *r;
}

TEST(E2eRuntimeBasics, ActivityErrorReachesTheOrchestration) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("Failing", failing).build());
  ASSERT_TRUE(env.client.start_orchestration("i1", "Failing", "x"));
  auto status = env.wait("i1");
  ASSERT_TRUE(status.is_failed());
  EXPECT_EQ(status.get_if<status::Failed>()->details.display_message(), "activity said: boom: x");
}

Task<Result<std::string>> timer_then_event(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(50));
  auto data = co_await ctx.schedule_wait("Approve");
  co_return "approved:" + data;
}

TEST(E2eRuntimeBasics, TimerThenExternalEvent) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("Wait", timer_then_event).build());
  ASSERT_TRUE(env.client.start_orchestration("i1", "Wait", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "i1"));
  ASSERT_TRUE(env.client.raise_event("i1", "Approve", "yes"));
  EXPECT_EQ(env.output_of("i1"), "approved:yes");
}

Task<Result<std::string>> child(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Upper", input);
  if (!r) co_return Err(r.error());
  co_return "child(" + *r + ")";
}

Task<Result<std::string>> parent(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_sub_orchestration("Child", input);
  if (!r) co_return Err(r.error());
  co_return "parent(" + *r + ")";
}

TEST(E2eRuntimeBasics, SubOrchestrationResultReachesParent) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("Child", child).add("Parent", parent).build());
  ASSERT_TRUE(env.client.start_orchestration("p1", "Parent", "abc"));
  EXPECT_EQ(env.output_of("p1"), "parent(child(ABC))");
}

Task<Result<std::string>> fan_out(OrchestrationContext ctx, std::string input) {
  const int count = std::stoi(input);
  std::vector<DurableFuture<Result<std::string>>> work;
  for (int i = 0; i < count; ++i) work.push_back(ctx.schedule_activity("Echo", std::to_string(i)));
  auto results = co_await OrchestrationContext::join(std::move(work));
  int sum = 0;
  for (auto& r : results) {
    if (!r) co_return Err(r.error());
    sum += std::stoi(*r);
  }
  co_return std::to_string(sum);
}

TEST(E2eRuntimeBasics, FanOutFanIn) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("FanOut", fan_out).build());
  ASSERT_TRUE(env.client.start_orchestration("f1", "FanOut", "20"));
  EXPECT_EQ(env.output_of("f1"), "190");
}

Task<Result<std::string>> counter(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  ctx.set_custom_status("at " + input);
  ctx.set_kv_value("last", input);
  if (n < 3) co_await ctx.continue_as_new(std::to_string(n + 1));
  co_return "done at " + input;
}

TEST(E2eRuntimeBasics, ContinueAsNewKeepsKvAndStatus) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("Counter", counter).build());
  ASSERT_TRUE(env.client.start_orchestration("c1", "Counter", "0"));
  auto status = env.wait("c1");
  ASSERT_TRUE(status.is_completed());
  EXPECT_EQ(status.get_if<status::Completed>()->output, "done at 3");
  EXPECT_EQ(status.get_if<status::Completed>()->custom_status, "at 3");
  EXPECT_EQ(env.client.get_kv_value("c1", "last").value(), "3");
  EXPECT_EQ(env.client.list_executions("c1").value().size(), 4u);
}

Task<Result<std::string>> waits_forever(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Never");
  co_return data;
}

TEST(E2eRuntimeBasics, CancelInstanceFailsItWithCancelled) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("Forever", waits_forever).build());
  ASSERT_TRUE(env.client.start_orchestration("w1", "Forever", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "w1"));
  ASSERT_TRUE(env.client.cancel_instance("w1", "user request"));
  auto status = env.wait("w1");
  ASSERT_TRUE(status.is_failed());
  const auto* app = status.get_if<status::Failed>()->details.get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind, AppErrorKind::cancelled("user request"));
}

Task<Result<std::string>> uses_syscalls(OrchestrationContext ctx, std::string) {
  auto guid = co_await ctx.new_guid();
  if (!guid) co_return Err(guid.error());
  auto now = co_await ctx.utc_now();
  if (!now) co_return Err(now.error());
  co_return *guid;
}

TEST(E2eRuntimeBasics, SystemActivitiesRun) {
  E2eEnv env(echo_activities(), OrchestrationRegistry::builder().add("Sys", uses_syscalls).build());
  ASSERT_TRUE(env.client.start_orchestration("s1", "Sys", ""));
  const auto guid = env.output_of("s1");
  EXPECT_EQ(guid.size(), 36u) << guid;
}

TEST(E2eRuntimeBasics, RestartOnTheSameFileResumesTheInstance) {
  DurableStore dir;
  auto orchestrations = OrchestrationRegistry::builder().add("Wait", timer_then_event).build();
  {
    E2eEnv first(dir.open(), echo_activities(), orchestrations);
    ASSERT_TRUE(first.client.start_orchestration("r1", "Wait", ""));
    ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*first.store, "r1"));
  }
  E2eEnv second(dir.open(), echo_activities(), orchestrations);
  ASSERT_TRUE(second.client.raise_event("r1", "Approve", "later"));
  EXPECT_EQ(second.output_of("r1"), "approved:later");
}

}  // namespace
}  // namespace duroxide::testing

namespace duroxide::testing {
namespace {

std::atomic<bool> g_stoppable_running{false};

Task<Result<std::string>> one_stoppable(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Work", "");
  if (!r) co_return Err(r.error());
  co_return *r;
}

TEST(E2eRuntimeBasics, ActivityStoppedByShutdownIsRetriedNotFailed) {
  DurableStore dir;
  auto orchestrations = OrchestrationRegistry::builder().add("One", one_stoppable).build();
  {
    auto stoppable = ActivityRegistry::builder()
                         .add("Work",
                              [](ActivityContext& ctx, std::string) -> Result<std::string> {
                                g_stoppable_running = true;
                                while (!ctx.is_cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                return Err("stopped");
                              })
                         .build();
    E2eEnv first(dir.open(), stoppable, orchestrations);
    ASSERT_TRUE(first.client.start_orchestration("stop", "One", ""));
    ASSERT_TRUE(wait_until([] { return g_stoppable_running.load(); }));
    first.runtime->shutdown(std::chrono::seconds(5));
    const auto history = first.history("stop");
    EXPECT_EQ(
        std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is<events::ActivityFailed>(); }),
        0);
  }
  auto working =
      ActivityRegistry::builder()
          .add("Work", [](ActivityContext&, std::string) -> Result<std::string> { return std::string("done"); })
          .build();
  E2eEnv second(dir.open(), working, orchestrations);
  EXPECT_EQ(second.output_of("stop"), "done");
}

/// Counts the calls the runtime makes on the store once `armed`.
class CallCountingProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  std::atomic<int> calls_after_arming{0};
  std::atomic<bool> armed{false};

  ProviderResult<void> ack_work_item(const std::string& token, const std::optional<WorkItem>& completion) override {
    if (armed) ++calls_after_arming;
    return ForwardingProvider::ack_work_item(token, completion);
  }
  ProviderResult<void> abandon_work_item(const std::string& token, std::optional<Millis> delay,
                                         bool ignore_attempt) override {
    if (armed) ++calls_after_arming;
    return ForwardingProvider::abandon_work_item(token, delay, ignore_attempt);
  }
};

std::atomic<bool> g_stubborn_running{false};
std::atomic<bool> g_stubborn_release{false};
std::atomic<bool> g_stubborn_returned{false};

TEST(E2eRuntimeBasics, ShutdownDeadlineJoinsEveryRuntimeThreadAndLeavesTheActivityLocked) {
  DurableStore dir;
  auto orchestrations = OrchestrationRegistry::builder().add("One", one_stoppable).build();
  {
    // Ignores cancellation until the test releases it: still running at shutdown's deadline.
    auto stubborn = ActivityRegistry::builder()
                        .add("Work",
                             [](ActivityContext&, std::string) -> Result<std::string> {
                               g_stubborn_running = true;
                               while (!g_stubborn_release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                               g_stubborn_returned = true;
                               return std::string("late");
                             })
                        .build();
    auto counting = std::make_shared<CallCountingProvider>(dir.open());
    RuntimeOptions options = fast_options();
    options.worker_lock_timeout = std::chrono::seconds(1);
    options.worker_lock_renewal_buffer = std::chrono::milliseconds(500);
    E2eEnv first(counting, stubborn, orchestrations, options);
    ASSERT_TRUE(first.client.start_orchestration("stubborn", "One", ""));
    ASSERT_TRUE(wait_until([] { return g_stubborn_running.load(); }));
    counting->armed = true;
    first.runtime->shutdown(std::chrono::milliseconds(0));
    // Every runtime thread has been joined: when the activity now returns, nobody acks its result.
    g_stubborn_release = true;
    ASSERT_TRUE(wait_until([] { return g_stubborn_returned.load(); }));
    EXPECT_FALSE(wait_until([&] { return counting->calls_after_arming > 0; }, std::chrono::milliseconds(300)));
    EXPECT_TRUE(first.history("stubborn").back().is<events::ActivityScheduled>());
  }
  // The abandoned activity's lock expires and the next runtime runs it again.
  auto working =
      ActivityRegistry::builder()
          .add("Work", [](ActivityContext&, std::string) -> Result<std::string> { return std::string("done"); })
          .build();
  E2eEnv second(dir.open(), working, orchestrations);
  EXPECT_EQ(second.output_of("stubborn"), "done");
}

/// Never polls: a change wait lasts until the store signals a committed turn (or a minute).
class SignalOnlyProvider : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  void wait_for_change(const std::string& instance, std::uint64_t seen, Millis) override {
    ForwardingProvider::wait_for_change(instance, seen, std::chrono::minutes(1));
  }
};

TEST(E2eRuntimeBasics, ClientWaitIsWokenByTheCommittedTurnNotByPolling) {
  auto store = std::make_shared<SignalOnlyProvider>(test_store());
  E2eEnv env(store, echo_activities(), OrchestrationRegistry::builder().add("Chain", chain).build());
  ASSERT_TRUE(env.client.start_orchestration("woken", "Chain", "abc"));
  const auto start = std::chrono::steady_clock::now();
  auto status = env.client.wait_for_orchestration("woken", std::chrono::seconds(20));
  ASSERT_TRUE(status);
  ASSERT_TRUE(status->is_completed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

}  // namespace
}  // namespace duroxide::testing
