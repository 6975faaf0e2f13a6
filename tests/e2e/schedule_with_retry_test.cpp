// Mirrors duroxide's tests/schedule_with_retry_tests.rs, the runtime rows: schedule_activity_with_retry[_typed]
// [_on_session] end to end. The RetryPolicy / BackoffStrategy unit rows are tests/unit/
// retry_policy_test.cpp (UnitRetryPolicy.*).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

/// Per-key call counters shared by the activities ("<key>" counts calls for that key).
std::mutex g_calls_mutex;
std::map<std::string, int> g_calls;

int next_call(const std::string& key) {
  std::lock_guard lock(g_calls_mutex);
  return ++g_calls[key];
}
int calls(const std::string& key) {
  std::lock_guard lock(g_calls_mutex);
  return g_calls[key];
}

/// Every test starts its counters from zero, so that a test run again in the same process
/// (`--gtest_repeat`) sees its own calls only.
class E2eScheduleWithRetry : public ::testing::Test {
 protected:
  void SetUp() override {
    std::lock_guard lock(g_calls_mutex);
    g_calls.clear();
  }
};

/// Input "<key>:<failures>": fails the first <failures> calls for <key>, then succeeds.
ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Flaky",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             const auto colon = input.find(':');
             const auto key = input.substr(0, colon);
             const int failures = std::stoi(input.substr(colon + 1));
             const int call = next_call(key);
             if (call <= failures) return Err("fail on attempt " + std::to_string(call));
             return "success on attempt " + std::to_string(call);
           })
      .add("Sleepy",
           [](ActivityContext& ctx, std::string input) -> Result<std::string> {
             // "<key>:<ms>[:fail-first]": attempt 1 fails at once when asked; otherwise sleeps.
             const auto first = input.find(':');
             const auto second = input.find(':', first + 1);
             const auto key = input.substr(0, first);
             const int ms = std::stoi(input.substr(first + 1, second - first - 1));
             const int call = next_call(key);
             if (second != std::string::npos && call == 1) return Err("fast failure");
             for (int waited = 0; waited < ms && !ctx.is_cancelled(); waited += 5) {
               std::this_thread::sleep_for(5ms);
             }
             return "fast:" + key;
           })
      .add_typed("TypedFlaky",
                 [](ActivityContext&, nlohmann::json in) -> Result<nlohmann::json> {
                   const int call = next_call(in.at("key").get<std::string>());
                   if (call < 2) return Err("typed failure");
                   return nlohmann::json{{"result", 42}};
                 })
      .build();
}

RetryPolicy no_backoff(std::uint32_t attempts) { return RetryPolicy(attempts).with_backoff(backoff::None{}); }

Task<Result<std::string>> retry(OrchestrationContext ctx, std::string input) {
  // "<attempts>|<backoff ms or 'none'>|<timeout ms or 'none'>|<activity>|<activity input>"
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t bar; (bar = input.find('|', start)) != std::string::npos; start = bar + 1) {
    parts.push_back(input.substr(start, bar - start));
  }
  parts.push_back(input.substr(start));
  RetryPolicy policy(static_cast<std::uint32_t>(std::stoi(parts[0])));
  policy.with_backoff(parts[1] == "none"
                          ? BackoffStrategy(backoff::None{})
                          : BackoffStrategy(backoff::Fixed{std::chrono::milliseconds(std::stoi(parts[1]))}));
  if (parts[2] != "none") policy.with_timeout(std::chrono::milliseconds(std::stoi(parts[2])));
  auto result = co_await ctx.schedule_activity_with_retry(parts[3], parts[4], policy);
  if (!result) co_return Err(result.error());
  co_return *result;
}

Task<Result<std::string>> retry_catching(OrchestrationContext ctx, std::string input) {
  auto result = co_await ctx.schedule_activity_with_retry("Sleepy", input, RetryPolicy(3).with_timeout(100ms));
  co_return result ? "ok:" + *result : "error:" + result.error();
}

Task<Result<std::string>> typed_retry(OrchestrationContext ctx, std::string key) {
  nlohmann::json in = {{"key", key}};
  auto result = co_await ctx.schedule_activity_with_retry_typed<nlohmann::json>("TypedFlaky", in, no_backoff(3));
  if (!result) co_return Err(result.error());
  co_return result->dump();
}

Task<Result<std::string>> per_execution_activity(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  (void)co_await ctx.schedule_activity("Flaky", "per-exec:0");
  if (n < 2) co_await ctx.continue_as_new(std::to_string(n + 1));
  co_return "done";
}

Task<Result<std::string>> retry_then_can(OrchestrationContext ctx, std::string input) {
  auto result = co_await ctx.schedule_activity_with_retry("Flaky", "can-retry:2", no_backoff(2));
  if (!result) {
    if (input == "0") co_await ctx.continue_as_new("1");
    co_return Err(result.error());
  }
  co_return "success after continue-as-new: " + *result;
}

