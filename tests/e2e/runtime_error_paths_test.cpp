// Error paths of the runtime's threads (issue #12 items 2, 6 and 9; docs/failure-modes-runtime.md):
// a failed read of a finished child's parent retries the child's turn instead of dropping its
// completion; an exception on a runtime thread (a throwing MetricsSink, any throw while a turn or
// an activity is processed, std::exception or not) is caught, the item handed back and the thread
// kept alive, and Runtime::health() reports it; transient ack failures do not count towards
// poisoning.
#include <gtest/gtest.h>

#include <stdexcept>

#include "support/e2e_support.hpp"
#include "support/fault_injection.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

Task<Result<std::string>> parent_orch(OrchestrationContext ctx, std::string) {
  auto child = co_await ctx.schedule_sub_orchestration("Child", "{}");
  if (!child) co_return child;
  co_return "parent got " + *child;
}

Task<Result<std::string>> child_orch(OrchestrationContext, std::string) { co_return std::string("child-result"); }

Task<Result<std::string>> with_activity(OrchestrationContext ctx, std::string input) {
  co_return co_await ctx.schedule_activity("Echo", input);
}

Task<Result<std::string>> plain(OrchestrationContext, std::string input) { co_return "done:" + input; }

ActivityRegistry echo_activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return "echo:" + input; })
      .build();
}

OrchestrationRegistry all_orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Parent", parent_orch)
      .add("Child", child_orch)
      .add("WithActivity", with_activity)
      .add("Plain", plain)
      .build();
}

// ---- item 2: a failed read of the parent ----

TEST(E2eRuntimeErrorPaths, child_completion_survives_a_failed_read_of_its_parent) {
  auto inner = test_store();
  auto failing = std::make_shared<FailingProvider>(inner);
  const std::string parent = "parent-read-fails-once";
  // The runtime reads the parent only to address the child's completion; the client below reads
  // through the inner store, so this failure lands on exactly that read.
  failing->fail_next_reads_of(parent, 1);
  auto runtime = Runtime::start(failing, ActivityRegistry::builder().build(), all_orchestrations(), fast_options());
  Client client(inner);
  ASSERT_TRUE(client.start_orchestration(parent, "Parent", "{}"));
  auto status = client.wait_for_orchestration(parent, 20s);
  runtime->shutdown(5s);
  ASSERT_TRUE(status) << status.error().to_string();
  const auto* completed = status->get_if<status::Completed>();
  ASSERT_NE(completed, nullptr) << "parent ended " << status->name();
  EXPECT_EQ(completed->output, "parent got child-result");
  EXPECT_EQ(failing->reads_failed(), 1) << "the injected read failure was not hit";
}

// ---- item 6: exceptions on runtime threads ----

/// A MetricsSink that throws from every call: a std::runtime_error, or an int.
class ThrowingSink final : public MetricsSink {
 public:
  explicit ThrowingSink(bool standard) : standard_(standard) {}
  void add_counter(std::string_view, const MetricLabels&, double) override { fail(); }
  void observe_histogram(std::string_view, const MetricLabels&, double) override { fail(); }
  void set_gauge(std::string_view, const MetricLabels&, double) override { fail(); }
  void add_gauge(std::string_view, const MetricLabels&, double) override { fail(); }

 private:
  void fail() const {
    if (standard_) throw std::runtime_error("metrics sink is broken");
    throw 7;  // NOLINT(hicpp-exception-baseclass): a throw that is not a std::exception
  }
  bool standard_;
};

void expect_survives_throwing_sink(bool standard, const std::string& instance, const std::string& expected_error) {
  auto options = fast_options();
  options.observability.metrics_sink = std::make_shared<ThrowingSink>(standard);
  E2eEnv env(echo_activities(), all_orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration(instance, "WithActivity", "x"));
  EXPECT_EQ(env.output_of(instance, 20s), "echo:x");
  const auto health = env.runtime->health();
  EXPECT_TRUE(health.all_threads_alive) << health.threads_alive << " of " << health.threads_started;
  EXPECT_GT(health.errors_caught, 0u);
  ASSERT_TRUE(health.last_error.has_value());
  EXPECT_NE(health.last_error->find("MetricsSink"), std::string::npos) << *health.last_error;
  EXPECT_NE(health.last_error->find(expected_error), std::string::npos) << *health.last_error;
  EXPECT_TRUE(health.last_error_at.has_value());
}

TEST(E2eRuntimeErrorPaths, metrics_sink_throwing_std_exception_does_not_stop_the_runtime) {
  expect_survives_throwing_sink(true, "sink-throws-std", "metrics sink is broken");
}

TEST(E2eRuntimeErrorPaths, metrics_sink_throwing_non_standard_exception_does_not_stop_the_runtime) {
  expect_survives_throwing_sink(false, "sink-throws-int", "not a std::exception");
}

/// Where ThrowingAckProvider throws: the ack of an orchestration turn, or of an activity.
enum class ThrowSite { OrchestrationTurn, Activity };

