// Cancellation / lock stealing (docs/storage.md): the worker queue never looks at orchestration state;
// an activity is cancelled by deleting its row, which its next renew or ack discovers.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

/// Ends the instance's current execution with `status` (no events beyond the terminal one).
void finish(Provider& p, const std::string& instance, Millis lock, const std::string& status) {
  auto item = poke(p, instance, lock);
  const auto id = next_event_id(p, instance);
  Event terminal = status == "Completed" ? completed_event(instance, 1, id)
                   : status == "Failed"  ? failed_event(instance, 1, id, "boom")
                                         : continued_as_new_event(instance, 1, id);
  must(p.ack_orchestration_item(item.lock_token, make_ack(1, {terminal}, status_metadata(status))), "ack terminal");
}

/// An instance with one queued activity (id 2), scheduled through an ack.
void instance_with_activity(Provider& p, const std::string& instance, Millis lock) {
  must(p.enqueue_for_orchestrator(start_item(instance), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(p, lock);
  OrchestrationAck ack =
      make_ack(1, {started_event(instance), activity_scheduled_event(instance, 1, 2)}, instance_metadata());
  ack.worker_items.push_back(activity_execute_item(instance, 1, 2));
  must(p.ack_orchestration_item(item.lock_token, ack), "ack");
}

TEST_P(ProviderCancellation, FetchReturnsRunningStateForActiveOrchestration) {
  auto p = create_provider();
  instance_with_activity(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(activity_of(must_fetch_work(*p, factory().lock_timeout())).id, 2u);
}

TEST_P(ProviderCancellation, FetchReturnsTerminalStateWhenOrchestrationCompleted) {
  auto p = create_provider();
  instance_with_activity(*p, "inst", factory().lock_timeout());
  finish(*p, "inst", factory().lock_timeout(), "Completed");
  EXPECT_TRUE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderCancellation, FetchReturnsTerminalStateWhenOrchestrationFailed) {
  auto p = create_provider();
  instance_with_activity(*p, "inst", factory().lock_timeout());
  finish(*p, "inst", factory().lock_timeout(), "Failed");
  EXPECT_TRUE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderCancellation, FetchReturnsTerminalStateWhenOrchestrationContinuedAsNew) {
  auto p = create_provider();
  instance_with_activity(*p, "inst", factory().lock_timeout());
  finish(*p, "inst", factory().lock_timeout(), "ContinuedAsNew");
  EXPECT_TRUE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderCancellation, FetchReturnsMissingStateWhenInstanceDeleted) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("never-created", 1, 1)), "enqueue");
  EXPECT_TRUE(fetch_work(*p, factory().lock_timeout()).has_value());
}

TEST_P(ProviderCancellation, RenewReturnsRunningWhenOrchestrationActive) {
  auto p = create_provider();
  instance_with_activity(*p, "inst", factory().lock_timeout());
  auto work = must_fetch_work(*p, factory().lock_timeout());
  must(p->renew_work_item_lock(work.lock_token, factory().lock_timeout()), "renew");
}

TEST_P(ProviderCancellation, RenewReturnsTerminalWhenOrchestrationCompleted) {
  auto p = create_provider();
  instance_with_activity(*p, "inst", factory().lock_timeout());
  auto work = must_fetch_work(*p, factory().lock_timeout());
  finish(*p, "inst", factory().lock_timeout(), "Completed");
  must(p->renew_work_item_lock(work.lock_token, factory().lock_timeout()), "renew");
}

TEST_P(ProviderCancellation, RenewReturnsMissingWhenInstanceDeleted) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("never-created", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  must(p->renew_work_item_lock(work.lock_token, factory().lock_timeout()), "renew");
}

TEST_P(ProviderCancellation, AckWorkItemNoneDeletesWithoutEnqueue) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1)), "enqueue");
  auto work = must_fetch_work(*p, factory().lock_timeout());
  must(p->ack_work_item(work.lock_token, std::nullopt), "ack");
  EXPECT_FALSE(fetch_work(*p, 1ms).has_value());
  EXPECT_FALSE(fetch_orchestration(*p, factory().lock_timeout()).has_value());
}

