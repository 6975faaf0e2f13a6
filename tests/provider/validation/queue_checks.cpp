// Validation categories Multi-execution, Queue semantics and Long polling (docs/storage.md).
#include <thread>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

using Clock = std::chrono::steady_clock;

/// Appends events to an execution through an ack without metadata (no instance row involved).
void ack_events(Provider& p, const std::string& instance, Millis lock, std::uint64_t execution,
                std::vector<Event> events, ExecutionMetadata metadata = {}) {
  // A brand-new instance needs a start message to be fetchable; later ones have history.
  const bool fresh = must(p.read(instance), "read").empty();
  must(p.enqueue_for_orchestrator(fresh ? start_item(instance) : external_item(instance), std::nullopt), "poke");
  auto item = must_fetch_orchestration(p, lock);
  must(p.ack_orchestration_item(item.lock_token, make_ack(execution, std::move(events), std::move(metadata))), "ack");
}

// ---- multi-execution ----

TEST_P(ProviderMultiExecution, ExecutionIsolation) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  ack_events(*p, "inst", lock, 1, {started_event("inst"), external_event("inst", 1, 2), completed_event("inst", 1, 3)});
  ack_events(*p, "inst", lock, 2, {started_event("inst", 2), external_event("inst", 2, 2)});
  EXPECT_EQ(must(p->read_with_execution("inst", 1), "e1").size(), 3u);
  EXPECT_EQ(must(p->read_with_execution("inst", 2), "e2").size(), 2u);
  EXPECT_EQ(must(p->read("inst"), "read").size(), 2u);
}

TEST_P(ProviderMultiExecution, LatestExecutionDetection) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  ack_events(*p, "inst", lock, 1, {started_event("inst", 1, 1, "First")});
  ack_events(*p, "inst", lock, 2, {started_event("inst", 2, 1, "Second")});
  const auto latest = must(p->read("inst"), "read");
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(std::get<events::OrchestrationStarted>(latest[0].kind).name, "Second");
  const auto first = must(p->read_with_execution("inst", 1), "e1");
  EXPECT_EQ(std::get<events::OrchestrationStarted>(first[0].kind).name, "First");
}

TEST_P(ProviderMultiExecution, ExecutionIdSequencing) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "inst", lock);
  auto item = poke(*p, "inst", lock);
  EXPECT_EQ(item.item.execution_id, 1u);
  must(p->ack_orchestration_item(item.lock_token, make_ack(2, {started_event("inst", 2)}, instance_metadata())),
       "ack 2");
  EXPECT_EQ(poke(*p, "inst", lock).item.execution_id, 2u);
}

TEST_P(ProviderMultiExecution, ContinueAsNewCreatesNewExecution) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "inst", lock);
  must(p->enqueue_for_orchestrator(continue_as_new_item("inst"), std::nullopt), "can");
  auto item = must_fetch_orchestration(*p, lock);
  ASSERT_TRUE(std::holds_alternative<work_items::ContinueAsNew>(item.item.messages.front()));
  must(p->ack_orchestration_item(item.lock_token, make_ack(2, {started_event("inst", 2)}, instance_metadata())), "ack");
  EXPECT_EQ(poke(*p, "inst", lock).item.execution_id, 2u);
}

TEST_P(ProviderMultiExecution, ExecutionHistoryPersistence) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  for (std::uint64_t e = 1; e <= 3; ++e) {
    ack_events(*p, "inst", lock, e, {started_event("inst", e, 1, "Exec" + std::to_string(e))});
  }
  for (std::uint64_t e = 1; e <= 3; ++e) {
    const auto history = must(p->read_with_execution("inst", e), "read");
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(std::get<events::OrchestrationStarted>(history[0].kind).name, "Exec" + std::to_string(e));
  }
  EXPECT_EQ(std::get<events::OrchestrationStarted>(must(p->read("inst"), "read")[0].kind).name, "Exec3");
}

// ---- queue semantics ----