/// A store whose first ack at `site` throws (a std::runtime_error, or an int when `standard` is
/// false) without reaching the inner store: any throw while the item is processed, its lock held
/// and renewed.
class ThrowingAckProvider : public ForwardingProvider {
 public:
  ThrowingAckProvider(std::shared_ptr<Provider> inner, ThrowSite site, bool standard)
      : ForwardingProvider(std::move(inner)), site_(site), standard_(standard) {}
  ProviderResult<void> ack_orchestration_item(const std::string& token, const OrchestrationAck& ack) override {
    if (site_ == ThrowSite::OrchestrationTurn) throw_once();
    return ForwardingProvider::ack_orchestration_item(token, ack);
  }
  ProviderResult<void> ack_work_item(const std::string& token, const std::optional<WorkItem>& completion) override {
    if (site_ == ThrowSite::Activity) throw_once();
    return ForwardingProvider::ack_work_item(token, completion);
  }

 private:
  void throw_once() {
    if (thrown_.exchange(true)) return;
    if (standard_) throw std::runtime_error("injected: thrown while acking");
    throw 42;  // NOLINT(hicpp-exception-baseclass): the point is a throw that is not a std::exception
  }
  ThrowSite site_;
  bool standard_;
  std::atomic<bool> thrown_{false};
};

/// A throw while a turn (or an activity) of `instance` is processed, after its lock renewal
/// started: the item is handed back (its renewal stopped, so it can be fetched again) and the
/// slot goes on.
void expect_survives_throw_at(ThrowSite site, bool standard, const std::string& instance) {
  E2eEnv env(std::make_shared<ThrowingAckProvider>(test_store(), site, standard), echo_activities(),
             all_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration(instance, "WithActivity", "y"));
  EXPECT_EQ(env.output_of(instance, 20s), "echo:y");
  const auto health = env.runtime->health();
  EXPECT_TRUE(health.all_threads_alive) << health.threads_alive << " of " << health.threads_started;
  EXPECT_EQ(health.errors_caught, 1u);
  ASSERT_TRUE(health.last_error.has_value());
  EXPECT_NE(health.last_error->find(instance), std::string::npos) << *health.last_error;
  EXPECT_NE(health.last_error->find(standard ? "injected: thrown" : "not a std::exception"), std::string::npos)
      << *health.last_error;
}

TEST(E2eRuntimeErrorPaths, std_exception_in_a_turn_is_caught_and_the_turn_retried) {
  expect_survives_throw_at(ThrowSite::OrchestrationTurn, true, "turn-throws-std");
}

TEST(E2eRuntimeErrorPaths, non_standard_exception_in_a_turn_is_caught_and_the_turn_retried) {
  expect_survives_throw_at(ThrowSite::OrchestrationTurn, false, "turn-throws-int");
}

TEST(E2eRuntimeErrorPaths, std_exception_around_an_activity_is_caught_and_the_activity_retried) {
  expect_survives_throw_at(ThrowSite::Activity, true, "activity-throws-std");
}

TEST(E2eRuntimeErrorPaths, non_standard_exception_around_an_activity_is_caught_and_the_activity_retried) {
  expect_survives_throw_at(ThrowSite::Activity, false, "activity-throws-int");
}

TEST(E2eRuntimeErrorPaths, health_of_a_quiet_runtime) {
  E2eEnv env(echo_activities(), all_orchestrations());
  const auto health = env.runtime->health();
  // One lock renewer, two orchestration slots, two worker slots.
  EXPECT_EQ(health.threads_started, 5u);
  EXPECT_TRUE(health.all_threads_alive);
  EXPECT_EQ(health.errors_caught, 0u);
  EXPECT_FALSE(health.last_error.has_value());
  env.runtime->shutdown(5s);
  EXPECT_EQ(env.runtime->health().threads_alive, 0u);
  EXPECT_FALSE(env.runtime->health().all_threads_alive);
}

// ---- item 9: transient ack failures do not count towards poisoning ----

RuntimeOptions two_attempts() {
  auto options = fast_options();
  options.max_attempts = 2;
  return options;
}

TEST(E2eRuntimeErrorPaths, transient_orchestration_ack_failures_do_not_poison) {
  auto failing = std::make_shared<FailingProvider>(test_store());
  E2eEnv env(failing, echo_activities(), all_orchestrations(), two_attempts());
  // Each delivery tries the ack 6 times (5 in-place retries); 18 failures are three deliveries
  // abandoned, one more than max_attempts allows.
  failing->fail_next_acks_orchestration_transiently(18);
  const std::string instance = "transient-orch-acks";
  ASSERT_TRUE(env.client.start_orchestration(instance, "Plain", "z"));
  EXPECT_EQ(env.output_of(instance, 30s), "done:z");
  EXPECT_EQ(env.runtime->metrics_snapshot().orch_poison, 0u);
}

TEST(E2eRuntimeErrorPaths, transient_activity_ack_failures_do_not_poison) {
  auto failing = std::make_shared<FailingProvider>(test_store());
  E2eEnv env(failing, echo_activities(), all_orchestrations(), two_attempts());
  failing->fail_next_acks_work_transiently(3);  // one more delivery than max_attempts allows
  const std::string instance = "transient-work-acks";
  ASSERT_TRUE(env.client.start_orchestration(instance, "WithActivity", "w"));
  EXPECT_EQ(env.output_of(instance, 30s), "echo:w");
  EXPECT_EQ(env.runtime->metrics_snapshot().activity_poison, 0u);
}

}  // namespace
}  // namespace duroxide::testing
