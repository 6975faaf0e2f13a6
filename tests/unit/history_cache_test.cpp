// The runtime's history cache (src/runtime/history_cache.hpp, docs/runtime.md "History cache").
#include <gtest/gtest.h>

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
  OrchestrationItem item;
  item.instance = "inst";
  item.execution_id = 1;
  item.history = events_from(1, 3);
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

}  // namespace
}  // namespace duroxide::runtime