/// An ack of `instance` that schedules activities `schedule` and cancels `cancel`.
void ack_with(Provider& p, const std::string& instance, Millis lock, std::vector<std::uint64_t> schedule,
              std::vector<std::uint64_t> cancel) {
  auto item = poke(p, instance, lock);
  OrchestrationAck ack = make_ack(1, {});
  for (auto id : schedule) ack.worker_items.push_back(activity_execute_item(instance, 1, id));
  for (auto id : cancel) ack.cancelled_activities.push_back({instance, 1, id});
  must(p.ack_orchestration_item(item.lock_token, ack), "ack");
}

std::vector<std::uint64_t> drain_ids(Provider& p, Millis lock) {
  std::vector<std::uint64_t> ids;
  while (auto item = fetch_work(p, lock)) {
    ids.push_back(activity_of(*item).id);
    must(p.ack_work_item(item->lock_token, std::nullopt), "ack");
  }
  return ids;
}

TEST_P(ProviderCancellation, CancelledActivitiesDeletedFromWorkerQueue) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  ack_with(*p, "inst", factory().lock_timeout(), {1, 2, 3}, {});
  ack_with(*p, "inst", factory().lock_timeout(), {}, {1, 2});
  EXPECT_EQ(drain_ids(*p, factory().lock_timeout()), std::vector<std::uint64_t>{3});
}

TEST_P(ProviderCancellation, AckWorkItemFailsWhenEntryDeleted) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  ack_with(*p, "inst", factory().lock_timeout(), {5}, {});
  auto work = must_fetch_work(*p, factory().lock_timeout());
  ack_with(*p, "inst", factory().lock_timeout(), {}, {5});
  auto error = must_fail(p->ack_work_item(work.lock_token, activity_completed_item("inst", 1, 5)), "ack");
  EXPECT_FALSE(error.is_retryable());
}

TEST_P(ProviderCancellation, RenewFailsWhenEntryDeleted) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  ack_with(*p, "inst", factory().lock_timeout(), {5}, {});
  auto work = must_fetch_work(*p, factory().lock_timeout());
  ack_with(*p, "inst", factory().lock_timeout(), {}, {5});
  must_fail(p->renew_work_item_lock(work.lock_token, factory().lock_timeout()), "renew");
}

TEST_P(ProviderCancellation, CancellingNonexistentActivitiesIsIdempotent) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  ack_with(*p, "inst", factory().lock_timeout(), {}, {41, 42});
  auto item = poke(*p, "inst", factory().lock_timeout());
  OrchestrationAck ack = make_ack(1, {});
  ack.cancelled_activities.push_back({"ghost", 9, 9});
  must(p->ack_orchestration_item(item.lock_token, ack), "ack");
}

TEST_P(ProviderCancellation, BatchCancellationDeletesMultipleActivities) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  ack_with(*p, "inst", factory().lock_timeout(), {1, 2, 3, 4, 5}, {});
  ack_with(*p, "inst", factory().lock_timeout(), {}, {1, 2, 3, 4, 5});
  EXPECT_TRUE(drain_ids(*p, factory().lock_timeout()).empty());
}

TEST_P(ProviderCancellation, SameActivityInWorkerItemsAndCancelledIsNoop) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  ack_with(*p, "inst", factory().lock_timeout(), {7, 8}, {7});
  EXPECT_EQ(drain_ids(*p, factory().lock_timeout()), std::vector<std::uint64_t>{8});
}

TEST_P(ProviderCancellation, OrphanActivityAfterInstanceForceDeletion) {
  auto p = create_provider();
  instance_with_activity(*p, "inst", factory().lock_timeout());
  auto& management = admin(*p);
  must(management.delete_instance("inst", true), "force delete");
  EXPECT_FALSE(management.get_instance_info("inst").has_value());
  // The store removed the instance's worker rows; if a store keeps one, it must still be ackable.
  if (auto survivor = fetch_work(*p, factory().lock_timeout())) {
    must(p->ack_work_item(survivor->lock_token, activity_completed_item("inst", 1, 2)), "ack survivor");
  }
}

}  // namespace
}  // namespace duroxide::validation
