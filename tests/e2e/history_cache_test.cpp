// The runtime's history cache with the store's delta fetch (docs/runtime.md, "History cache"):
// a turn's fetch ships the events the runtime has not seen, not the whole history, and a cached
// copy that no longer matches the store is dropped and the history fetched whole.
#include <gtest/gtest.h>

#include <atomic>

#include "support/e2e_support.hpp"
#include "support/forwarding_provider.hpp"

namespace duroxide::testing {
namespace {

/// Counts the history events the store ships to the runtime, and can alter, once, the event a
/// delta fetch sends back for the runtime's check (what a history deleted and written anew looks like).
class ShippedEventCounter : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override {
    auto fetched = ForwardingProvider::fetch_orchestration_item(lock_timeout, poll_timeout, filter, known);
    if (fetched && *fetched) {
      auto& item = (*fetched)->item;
      shipped += item.history.size();
      ++fetches;
      if (awaiting_refetch.exchange(false)) {
        refetched_whole = !item.history_continues_from && !item.history.empty() && item.history.front().event_id == 1;
      }
      if (item.history_continues_from) {
        ++delta_fetches;
        if (alter_next_delta.exchange(false)) {
          item.history.front().timestamp_ms += 1;
          awaiting_refetch = true;
        }
      }
    }
    return fetched;
  }
  std::atomic<std::size_t> shipped{0};
  std::atomic<std::size_t> fetches{0};
  std::atomic<std::size_t> delta_fetches{0};
  std::atomic<bool> alter_next_delta{false};
  std::atomic<bool> awaiting_refetch{false};
  /// Whether the fetch after the altered one shipped the whole history.
  std::atomic<bool> refetched_whole{false};
};

constexpr int kSteps = 60;

Task<Result<std::string>> chain(OrchestrationContext ctx, std::string) {
  int total = 0;
  for (int i = 0; i < kSteps; ++i) {
    auto r = co_await ctx.schedule_activity("Inc", std::to_string(i));
    if (!r) co_return Err(r.error());
    total += std::stoi(*r);
  }
  co_return std::to_string(total);
}

ActivityRegistry inc_activities() {
  return ActivityRegistry::builder()
      .add("Inc",
           [](ActivityContext&, std::string n) -> Result<std::string> { return std::to_string(std::stoi(n) + 1); })
      .build();
}

OrchestrationRegistry chain_orchestrations() { return OrchestrationRegistry::builder().add("Chain", chain).build(); }

const std::string kChainOutput = std::to_string(kSteps * (kSteps + 1) / 2);

TEST(E2eHistoryCache, EachTurnShipsOnlyTheEventsTheRuntimeHasNotSeen) {
  auto counter = std::make_shared<ShippedEventCounter>(test_store());
  E2eEnv env(counter, inc_activities(), chain_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("chain", "Chain", ""));
  EXPECT_EQ(env.output_of("chain", std::chrono::seconds(60)), kChainOutput);
  // About three events a turn (the event held, the activity scheduled by the previous turn and
  // its completion), where a whole history would be up to 2 × 60 + 1 events a turn.
  EXPECT_GT(counter->delta_fetches.load(), static_cast<std::size_t>(kSteps / 2));
  EXPECT_LE(counter->shipped.load(), 4 * counter->fetches.load());
}

TEST(E2eHistoryCache, WithTheCacheOffEveryTurnShipsTheWholeHistory) {
  auto counter = std::make_shared<ShippedEventCounter>(test_store());
  auto options = fast_options();
  options.history_cache_max_events = 0;
  E2eEnv env(counter, inc_activities(), chain_orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("chain", "Chain", ""));
  EXPECT_EQ(env.output_of("chain", std::chrono::seconds(60)), kChainOutput);
  EXPECT_EQ(counter->delta_fetches.load(), 0u);
  EXPECT_GT(counter->shipped.load(), static_cast<std::size_t>(kSteps * kSteps / 2));
}

TEST(E2eHistoryCache, ACachedCopyTheStoreNoLongerHasIsDroppedAndTheHistoryFetchedWhole) {
  auto counter = std::make_shared<ShippedEventCounter>(test_store());
  counter->alter_next_delta = true;
  E2eEnv env(counter, inc_activities(), chain_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("chain", "Chain", ""));
  EXPECT_EQ(env.output_of("chain", std::chrono::seconds(60)), kChainOutput);
  EXPECT_FALSE(counter->alter_next_delta.load());  // a delta fetch was altered
  EXPECT_TRUE(counter->refetched_whole.load());    // and refused: the batch came back whole
  // Nothing ran twice: one ActivityScheduled and one ActivityCompleted per step.
  const auto history = env.history("chain");
  const auto count = [&](auto predicate) { return std::count_if(history.begin(), history.end(), predicate); };
  EXPECT_EQ(count([](const Event& e) { return e.is<events::ActivityScheduled>(); }), kSteps);
  EXPECT_EQ(count([](const Event& e) { return e.is<events::ActivityCompleted>(); }), kSteps);
}

}  // namespace
}  // namespace duroxide::testing
