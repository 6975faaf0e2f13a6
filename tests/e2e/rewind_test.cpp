// Client::rewind_instance on a real runtime (docs/rewind.md), on every store: a failed instance
// goes back to before its failure, the failed activity runs again (its bug fixed meanwhile) and
// the instance completes; a failed child is rewound with its parent; an instance that fails again
// can be rewound again; what did not fail is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include <duroxide/offline_replay.hpp>

#include "support/e2e_support.hpp"
#include "support/gate.hpp"

namespace duroxide::testing {
namespace {

/// Set once "bug 1234" is fixed: until then Charge fails.
std::atomic<bool> g_bug_fixed{false};
std::atomic<int> g_charge_runs{0};
std::atomic<int> g_ship_runs{0};
/// While set, Charge waits for the gate before it does anything.
std::atomic<bool> g_hold_charge{false};
Gate g_charge_gate;

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Charge",
           [](ActivityContext&, std::string order) -> Result<std::string> {
             ++g_charge_runs;
             if (g_hold_charge) g_charge_gate.wait();
             if (!g_bug_fixed) return std::unexpected("bug 1234: card number parsed as a float");
             return "charged " + order;
           })
      .add("Ship",
           [](ActivityContext&, std::string receipt) -> Result<std::string> {
             ++g_ship_runs;
             return "shipped after " + receipt;
           })
      .build();
}

/// Charge, then Ship; a failed activity fails the orchestration with its error.
Task<Result<std::string>> fulfil(OrchestrationContext ctx, std::string order) {
  auto receipt = co_await ctx.schedule_activity("Charge", order);
  if (!receipt) co_return std::unexpected(receipt.error());
  auto shipped = co_await ctx.schedule_activity("Ship", *receipt);
  if (!shipped) co_return std::unexpected(shipped.error());
  co_return *shipped;
}

/// Runs fulfil as a child; its failure fails the parent.
Task<Result<std::string>> fulfil_as_child(OrchestrationContext ctx, std::string order) {
  auto shipped = co_await ctx.schedule_sub_orchestration_with_id("Fulfil", order + "-child", order);
  if (!shipped) co_return std::unexpected("child failed: " + shipped.error());
  co_return "parent saw: " + *shipped;
}

/// Waits for an event that never comes.
Task<Result<std::string>> waits_for_go(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_wait("Go");
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Fulfil", fulfil)
      .add("Parent", fulfil_as_child)
      .add("WaitsForGo", waits_for_go)
      .build();
}

void reset() {
  g_hold_charge = false;
  g_bug_fixed = false;
  g_charge_runs = 0;
  g_ship_runs = 0;
}

std::string status_text(const OrchestrationStatus& status) {
  std::string text(status.name());
  if (const auto* failed = status.get_if<status::Failed>()) text.append(": ").append(failed->details.display_message());
  return text;
}

/// Waits until `instance` has ended Failed (a test failure otherwise).
void wait_failed(E2eEnv& env, const std::string& instance) {
  const auto status = env.wait(instance);
  ASSERT_TRUE(status.is_failed()) << status_text(status);
}

/// Waits for the Completed status a rewind leads to (the Failed status stays until the runtime
/// has carried the rewind out, so wait_for_orchestration would return at once).
std::string wait_completed(E2eEnv& env, const std::string& instance) {
  std::string last;
  const bool done = wait_until([&] {
    auto status = env.client.get_orchestration_status(instance);
    if (!status) return false;
    last = status_text(*status);
    return status->is_completed();
  });
  if (!done) {
    ADD_FAILURE() << instance << " did not complete after the rewind: " << last;
    return "";
  }
  return env.client.get_orchestration_status(instance)->get_if<status::Completed>()->output;
}

std::size_t count_rewinds(const std::vector<Event>& history) {
  return static_cast<std::size_t>(std::count_if(history.begin(), history.end(),
                                                [](const Event& e) { return e.is<events::OrchestrationRewound>(); }));
}

TEST(E2eRewind, AFailedActivityRunsAgainOnceItsBugIsFixedAndTheInstanceCompletes) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("order-1", "Fulfil", "order-1"));
  wait_failed(env, "order-1");
  EXPECT_EQ(g_charge_runs, 1);
  EXPECT_EQ(g_ship_runs, 0);

  g_bug_fixed = true;  // the fix is deployed
  ASSERT_TRUE(env.client.rewind_instance("order-1", "bug 1234 fixed"));
  EXPECT_EQ(wait_completed(env, "order-1"), "shipped after charged order-1");
  EXPECT_EQ(g_charge_runs, 2) << "the failed activity ran again";
  EXPECT_EQ(g_ship_runs, 1);

  // Recorded in history, so the instance replays: the rewind names what it took back.
  const auto history = env.history("order-1");
  ASSERT_EQ(count_rewinds(history), 1u);
  const auto marker =
      std::find_if(history.begin(), history.end(), [](const Event& e) { return e.is<events::OrchestrationRewound>(); });
  EXPECT_EQ(marker->get_if<events::OrchestrationRewound>()->reason, "bug 1234 fixed");
  EXPECT_EQ(marker->get_if<events::OrchestrationRewound>()->superseded.size(), 2u) << "Charge's failure, the failure";
  const auto report = replay_history(orchestrations(), history);
  EXPECT_TRUE(report.ok()) << report.to_string();
  EXPECT_EQ(env.runtime->metrics_snapshot().orch_rewinds, 1u);

  // Listed as completed, with no trace of the failure left in the status.
  auto info = env.client.get_instance_info("order-1");
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->status, ExecutionStatus::Completed);
  EXPECT_EQ(info->output, "shipped after charged order-1");
}

