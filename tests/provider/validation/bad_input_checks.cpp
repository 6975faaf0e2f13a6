// Issue #4 item 5: bad input gets a clear, permanent ProviderError and nothing is partly written.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"
#include "providers/input_validation.hpp"

namespace duroxide::validation {
namespace {

void expect_permanent(const ProviderError& error, std::string_view fragment) {
  EXPECT_FALSE(error.is_retryable()) << error.to_string();
  EXPECT_NE(error.message.find(fragment), std::string::npos) << error.to_string();
}

TEST_P(ProviderBadInput, EmptyAndOverlongInstanceIdsAreRejected) {
  auto provider = create_provider();
  expect_permanent(must_fail(provider->enqueue_for_orchestrator(start_item(""), std::nullopt), "enqueue"),
                   "instance id must not be empty");
  const std::string overlong(providers::kMaxIdentifierBytes + 1, 'x');
  expect_permanent(must_fail(provider->enqueue_for_orchestrator(start_item(overlong), std::nullopt), "enqueue"),
                   "limit");
  expect_permanent(must_fail(provider->enqueue_for_worker(activity_execute_item("", 1, 1)), "enqueue worker"),
                   "instance id");
  EXPECT_FALSE(fetch_orchestration(*provider, factory().lock_timeout()).has_value());
  EXPECT_FALSE(fetch_work(*provider, factory().lock_timeout()).has_value());
}

TEST_P(ProviderBadInput, EmptyAndOverlongNamesAreRejected) {
  auto provider = create_provider();
  expect_permanent(must_fail(provider->enqueue_for_orchestrator(start_item("inst", ""), std::nullopt), "enqueue"),
                   "orchestration name");
  const std::string overlong(providers::kMaxIdentifierBytes + 1, 'n');
  expect_permanent(must_fail(provider->enqueue_for_worker(activity_execute_item("inst", 1, 1, overlong)), "enqueue"),
                   "activity name");
  expect_permanent(must_fail(provider->enqueue_for_orchestrator(external_item("inst", ""), std::nullopt), "enqueue"),
                   "event name");
  EXPECT_FALSE(fetch_orchestration(*provider, factory().lock_timeout()).has_value());
}

TEST_P(ProviderBadInput, OversizePayloadIsRejected) {
  auto provider = create_provider();
  const std::string huge(providers::kDefaultMaxPayloadBytes + 1, 'p');
  expect_permanent(
      must_fail(provider->enqueue_for_orchestrator(external_item("inst", "big", huge), std::nullopt), "enqueue"),
      "limit");
  EXPECT_FALSE(fetch_orchestration(*provider, factory().lock_timeout()).has_value());
}

TEST_P(ProviderBadInput, OversizeEventFailsTheWholeAckAndKeepsTheLock) {
  auto provider = create_provider();
  must(provider->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  // A long lock: building and rejecting a 16 MiB event is slow under sanitizers.
  auto item = must_fetch_orchestration(*provider, 60s);
  const std::string huge(providers::kDefaultMaxPayloadBytes + 1, 'p');
  OrchestrationAck ack =
      make_ack(1, {started_event("inst"), external_event("inst", 1, 2, "big", huge)}, instance_metadata());
  ack.worker_items.push_back(activity_execute_item("inst", 1, 3));
  expect_permanent(must_fail(provider->ack_orchestration_item(item.lock_token, ack), "ack"), "limit");
  EXPECT_TRUE(must(provider->read("inst"), "read").empty());
  EXPECT_FALSE(fetch_work(*provider, factory().lock_timeout()).has_value());
  // The lock is still held, so the turn can be retried (or failed) with the same token.
  must(provider->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())),
       "retry ack");
  EXPECT_EQ(must(provider->read("inst"), "read").size(), 1u);
}

TEST_P(ProviderBadInput, EventIdZeroIsRejected) {
  auto provider = create_provider();
  must(provider->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*provider, factory().lock_timeout());
  expect_permanent(
      must_fail(provider->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst", 1, 0)})), "ack"),
      "event_id 0");
  EXPECT_TRUE(must(provider->read("inst"), "read").empty());
}

TEST_P(ProviderBadInput, UnknownLockTokensAreRejectedEverywhere) {
  auto provider = create_provider();
  const auto lock = factory().lock_timeout();
  EXPECT_FALSE(must_fail(provider->ack_orchestration_item("no-such-token", make_ack(1, {})), "ack").is_retryable());
  EXPECT_FALSE(
      must_fail(provider->abandon_orchestration_item("no-such-token", std::nullopt, false), "abandon").is_retryable());
  EXPECT_FALSE(must_fail(provider->renew_orchestration_item_lock("no-such-token", lock), "renew").is_retryable());
  EXPECT_FALSE(must_fail(provider->ack_work_item("no-such-token", std::nullopt), "ack work").is_retryable());
  EXPECT_FALSE(
      must_fail(provider->abandon_work_item("no-such-token", std::nullopt, false), "abandon work").is_retryable());
  EXPECT_FALSE(must_fail(provider->renew_work_item_lock("no-such-token", lock), "renew work").is_retryable());
}

TEST_P(ProviderBadInput, AckingTwiceFailsAndChangesNothing) {
  auto provider = create_provider();
  must(provider->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*provider, factory().lock_timeout());
  must(provider->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())),
       "ack");
  auto second = must_fail(provider->ack_orchestration_item(item.lock_token, make_ack(1, {completed_event("inst", 1, 2)},
                                                                                     status_metadata("Completed"))),
                          "second ack");
  expect_permanent(second, "Invalid lock token");
  EXPECT_EQ(must(provider->read("inst"), "read").size(), 1u);

