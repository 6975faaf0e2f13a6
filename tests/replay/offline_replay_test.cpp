// Offline replay (docs/offline-replay.md): histories written by one version of the code, replayed
// with replay_history against that version (deterministic) and against changed ones (the first
// disagreement reported with the event and the code's action).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <duroxide/offline_replay.hpp>
#include <duroxide/testing/replay_assertions.hpp>
#include <duroxide/wire.hpp>

#include "support/temp_dir.hpp"
#include "turn_driver.hpp"

namespace duroxide::testing {
namespace {

using Handler = OrchestrationHandler;

/// v1 of the code: two activities in a row, then their results joined.
Task<Result<std::string>> two_steps(OrchestrationContext ctx, std::string input) {
  auto a = co_await ctx.schedule_activity("A", input);
  auto b = co_await ctx.schedule_activity("B", *a);
  co_return *a + "+" + *b;
}

/// v1 with its output joined the other way round.
Task<Result<std::string>> other_output(OrchestrationContext ctx, std::string input) {
  auto a = co_await ctx.schedule_activity("A", input);
  auto b = co_await ctx.schedule_activity("B", *a);
  co_return *b + "+" + *a;
}

OrchestrationRegistry registry_of(Handler handler) {
  return OrchestrationRegistry::builder().add("Orch", std::move(handler)).build();
}

/// Appends the terminal event the runtime records for `out` (the engine leaves it to the runtime).
void record_ending(std::vector<Event>& history, const TurnOutput& out) {
  const auto id = history.back().event_id + 1;
  if (auto output = completed_output(out)) {
    history.push_back(ev(id, events::OrchestrationCompleted{*output}));
  } else if (auto details = failure(out)) {
    history.push_back(ev(id, events::OrchestrationFailed{*details}));
  }
}

/// The history v1 writes for input "x": started, A scheduled and done, B scheduled and done, completed.
std::vector<Event> completed_two_steps() {
  TurnDriver driver(two_steps, "x");
  driver.turn();
  driver.turn({activity_ok(2, "a")});
  auto last = driver.turn({activity_ok(4, "b")});
  EXPECT_EQ(completed_output(last), "a+b");
  auto history = driver.history();
  record_ending(history, last);
  return history;
}

TEST(ReplayOfflineReplay, ACompletedHistoryReplaysWithTheCodeThatWroteIt) {
  const auto history = completed_two_steps();
  const auto report = replay_history(registry_of(two_steps), history);
  EXPECT_TRUE(report.ok()) << report.to_string();
  EXPECT_EQ(report.instance_id, "inst-1");
  EXPECT_EQ(report.orchestration, "Orch@1.0.0");
  EXPECT_EQ(report.executions, 1u);
  EXPECT_EQ(report.events, history.size());
  EXPECT_NE(report.to_string().find("replayed deterministically"), std::string::npos);
}

TEST(ReplayOfflineReplay, ARenamedActivityIsReportedAtItsScheduleEventWithTheCodesAction) {
  const auto history = completed_two_steps();
  Handler renamed = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", input);
    auto b = co_await ctx.schedule_activity("B2", *a);
    co_return *a + "+" + *b;
  };
  const auto report = replay_history(registry_of(renamed), history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  EXPECT_EQ(report.mismatch->execution_id, 1u);
  // The second ActivityScheduled: event 4 (1 started, 2 A scheduled, 3 A completed, 4 B scheduled).
  ASSERT_TRUE(report.mismatch->event_id);
  EXPECT_EQ(*report.mismatch->event_id, 4u);
  EXPECT_TRUE(history.at(3).is<events::ActivityScheduled>());
  EXPECT_NE(report.mismatch->recorded.find("B"), std::string::npos) << report.mismatch->recorded;
  EXPECT_NE(report.mismatch->emitted.find("B2"), std::string::npos) << report.mismatch->emitted;
  const auto text = report.to_string();
  EXPECT_NE(text.find("history:"), std::string::npos) << text;
  EXPECT_NE(text.find("code:"), std::string::npos) << text;
}

TEST(ReplayOfflineReplay, ARemovedStepIsReportedAsNoActionAtTheRecordedSchedule) {
  const auto history = completed_two_steps();
  Handler shorter = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", input);
    co_await ctx.schedule_timer(std::chrono::seconds(1));  // the step that replaced B
    co_return *a;
  };
  const auto report = replay_history(registry_of(shorter), history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  ASSERT_TRUE(report.mismatch->event_id);
  EXPECT_NE(report.mismatch->recorded.find("B"), std::string::npos) << report.mismatch->recorded;
  EXPECT_NE(report.mismatch->emitted.find("imer"), std::string::npos) << report.mismatch->emitted;
}

TEST(ReplayOfflineReplay, AStepAddedAfterTheLastRecordedOneIsReportedAtTheEnding) {
  const auto history = completed_two_steps();
  Handler longer = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", input);
    auto b = co_await ctx.schedule_activity("B", *a);
    auto c = co_await ctx.schedule_activity("C", *b);
    co_return *a + "+" + *b + "+" + *c;
  };
  const auto report = replay_history(registry_of(longer), history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  EXPECT_EQ(report.mismatch->event_id, history.back().event_id) << "reported at the recorded completion";
  EXPECT_NE(report.mismatch->recorded.find("OrchestrationCompleted"), std::string::npos) << report.mismatch->recorded;
  EXPECT_NE(report.mismatch->emitted.find("C"), std::string::npos) << report.mismatch->emitted;
}

TEST(ReplayOfflineReplay, ADifferentOutputIsReportedAtTheEnding) {
  const auto history = completed_two_steps();
  const auto report = replay_history(registry_of(other_output), history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  EXPECT_EQ(report.mismatch->event_id, history.back().event_id);
  EXPECT_NE(report.mismatch->emitted.find("b+a"), std::string::npos) << report.mismatch->emitted;
}

TEST(ReplayOfflineReplay, AWaitingHistoryReplaysWhenTheCodeWaitsAndIsReportedWhenItDecidesMore) {
  TurnDriver driver(two_steps, "x");
  driver.turn();
  driver.turn({activity_ok(2, "a")});  // waiting for B
  const auto history = driver.history();
  EXPECT_TRUE(replay_history(registry_of(two_steps), history).ok());

  Handler eager = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", input);
    auto b = ctx.schedule_activity("B", *a);
    auto extra = ctx.schedule_activity("Extra", *a);  // a decision v1 never took
    co_await b;
    co_await extra;
    co_return *a;
  };
  const auto report = replay_history(registry_of(eager), history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  EXPECT_FALSE(report.mismatch->event_id) << "past the history's end";
  EXPECT_NE(report.mismatch->emitted.find("Extra"), std::string::npos) << report.mismatch->emitted;
}

TEST(ReplayOfflineReplay, AFailedHistoryReplaysWhenTheCodeFailsAlike) {
  Handler failing = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", input);
    if (!a) co_return Err("A failed: " + a.error());
    co_return *a;
  };
  TurnDriver driver(failing, "x");
  driver.turn();
  auto last = driver.turn({activity_err(2, "disk full")});
  ASSERT_TRUE(failure(last));
  auto history = driver.history();
  record_ending(history, last);
  EXPECT_TRUE(replay_history(registry_of(failing), history).ok());

  Handler forgiving = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", input);
    co_return a ? *a : std::string("ignored");
  };
  const auto report = replay_history(registry_of(forgiving), history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  EXPECT_NE(report.mismatch->recorded.find("OrchestrationFailed"), std::string::npos) << report.mismatch->recorded;
  EXPECT_NE(report.mismatch->emitted.find("ignored"), std::string::npos) << report.mismatch->emitted;
}

TEST(ReplayOfflineReplay, EachExecutionOfAContinuedInstanceReplaysOnItsOwn) {
  Handler looping = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto next = co_await ctx.schedule_activity("Step", input);
    if (input == "0") co_await ctx.continue_as_new(*next);
    co_return *next;
  };
  TurnDriver first(looping, "0");
  first.turn();
  auto continued = first.turn({activity_ok(2, "1")});
  ASSERT_TRUE(std::holds_alternative<tr::ContinueAsNew>(continued.result));
  auto history = first.history();
  history.push_back(ev(history.back().event_id + 1, events::OrchestrationContinuedAsNew{"1"}));