TEST(E2eRewind, ARewoundExecutionRunsAgainAndNoLongerCountsAsEnded) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("order-4", "Fulfil", "order-4"));
  wait_failed(env, "order-4");
  auto execution = env.client.get_execution_info("order-4", 1);
  ASSERT_TRUE(execution) << execution.error().to_string();
  EXPECT_TRUE(execution->completed_at_ms) << "a failed execution has ended";

  // The retried Charge is held: the rewind has been committed (it dispatched Charge), the
  // instance has not ended again.
  g_charge_gate.close();
  OpenOnExit open{g_charge_gate};
  g_hold_charge = true;
  g_bug_fixed = true;
  ASSERT_TRUE(env.client.rewind_instance("order-4", "bug 1234 fixed"));
  ASSERT_TRUE(wait_until([&] { return g_charge_runs.load() == 2; }));
  auto status = env.client.get_orchestration_status("order-4");
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->is_running()) << status_text(*status);
  execution = env.client.get_execution_info("order-4", 1);
  ASSERT_TRUE(execution);
  EXPECT_EQ(execution->status, ExecutionStatus::Running);
  EXPECT_FALSE(execution->completed_at_ms) << "running again";

  g_charge_gate.open();
  EXPECT_EQ(wait_completed(env, "order-4"), "shipped after charged order-4");
  execution = env.client.get_execution_info("order-4", 1);
  ASSERT_TRUE(execution);
  EXPECT_TRUE(execution->completed_at_ms) << "ended again";
  g_hold_charge = false;
}

TEST(E2eRewind, AFailedChildIsRewoundWithItsParent) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("order-2", "Parent", "order-2"));
  wait_failed(env, "order-2");
  wait_failed(env, "order-2-child");

  g_bug_fixed = true;
  ASSERT_TRUE(env.client.rewind_instance("order-2", "bug 1234 fixed"));
  EXPECT_EQ(wait_completed(env, "order-2"), "parent saw: shipped after charged order-2");
  EXPECT_EQ(wait_completed(env, "order-2-child"), "shipped after charged order-2");
  const auto child_history = env.history("order-2-child");
  ASSERT_EQ(count_rewinds(child_history), 1u);
  const auto marker = std::find_if(child_history.begin(), child_history.end(),
                                   [](const Event& e) { return e.is<events::OrchestrationRewound>(); });
  EXPECT_EQ(marker->get_if<events::OrchestrationRewound>()->reason, "parent 'order-2' rewound: bug 1234 fixed");
}

TEST(E2eRewind, AnInstanceThatFailsAgainCanBeRewoundAgain) {
  reset();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("order-3", "Fulfil", "order-3"));
  wait_failed(env, "order-3");

  // The first fix did not work: the retried activity fails again and so does the instance.
  ASSERT_TRUE(env.client.rewind_instance("order-3", "first try"));
  ASSERT_TRUE(wait_until([&] { return g_charge_runs.load() == 2; }));
  ASSERT_TRUE(wait_until([&] {
    auto history = env.history("order-3");
    auto status = env.client.get_orchestration_status("order-3");
    return count_rewinds(history) == 1 && status && status->is_failed();
  }));

  g_bug_fixed = true;
  ASSERT_TRUE(env.client.rewind_instance("order-3", "second try"));
  EXPECT_EQ(wait_completed(env, "order-3"), "shipped after charged order-3");
  EXPECT_EQ(g_charge_runs, 3);
  const auto history = env.history("order-3");
  EXPECT_EQ(count_rewinds(history), 2u);
  EXPECT_TRUE(replay_history(orchestrations(), history).ok());
  EXPECT_EQ(env.runtime->metrics_snapshot().orch_rewinds, 2u);
}

TEST(E2eRewind, OnlyAFailedInstanceThatWasNotCancelledCanBeRewound) {
  reset();
  g_bug_fixed = true;
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("done-1", "Fulfil", "done-1"));
  ASSERT_TRUE(env.wait("done-1").is_completed());
  auto refused = env.client.rewind_instance("done-1", "why not");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ClientError::Kind::NotRewindable);
  EXPECT_EQ(refused.error().to_string(),
            "Instance done-1 cannot be rewound: it is Completed, and only a failed instance can be rewound");

  ASSERT_TRUE(env.client.start_orchestration("cancelled-1", "WaitsForGo", ""));
  ASSERT_TRUE(wait_until([&] {
    auto status = env.client.get_orchestration_status("cancelled-1");
    return status && status->is_running();
  }));
  ASSERT_TRUE(env.client.cancel_instance("cancelled-1", "not needed"));
  ASSERT_TRUE(env.wait("cancelled-1").is_failed());
  refused = env.client.rewind_instance("cancelled-1", "undo");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ClientError::Kind::NotRewindable);
  EXPECT_EQ(refused.error().to_string(),
            "Instance cancelled-1 cannot be rewound: it was cancelled, which a rewind does not take back");

  refused = env.client.rewind_instance("nobody", "typo");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ClientError::Kind::InstanceNotFound);

  refused = env.client.rewind_instance("done-1", std::string("bad \xff reason"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ClientError::Kind::InvalidInput);
}

}  // namespace
}  // namespace duroxide::testing
