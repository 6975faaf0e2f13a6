// InstanceChanges (docs/storage.md, "Wake-ups, not sleeps"): the counters a client
// waits on for one instance, shared by instances only when their hashes collide.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "providers/instance_changes.hpp"

namespace duroxide {
namespace {

using namespace std::chrono_literals;

// Clients waiting for 500 running instances at once: each turn of an instance sharing a waiter's
// counter costs that waiter a status read. With 64 buckets every instance shared its counter with
// about eight others.
TEST(UnitInstanceChanges, FiveHundredRunningInstancesRarelyShareACounter) {
  std::vector<std::size_t> per_bucket(InstanceChanges::kBuckets, 0);
  std::vector<std::string> instances;
  for (int i = 0; i < 500; ++i) instances.push_back(fmt::format("w1-{}", i));
  for (const auto& instance : instances) ++per_bucket[InstanceChanges::bucket_of(instance)];
  std::size_t neighbours = 0;
  for (const auto& instance : instances) neighbours += per_bucket[InstanceChanges::bucket_of(instance)] - 1;
  EXPECT_LT(static_cast<double>(neighbours) / static_cast<double>(instances.size()), 0.25)
      << "a waiter would wake for this many other instances' turns on average";
}

TEST(UnitInstanceChanges, AChangeOfAnotherBucketLeavesTheCounterAlone) {
  InstanceChanges changes;
  const std::string watched = "watched";
  std::string other = "other-0";
  for (int i = 1; InstanceChanges::bucket_of(other) == InstanceChanges::bucket_of(watched); ++i) {
    other = fmt::format("other-{}", i);
  }
  const auto watched_before = changes.epoch(watched);
  const auto other_before = changes.epoch(other);
  changes.changed(other);
  EXPECT_NE(changes.epoch(other), other_before);
  EXPECT_EQ(changes.epoch(watched), watched_before);
  changes.changed(watched);
  EXPECT_NE(changes.epoch(watched), watched_before);
}

TEST(UnitInstanceChanges, AWaiterReturnsOnItsInstancesChangeWhicheverComesFirst) {
  InstanceChanges changes;
  const auto seen = changes.epoch("i");
  // The change may land before or after the wait begins: either way the wait returns, long before
  // its hour is up, because it compares against the epoch read before.
  std::thread changer([&] { changes.changed("i"); });
  changes.wait("i", seen, std::chrono::hours(1));
  changer.join();
  EXPECT_NE(changes.epoch("i"), seen);
}

TEST(UnitInstanceChanges, ChangedAllMovesEveryCounter) {
  InstanceChanges changes;
  std::vector<std::uint64_t> before;
  for (int i = 0; i < 100; ++i) before.push_back(changes.epoch(fmt::format("i-{}", i)));
  changes.changed_all();
  for (int i = 0; i < 100; ++i) EXPECT_NE(changes.epoch(fmt::format("i-{}", i)), before[static_cast<std::size_t>(i)]);
  // And a waiter that saw the old counter returns at once.
  changes.wait("i-0", before[0], std::chrono::hours(1));
}

}  // namespace
}  // namespace duroxide