  TurnDriver second(looping, "1");
  second.turn();
  auto done = second.turn({activity_ok(2, "2", 1)});
  auto second_history = second.history();
  record_ending(second_history, done);
  for (auto& event : second_history) event.execution_id = 2;
  history.insert(history.end(), second_history.begin(), second_history.end());

  const auto report = replay_history(registry_of(looping), history);
  EXPECT_TRUE(report.ok()) << report.to_string();
  EXPECT_EQ(report.executions, 2u);

  Handler no_loop = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    co_return *co_await ctx.schedule_activity("Step", input);
  };
  const auto changed = replay_history(registry_of(no_loop), history);
  ASSERT_TRUE(changed.mismatch) << changed.to_string();
  EXPECT_EQ(changed.mismatch->execution_id, 1u);
  EXPECT_NE(changed.mismatch->recorded.find("ContinuedAsNew"), std::string::npos) << changed.mismatch->recorded;
}

TEST(ReplayOfflineReplay, AnUnregisteredOrchestrationOrAHistoryWithoutAStartIsAnErrorNotAMismatch) {
  const auto history = completed_two_steps();
  const auto unknown = replay_history(OrchestrationRegistry::builder().add("Other", two_steps).build(), history);
  ASSERT_TRUE(unknown.error);
  EXPECT_FALSE(unknown.mismatch);
  EXPECT_NE(unknown.error->find("'Orch' version 1.0.0 is not registered"), std::string::npos) << *unknown.error;

  const std::vector<Event> headless(history.begin() + 1, history.end());
  const auto no_start = replay_history(registry_of(two_steps), headless);
  ASSERT_TRUE(no_start.error);
  EXPECT_NE(no_start.error->find("does not begin with OrchestrationStarted"), std::string::npos) << *no_start.error;

  const auto empty = replay_history(registry_of(two_steps), {});
  ASSERT_TRUE(empty.error);
  EXPECT_FALSE(empty.ok());

  auto mixed = history;
  mixed.back().instance_id = "inst-2";
  const auto two_instances = replay_history(registry_of(two_steps), mixed);
  ASSERT_TRUE(two_instances.error);
  EXPECT_NE(two_instances.error->find("mixes instances 'inst-1' and 'inst-2'"), std::string::npos)
      << *two_instances.error;
}

