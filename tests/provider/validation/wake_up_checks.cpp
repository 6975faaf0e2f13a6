// Issue #4 item 3: a waiting long-poll fetch returns as soon as work becomes visible (an enqueue or
// ack from another thread, or a delayed message coming due), never after a fixed interval.
// Bounds are generous (1 s against a 10 s poll): what fails is a fetch that sleeps its poll out.
#include <latch>
#include <thread>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kLongPoll = 10s;
constexpr auto kPrompt = 1000ms;

/// Runs `fetch` on another thread, calls `trigger` once that thread is about to fetch, and returns
/// how long after the trigger the fetch returned and whether it returned an item.
template <class Fetch, class Trigger>
std::pair<Millis, bool> fetch_after(Fetch fetch, Trigger trigger) {
  std::latch about_to_fetch(1);
  bool got = false;
  Clock::time_point returned;
  std::thread waiter([&] {
    about_to_fetch.count_down();
    got = fetch();
    returned = Clock::now();
  });
  about_to_fetch.wait();
  const auto triggered = Clock::now();
  trigger();
  waiter.join();
  return {std::chrono::duration_cast<Millis>(returned - triggered), got};
}

TEST_P(ProviderWakeUp, EnqueueWakesWaitingOrchestrationFetch) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  auto [latency, got] =
      fetch_after([&] { return fetch_orchestration(*p, factory().lock_timeout(), kLongPoll).has_value(); },
                  [&] { must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue"); });
  EXPECT_TRUE(got);
  EXPECT_LT(latency, kPrompt);
}

TEST_P(ProviderWakeUp, EnqueueWakesWaitingWorkerFetch) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  auto [latency, got] = fetch_after(
      [&] {
        return fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::default_only(), kLongPoll).has_value();
      },
      [&] { must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue"); });
  EXPECT_TRUE(got);
  EXPECT_LT(latency, kPrompt);
}

TEST_P(ProviderWakeUp, DelayedMessageWakesFetchWhenDue) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), 300ms), "enqueue delayed");
  const auto start = Clock::now();
  EXPECT_TRUE(fetch_orchestration(*p, factory().lock_timeout(), kLongPoll).has_value());
  const auto waited = std::chrono::duration_cast<Millis>(Clock::now() - start);
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 300ms + kPrompt);
}

TEST_P(ProviderWakeUp, WorkerCompletionWakesOrchestrationFetch) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 2)), "enqueue work");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  auto [latency, got] =
      fetch_after([&] { return fetch_orchestration(*p, factory().lock_timeout(), kLongPoll).has_value(); },
                  [&] { must(p->ack_work_item(work.lock_token, activity_completed_item("inst", 1, 2)), "ack work"); });
  EXPECT_TRUE(got);
  EXPECT_LT(latency, kPrompt);
}

TEST_P(ProviderWakeUp, OrchestrationAckWakesWorkerFetch) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  OrchestrationAck ack =
      make_ack(1, {started_event("inst"), activity_scheduled_event("inst", 1, 2)}, instance_metadata());
  ack.worker_items.push_back(activity_execute_item("inst", 1, 2));
  auto [latency, got] = fetch_after(
      [&] {
        return fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::default_only(), kLongPoll).has_value();
      },
      [&] { must(p->ack_orchestration_item(item.lock_token, ack), "ack"); });
  EXPECT_TRUE(got);
  EXPECT_LT(latency, kPrompt);
}

TEST_P(ProviderWakeUp, WakeWaitersEndsWaitingFetchesOnly) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  auto [latency, got] =
      fetch_after([&] { return fetch_orchestration(*p, factory().lock_timeout(), kLongPoll).has_value(); },
                  [&] {
                    // The waiter may not be waiting yet: keep waking until it has returned (bounded).
                    for (int i = 0; i < 100; ++i) {
                      p->wake_waiters();
                      std::this_thread::sleep_for(10ms);
                    }
                  });
  EXPECT_FALSE(got);
  EXPECT_LT(latency, kPrompt);
  // Later fetches wait normally.
  const auto start = Clock::now();
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout(), 300ms).has_value());
  EXPECT_GE(Clock::now() - start, 300ms);
}

TEST_P(ProviderWakeUp, MessageArrivedDuringTurnWakesFetchAfterAck) {
  if (!factory().is_long_poll()) GTEST_SKIP() << "short-poll store";
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  // Arrives while the instance is locked: not fetchable until the turn's ack unlocks it.
  must(p->enqueue_for_orchestrator(external_item("inst", "go", "now"), std::nullopt), "enqueue event");
  auto [latency, got] = fetch_after(
      [&] { return fetch_orchestration(*p, factory().lock_timeout(), kLongPoll).has_value(); },
      [&] {
        must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())),
             "ack");
      });
  EXPECT_TRUE(got);
  EXPECT_LT(latency, kPrompt);
}

/// Provider::change_epoch / wait_for_change: how an in-process client learns of a committed turn
/// without polling.
TEST_P(ProviderWakeUp, AckedTurnWakesChangeWaiter) {
  auto p = create_provider();
  const auto initial = p->change_epoch("inst");
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto first = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(p->change_epoch("inst"), initial) << "an enqueue or a fetch is not a committed turn";
  must(p->ack_orchestration_item(first.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())), "ack");
  if (p->change_epoch("inst") == initial) GTEST_SKIP() << "store does not signal changes (clients poll)";

  const auto before = p->change_epoch("inst");
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue event");
  auto second = must_fetch_orchestration(*p, factory().lock_timeout());
  std::latch about_to_wait(1);
  Clock::time_point returned;
  std::thread waiter([&] {
    about_to_wait.count_down();
    p->wait_for_change("inst", before, kLongPoll);
    returned = Clock::now();
  });
  about_to_wait.wait();
  const auto acked = Clock::now();
  must(p->ack_orchestration_item(second.lock_token, make_ack(1, {}, instance_metadata())), "ack");
  waiter.join();
  EXPECT_LT(std::chrono::duration_cast<Millis>(returned - acked), kPrompt);
  // A wait from the current epoch waits out its timeout.
  const auto start = Clock::now();
  p->wait_for_change("inst", p->change_epoch("inst"), 200ms);
  EXPECT_GE(Clock::now() - start, 200ms);
}

}  // namespace
}  // namespace duroxide::validation
