// Validation category Batched turns (docs/storage.md, "Batched turns"): fetch_orchestration_items
// claims up to its maximum of distinct instances, each locked as a single fetch would lock it, and
// ack_orchestration_items commits each turn on its own: a turn that fails leaves no trace and
// takes nothing of the others with it. A store may batch or not; these hold either way.
#include <algorithm>
#include <map>
#include <set>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

constexpr Millis kLock = 30000ms;

/// Fetches every instance with visible work, `max_items` at most per call, until a call finds none.
std::vector<std::vector<LockedOrchestrationItem>> fetch_all_in_batches(Provider& p, std::size_t max_items) {
  std::vector<std::vector<LockedOrchestrationItem>> batches;
  for (;;) {
    auto batch = must(p.fetch_orchestration_items(max_items, kLock, 0ms, nullptr), "fetch_orchestration_items");
    if (batch.empty()) return batches;
    batches.push_back(std::move(batch));
  }
}

/// Starts `instances` and locks them all (in batches of up to 8), by instance.
std::map<std::string, LockedOrchestrationItem> start_and_lock(Provider& p, const std::vector<std::string>& instances) {
  for (const auto& instance : instances) must(p.enqueue_for_orchestrator(start_item(instance), std::nullopt), "start");
  std::map<std::string, LockedOrchestrationItem> locked;
  for (auto& batch : fetch_all_in_batches(p, 8)) {
    for (auto& item : batch) locked.emplace(item.item.instance, std::move(item));
  }
  return locked;
}

TEST_P(ProviderBatchedTurns, FetchItemsClaimsDistinctInstancesUpToItsMaximum) {
  auto p = create_provider();
  const std::set<std::string> started{"batch-a", "batch-b", "batch-c"};
  for (const auto& instance : started) ASSERT_TRUE(p->enqueue_for_orchestrator(start_item(instance), std::nullopt));

  std::set<std::string> fetched;
  std::set<std::string> tokens;
  for (const auto& batch : fetch_all_in_batches(*p, 2)) {
    EXPECT_LE(batch.size(), 2u);
    for (const auto& locked : batch) {
      EXPECT_TRUE(fetched.insert(locked.item.instance).second) << "fetched twice: " << locked.item.instance;
      EXPECT_TRUE(tokens.insert(locked.lock_token).second) << "a lock token handed out twice";
      ASSERT_EQ(locked.item.messages.size(), 1u);
      EXPECT_EQ(locked.attempt_count, 1u);
    }
  }
  EXPECT_EQ(fetched, started);
  // All three stay locked: neither a single fetch nor a batched one gets any of them again.
  EXPECT_FALSE(fetch_orchestration(*p, kLock, 0ms));
  EXPECT_TRUE(must(p->fetch_orchestration_items(8, kLock, 0ms, nullptr), "fetch").empty());
}

TEST_P(ProviderBatchedTurns, FetchItemsWithMaximumZeroClaimsNothing) {
  auto p = create_provider();
  ASSERT_TRUE(p->enqueue_for_orchestrator(start_item("batch-zero"), std::nullopt));
  EXPECT_TRUE(must(p->fetch_orchestration_items(0, kLock, 0ms, nullptr), "fetch").empty());
  EXPECT_EQ(must_fetch_orchestration(*p, kLock).item.instance, "batch-zero");
}

TEST_P(ProviderBatchedTurns, AckItemsCommitsEachTurnOnItsOwn) {
  auto p = create_provider();
  const auto locked = start_and_lock(*p, {"batch-1", "batch-2"});
  ASSERT_EQ(locked.size(), 2u);
  const auto ack1 = make_ack(1, {started_event("batch-1")}, instance_metadata());
  const auto ack2 = make_ack(1, {started_event("batch-2")}, instance_metadata());
  const std::string unknown_token = "no-such-lock";
  const auto results =
      p->ack_orchestration_items({TurnCommit{locked.at("batch-1").lock_token, ack1}, TurnCommit{unknown_token, ack2},
                                  TurnCommit{locked.at("batch-2").lock_token, ack2}});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0]) << results[0].error().to_string();
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().kind, ProviderErrorKind::LockLost);
  EXPECT_TRUE(results[2]) << results[2].error().to_string();
  EXPECT_EQ(must(p->read("batch-1"), "read").size(), 1u);
  EXPECT_EQ(must(p->read("batch-2"), "read").size(), 1u);
  // Both locks were released by their acks.
  EXPECT_FALSE(p->ack_orchestration_item(locked.at("batch-1").lock_token, ack1));
}

TEST_P(ProviderBatchedTurns, AFailedTurnLeavesNoTraceAndTheOthersCommit) {
  auto p = create_provider();
  create_instance(*p, "batch-dup", kLock);  // event 1 stored
  ASSERT_TRUE(p->enqueue_for_orchestrator(external_item("batch-dup"), std::nullopt));
  const auto locked = start_and_lock(*p, {"batch-x", "batch-y"});  // and the poked batch-dup
  ASSERT_EQ(locked.size(), 3u);
  const auto ack_x = make_ack(1, {started_event("batch-x")}, instance_metadata());
  // Event 1 again: the store refuses it, after it has begun this turn's writes (the batch's
  // messages are consumed first).
  const auto ack_dup = make_ack(1, {external_event("batch-dup", 1, 1)});
  const auto ack_y = make_ack(1, {started_event("batch-y")}, instance_metadata());
  const auto results = p->ack_orchestration_items({TurnCommit{locked.at("batch-x").lock_token, ack_x},
                                                   TurnCommit{locked.at("batch-dup").lock_token, ack_dup},
                                                   TurnCommit{locked.at("batch-y").lock_token, ack_y}});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0]) << results[0].error().to_string();
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().kind, ProviderErrorKind::DuplicateEvent);
  EXPECT_TRUE(results[2]) << results[2].error().to_string();
  EXPECT_EQ(must(p->read("batch-x"), "read").size(), 1u);
  EXPECT_EQ(must(p->read("batch-y"), "read").size(), 1u);

  // The failed turn left nothing behind: its history is as it was, its lock is still held, and its
  // message was not consumed (handed back, it is delivered again).
  EXPECT_EQ(must(p->read("batch-dup"), "read").size(), 1u);
  ASSERT_TRUE(p->abandon_orchestration_item(locked.at("batch-dup").lock_token, std::nullopt, true));
  const auto again = must_fetch_orchestration(*p, kLock);
  EXPECT_EQ(again.item.instance, "batch-dup");
  ASSERT_EQ(again.item.messages.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<work_items::ExternalRaised>(again.item.messages.front()));
}

}  // namespace
}  // namespace duroxide::validation