TEST(ReplayOfflineReplay, EventsAfterTheRecordedEndingAreTheRuntimesAndDoNotHideAChangedEnding) {
  // The runtime records the cancellation of activities still in flight after the terminal event
  // (docs/orchestration-engine.md, "Terminal states"): the ending is still the one compared.
  auto history = completed_two_steps();
  history.push_back(
      ev(history.back().event_id + 1, events::ActivityCancelRequested{"orchestration_terminal_completed"}, 2));
  EXPECT_TRUE(replay_history(registry_of(two_steps), history).ok());
  const auto report = replay_history(registry_of(other_output), history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  EXPECT_EQ(report.mismatch->event_id, history.back().event_id - 1) << "reported at the recorded completion";
  EXPECT_NE(report.mismatch->emitted.find("b+a"), std::string::npos) << report.mismatch->emitted;
  EXPECT_EQ(report.events, history.size());
}

/// A history an operator terminated while activity B was in flight (docs/terminate.md).
std::vector<Event> terminated_in_the_second_step() {
  TurnDriver driver(two_steps, "x");
  driver.turn();
  driver.turn({activity_ok(2, "a")});
  auto history = driver.history();
  const auto b_scheduled = history.back().event_id;
  history.push_back(ev(b_scheduled + 1, events::OrchestrationTerminated{"stuck"}));
  history.push_back(ev(b_scheduled + 2, events::ActivityCancelRequested{"orchestration_terminated"}, b_scheduled));
  return history;
}

TEST(ReplayOfflineReplay, ATerminatedHistoryReplaysWhenItsPrefixDoesWhateverTheCodeWouldDoNext) {
  const auto history = terminated_in_the_second_step();
  auto report = replay_history(registry_of(two_steps), history);
  EXPECT_TRUE(report.ok()) << report.to_string();
  EXPECT_EQ(report.events, history.size());
  // Code that goes further than the recorded prefix is no mismatch: the operator, not the code,
  // ended the execution.
  Handler longer = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", input);
    auto b = co_await ctx.schedule_activity("B", *a);
    auto c = co_await ctx.schedule_activity("C", *b);
    co_return *c;
  };
  EXPECT_TRUE(replay_history(registry_of(longer), history).ok());
  // A changed step inside the prefix still is.
  Handler renamed = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    auto a = co_await ctx.schedule_activity("A", input);
    auto b = co_await ctx.schedule_activity("B2", *a);
    co_return *b;
  };
  report = replay_history(registry_of(renamed), history);
  ASSERT_TRUE(report.mismatch) << report.to_string();
  EXPECT_EQ(report.mismatch->event_id, 4u);
}

