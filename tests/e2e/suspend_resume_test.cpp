// Client::suspend_instance and resume_instance on a real runtime (docs/suspend-resume.md), on every
// store: a suspended instance records what is sent to it but runs no code until resumed, stays
// suspended across a restart, and can still be cancelled or terminated.
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"
#include "support/gate.hpp"

namespace duroxide::testing {
namespace {

std::atomic<int> g_step_runs{0};
Gate g_hold_gate;
std::atomic<int> g_hold_started{0};

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Step",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_step_runs;
             return "stepped " + input;
           })
      .add("Hold",
           [](ActivityContext&, std::string input) -> Result<std::string> {
             ++g_hold_started;
             g_hold_gate.wait();
             return "held " + input;
           })
      .build();
}

/// Waits for "Go", then runs Step on what it got.
Task<Result<std::string>> go_then_step(OrchestrationContext ctx, std::string) {
  auto go = co_await ctx.schedule_wait("Go");
  co_return co_await ctx.schedule_activity("Step", go);
}

/// Runs Hold, then Step on its result.
Task<Result<std::string>> hold_then_step(OrchestrationContext ctx, std::string input) {
  auto held = co_await ctx.schedule_activity("Hold", input);
  co_return co_await ctx.schedule_activity("Step", *held);
}

/// A timer, then Step. The timer is long enough for the suspend to land first: the suspend is one
/// queued message, taken at once.
Task<Result<std::string>> timer_then_step(OrchestrationContext ctx, std::string input) {
  co_await ctx.schedule_timer(std::chrono::seconds(2));
  co_return co_await ctx.schedule_activity("Step", input);
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("GoThenStep", go_then_step)
      .add("HoldThenStep", hold_then_step)
      .add("TimerThenStep", timer_then_step)
      .build();
}

OrchestrationStatus status_of(E2eEnv& env, const std::string& instance) {
  auto status = env.client.get_orchestration_status(instance);
  EXPECT_TRUE(status) << status.error().to_string();
  return status ? *status : OrchestrationStatus{status::NotFound{}};
}

void wait_status(E2eEnv& env, const std::string& instance, std::string_view name) {
  ASSERT_TRUE(wait_until([&] { return status_of(env, instance).name() == name; }))
      << instance << " never became " << name << " (it is " << status_of(env, instance).name() << ")";
}

/// Starts `name` as `instance`, waits for its first turn, and suspends it.
void start_and_suspend(E2eEnv& env, const std::string& instance, const std::string& name) {
  ASSERT_TRUE(env.client.start_orchestration(instance, name, "x"));
  wait_status(env, instance, "Running");
  ASSERT_TRUE(env.client.suspend_instance(instance, "maintenance"));
  wait_status(env, instance, "Suspended");
}

template <class Kind>
bool history_has(E2eEnv& env, const std::string& instance) {
  for (const auto& e : env.history(instance))
    if (e.is<Kind>()) return true;
  return false;
}

TEST(E2eSuspendResume, ASuspendedInstanceRecordsAnEventButRunsNoCodeUntilResumed) {
  g_step_runs = 0;
  E2eEnv env(activities(), orchestrations());
  start_and_suspend(env, "pause-1", "GoThenStep");
  const auto status = status_of(env, "pause-1");  // bound: the pointer below points into it
  const auto* suspended = status.get_if<status::Suspended>();
  ASSERT_NE(suspended, nullptr);
  EXPECT_EQ(suspended->reason, "maintenance");

  ASSERT_TRUE(env.client.raise_event("pause-1", "Go", "now"));
  ASSERT_TRUE(wait_until([&] { return history_has<events::ExternalEvent>(env, "pause-1"); }));
  // The event was recorded by a turn that ran no code: nothing was scheduled after it.
  EXPECT_FALSE(history_has<events::ActivityScheduled>(env, "pause-1"));
  EXPECT_EQ(g_step_runs, 0);
  EXPECT_TRUE(status_of(env, "pause-1").is_suspended());

  ASSERT_TRUE(env.client.resume_instance("pause-1", "maintenance over"));
  EXPECT_EQ(env.output_of("pause-1"), "stepped now");
  EXPECT_EQ(g_step_runs, 1);
}

TEST(E2eSuspendResume, AnActivityResultArrivingWhileSuspendedIsKeptForTheResume) {
  g_hold_gate.close();
  OpenOnExit open{g_hold_gate};
  g_hold_started = 0;
  g_step_runs = 0;
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("pause-2", "HoldThenStep", "x"));
  ASSERT_TRUE(wait_until([] { return g_hold_started.load() == 1; }));
  ASSERT_TRUE(env.client.suspend_instance("pause-2", "maintenance"));
  wait_status(env, "pause-2", "Suspended");

  g_hold_gate.open();  // the activity finishes while the instance is suspended
  ASSERT_TRUE(wait_until([&] { return history_has<events::ActivityCompleted>(env, "pause-2"); }));
  EXPECT_EQ(g_step_runs, 0);
  EXPECT_TRUE(status_of(env, "pause-2").is_suspended());

  ASSERT_TRUE(env.client.resume_instance("pause-2"));
  EXPECT_EQ(env.output_of("pause-2"), "stepped held x");
}