  must(provider->enqueue_for_worker(activity_execute_item("inst", 1, 2)), "enqueue work");
  auto work = must_fetch_work(*provider, factory().lock_timeout());
  must(provider->ack_work_item(work.lock_token, activity_completed_item("inst", 1, 2)), "ack work");
  EXPECT_FALSE(
      must_fail(provider->ack_work_item(work.lock_token, activity_completed_item("inst", 1, 2)), "second work ack")
          .is_retryable());
  // Exactly one completion reached the orchestrator queue.
  auto batch = must_fetch_orchestration(*provider, factory().lock_timeout());
  EXPECT_EQ(batch.item.messages.size(), 1u);
}

TEST_P(ProviderBadInput, WorkItemsOfTheWrongKindAreRejected) {
  auto provider = create_provider();
  expect_permanent(
      must_fail(provider->enqueue_for_orchestrator(activity_execute_item("inst", 1, 1), std::nullopt), "enqueue"),
      "Invalid work item type");
  expect_permanent(must_fail(provider->enqueue_for_worker(start_item("inst")), "enqueue worker"),
                   "Invalid work item type");

  must(provider->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue work");
  auto work = must_fetch_work(*provider, factory().lock_timeout());
  expect_permanent(must_fail(provider->ack_work_item(work.lock_token, start_item("inst")), "ack work"),
                   "ActivityCompleted or ActivityFailed");
  // Nothing changed: the item is still locked by us and can be acked properly.
  must(provider->ack_work_item(work.lock_token, activity_completed_item("inst", 1, 1)), "ack work");

  must(provider->enqueue_for_orchestrator(start_item("inst2"), std::nullopt), "enqueue start");
  auto item = must_fetch_orchestration(*provider, factory().lock_timeout());
  OrchestrationAck ack = make_ack(1, {started_event("inst2")}, instance_metadata());
  ack.worker_items.push_back(start_item("inst2"));
  expect_permanent(must_fail(provider->ack_orchestration_item(item.lock_token, ack), "ack"), "ActivityExecute only");
  EXPECT_TRUE(must(provider->read("inst2"), "read").empty());
}

}  // namespace
}  // namespace duroxide::validation