TEST(ReplayOfflineReplay, HistoryDocumentsAreReadAsArraysOrAsTheCliDocument) {
  const auto history = completed_two_steps();
  const std::string array = serialize_history(history);
  EXPECT_EQ(parse_history_document(array).value(), history);
  const std::string cli = R"({"instance":"inst-1","execution_id":1,"executions":[1],"events":)" + array + "}";
  EXPECT_EQ(parse_history_document(cli).value(), history);

  EXPECT_NE(parse_history_document("").error().find("empty"), std::string::npos);
  EXPECT_NE(parse_history_document("{\"events\": [").error().find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_history_document("{\"history\": []}").error().find("\"events\""), std::string::npos);
  EXPECT_FALSE(parse_history_document("[{\"event_id\": \"one\"}]").has_value());
  EXPECT_FALSE(parse_history_document(std::string("[\"\xff\"]")).has_value()) << "bytes that are not UTF-8";
}

TEST(ReplayOfflineReplay, AHistoryFileIsLoadedOrItsProblemNamesTheFile) {
  TempDir dir("offline-replay");
  const auto path = dir.path() / "h.json";
  const auto history = completed_two_steps();
  std::ofstream(path) << serialize_history(history);
  EXPECT_EQ(load_history_file(path).value(), history);

  const auto missing = load_history_file(dir.path() / "missing.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("missing.json"), std::string::npos) << missing.error();
  std::ofstream(dir.path() / "bad.json") << "not json";
  const auto bad = load_history_file(dir.path() / "bad.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("bad.json"), std::string::npos) << bad.error();
}

TEST(ReplayOfflineReplay, TheGtestAssertionsPassOnFixturesThatReplayAndQuoteTheReportOtherwise) {
  TempDir dir("offline-replay-fixtures");
  std::ofstream(dir.path() / "order-1.json") << serialize_history(completed_two_steps());
  std::ofstream(dir.path() / "notes.txt") << "not a fixture";
  EXPECT_TRUE(gtest::replays_deterministically(registry_of(two_steps), dir.path() / "order-1.json"));
  EXPECT_TRUE(gtest::all_replay_deterministically(registry_of(two_steps), dir.path()));

  Handler renamed = [](OrchestrationContext ctx, std::string input) -> Task<Result<std::string>> {
    co_return *co_await ctx.schedule_activity("A2", input);
  };
  const auto one = gtest::replays_deterministically(registry_of(renamed), dir.path() / "order-1.json");
  EXPECT_FALSE(one);
  EXPECT_NE(std::string(one.message()).find("order-1.json"), std::string::npos) << one.message();
  EXPECT_NE(std::string(one.message()).find("A2"), std::string::npos) << one.message();
  EXPECT_FALSE(gtest::all_replay_deterministically(registry_of(renamed), dir.path()));

  TempDir empty("offline-replay-empty");
  const auto none = gtest::all_replay_deterministically(registry_of(two_steps), empty.path());
  EXPECT_FALSE(none);
  EXPECT_NE(std::string(none.message()).find("no *.json history"), std::string::npos) << none.message();
  EXPECT_FALSE(gtest::replays_deterministically(registry_of(two_steps), empty.path() / "missing.json"));
}

}  // namespace
}  // namespace duroxide::testing