TEST(E2eSuspendResume, ATimerThatFiresWhileSuspendedCountsAfterTheResume) {
  g_step_runs = 0;
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("pause-3", "TimerThenStep", "t"));
  ASSERT_TRUE(wait_until([&] { return history_has<events::TimerCreated>(env, "pause-3"); }));
  ASSERT_TRUE(env.client.suspend_instance("pause-3", "maintenance"));
  wait_status(env, "pause-3", "Suspended");
  ASSERT_TRUE(wait_until([&] { return history_has<events::TimerFired>(env, "pause-3"); }));
  EXPECT_EQ(g_step_runs, 0);
  ASSERT_TRUE(env.client.resume_instance("pause-3"));
  EXPECT_EQ(env.output_of("pause-3"), "stepped t");
}

TEST(E2eSuspendResume, ASuspensionSurvivesARestartOfTheRuntime) {
  auto store = test_store();
  {
    E2eEnv before(store, activities(), orchestrations());
    start_and_suspend(before, "pause-4", "GoThenStep");
  }
  g_step_runs = 0;
  E2eEnv after(store, activities(), orchestrations());
  ASSERT_TRUE(after.client.raise_event("pause-4", "Go", "later"));
  ASSERT_TRUE(wait_until([&] { return history_has<events::ExternalEvent>(after, "pause-4"); }));
  EXPECT_TRUE(status_of(after, "pause-4").is_suspended());
  EXPECT_EQ(g_step_runs, 0);
  ASSERT_TRUE(after.client.resume_instance("pause-4"));
  EXPECT_EQ(after.output_of("pause-4"), "stepped later");
}

TEST(E2eSuspendResume, ASuspendedInstanceCanBeCancelledOrTerminated) {
  E2eEnv env(activities(), orchestrations());
  start_and_suspend(env, "pause-5", "GoThenStep");
  ASSERT_TRUE(env.client.cancel_instance("pause-5", "not needed"));
  const auto cancelled = env.wait("pause-5");
  ASSERT_TRUE(cancelled.is_failed()) << cancelled.name();
  const auto* app = cancelled.get_if<status::Failed>()->details.get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind, AppErrorKind::cancelled("not needed"));
  EXPECT_TRUE(history_has<events::OrchestrationResumed>(env, "pause-5")) << "the cancel resumed it first";

  start_and_suspend(env, "pause-6", "GoThenStep");
  ASSERT_TRUE(env.client.terminate_instance("pause-6", "gone"));
  EXPECT_TRUE(env.wait("pause-6").is_terminated());
}

TEST(E2eSuspendResume, ListingsAndMetricsShowSuspendedInstancesAsNotFinished) {
  E2eEnv env(activities(), orchestrations());
  start_and_suspend(env, "pause-7", "GoThenStep");
  const auto listed = env.client.list_instances_by_status("Suspended");
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(*listed, std::vector<std::string>{"pause-7"});
  const auto metrics = env.client.get_system_metrics();
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->suspended_instances, 1u);
  EXPECT_EQ(metrics->running_instances, 0u);
  const auto deleted = env.client.delete_instance("pause-7", false);
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().kind, ClientError::Kind::InstanceStillRunning);
  // Waiting for a suspended instance waits: it has not finished.
  const auto waited = env.client.wait_for_orchestration("pause-7", std::chrono::milliseconds(50));
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().kind, ClientError::Kind::Timeout);
}

TEST(E2eSuspendResume, UnknownInstancesAreAClearErrorAndResumingARunningOneChangesNothing) {
  E2eEnv env(activities(), orchestrations());
  const auto unknown = env.client.suspend_instance("nobody", "typo");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ClientError::Kind::InstanceNotFound);
  ASSERT_FALSE(env.client.resume_instance("nobody"));

  ASSERT_TRUE(env.client.start_orchestration("pause-8", "GoThenStep", ""));
  wait_status(env, "pause-8", "Running");
  ASSERT_TRUE(env.client.resume_instance("pause-8"));
  ASSERT_TRUE(env.client.raise_event("pause-8", "Go", "fine"));
  EXPECT_EQ(env.output_of("pause-8"), "stepped fine");
  EXPECT_FALSE(history_has<events::OrchestrationResumed>(env, "pause-8"));
}

}  // namespace
}  // namespace duroxide::testing
