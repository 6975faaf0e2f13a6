// Mirrors duroxide's tests/lock_timeout_tests.rs: lock timeouts and renewal keep long work alive without running it
// twice.
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"
#include "support/forwarding_provider.hpp"

namespace duroxide::testing {
namespace {

std::atomic<int> g_runs{0};

/// "<prefix>:<ms>": sleeps ms (the work being measured, not synchronisation), then answers.
ActivityRegistry timed_activities() {
  return ActivityRegistry::builder()
      .add("Timed",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_runs;
             const auto colon = input.find(':');
             std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(input.substr(colon + 1))));
             return input.substr(0, colon) + ": data";
           })
      .build();
}

Task<Result<std::string>> one(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Timed", input);
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> three(OrchestrationContext ctx, std::string input) {
  std::vector<DurableFuture<Result<std::string>>> work;
  for (int i = 1; i <= 3; ++i)
    work.push_back(ctx.schedule_activity("Timed", "completed-task" + std::to_string(i) + ":" + input));
  auto results = co_await OrchestrationContext::join(std::move(work));
  std::string out;
  for (auto& r : results) out += r.value_or("failed") + ";";
  co_return out;
}

Task<Result<std::string>> quick(OrchestrationContext, std::string) { co_return "completed: done"; }

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder().add("One", one).add("Three", three).add("Quick", quick).build();
}

RuntimeOptions with_locks(std::chrono::milliseconds worker_lock, std::chrono::milliseconds worker_buffer) {
  RuntimeOptions options = fast_options();
  options.worker_lock_timeout = worker_lock;
  options.worker_lock_renewal_buffer = worker_buffer;
  options.session_idle_timeout = std::chrono::seconds(600);
  return options;
}

/// Runs One(input) and checks its output and that the activity ran exactly once.
void expect_single_run(RuntimeOptions options, const std::string& input, const std::string& output) {
  const int before = g_runs;
  E2eEnv env(timed_activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("lock", "One", input));
  EXPECT_EQ(env.output_of("lock", std::chrono::seconds(30)), output);
  EXPECT_EQ(g_runs - before, 1) << "the activity ran more than once: its lock lapsed";
}

// The defaults users get when they set nothing (docs/runtime.md).
TEST(E2eLockTimeout, default_lock_timeouts) {
  RuntimeOptions options;
  EXPECT_EQ(options.orchestrator_lock_timeout, std::chrono::seconds(5));
  EXPECT_EQ(options.orchestrator_lock_renewal_buffer, std::chrono::seconds(2));
  EXPECT_EQ(options.worker_lock_timeout, std::chrono::seconds(30));
  EXPECT_EQ(options.worker_lock_renewal_buffer, std::chrono::seconds(5));
}

TEST(E2eLockTimeout, orchestration_with_custom_timeout_completes) {
  RuntimeOptions options = with_locks(std::chrono::seconds(60), std::chrono::seconds(5));
  options.orchestrator_lock_timeout = std::chrono::seconds(60);
  expect_single_run(options, "processed:0", "processed: data");
}

TEST(E2eLockTimeout, very_short_lock_timeout_works) {
  RuntimeOptions options = with_locks(std::chrono::seconds(1), std::chrono::milliseconds(500));
  options.orchestrator_lock_timeout = std::chrono::seconds(1);
  expect_single_run(options, "processed:0", "processed: data");
}

TEST(E2eLockTimeout, long_running_activity_with_lock_renewal) {
  expect_single_run(with_locks(std::chrono::seconds(3), std::chrono::seconds(1)), "completed:6000", "completed: data");
}

TEST(E2eLockTimeout, short_activity_no_renewal_needed) {
  expect_single_run(with_locks(std::chrono::seconds(3), std::chrono::seconds(1)), "quick:500", "quick: data");
}

TEST(E2eLockTimeout, lock_renewal_short_timeout) {
  expect_single_run(with_locks(std::chrono::seconds(2), std::chrono::seconds(1)), "medium:3000", "medium: data");
}

TEST(E2eLockTimeout, custom_renewal_buffer) {
  expect_single_run(with_locks(std::chrono::seconds(5), std::chrono::seconds(2)), "done:6000", "done: data");
}

TEST(E2eLockTimeout, concurrent_activities_with_renewal) {
  RuntimeOptions options = with_locks(std::chrono::seconds(3), std::chrono::seconds(1));
  options.worker_concurrency = 3;
  const int before = g_runs;
  E2eEnv env(timed_activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("three", "Three", "6000"));
  const auto output = env.output_of("three", std::chrono::seconds(25));
  for (int i = 1; i <= 3; ++i)
    EXPECT_NE(output.find("completed-task" + std::to_string(i)), std::string::npos) << output;
  EXPECT_EQ(g_runs - before, 3);
}

