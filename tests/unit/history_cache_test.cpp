// The runtime's history cache (src/runtime/history_cache.hpp, docs/runtime.md "History cache").
#include <gtest/gtest.h>

#include <duroxide/duroxide.hpp>

#include "orchestration/replay_engine.hpp"
#include "runtime/history_cache.hpp"

namespace duroxide::runtime {
namespace {

Event event(std::uint64_t id, std::uint64_t timestamp_ms = 1000, std::uint64_t execution_id = 1) {
  Event e;
  e.event_id = id;
  e.instance_id = "inst";
  e.execution_id = execution_id;
  e.timestamp_ms = timestamp_ms + id;
  e.kind = events::ExternalEvent{"poke", "{}"};
  return e;
}

std::vector<Event> events_from(std::uint64_t first, std::uint64_t last, std::uint64_t timestamp_ms = 1000) {
  std::vector<Event> out;
  for (auto id = first; id <= last; ++id) out.push_back(event(id, timestamp_ms));
  return out;
}

/// A fetched item as a store ships it to a runtime that holds nothing: events 1..last.
OrchestrationItem shipped_whole(const std::string& instance, std::uint64_t last) {
  OrchestrationItem item;
  item.instance = instance;
  item.execution_id = 1;
  item.history = events_from(1, last);
  return item;
}

/// A fetched item as a store ships it after holding events 1..continues_from.
OrchestrationItem shipped_after(std::uint64_t continues_from, std::uint64_t last, std::uint64_t timestamp_ms = 1000) {
  OrchestrationItem item;
  item.instance = "inst";
  item.execution_id = 1;
  item.history = events_from(continues_from, last, timestamp_ms);
  item.history_continues_from = continues_from;
  return item;
}

TEST(HistoryCache, AnswersTheLastEventOfTheHeldExecutionOnly) {
  HistoryCache cache(100);
  EXPECT_EQ(cache.last_event_id("inst", 1), 0u);
  cache.keep("inst", 1, events_from(1, 4));
  EXPECT_EQ(cache.last_event_id("inst", 1), 4u);
  EXPECT_EQ(cache.last_event_id("inst", 2), 0u);
  EXPECT_EQ(cache.last_event_id("other", 1), 0u);
}

TEST(HistoryCache, JoinsTheHeldEventsWithTheShippedOnes) {
  HistoryCache cache(100);
  cache.keep("inst", 1, events_from(1, 4));
  auto item = shipped_after(4, 7);
  ASSERT_TRUE(cache.complete(item));
  EXPECT_EQ(item.history, events_from(1, 7));
  EXPECT_FALSE(item.history_continues_from.has_value());
  // Lent to the turn until it is kept again.
  EXPECT_EQ(cache.last_event_id("inst", 1), 0u);
  EXPECT_EQ(cache.events(), 0u);
  cache.keep("inst", 1, std::move(item.history));
  EXPECT_EQ(cache.last_event_id("inst", 1), 7u);
  EXPECT_EQ(cache.events(), 7u);
}

TEST(HistoryCache, AWholeShippedHistoryIsLeftAsItIs) {
  HistoryCache cache(100);
  cache.keep("inst", 1, events_from(1, 2));
  auto item = shipped_whole("inst", 3);
  ASSERT_TRUE(cache.complete(item));
  EXPECT_EQ(item.history, events_from(1, 3));
}

TEST(HistoryCache, RefusesWhenTheStoresCopyOfTheHeldEventDiffers) {
  HistoryCache cache(100);
  cache.keep("inst", 1, events_from(1, 4));
  // Same id and kind, another timestamp: the history was deleted and written anew.
  auto item = shipped_after(4, 6, 5000);
  EXPECT_FALSE(cache.complete(item));
  EXPECT_EQ(cache.last_event_id("inst", 1), 0u);  // dropped: the next fetch ships everything
}

TEST(HistoryCache, RefusesWhenNothingIsHeld) {
  HistoryCache cache(100);
  auto item = shipped_after(4, 6);
  EXPECT_FALSE(cache.complete(item));
}

TEST(HistoryCache, RefusesWhenTheHeldLastEventIsNotTheOneShippedFirst) {
  HistoryCache cache(100);
  cache.keep("inst", 1, events_from(1, 5));
  auto item = shipped_after(4, 6);
  EXPECT_FALSE(cache.complete(item));
}

TEST(HistoryCache, DropsTheLeastRecentlyKeptBeyondItsEventBudget) {
  HistoryCache cache(10);
  cache.keep("a", 1, events_from(1, 4));
  cache.keep("b", 1, events_from(1, 4));
  cache.keep("c", 1, events_from(1, 4));  // 12 > 10: "a" goes
  EXPECT_EQ(cache.last_event_id("a", 1), 0u);
  EXPECT_EQ(cache.last_event_id("b", 1), 4u);
  EXPECT_EQ(cache.last_event_id("c", 1), 4u);
  EXPECT_EQ(cache.events(), 8u);
  cache.keep("d", 1, events_from(1, 11));  // bigger than the whole budget: not kept
  EXPECT_EQ(cache.last_event_id("d", 1), 0u);
  EXPECT_EQ(cache.events(), 8u);
}

TEST(HistoryCache, ANewExecutionReplacesTheOldOne) {
  HistoryCache cache(100);
  cache.keep("inst", 1, events_from(1, 4));
  cache.keep("inst", 2, events_from(1, 2));
  EXPECT_EQ(cache.last_event_id("inst", 1), 0u);
  EXPECT_EQ(cache.last_event_id("inst", 2), 2u);
  EXPECT_EQ(cache.events(), 2u);
  cache.forget("inst");
  EXPECT_EQ(cache.events(), 0u);
}

TEST(HistoryCache, ZeroBudgetKeepsNothing) {
  HistoryCache cache(0);
  cache.keep("inst", 1, events_from(1, 1));
  EXPECT_EQ(cache.last_event_id("inst", 1), 0u);
}

// ---- live sessions (the instance cache, docs/runtime.md "Instance cache") ----

/// A real live session: the first turn of code that waits for an activity.
orchestration::ReplaySessionPtr live_session() {
  orchestration::TurnInput in;
  in.instance_id = "inst";
  in.execution_id = 1;
  in.orchestration_name = "Orch";
  Event started;
  started.event_id = 1;
  started.instance_id = "inst";
  started.execution_id = 1;
  started.kind = events::OrchestrationStarted{"Orch", "1.0.0", "", {}, {}, {}, {}};
  in.baseline.push_back(started);
  in.handler = [](OrchestrationContext ctx, std::string) -> Task<Result<std::string>> {
    co_return *co_await ctx.schedule_activity("A", "");
  };
  orchestration::ReplaySessionPtr session;
  (void)orchestration::run_turn(in, session);
  if (!session) throw std::logic_error("the turn left no session");
  return session;
}

TEST(HistoryCacheSessions, TheKeptSessionGoesToTheNextTurnWithTheHistory) {
  HistoryCache cache(100, 10);
  cache.keep("inst", 1, events_from(1, 4), live_session());
  EXPECT_EQ(cache.sessions(), 1u);
  auto item = shipped_after(4, 7);
  orchestration::ReplaySessionPtr session;
  ASSERT_TRUE(cache.complete(item, session));
  EXPECT_NE(session, nullptr);
  EXPECT_EQ(cache.sessions(), 0u) << "lent to the turn";
}

TEST(HistoryCacheSessions, AWholeShippedHistoryStillGetsTheSessionOfItsExecution) {
  HistoryCache cache(100, 10);
  cache.keep("inst", 1, events_from(1, 4), live_session());
  auto item = shipped_whole("inst", 6);
  orchestration::ReplaySessionPtr session;
  ASSERT_TRUE(cache.complete(item, session));
  EXPECT_NE(session, nullptr);
  item.execution_id = 2;
  cache.keep("inst", 1, events_from(1, 4), live_session());
  ASSERT_TRUE(cache.complete(item, session));
  EXPECT_EQ(session, nullptr) << "a session of another execution";
}

TEST(HistoryCacheSessions, ARefusedCompletionDropsTheSession) {
  HistoryCache cache(100, 10);
  cache.keep("inst", 1, events_from(1, 4), live_session());
  auto item = shipped_after(4, 7, /*timestamp_ms=*/5000);  // the store's event 4 is another one
  orchestration::ReplaySessionPtr session;
  EXPECT_FALSE(cache.complete(item, session));
  EXPECT_EQ(session, nullptr);
  EXPECT_EQ(cache.sessions(), 0u);
}

TEST(HistoryCacheSessions, ForgettingTheSessionKeepsTheHistory) {
  HistoryCache cache(100, 10);
  cache.keep("inst", 1, events_from(1, 4), live_session());
  cache.forget_session("inst");
  EXPECT_EQ(cache.sessions(), 0u);
  EXPECT_EQ(cache.last_event_id("inst", 1), 4u);
  auto item = shipped_after(4, 5);
  orchestration::ReplaySessionPtr session;
  ASSERT_TRUE(cache.complete(item, session));
  EXPECT_EQ(session, nullptr);
}

TEST(HistoryCacheSessions, KeepsAtMostItsSessionCountDroppingTheLeastRecentlyKept) {
  HistoryCache cache(100, 2);
  for (const char* name : {"a", "b", "c"}) cache.keep(name, 1, events_from(1, 2), live_session());
  EXPECT_EQ(cache.sessions(), 2u);
  EXPECT_EQ(cache.events(), 6u) << "the oldest entry gives up its session, not its events";
  auto item = shipped_whole("a", 2);
  orchestration::ReplaySessionPtr session;
  ASSERT_TRUE(cache.complete(item, session));
  EXPECT_EQ(session, nullptr);
}

TEST(HistoryCacheSessions, AnEvictedEntryTakesItsSessionWith) {
  HistoryCache cache(5, 10);
  cache.keep("a", 1, events_from(1, 3), live_session());
  cache.keep("b", 1, events_from(1, 3), live_session());  // 6 > 5 events: "a" goes
  EXPECT_EQ(cache.sessions(), 1u);
  cache.forget("b");
  EXPECT_EQ(cache.sessions(), 0u);
}

TEST(HistoryCacheSessions, ZeroSessionsKeepsNone) {
  HistoryCache cache(100, 0);
  cache.keep("inst", 1, events_from(1, 4), live_session());
  EXPECT_EQ(cache.sessions(), 0u);
  EXPECT_EQ(cache.last_event_id("inst", 1), 4u);
}

}  // namespace
}  // namespace duroxide::runtime
