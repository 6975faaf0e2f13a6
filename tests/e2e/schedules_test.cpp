// Durable schedules on a real runtime (docs/schedules.md), on every store: a schedule starts its
// orchestration at each firing under an id derived from the firing time; the overlap policies
// decide what a firing does while the last run is going; pause, resume and delete steer it; it
// survives a restart, and two runtimes sharing a store run each firing once. The schedules fire
// every second, so each test takes a few seconds of real time.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

constexpr auto kScheduleTimeout = 30s;

std::mutex g_runs_mutex;
std::map<std::string, int> g_tally_runs;  ///< run instance -> times its Tally activity ran

void reset() {
  std::lock_guard lock(g_runs_mutex);
  g_tally_runs.clear();
}
std::map<std::string, int> tally_runs() {
  std::lock_guard lock(g_runs_mutex);
  return g_tally_runs;
}

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Tally",
           [](ActivityContext& ctx, std::string input) -> Result<std::string> {
             std::lock_guard lock(g_runs_mutex);
             ++g_tally_runs[ctx.instance_id()];
             return "tallied " + input;
           })
      .build();
}

Task<Result<std::string>> tally(OrchestrationContext ctx, std::string input) {
  co_return co_await ctx.schedule_activity("Tally", input);
}

/// A run that goes on until it is sent "Go".
Task<Result<std::string>> waits_for_go(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_wait("Go");
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder().add("Tally", tally).add("WaitsForGo", waits_for_go).build();
}

/// Polls the schedule until `condition` holds of it; fails the test (and returns the last read)
/// otherwise.
ScheduleInfo wait_for_schedule(const Client& client, const std::string& id,
                               const std::function<bool(const ScheduleInfo&)>& condition, const char* what) {
  ScheduleInfo last;
  const bool held = wait_until(
      [&] {
        auto info = client.get_schedule(id);
        if (!info) return false;
        last = *info;
        return condition(last);
      },
      kScheduleTimeout);
  EXPECT_TRUE(held) << "schedule " << id << ": " << what << " (runs " << last.runs_started << ", skipped "
                    << last.skipped << ", status " << to_string(last.status) << ")";
  return last;
}

std::set<std::string> run_instances(Provider& store, const std::string& schedule_id) {
  std::set<std::string> runs;
  auto* admin = store.as_management_capability();
  if (admin == nullptr) return runs;
  auto all = admin->list_instances();
  if (!all) return runs;
  for (const auto& instance : *all)
    if (instance.starts_with(schedule_id + "@")) runs.insert(instance);
  return runs;
}

TEST(E2eSchedules, EachFiringStartsTheOrchestrationUnderAnIdDerivedFromItsTime) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.create_schedule("tick", "@every 1s", "Tally", "\"x\"", OverlapPolicy::AllowAll));
  const auto info = wait_for_schedule(
      env.client, "tick", [](const ScheduleInfo& s) { return s.runs_started >= 2; }, "two runs");
  EXPECT_EQ(info.instance_id, "schedule:tick");
  EXPECT_EQ(info.spec, "@every 1s");
  EXPECT_EQ(info.orchestration, "Tally");
  EXPECT_EQ(info.input, "\"x\"");
  EXPECT_EQ(info.overlap, OverlapPolicy::AllowAll);
  EXPECT_EQ(info.status, ScheduleStatus::Active);
  ASSERT_TRUE(info.last_fire_ms);
  ASSERT_TRUE(info.last_run_instance);
  EXPECT_EQ(*info.last_run_instance, schedule_run_instance_id("tick", *info.last_fire_ms));
  ASSERT_TRUE(info.next_fire_ms);
  EXPECT_EQ(*info.next_fire_ms, *info.last_fire_ms + 1'000) << "an interval stays on its grid";
  EXPECT_EQ(env.output_of(*info.last_run_instance), "tallied \"x\"");
  auto listed = env.client.list_schedules();
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, "tick");
}

TEST(E2eSchedules, SkipStartsNoRunWhileTheLastIsGoing) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.create_schedule("slow", "@every 1s", "WaitsForGo", "", OverlapPolicy::Skip));
  auto info = wait_for_schedule(
      env.client, "slow", [](const ScheduleInfo& s) { return s.skipped >= 2; }, "two skipped firings");
  EXPECT_EQ(info.runs_started, 1u);
  const auto first_run = info.last_run_instance.value_or("");
  ASSERT_TRUE(env.client.raise_event(first_run, "Go", "\"done\""));
  EXPECT_TRUE(env.wait(first_run).is_completed());
  info = wait_for_schedule(
      env.client, "slow", [](const ScheduleInfo& s) { return s.runs_started >= 2; }, "a run after the first ended");
  EXPECT_NE(info.last_run_instance, first_run);
}

