// Offline replay of histories a real runtime wrote (docs/offline-replay.md), on every store: every
// execution of an instance is exported through the client, saved as JSON, read back and replayed
// without a runtime.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <duroxide/offline_replay.hpp>
#include <duroxide/wire.hpp>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Check", [](ActivityContext&, std::string input) -> Result<std::string> { return "checked " + input; })
      .build();
}

/// A timer, an event, an activity and a continue-as-new: what a production history holds.
Task<Result<std::string>> renewal(OrchestrationContext ctx, std::string round) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(5));
  auto approval = co_await ctx.schedule_wait("Approve");
  auto checked = co_await ctx.schedule_activity("Check", approval);
  if (round == "1") co_await ctx.continue_as_new("2");
  co_return *checked + " in round " + round;
}

/// Every execution's events, in order, as an operator would export them.
std::vector<Event> export_all(Client& client, const std::string& instance) {
  std::vector<Event> all;
  const auto executions = client.list_executions(instance).value();  // not in the for: it would dangle
  for (const auto execution : executions) {
    const auto events = client.read_execution_history(instance, execution).value();
    all.insert(all.end(), events.begin(), events.end());
  }
  return all;
}

/// Raises "Approve" once the instance waits for it in its current execution.
void approve_when_waiting(E2eEnv& env, const std::string& instance, std::uint64_t execution) {
  ASSERT_TRUE(wait_until([&] {
    for (const auto& e : env.history(instance))
      if (e.execution_id == execution && e.is<events::ExternalSubscribed>()) return true;
    return false;
  }));
  ASSERT_TRUE(env.client.raise_event(instance, "Approve", "yes"));
}

TEST(E2eOfflineReplay, AnExportedHistoryReplaysWithItsCodeAndChangedCodeIsReported) {
  const auto v1 = OrchestrationRegistry::builder().add("Renewal", renewal).build();
  E2eEnv env(activities(), v1);
  ASSERT_TRUE(env.client.start_orchestration("renewal-1", "Renewal", "1"));
  approve_when_waiting(env, "renewal-1", 1);
  approve_when_waiting(env, "renewal-1", 2);
  ASSERT_EQ(env.output_of("renewal-1"), "checked yes in round 2");

  // Saved and read back as the JSON an operator keeps as a fixture.
  const auto fixture = parse_history_document(serialize_history(export_all(env.client, "renewal-1")));
  ASSERT_TRUE(fixture.has_value()) << fixture.error();
  const auto report = replay_history(v1, *fixture);
  EXPECT_TRUE(report.ok()) << report.to_string();
  EXPECT_EQ(report.executions, 2u);
  EXPECT_EQ(report.events, fixture->size());

  // The change: the event is awaited before the timer.
  const auto v2 = OrchestrationRegistry::builder()
                      .add("Renewal",
                           [](OrchestrationContext ctx, std::string round) -> Task<Result<std::string>> {
                             auto approval = co_await ctx.schedule_wait("Approve");
                             co_await ctx.schedule_timer(std::chrono::milliseconds(5));
                             auto checked = co_await ctx.schedule_activity("Check", approval);
                             if (round == "1") co_await ctx.continue_as_new("2");
                             co_return *checked + " in round " + round;
                           })
                      .build();
  const auto changed = replay_history(v2, *fixture);
  ASSERT_TRUE(changed.mismatch) << changed.to_string();
  EXPECT_EQ(changed.mismatch->execution_id, 1u);
  EXPECT_EQ(changed.mismatch->event_id, 2u) << "the timer was the first decision";
  EXPECT_NE(changed.mismatch->recorded.find("TimerCreated"), std::string::npos) << changed.mismatch->recorded;
  EXPECT_NE(changed.mismatch->emitted.find("Approve"), std::string::npos) << changed.mismatch->emitted;
}

}  // namespace
}  // namespace duroxide::testing
