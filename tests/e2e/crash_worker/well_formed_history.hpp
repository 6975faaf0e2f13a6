// The history check of the process-kill tests: every instance ran exactly once, whatever was
// killed on the way.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <duroxide/duroxide.hpp>

namespace duroxide::testing {

/// Checks one execution's history: ids increase, one start first, one terminal last, every
/// scheduled step resolved exactly once.
inline void expect_well_formed(const std::string& instance, const std::vector<Event>& history, std::size_t activities,
                               std::size_t timers, std::size_t children) {
  SCOPED_TRACE(instance);
  ASSERT_FALSE(history.empty());
  EXPECT_TRUE(history.front().is<events::OrchestrationStarted>());
  EXPECT_TRUE(history.back().is<events::OrchestrationCompleted>());
  EXPECT_EQ(std::count_if(history.begin(), history.end(),
                          [](const Event& e) { return e.is<events::OrchestrationCompleted>(); }),
            1)
      << "exactly one OrchestrationCompleted";
  std::map<std::string, std::size_t> scheduled;
  std::map<std::uint64_t, int> completions_by_source;
  std::set<std::uint64_t> schedule_ids;
  std::uint64_t previous = 0;
  for (const auto& event : history) {
    EXPECT_GT(event.event_id, previous) << "event ids must increase";
    previous = event.event_id;
    if (event.is<events::OrchestrationStarted>() && event.event_id != 1) ADD_FAILURE() << "second OrchestrationStarted";
    if (event.is<events::ActivityScheduled>() || event.is<events::TimerCreated>() ||
        event.is<events::SubOrchestrationScheduled>()) {
      ++scheduled[std::string(event.type_name())];
      schedule_ids.insert(event.event_id);
    }
    if (event.is<events::ActivityCompleted>() || event.is<events::ActivityFailed>() || event.is<events::TimerFired>() ||
        event.is<events::SubOrchestrationCompleted>() || event.is<events::SubOrchestrationFailed>()) {
      ASSERT_TRUE(event.source_event_id.has_value());
      ++completions_by_source[*event.source_event_id];
    }
  }
  EXPECT_EQ(scheduled["ActivityScheduled"], activities);
  EXPECT_EQ(scheduled["TimerCreated"], timers);
  EXPECT_EQ(scheduled["SubOrchestrationScheduled"], children);
  for (auto id : schedule_ids) EXPECT_EQ(completions_by_source[id], 1) << "schedule event " << id;
  EXPECT_EQ(completions_by_source.size(), schedule_ids.size()) << "completion without a schedule";
}

}  // namespace duroxide::testing