TEST_P(ProviderQueueSemantics, WorkerQueueFifoOrdering) {
  auto p = create_provider();
  for (std::uint64_t id = 1; id <= 5; ++id)
    must(p->enqueue_for_worker(activity_execute_item("inst", 1, id)), "enqueue");
  for (std::uint64_t id = 1; id <= 5; ++id) {
    auto work = must_fetch_work(*p, factory().lock_timeout());
    EXPECT_EQ(activity_of(work).id, id);
    must(p->ack_work_item(work.lock_token, std::nullopt), "ack");
  }
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderQueueSemantics, WorkerPeekLockSemantics) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout()).has_value());
  must(p->ack_work_item(work.lock_token, std::nullopt), "ack");
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderQueueSemantics, WorkerAckAtomicity) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  must(p->ack_work_item(work.lock_token, activity_completed_item("inst", 1, 1, "\"done\"")), "ack");
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout()).has_value());
  auto batch = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_EQ(batch.item.messages.size(), 1u);
  EXPECT_EQ(std::get<work_items::ActivityCompleted>(batch.item.messages[0]).result, "\"done\"");
}

TEST_P(ProviderQueueSemantics, TimerDelayedVisibility) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  must(p->enqueue_for_orchestrator(timer_fired_item("inst", 1, 2, now_ms()), 5s), "enqueue timer");
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
  wait_past(5s);
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_TRUE(std::holds_alternative<work_items::TimerFired>(item.item.messages.front()));
}

TEST_P(ProviderQueueSemantics, LostLockTokenHandling) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  (void)must_fetch_work(*p, 1s);  // never acked
  wait_past(1s);
  EXPECT_EQ(activity_of(must_fetch_work(*p, 1s)).id, 1u);
}

TEST_P(ProviderQueueSemantics, WorkerItemImmediateVisibility) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  EXPECT_TRUE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderQueueSemantics, WorkerDelayedVisibilitySkipsFutureItems) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue 1");
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 2)), "enqueue 2");
  auto first = must_fetch_work(*p, factory().lock_timeout());
  must(p->abandon_work_item(first.lock_token, 500ms, false), "abandon with delay");
  auto second = must_fetch_work(*p, factory().lock_timeout());
  EXPECT_EQ(activity_of(second).id, 2u);
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout()).has_value());
  wait_past(500ms);
  EXPECT_EQ(activity_of(must_fetch_work(*p, factory().lock_timeout())).id, 1u);
}

TEST_P(ProviderQueueSemantics, OrphanQueueMessagesDropped) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(queue_message_item("orphan", "q", "1"), std::nullopt), "orphan 1");
  must(p->enqueue_for_orchestrator(queue_message_item("orphan", "q", "2"), std::nullopt), "orphan 2");
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
  EXPECT_EQ(must(admin(*p).get_queue_depths(), "depths").orchestrator_queue, 0u);
  create_instance(*p, "inst", factory().lock_timeout());
  must(p->enqueue_for_orchestrator(queue_message_item("inst", "q", "hello"), std::nullopt), "message");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_EQ(item.item.messages.size(), 1u);
  EXPECT_EQ(std::get<work_items::QueueMessage>(item.item.messages[0]).data, "hello");
}

// ---- long polling ----

double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

TEST_P(ProviderLongPolling, ShortPollReturnsImmediately) {
  if (factory().is_long_poll()) GTEST_SKIP() << "long-poll store";
  auto p = create_provider();
  const auto start = Clock::now();
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout(), 500ms).has_value());
  EXPECT_LT(elapsed_ms(start), static_cast<double>(factory().short_poll_threshold().count()));
}

TEST_P(ProviderLongPolling, LongPollWaitsForTimeout) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  const auto start = Clock::now();
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout(), 500ms).has_value());
  EXPECT_GE(elapsed_ms(start), 500.0);
}

TEST_P(ProviderLongPolling, FetchRespectsTimeoutUpperBound) {
  auto p = create_provider();
  const auto start = Clock::now();
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout(), 300ms).has_value());
  EXPECT_LT(elapsed_ms(start), 500.0);
}

TEST_P(ProviderLongPolling, ShortPollWorkItemReturnsImmediately) {
  if (factory().is_long_poll()) GTEST_SKIP() << "long-poll store";
  auto p = create_provider();
  const auto start = Clock::now();
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::default_only(), 500ms).has_value());
  EXPECT_LT(elapsed_ms(start), static_cast<double>(factory().short_poll_threshold().count()));
}

TEST_P(ProviderLongPolling, LongPollWorkItemWaitsForTimeout) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  const auto start = Clock::now();
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::default_only(), 500ms).has_value());
  EXPECT_GE(elapsed_ms(start), 500.0);
}

}  // namespace
}  // namespace duroxide::validation
