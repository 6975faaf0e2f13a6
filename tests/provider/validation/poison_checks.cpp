// Validation category Poison / attempt counts (docs/storage.md): every fetch counts, expiry does not undo it,
// ignore_attempt does, and a batch reports its maximum.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

TEST_P(ProviderPoison, OrchestrationAttemptCountStartsAtOne) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  EXPECT_EQ(must_fetch_orchestration(*p, factory().lock_timeout()).attempt_count, 1u);
}

TEST_P(ProviderPoison, OrchestrationAttemptCountIncrementsOnRefetch) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  for (std::uint32_t expected = 1; expected <= 3; ++expected) {
    auto item = must_fetch_orchestration(*p, factory().lock_timeout());
    EXPECT_EQ(item.attempt_count, expected);
    must(p->abandon_orchestration_item(item.lock_token, std::nullopt, false), "abandon");
  }
}

TEST_P(ProviderPoison, WorkerAttemptCountStartsAtOne) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  EXPECT_EQ(must_fetch_work(*p, factory().lock_timeout()).attempt_count, 1u);
}

TEST_P(ProviderPoison, WorkerAttemptCountIncrementsOnLockExpiry) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  EXPECT_EQ(must_fetch_work(*p, 1s).attempt_count, 1u);
  wait_past(1s);
  EXPECT_EQ(must_fetch_work(*p, 1s).attempt_count, 2u);
}

TEST_P(ProviderPoison, AttemptCountIsPerMessage) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 2)), "enqueue");
  EXPECT_EQ(must_fetch_work(*p, factory().lock_timeout()).attempt_count, 1u);
  EXPECT_EQ(must_fetch_work(*p, factory().lock_timeout()).attempt_count, 1u);
}

TEST_P(ProviderPoison, AbandonWorkItemIgnoreAttemptDecrements) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto first = must_fetch_work(*p, factory().lock_timeout());
  EXPECT_EQ(first.attempt_count, 1u);
  must(p->abandon_work_item(first.lock_token, std::nullopt, false), "abandon");
  auto second = must_fetch_work(*p, factory().lock_timeout());
  EXPECT_EQ(second.attempt_count, 2u);
  must(p->abandon_work_item(second.lock_token, std::nullopt, true), "abandon ignoring");
  EXPECT_EQ(must_fetch_work(*p, factory().lock_timeout()).attempt_count, 2u);
}

TEST_P(ProviderPoison, AbandonOrchestrationItemIgnoreAttemptDecrements) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto first = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(first.attempt_count, 1u);
  must(p->abandon_orchestration_item(first.lock_token, std::nullopt, false), "abandon");
  auto second = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(second.attempt_count, 2u);
  must(p->abandon_orchestration_item(second.lock_token, std::nullopt, true), "abandon ignoring");
  EXPECT_EQ(must_fetch_orchestration(*p, factory().lock_timeout()).attempt_count, 2u);
}

TEST_P(ProviderPoison, IgnoreAttemptNeverGoesNegative) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto first = must_fetch_work(*p, factory().lock_timeout());
  must(p->abandon_work_item(first.lock_token, std::nullopt, true), "abandon ignoring");
  auto second = must_fetch_work(*p, factory().lock_timeout());
  EXPECT_EQ(second.attempt_count, 1u);
  must(p->abandon_work_item(second.lock_token, std::nullopt, true), "abandon ignoring");
  EXPECT_EQ(must_fetch_work(*p, factory().lock_timeout()).attempt_count, 1u);
}

TEST_P(ProviderPoison, MaxAttemptCountAcrossMessageBatch) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  for (int i = 0; i < 2; ++i) {
    auto item = must_fetch_orchestration(*p, factory().lock_timeout());
    must(p->abandon_orchestration_item(item.lock_token, std::nullopt, false), "abandon");
  }
  // The old message is now fetched a third time, together with a fresh completion.
  must(p->enqueue_for_orchestrator(activity_completed_item("inst", 1, 2), std::nullopt), "enqueue completion");
  auto batch = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(batch.item.messages.size(), 2u);
  EXPECT_EQ(batch.attempt_count, 3u);
}

}  // namespace
}  // namespace duroxide::validation