TEST(E2eLockTimeout, orchestration_lock_renewal_prevents_expiration) {
  // The turn takes 4 s, twice the 2 s lock: only renewal keeps it.
  const auto four_second_turn = [](OrchestrationContext, std::string) -> Task<Result<std::string>> {
    std::this_thread::sleep_for(std::chrono::seconds(4));  // the turn's own work
    co_return "completed: done";
  };
  RuntimeOptions options = fast_options();
  options.orchestrator_lock_timeout = std::chrono::seconds(2);
  options.orchestrator_lock_renewal_buffer = std::chrono::seconds(1);
  E2eEnv env(timed_activities(), OrchestrationRegistry::builder().add("LongTurn", four_second_turn).build(), options);
  ASSERT_TRUE(env.client.start_orchestration("lock-renewal-e2e-1", "LongTurn", ""));
  EXPECT_EQ(env.output_of("lock-renewal-e2e-1", std::chrono::seconds(30)), "completed: done");
  // One turn, processed once: no second slot picked up an expired lock.
  EXPECT_EQ(env.runtime->metrics_snapshot().orch_dispatcher_items_fetched, 1u);
  EXPECT_EQ(env.runtime->metrics_snapshot().orch_infrastructure_errors, 0u);
}

/// A store whose fetches take `read_time` after they locked the item: what reading a big history or
/// input costs (the sleep is the simulated read, not synchronisation). Counts the acks refused.
class SlowFetchProvider : public ForwardingProvider {
 public:
  SlowFetchProvider(std::shared_ptr<Provider> inner, std::chrono::milliseconds read_time)
      : ForwardingProvider(std::move(inner)), read_time_(read_time) {}
  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override {
    auto fetched = ForwardingProvider::fetch_orchestration_item(lock_timeout, poll_timeout, filter, known);
    if (fetched && *fetched) std::this_thread::sleep_for(read_time_);
    return fetched;
  }
  ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(Millis lock_timeout, Millis poll_timeout,
                                                                const std::optional<SessionFetchConfig>& session,
                                                                const TagFilter& tags) override {
    auto fetched = ForwardingProvider::fetch_work_item(lock_timeout, poll_timeout, session, tags);
    if (fetched && *fetched) std::this_thread::sleep_for(read_time_);
    return fetched;
  }
  ProviderResult<void> ack_orchestration_item(const std::string& token, const OrchestrationAck& ack) override {
    auto acked = ForwardingProvider::ack_orchestration_item(token, ack);
    if (!acked) ++refused_acks;
    return acked;
  }
  ProviderResult<void> ack_work_item(const std::string& token, const std::optional<WorkItem>& completion) override {
    auto acked = ForwardingProvider::ack_work_item(token, completion);
    if (!acked) ++refused_acks;
    return acked;
  }
  std::atomic<int> refused_acks{0};

 private:
  std::chrono::milliseconds read_time_;
};

// The first renewal counts from the fetch, not from the end of it: a fetch that read for 3 s of a
// 4 s lock, followed by a 3 s turn, keeps its lock (renewing 2 s after the read ended would be 1 s
// too late, and the turn could never commit).
TEST(E2eLockTimeout, orchestration_lock_renewal_counts_from_the_fetch) {
  RuntimeOptions options = fast_options();
  options.orchestrator_lock_timeout = std::chrono::seconds(4);
  options.orchestrator_lock_renewal_buffer = std::chrono::seconds(2);
  auto store = std::make_shared<SlowFetchProvider>(test_store(), std::chrono::seconds(3));
  const auto slow_turn = [](OrchestrationContext, std::string) -> Task<Result<std::string>> {
    std::this_thread::sleep_for(std::chrono::seconds(3));  // the turn's own work
    co_return "done";
  };
  {
    E2eEnv env(store, timed_activities(), OrchestrationRegistry::builder().add("SlowTurn", slow_turn).build(), options);
    ASSERT_TRUE(env.client.start_orchestration("slow-read", "SlowTurn", ""));
    EXPECT_EQ(env.output_of("slow-read", std::chrono::seconds(60)), "done");
    EXPECT_EQ(store->refused_acks, 0) << "the lock lapsed between the fetch and the first renewal";
    EXPECT_EQ(env.runtime->metrics_snapshot().orch_dispatcher_items_fetched, 1u);
  }
}

TEST(E2eLockTimeout, activity_lock_renewal_counts_from_the_fetch) {
  RuntimeOptions options = with_locks(std::chrono::seconds(4), std::chrono::seconds(2));
  auto store = std::make_shared<SlowFetchProvider>(test_store(), std::chrono::seconds(3));
  const int before = g_runs;
  {
    E2eEnv env(store, timed_activities(), orchestrations(), options);
    ASSERT_TRUE(env.client.start_orchestration("slow-input", "One", "read:3000"));
    EXPECT_EQ(env.output_of("slow-input", std::chrono::seconds(60)), "read: data");
    EXPECT_EQ(store->refused_acks, 0) << "the lock lapsed between the fetch and the first renewal";
  }
  EXPECT_EQ(g_runs - before, 1) << "the activity ran more than once: its lock lapsed";
}

}  // namespace
}  // namespace duroxide::testing