Task<Result<std::string>> retry_on_session(OrchestrationContext ctx, std::string input) {
  auto result = co_await ctx.schedule_activity_with_retry_on_session("Flaky", input, no_backoff(3), "session-1");
  if (!result) co_return Err(result.error());
  co_return "ok " + result->substr(result->rfind(' ') - 7);
}

Task<Result<std::string>> retry_on_session_typed(OrchestrationContext ctx, std::string key) {
  nlohmann::json in = {{"key", key}};
  auto result = co_await ctx.schedule_activity_with_retry_on_session_typed<nlohmann::json>("TypedFlaky", in,
                                                                                           no_backoff(3), "s-typed");
  if (!result) co_return Err(result.error());
  co_return "rows=" + std::to_string(result->at("result").get<int>());
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Retry", retry)
      .add("RetryCatching", retry_catching)
      .add("TypedRetry", typed_retry)
      .add("PerExecution", per_execution_activity)
      .add("RetryThenCan", retry_then_can)
      .add("RetryOnSession", retry_on_session)
      .add("RetryOnSessionTyped", retry_on_session_typed)
      .build();
}

template <class Kind>
std::size_t count_of(const std::vector<Event>& history) {
  return static_cast<std::size_t>(
      std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is<Kind>(); }));
}

struct Run {
  OrchestrationStatus status;
  std::vector<Event> history;
};

Run run(const std::string& orchestration, const std::string& input) {
  RuntimeOptions options = fast_options();
  options.activity_cancellation_grace_period = 100ms;
  E2eEnv env(activities(), orchestrations(), options);
  EXPECT_TRUE(env.client.start_orchestration("r", orchestration, input));
  auto status = env.wait("r", 20s);
  return {status, env.history("r")};
}

std::string output(const Run& r) {
  const auto* done = r.status.get_if<status::Completed>();
  return done ? done->output
              : "failed: " + (r.status.is_failed() ? r.status.get_if<status::Failed>()->details.display_message() : "");
}

TEST_F(E2eScheduleWithRetry, test_activity_succeeds_first_attempt) {
  EXPECT_EQ(output(run("Retry", "3|none|none|Flaky|first-ok:0")), "success on attempt 1");
  EXPECT_EQ(calls("first-ok"), 1);
}

TEST_F(E2eScheduleWithRetry, test_activity_fails_then_succeeds) {
  EXPECT_EQ(output(run("Retry", "3|none|none|Flaky|twice:2")), "success on attempt 3");
  EXPECT_EQ(calls("twice"), 3);
}

TEST_F(E2eScheduleWithRetry, test_activity_exhausts_all_attempts) {
  const auto r = run("Retry", "3|none|none|Flaky|always:99");
  ASSERT_TRUE(r.status.is_failed());
  EXPECT_NE(output(r).find("fail on attempt 3"), std::string::npos) << output(r);
  EXPECT_EQ(calls("always"), 3);
}

TEST_F(E2eScheduleWithRetry, test_single_attempt_fails) {
  const auto r = run("Retry", "1|none|none|Flaky|single:99");
  ASSERT_TRUE(r.status.is_failed());
  EXPECT_NE(output(r).find("fail on attempt 1"), std::string::npos) << output(r);
  EXPECT_EQ(calls("single"), 1);
}

TEST_F(E2eScheduleWithRetry, test_retry_with_fixed_backoff) {
  const auto r = run("Retry", "5|50|none|Flaky|fixed:2");
  EXPECT_EQ(output(r), "success on attempt 3");
  EXPECT_EQ(count_of<events::TimerCreated>(r.history), 2u);
}

TEST_F(E2eScheduleWithRetry, test_retry_with_no_backoff) {
  const auto r = run("Retry", "5|none|none|Flaky|nobackoff:2");
  EXPECT_EQ(output(r), "success on attempt 3");
  EXPECT_EQ(count_of<events::TimerCreated>(r.history), 0u);
}

TEST_F(E2eScheduleWithRetry, test_timeout_fires_before_success) {
  const auto r = run("Retry", "1|none|100|Sleepy|slow:2000");
  ASSERT_TRUE(r.status.is_failed());
  EXPECT_NE(output(r).find("timeout"), std::string::npos) << output(r);
}

TEST_F(E2eScheduleWithRetry, test_success_before_timeout) {
  EXPECT_EQ(output(run("Retry", "3|none|60000|Sleepy|quick:0")), "fast:quick");
}

TEST_F(E2eScheduleWithRetry, test_timeout_exits_immediately_without_retry) {
  const auto r = run("Retry", "3|none|150|Sleepy|no-retry:200");
  ASSERT_TRUE(r.status.is_failed());
  EXPECT_NE(output(r).find("timeout"), std::string::npos) << output(r);
  EXPECT_EQ(calls("no-retry"), 1);
  EXPECT_EQ(count_of<events::ActivityScheduled>(r.history), 1u);
  EXPECT_EQ(count_of<events::TimerCreated>(r.history), 1u);
  EXPECT_EQ(count_of<events::TimerFired>(r.history), 1u);
}