TEST(E2eSchedules, BufferOneStartsTheHeldFiringWhenTheLastRunEnds) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.create_schedule("held", "@every 1s", "WaitsForGo", "", OverlapPolicy::BufferOne));
  auto info = wait_for_schedule(
      env.client, "held", [](const ScheduleInfo& s) { return s.buffered_fire_ms.has_value(); }, "a held firing");
  EXPECT_EQ(info.runs_started, 1u);
  const auto first_run = info.last_run_instance.value_or("");
  const auto held = *info.buffered_fire_ms;
  ASSERT_TRUE(env.client.raise_event(first_run, "Go", "\"done\""));
  info = wait_for_schedule(
      env.client, "held", [](const ScheduleInfo& s) { return s.runs_started >= 2; }, "the held run");
  EXPECT_EQ(info.last_run_instance, schedule_run_instance_id("held", held)) << "named after the held firing";
}

TEST(E2eSchedules, APausedScheduleWaitsAndAResumedOneFiresAgain) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.create_schedule("pausable", "@every 1s", "Tally", "\"p\"", OverlapPolicy::AllowAll));
  wait_for_schedule(
      env.client, "pausable", [](const ScheduleInfo& s) { return s.runs_started >= 1; }, "a first run");
  ASSERT_TRUE(env.client.pause_schedule("pausable", "quiet hours"));
  auto info = wait_for_schedule(
      env.client, "pausable", [](const ScheduleInfo& s) { return s.status == ScheduleStatus::Paused; }, "paused");
  EXPECT_FALSE(info.next_fire_ms) << "a paused schedule has no next firing";
  const auto runs_when_paused = info.runs_started;
  ASSERT_TRUE(env.client.resume_schedule("pausable"));
  info = wait_for_schedule(
      env.client, "pausable",
      [&](const ScheduleInfo& s) { return s.status == ScheduleStatus::Active && s.runs_started > runs_when_paused; },
      "a run after the resume");
  EXPECT_EQ(info.status, ScheduleStatus::Active);
}

TEST(E2eSchedules, ADeletedScheduleFiresNoMoreItsRunsGoOnAndItsIdCanBeUsedAgain) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.create_schedule("gone", "@every 1s", "WaitsForGo", "", OverlapPolicy::AllowAll));
  auto info = wait_for_schedule(
      env.client, "gone", [](const ScheduleInfo& s) { return s.runs_started >= 1; }, "a first run");
  ASSERT_TRUE(env.client.delete_schedule("gone"));
  info = wait_for_schedule(
      env.client, "gone", [](const ScheduleInfo& s) { return s.status == ScheduleStatus::Deleted; }, "deleted");
  EXPECT_EQ(info.ended_reason, "schedule deleted");
  auto listed = env.client.list_schedules();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty()) << "a deleted schedule is not listed";
  // Its runs were started detached: they go on.
  const auto run = info.last_run_instance.value_or("");
  auto run_status = env.client.get_orchestration_status(run);
  ASSERT_TRUE(run_status);
  EXPECT_TRUE(run_status->is_running()) << run_status->name();
  ASSERT_TRUE(env.client.raise_event(run, "Go", "\"done\""));
  EXPECT_TRUE(env.wait(run).is_completed());
  // Steering a deleted schedule is refused; creating it again starts it anew.
  auto paused = env.client.pause_schedule("gone");
  ASSERT_FALSE(paused);
  EXPECT_EQ(paused.error().kind, ClientError::Kind::ScheduleEnded);
  ASSERT_TRUE(env.client.create_schedule("gone", "@every 1s", "Tally", "\"again\"", OverlapPolicy::AllowAll));
  info = wait_for_schedule(
      env.client, "gone", [](const ScheduleInfo& s) { return s.orchestration == "Tally" && s.runs_started >= 1; },
      "the new schedule's first run");
  EXPECT_EQ(info.status, ScheduleStatus::Active);
}

