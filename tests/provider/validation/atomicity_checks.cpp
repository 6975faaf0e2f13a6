// Validation category Atomicity (docs/storage.md): an ack commits everything or nothing, and only a successful ack
// releases the instance lock.
#include <thread>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

TEST_P(ProviderAtomicity, FailureRollback) {
  auto provider = create_provider();
  create_instance(*provider, "inst-1", factory().lock_timeout());

  auto item = poke(*provider, "inst-1", factory().lock_timeout());
  // Re-inserting event 1 violates the history key: the whole ack must roll back.
  auto failed = provider->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst-1")}));
  ASSERT_FALSE(failed.has_value());

  EXPECT_EQ(must(provider->read("inst-1"), "read").size(), 1u);
  // The failed ack released nothing: the lock is still held.
  EXPECT_FALSE(fetch_orchestration(*provider, factory().lock_timeout()).has_value());
}

TEST_P(ProviderAtomicity, MultiOperationAtomicAck) {
  auto provider = create_provider();
  must(provider->enqueue_for_orchestrator(start_item("inst-1"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*provider, factory().lock_timeout());

  OrchestrationAck ack = make_ack(
      1,
      {started_event("inst-1"), activity_scheduled_event("inst-1", 1, 2), activity_scheduled_event("inst-1", 1, 3),
       activity_scheduled_event("inst-1", 1, 4), external_event("inst-1", 1, 5)},
      instance_metadata());
  for (std::uint64_t id = 2; id <= 4; ++id) ack.worker_items.push_back(activity_execute_item("inst-1", 1, id));
  ack.orchestrator_items.push_back(timer_fired_item("inst-1", 1, 6, now_ms() - 1000));
  ack.orchestrator_items.push_back(external_item("inst-1", "ev"));
  must(provider->ack_orchestration_item(item.lock_token, ack), "ack");

  EXPECT_EQ(must(provider->read("inst-1"), "read").size(), 5u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fetch_work(*provider, factory().lock_timeout()).has_value()) << i;
  EXPECT_FALSE(fetch_work(*provider, factory().lock_timeout()).has_value());

  auto next = must_fetch_orchestration(*provider, factory().lock_timeout());
  ASSERT_EQ(next.item.messages.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<work_items::TimerFired>(next.item.messages[0]));
  EXPECT_TRUE(std::holds_alternative<work_items::ExternalRaised>(next.item.messages[1]));
}

TEST_P(ProviderAtomicity, LockReleasedOnlyOnSuccessfulAck) {
  auto provider = create_provider();
  must(provider->enqueue_for_orchestrator(start_item("inst-1"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*provider, factory().lock_timeout());
  EXPECT_FALSE(fetch_orchestration(*provider, factory().lock_timeout()).has_value());

  EXPECT_FALSE(provider->ack_orchestration_item("bogus-token", make_ack(1, {started_event("inst-1")})).has_value());
  EXPECT_FALSE(fetch_orchestration(*provider, factory().lock_timeout()).has_value());

  wait_past(factory().lock_timeout());
  auto again = fetch_orchestration(*provider, factory().lock_timeout());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->item.instance, "inst-1");
}

TEST_P(ProviderAtomicity, ConcurrentAckPrevention) {
  auto provider = create_provider();
  must(provider->enqueue_for_orchestrator(start_item("inst-1"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*provider, factory().lock_timeout());

  std::atomic<int> successes{0};
  auto ack_once = [&] {
    if (provider->ack_orchestration_item(item.lock_token,
                                         make_ack(1, {started_event("inst-1")}, instance_metadata()))) {
      ++successes;
    }
  };
  std::thread first(ack_once);
  std::thread second(ack_once);
  first.join();
  second.join();
  EXPECT_EQ(successes.load(), 1);
  EXPECT_EQ(must(provider->read("inst-1"), "read").size(), 1u);
}

}  // namespace
}  // namespace duroxide::validation