TEST_F(E2eScheduleWithRetry, test_error_retries_but_timeout_exits) {
  // 5 s, not 500 ms: attempt 1's failure must beat its timeout on a loaded machine too, and attempt 2
  // waits the same timeout out, so it cannot be made long for free. Attempt 2 runs until stopped.
  const auto r = run("Retry", "5|none|5000|Sleepy|err-then-slow:600000:fail-first");
  ASSERT_TRUE(r.status.is_failed());
  EXPECT_NE(output(r).find("timeout"), std::string::npos) << output(r);
  EXPECT_EQ(count_of<events::ActivityScheduled>(r.history), 2u);
  EXPECT_EQ(count_of<events::ActivityFailed>(r.history), 1u);
  EXPECT_GE(count_of<events::TimerCreated>(r.history), 2u);
}

TEST_F(E2eScheduleWithRetry, test_typed_activity_retry_success) {
  EXPECT_EQ(output(run("TypedRetry", "typed")), R"({"result":42})");
}

TEST_F(E2eScheduleWithRetry, test_history_contains_all_activity_scheduled_events) {
  const auto r = run("Retry", "5|none|none|Flaky|history:3");
  EXPECT_EQ(output(r), "success on attempt 4");
  EXPECT_EQ(count_of<events::ActivityScheduled>(r.history), 4u);
}

TEST_F(E2eScheduleWithRetry, test_large_max_attempts_integration) {
  EXPECT_EQ(output(run("Retry", "20|none|none|Flaky|large:9")), "success on attempt 10");
  EXPECT_EQ(calls("large"), 10);
}

TEST_F(E2eScheduleWithRetry, test_replay_with_stale_events_in_history) {
  EXPECT_EQ(output(run("Retry", "3|none|none|Flaky|replay:0")), "success on attempt 1");
  EXPECT_EQ(calls("replay"), 1);  // replayed turns never run it again
}

TEST_F(E2eScheduleWithRetry, test_timeout_history_replays_correctly) {
  const auto r = run("RetryCatching", "replayed-timeout:1000");
  EXPECT_TRUE(output(r).starts_with("error:")) << output(r);
  EXPECT_NE(output(r).find("timeout"), std::string::npos);
  EXPECT_GE(count_of<events::TimerCreated>(r.history), 1u);
  EXPECT_GE(count_of<events::TimerFired>(r.history), 1u);
}

TEST_F(E2eScheduleWithRetry, test_activity_completes_after_continue_as_new) {
  const int before = calls("per-exec");
  EXPECT_EQ(output(run("PerExecution", "0")), "done");
  EXPECT_EQ(calls("per-exec") - before, 3);
}

TEST_F(E2eScheduleWithRetry, test_retry_timeout_with_continue_as_new) {
  const auto r = run("RetryThenCan", "0");
  EXPECT_NE(output(r).find("success"), std::string::npos) << output(r);
}

TEST_F(E2eScheduleWithRetry, test_multiple_orchestrations_retrying) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("one", "Retry", "5|none|none|Flaky|flaky1:1"));
  ASSERT_TRUE(env.client.start_orchestration("two", "Retry", "5|none|none|Flaky|flaky2:2"));
  EXPECT_EQ(env.output_of("one"), "success on attempt 2");
  EXPECT_EQ(env.output_of("two"), "success on attempt 3");
  EXPECT_EQ(calls("flaky1"), 2);
  EXPECT_EQ(calls("flaky2"), 3);
}

TEST_F(E2eScheduleWithRetry, retry_on_session_basic_success) {
  const auto r = run("RetryOnSession", "session-basic:1");
  EXPECT_EQ(output(r), "ok attempt 2");
  EXPECT_EQ(calls("session-basic"), 2);
  for (const auto& e : r.history) {
    if (const auto* s = e.get_if<events::ActivityScheduled>()) {
      EXPECT_EQ(s->session_id, "session-1");
    }
  }
}

TEST_F(E2eScheduleWithRetry, retry_on_session_all_attempts_fail) {
  const auto r = run("RetryOnSession", "nope:99");
  ASSERT_TRUE(r.status.is_failed());
  EXPECT_NE(output(r).find("fail on attempt 3"), std::string::npos) << output(r);
}

TEST_F(E2eScheduleWithRetry, retry_on_session_typed_round_trip) {
  EXPECT_EQ(output(run("RetryOnSessionTyped", "typed-session")), "rows=42");
  EXPECT_EQ(calls("typed-session"), 2);
}

}  // namespace
}  // namespace duroxide::testing
