// providers::WorkHandOff (docs/storage.md, "Hand-off to idle workers"): an ack may lock only the
// activities that the idle worker fetches can all take, no more than there are idle fetches not
// yet spoken for; a fetch takes only what its tags serve, and only while the item is fresh.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "providers/work_handoff.hpp"

namespace duroxide::providers {
namespace {

using namespace std::chrono_literals;
using Clock = WorkHandOff::Clock;

WorkItem activity(std::uint64_t id, std::optional<std::string> session = std::nullopt,
                  std::optional<std::string> tag = std::nullopt) {
  return work_items::ActivityExecute{"inst", 1, id, "Work", "{}", std::move(session), std::move(tag)};
}

std::vector<LockedWorkItem> locked(const std::vector<WorkItem>& items, const WorkHandOff::Claims& claims) {
  std::vector<LockedWorkItem> out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (claims.claim[i]) out.push_back(LockedWorkItem{items[i], "token-" + std::to_string(i), 1, std::nullopt});
  }
  return out;
}

/// An untagged activity `id`, locked under `token` (first attempt).
LockedWorkItem held_item(std::uint64_t id, const std::string& token) {
  return LockedWorkItem{activity(id), token, 1, std::nullopt};
}

TEST(WorkHandOff, WithoutIdleFetchesNothingIsClaimed) {
  WorkHandOff handoff;
  const auto claims = handoff.plan({activity(1), activity(2)});
  EXPECT_EQ(claims.count, 0U);
  EXPECT_EQ(claims.claim, (std::vector<bool>{false, false}));
}

TEST(WorkHandOff, ClaimsNoMoreThanTheIdleFetchesInTheirOrder) {
  WorkHandOff handoff;
  handoff.idle(TagFilter::default_only(), 30s);
  handoff.idle(TagFilter::default_only(), 20s);
  const auto claims = handoff.plan({activity(1), activity(2), activity(3)});
  EXPECT_EQ(claims.claim, (std::vector<bool>{true, true, false}));
  EXPECT_EQ(claims.count, 2U);
  EXPECT_EQ(claims.lock_timeout, 20s) << "the shortest lease any of the fetches asked for";
}

TEST(WorkHandOff, ReservedAndHeldItemsCountAgainstTheIdleFetches) {
  WorkHandOff handoff;
  handoff.idle(TagFilter::default_only(), 30s);
  handoff.idle(TagFilter::default_only(), 30s);
  const std::vector<WorkItem> first{activity(1)};
  const auto reserved = handoff.plan(first);
  ASSERT_EQ(reserved.count, 1U);
  EXPECT_EQ(handoff.plan({activity(2), activity(3)}).count, 1U) << "one fetch is spoken for by the reservation";
  EXPECT_EQ(handoff.plan({activity(4)}).count, 0U);

  WorkHandOff delivered;
  delivered.idle(TagFilter::default_only(), 30s);
  const auto claims = delivered.plan(first);
  delivered.deliver(claims, locked(first, claims), Clock::now());
  EXPECT_EQ(delivered.held(), 1U);
  EXPECT_EQ(delivered.plan({activity(2)}).count, 0U) << "the idle fetch has a held item waiting for it";
}

TEST(WorkHandOff, ACancelledReservationFreesItsFetches) {
  WorkHandOff handoff;
  handoff.idle(TagFilter::default_only(), 30s);
  const auto claims = handoff.plan({activity(1)});
  ASSERT_EQ(claims.count, 1U);
  handoff.cancel(claims);
  EXPECT_EQ(handoff.plan({activity(2)}).count, 1U);
}

TEST(WorkHandOff, NeverClaimsASessionsItem) {
  WorkHandOff handoff;
  handoff.idle(TagFilter::default_only(), 30s);
  const auto claims = handoff.plan({activity(1, "alpha"), activity(2)});
  EXPECT_EQ(claims.claim, (std::vector<bool>{false, true}));
}

TEST(WorkHandOff, ClaimsATaggedItemOnlyWhenEveryIdleFetchServesTheTag) {
  WorkHandOff gpu_only;
  gpu_only.idle(TagFilter::tags({"gpu"}), 30s);
  EXPECT_EQ(gpu_only.plan({activity(1, std::nullopt, "gpu"), activity(2)}).claim, (std::vector<bool>{true, false}));

  WorkHandOff mixed;
  mixed.idle(TagFilter::tags({"gpu"}), 30s);
  mixed.idle(TagFilter::default_only(), 30s);
  EXPECT_EQ(mixed.plan({activity(1, std::nullopt, "gpu"), activity(2)}).count, 0U);
}

TEST(WorkHandOff, AFetchTakesTheOldestItemItsTagsServe) {
  WorkHandOff handoff;
  handoff.idle(TagFilter::any(), 30s);
  handoff.idle(TagFilter::any(), 30s);
  const std::vector<WorkItem> items{activity(1, std::nullopt, "gpu"), activity(2)};
  const auto claims = handoff.plan(items);
  ASSERT_EQ(claims.count, 2U);
  const auto now = Clock::now();
  handoff.deliver(claims, locked(items, claims), now);

  std::vector<std::string> stale;
  auto untagged = handoff.take(TagFilter::default_only(), now, stale);
  ASSERT_TRUE(untagged.has_value());
  EXPECT_EQ(untagged->lock_token, "token-1");
  EXPECT_FALSE(handoff.take(TagFilter::default_only(), now, stale).has_value());
  auto tagged = handoff.take(TagFilter::tags({"gpu"}), now, stale);
  ASSERT_TRUE(tagged.has_value());
  EXPECT_EQ(tagged->lock_token, "token-0");
  EXPECT_EQ(tagged->attempt_count, 1U);
  EXPECT_TRUE(stale.empty());
}

TEST(WorkHandOff, AnItemLeftPastItsFreshWindowIsGivenBackNotHandedOut) {
  WorkHandOff handoff;
  const auto claimed_at = Clock::now();
  handoff.hold(held_item(1, "late"), 30s, claimed_at);

  std::vector<std::string> stale;
  // 30 s leases are handed out for 1 s after the claim (a tenth of the lease, at most a second).
  EXPECT_FALSE(handoff.take(TagFilter::default_only(), claimed_at + 1001ms, stale).has_value());
  EXPECT_EQ(stale, (std::vector<std::string>{"late"}));
  EXPECT_EQ(handoff.held(), 0U);
}

TEST(WorkHandOff, ShortLeasesHaveAShorterFreshWindow) {
  WorkHandOff handoff;
  const auto claimed_at = Clock::now();
  handoff.hold(held_item(1, "a"), 2s, claimed_at);
  handoff.hold(held_item(2, "b"), 2s, claimed_at);
  std::vector<std::string> stale;
  EXPECT_TRUE(handoff.take(TagFilter::default_only(), claimed_at + 200ms, stale).has_value());
  EXPECT_FALSE(handoff.take(TagFilter::default_only(), claimed_at + 201ms, stale).has_value());
  EXPECT_EQ(stale, (std::vector<std::string>{"b"}));
}

TEST(WorkHandOff, ASweepRemovesOnlyTheItemsPastTheirWindow) {
  WorkHandOff handoff;
  const auto claimed_at = Clock::now();
  handoff.hold(held_item(1, "older"), 2s, claimed_at);
  handoff.hold(held_item(2, "newer"), 2s, claimed_at + 100ms);

  std::vector<std::string> stale;
  handoff.sweep(claimed_at + 200ms, stale);
  EXPECT_TRUE(stale.empty());
  handoff.sweep(claimed_at + 250ms, stale);
  EXPECT_EQ(stale, (std::vector<std::string>{"older"}));
  EXPECT_EQ(handoff.held(), 1U);
}

TEST(WorkHandOff, AHeldItemNeedsNoIdleFetchAndCountsAgainstThem) {
  WorkHandOff handoff;
  handoff.hold(held_item(1, "next"), 30s, Clock::now());
  handoff.idle(TagFilter::default_only(), 30s);
  EXPECT_EQ(handoff.plan({activity(2)}).count, 0U) << "the idle fetch will take the held item";
}

TEST(WorkHandOff, DrainGivesEveryHeldTokenBack) {
  WorkHandOff handoff;
  handoff.hold(held_item(1, "a"), 30s, Clock::now());
  handoff.hold(held_item(2, "b"), 30s, Clock::now());
  EXPECT_EQ(handoff.drain(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(handoff.held(), 0U);
}

TEST(WorkHandOff, AFetchThatStopsWaitingIsNoLongerCounted) {
  WorkHandOff handoff;
  const auto fetch = handoff.idle(TagFilter::default_only(), 30s);
  handoff.busy(fetch);
  EXPECT_EQ(handoff.idle_fetches(), 0U);
  EXPECT_EQ(handoff.plan({activity(1)}).count, 0U);
}

}  // namespace
}  // namespace duroxide::providers
