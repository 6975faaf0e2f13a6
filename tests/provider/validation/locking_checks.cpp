// Validation categories Instance locking and Lock expiration (docs/storage.md).
#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

// ---- instance locking ----

TEST_P(ProviderInstanceLocking, ExclusiveInstanceLock) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto first = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
  wait_past(factory().lock_timeout());
  auto second = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_NE(second.lock_token, first.lock_token);
}

TEST_P(ProviderInstanceLocking, LockTokenUniqueness) {
  auto p = create_provider();
  for (int i = 0; i < 5; ++i)
    must(p->enqueue_for_orchestrator(start_item("i" + std::to_string(i)), std::nullopt), "enqueue");
  std::set<std::string> tokens;
  for (int i = 0; i < 5; ++i) tokens.insert(must_fetch_orchestration(*p, factory().lock_timeout()).lock_token);
  EXPECT_EQ(tokens.size(), 5u);
}

TEST_P(ProviderInstanceLocking, InvalidLockTokenRejection) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  must_fail(p->ack_orchestration_item("bogus", make_ack(1, {})), "ack");
  must_fail(p->abandon_orchestration_item("bogus", std::nullopt, false), "abandon");
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())),
       "real ack");
}

TEST_P(ProviderInstanceLocking, ConcurrentInstanceFetching) {
  auto p = create_provider();
  for (int i = 0; i < 10; ++i)
    must(p->enqueue_for_orchestrator(start_item("i" + std::to_string(i)), std::nullopt), "enqueue");
  std::mutex mutex;
  std::set<std::string> instances;
  std::atomic<int> fetched{0};
  std::vector<std::thread> threads;
  std::latch start(10);
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto item = p->fetch_orchestration_item(factory().lock_timeout(), 0ms, nullptr);
      if (item && *item) {
        ++fetched;
        std::lock_guard lock(mutex);
        instances.insert((*item)->item.instance);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fetched.load(), 10);
  EXPECT_EQ(instances.size(), 10u);
}

TEST_P(ProviderInstanceLocking, CompletionsArrivingDuringLockBlocked) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto first = must_fetch_orchestration(*p, factory().lock_timeout());
  for (std::uint64_t id = 1; id <= 3; ++id) {
    must(p->enqueue_for_orchestrator(activity_completed_item("inst", 1, id), std::nullopt), "enqueue completion");
  }
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
  wait_past(factory().lock_timeout());
  auto batch = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_EQ(batch.item.messages.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<work_items::StartOrchestration>(batch.item.messages[0]));
  for (std::uint64_t id = 1; id <= 3; ++id) {
    EXPECT_EQ(std::get<work_items::ActivityCompleted>(batch.item.messages[id]).id, id);
  }
}

TEST_P(ProviderInstanceLocking, CrossInstanceLockIsolation) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("A"), std::nullopt), "enqueue A");
  must(p->enqueue_for_orchestrator(start_item("B"), std::nullopt), "enqueue B");
  auto a = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(a.item.instance, "A");
  auto b = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(b.item.instance, "B");
  must(p->ack_orchestration_item(b.lock_token, make_ack(1, {started_event("B")}, instance_metadata())), "ack B");
  must(p->enqueue_for_orchestrator(activity_completed_item("B", 1, 2), std::nullopt), "completion B");
  EXPECT_EQ(must_fetch_orchestration(*p, factory().lock_timeout()).item.instance, "B");
}

TEST_P(ProviderInstanceLocking, MessageTaggingDuringLock) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  must(p->enqueue_for_orchestrator(external_item("inst", "late"), std::nullopt), "late");
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())), "ack");
  auto next = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_EQ(next.item.messages.size(), 1u);
  EXPECT_EQ(std::get<work_items::ExternalRaised>(next.item.messages[0]).name, "late");
}

TEST_P(ProviderInstanceLocking, AckOnlyAffectsLockedMessages) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  must(p->enqueue_for_orchestrator(activity_completed_item("inst", 1, 2), std::nullopt), "2");
  must(p->enqueue_for_orchestrator(activity_completed_item("inst", 1, 3), std::nullopt), "3");
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())), "ack");
  auto next = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_EQ(next.item.messages.size(), 2u);
  EXPECT_EQ(std::get<work_items::ActivityCompleted>(next.item.messages[0]).id, 2u);
  EXPECT_EQ(std::get<work_items::ActivityCompleted>(next.item.messages[1]).id, 3u);
}

