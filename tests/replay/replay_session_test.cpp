// The replay engine's live sessions (docs/orchestration-engine.md, "Instance cache"): a turn that
// continues exactly where the last one left off resumes the suspended code instead of replaying
// the history; anything else replays. Every resumed turn here is also replayed by the driver and
// must come out the same (turn_driver.hpp).
#include <gtest/gtest.h>

#include <string>

#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using Ctx = OrchestrationContext;

/// A chain of `length` activities, each fed the previous result; counts how often the code starts.
OrchestrationHandler chain(int length, int& starts) {
  return [length, &starts](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ++starts;
    std::string value = "0";
    for (int i = 0; i < length; ++i) value = *co_await ctx.schedule_activity("Step", value);
    co_return value;
  };
}

/// The scheduling event id of the chain's step `i` (0-based): Started is 1, then a schedule and
/// its completion per step.
std::uint64_t step_id(int i) { return 2 + 2 * static_cast<std::uint64_t>(i); }

TEST(ReplaySession, ResumedTurnsStartTheCodeOnceAndFinishAsAReplayWould) {
  int starts = 0;
  TurnDriver driver(chain(3, starts));
  driver.resume_between_turns();
  driver.turn();
  EXPECT_TRUE(driver.holds_session());
  driver.turn({activity_ok(step_id(0), "a")});
  driver.turn({activity_ok(step_id(1), "b")});
  const int resumed_starts = starts;
  EXPECT_EQ(completed_output(driver.turn({activity_ok(step_id(2), "c")})), "c");
  // The driver's check replays each resumed turn once, which starts the code once more per turn.
  EXPECT_EQ(resumed_starts, 1 + 2) << "a resumed turn started the code again";
  EXPECT_FALSE(driver.holds_session()) << "the session must end with the execution";
}

TEST(ReplaySession, AHistoryTheSessionHasNotSeenIsReplayed) {
  int starts = 0;
  TurnDriver driver(chain(2, starts));
  driver.resume_between_turns();
  driver.turn();
  // Another writer appended an event the session never saw (a lock lost to another process).
  driver.history().push_back(ev(3, events::ExternalEvent{"nobody-waits", "{}"}));
  const int before = starts;
  const auto out = driver.turn({activity_ok(step_id(0), "a")});
  // Replayed: the code starts again (and once more for the driver's check of the turn).
  EXPECT_EQ(starts - before, 2) << "the turn must replay the history, not resume a state that missed an event";
  EXPECT_TRUE(is_continue(out));
  EXPECT_TRUE(driver.holds_session()) << "the replayed turn leaves a session of its own";
}

TEST(ReplaySession, AFailedTurnLeavesNoSession) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto r = co_await ctx.schedule_activity("A", "");
    if (!r) co_return Err("failed: " + r.error());
    co_await ctx.schedule_activity("B", "");
    co_return "";
  });
  driver.resume_between_turns();
  driver.turn();
  ASSERT_TRUE(driver.holds_session());
  EXPECT_TRUE(failure(driver.turn({activity_err(2, "boom")})).has_value());
  EXPECT_FALSE(driver.holds_session());
}

TEST(ReplaySession, ALambdaCapturesOutliveTheTurnThatStartedItsCode) {
  // A lambda coroutine's frame reads its captures through the lambda object, which lives in the
  // handler the turn was given; the driver passes a fresh copy of its handler every turn, so a
  // session that did not keep its own copy would read freed memory here (ASan) or garbage.
  const std::string suffix(64, 'x');  // long enough to live on the heap
  TurnDriver driver([suffix](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto first = *co_await ctx.schedule_activity("A", "");
    auto second = *co_await ctx.schedule_activity("B", first + suffix);
    co_return second + suffix;
  });
  driver.resume_between_turns();
  driver.turn();
  const auto middle = driver.turn({activity_ok(2, "a")});
  ASSERT_EQ(actions_of<actions::CallActivity>(middle.pending_actions).size(), 1U);
  EXPECT_EQ(actions_of<actions::CallActivity>(middle.pending_actions)[0]->input, "a" + suffix);
  EXPECT_EQ(completed_output(driver.turn({activity_ok(4, "b")})), "b" + suffix);
}

TEST(ReplaySession, ALongChainResumedMatchesItsReplayEveryTurn) {
  // Long enough that the schedule ids outgrow the first turn's table sizing many times over.
  constexpr int kLength = 1200;
  int starts = 0;
  TurnDriver driver(chain(kLength, starts));
  driver.resume_between_turns();
  driver.turn();
  for (int i = 0; i + 1 < kLength; ++i) {
    const auto out = driver.turn({activity_ok(step_id(i), std::to_string(i + 1))});
    ASSERT_TRUE(is_continue(out)) << "step " << i;
    ASSERT_EQ(out.pending_actions.size(), 1U) << "step " << i;
  }
  EXPECT_EQ(completed_output(driver.turn({activity_ok(step_id(kLength - 1), "last")})), "last");
}

}  // namespace
}  // namespace duroxide::testing