TEST(E2eSchedules, BadRequestsAreRefusedWithWhy) {
  E2eEnv env(activities(), orchestrations());
  auto bad_spec = env.client.create_schedule("bad", "0 25 * * *", "Tally", "");
  ASSERT_FALSE(bad_spec);
  EXPECT_EQ(bad_spec.error().kind, ClientError::Kind::InvalidInput);
  EXPECT_NE(bad_spec.error().message.find("hour"), std::string::npos) << bad_spec.error().message;
  auto no_id = env.client.create_schedule("", "@hourly", "Tally", "");
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().kind, ClientError::Kind::InvalidInput);
  auto no_name = env.client.create_schedule("x", "@hourly", "", "");
  ASSERT_FALSE(no_name);
  EXPECT_EQ(no_name.error().kind, ClientError::Kind::InvalidInput);
  auto bad_version = env.client.create_schedule_versioned("x", "@hourly", "Tally", "two", "");
  ASSERT_FALSE(bad_version);
  EXPECT_EQ(bad_version.error().kind, ClientError::Kind::InvalidInput);
  auto not_utf8 = env.client.create_schedule("x", "@hourly", "Tally", "\xff");
  ASSERT_FALSE(not_utf8);
  EXPECT_EQ(not_utf8.error().kind, ClientError::Kind::InvalidInput);
  EXPECT_NE(not_utf8.error().message.find("input of create_schedule"), std::string::npos) << not_utf8.error().message;
  auto unknown = env.client.pause_schedule("nobody");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ClientError::Kind::InstanceNotFound);
  EXPECT_EQ(unknown.error().instance_id, "schedule:nobody");

  ASSERT_TRUE(env.client.create_schedule("hourly", "@hourly", "Tally", ""));
  wait_for_schedule(
      env.client, "hourly", [](const ScheduleInfo& s) { return s.next_fire_ms.has_value(); }, "its next firing");
  auto again = env.client.create_schedule("hourly", "@daily", "Tally", "");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ClientError::Kind::ScheduleExists);
  EXPECT_EQ(again.error().instance_id, "schedule:hourly");
}

TEST(E2eSchedules, AScheduleGoesOnAfterARestart) {
  reset();
  DurableStore durable;
  std::uint64_t runs_before = 0;
  {
    E2eEnv env(durable.open(), activities(), orchestrations());
    ASSERT_TRUE(env.client.create_schedule("durable", "@every 1s", "Tally", "\"d\"", OverlapPolicy::AllowAll));
    runs_before = wait_for_schedule(
                      env.client, "durable", [](const ScheduleInfo& s) { return s.runs_started >= 1; }, "a first run")
                      .runs_started;
  }
  E2eEnv env(durable.open(), activities(), orchestrations());
  wait_for_schedule(
      env.client, "durable", [&](const ScheduleInfo& s) { return s.runs_started > runs_before; },
      "a run after the restart");
}

TEST(E2eSchedules, TwoRuntimesSharingAStoreRunEachFiringOnce) {
  reset();
  DurableStore durable;
  E2eEnv first(durable.open(), activities(), orchestrations());
  E2eEnv second(durable.open(), activities(), orchestrations());
  ASSERT_TRUE(first.client.create_schedule("shared", "@every 1s", "Tally", "\"s\"", OverlapPolicy::AllowAll));
  const auto info = wait_for_schedule(
      second.client, "shared", [](const ScheduleInfo& s) { return s.runs_started >= 3; }, "three runs");
  for (const auto& run : run_instances(*first.store, "shared")) first.output_of(run);

  // One start per firing in the schedule's history, each at a different firing time...
  std::set<std::string> started;
  std::size_t starts = 0;
  auto* admin = first.store->as_management_capability();
  ASSERT_NE(admin, nullptr);
  auto executions = admin->list_executions("schedule:shared");
  ASSERT_TRUE(executions);
  for (auto execution : *executions) {
    auto history = admin->read_history_with_execution_id("schedule:shared", execution);
    ASSERT_TRUE(history);
    for (const auto& event : *history) {
      if (const auto* chained = event.get_if<events::OrchestrationChained>()) {
        ++starts;
        started.insert(chained->instance);
      }
    }
  }
  EXPECT_GE(starts, info.runs_started);
  EXPECT_EQ(started.size(), starts) << "a firing started twice";
  // ... and every run did its work once.
  for (const auto& [run, times] : tally_runs()) {
    if (run.starts_with("shared@")) {
      EXPECT_EQ(times, 1) << run;
    }
  }
}

}  // namespace
}  // namespace duroxide::testing