TEST_P(ProviderInstanceLocking, MultiThreadedLockContention) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  std::atomic<int> winners{0};
  std::latch start(10);
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto item = p->fetch_orchestration_item(factory().lock_timeout(), 0ms, nullptr);
      if (item && *item) ++winners;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderInstanceLocking, MultiThreadedNoDuplicateProcessing) {
  auto p = create_provider();
  for (int i = 0; i < 20; ++i)
    must(p->enqueue_for_orchestrator(start_item("i" + std::to_string(i)), std::nullopt), "enqueue");
  std::mutex mutex;
  std::multiset<std::string> handed_out;
  std::latch start(40);
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int attempt = 0; attempt < 3; ++attempt) {
        auto item = p->fetch_orchestration_item(factory().lock_timeout(), 0ms, nullptr);
        if (!item && item.error().is_retryable()) continue;
        if (item && *item) {
          std::lock_guard lock(mutex);
          handed_out.insert((*item)->item.instance);
        }
        break;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : handed_out) EXPECT_EQ(handed_out.count(id), 1u) << id;
}

TEST_P(ProviderInstanceLocking, MultiThreadedLockExpirationRecovery) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto holder = must_fetch_orchestration(*p, factory().lock_timeout());  // never acked
  std::optional<std::optional<LockedOrchestrationItem>> blocked;
  std::thread contender([&] { blocked = fetch_orchestration(*p, factory().lock_timeout()); });
  contender.join();
  EXPECT_FALSE(blocked->has_value());
  wait_past(factory().lock_timeout());
  std::optional<LockedOrchestrationItem> recovered;
  std::thread later([&] { recovered = fetch_orchestration(*p, factory().lock_timeout()); });
  later.join();
  ASSERT_TRUE(recovered.has_value());
  EXPECT_NE(recovered->lock_token, holder.lock_token);
}

// ---- lock expiration ----

TEST_P(ProviderLockExpiration, LockExpiresAfterTimeout) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto first = must_fetch_orchestration(*p, factory().lock_timeout());
  wait_past(factory().lock_timeout());
  auto second = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_NE(second.lock_token, first.lock_token);
  must_fail(p->ack_orchestration_item(first.lock_token, make_ack(1, {started_event("inst")})), "old token");
}

TEST_P(ProviderLockExpiration, AbandonReleasesLockImmediately) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  must(p->abandon_orchestration_item(item.lock_token, std::nullopt, false), "abandon");
  EXPECT_TRUE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderLockExpiration, LockRenewalOnAck) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "during lock");
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())), "ack");
  EXPECT_TRUE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderLockExpiration, ConcurrentLockAttemptsRespectExpiration) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  (void)must_fetch_orchestration(*p, factory().lock_timeout());
  std::atomic<int> got{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      if (fetch_orchestration(*p, factory().lock_timeout()).has_value()) ++got;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(got.load(), 0);
  wait_past(factory().lock_timeout());
  EXPECT_TRUE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderLockExpiration, WorkerLockRenewalSuccess) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  must(p->renew_work_item_lock(work.lock_token, factory().lock_timeout()), "renew");
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderLockExpiration, WorkerLockRenewalInvalidToken) {
  auto p = create_provider();
  must_fail(p->renew_work_item_lock("bogus", factory().lock_timeout()), "renew");
}

TEST_P(ProviderLockExpiration, WorkerLockRenewalAfterExpiration) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, 1s);
  wait_past(1s);
  must_fail(p->renew_work_item_lock(work.lock_token, 1s), "renew expired");
}

TEST_P(ProviderLockExpiration, WorkerLockRenewalExtendsTimeout) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, 1s);
  wait_past(600ms, 0ms);
  must(p->renew_work_item_lock(work.lock_token, 1s), "renew");
  wait_past(600ms, 0ms);  // past the original expiry
  EXPECT_FALSE(fetch_work(*p, 1s).has_value());
}

TEST_P(ProviderLockExpiration, WorkerLockRenewalAfterAck) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  must(p->ack_work_item(work.lock_token, std::nullopt), "ack");
  must_fail(p->renew_work_item_lock(work.lock_token, factory().lock_timeout()), "renew after ack");
}

TEST_P(ProviderLockExpiration, AbandonWorkItemReleasesLock) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  must(p->abandon_work_item(work.lock_token, std::nullopt, false), "abandon");
  auto again = must_fetch_work(*p, factory().lock_timeout());
  EXPECT_NE(again.lock_token, work.lock_token);
}

TEST_P(ProviderLockExpiration, AbandonWorkItemWithDelay) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  must(p->abandon_work_item(work.lock_token, 500ms, false), "abandon");
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout()).has_value());
  wait_past(500ms);
  EXPECT_TRUE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderLockExpiration, WorkerAckFailsAfterLockExpiry) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, 1s);
  wait_past(1s);
  must_fail(p->ack_work_item(work.lock_token, activity_completed_item("inst", 1, 1)), "ack expired");
  EXPECT_TRUE(fetch_work(*p, 1s).has_value());
}

TEST_P(ProviderLockExpiration, OrchestrationLockRenewalAfterExpiration) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  wait_past(factory().lock_timeout());
  must_fail(p->renew_orchestration_item_lock(item.lock_token, factory().lock_timeout()), "renew expired");
}

}  // namespace
}  // namespace duroxide::validation
