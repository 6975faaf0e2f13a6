// Validation category Error kinds (docs/storage.md, "Errors"): every store reports the same
// ProviderErrorKind for the same situation, so callers decide by kind, never by wording. (A
// sub-orchestration deleted directly is checked in CascadeDeleteHierarchy.)
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"
#include "providers/input_validation.hpp"

namespace duroxide::validation {
namespace {

void expect_kind(const ProviderError& error, ProviderErrorKind kind) {
  EXPECT_EQ(error.kind, kind) << "got " << to_string(error.kind) << ": " << error.to_string();
  EXPECT_FALSE(error.is_retryable()) << error.to_string();
}

TEST_P(ProviderErrorKinds, UnknownInstancesAreNotFound) {
  auto p = create_provider();
  expect_kind(must_fail(admin(*p).get_instance_info("nobody"), "info"), ProviderErrorKind::NotFound);
  expect_kind(must_fail(admin(*p).delete_instance("nobody", true), "delete"), ProviderErrorKind::NotFound);
  create_instance(*p, "inst", factory().lock_timeout());
  expect_kind(must_fail(admin(*p).get_execution_info("inst", 7), "execution info"), ProviderErrorKind::NotFound);
}

TEST_P(ProviderErrorKinds, DeletingARunningInstanceWithoutForce) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  expect_kind(must_fail(admin(*p).delete_instance("inst", false), "delete"), ProviderErrorKind::InstanceStillRunning);
}

TEST_P(ProviderErrorKinds, UnknownAndSpentLockTokensAreLockLost) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  expect_kind(must_fail(p->ack_orchestration_item("no-such-token", make_ack(1, {})), "ack"),
              ProviderErrorKind::LockLost);
  expect_kind(must_fail(p->abandon_orchestration_item("no-such-token", std::nullopt, false), "abandon"),
              ProviderErrorKind::LockLost);
  expect_kind(must_fail(p->renew_orchestration_item_lock("no-such-token", lock), "renew"), ProviderErrorKind::LockLost);
  expect_kind(must_fail(p->ack_work_item("no-such-token", std::nullopt), "ack work"), ProviderErrorKind::LockLost);
  expect_kind(must_fail(p->abandon_work_item("no-such-token", std::nullopt, false), "abandon work"),
              ProviderErrorKind::LockLost);
  expect_kind(must_fail(p->renew_work_item_lock("no-such-token", lock), "renew work"), ProviderErrorKind::LockLost);
  // A token already used for an ack is spent.
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, lock);
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())), "ack");
  expect_kind(must_fail(p->ack_orchestration_item(item.lock_token, make_ack(1, {})), "second ack"),
              ProviderErrorKind::LockLost);
}

TEST_P(ProviderErrorKinds, AnEventIdTheExecutionHasIsDuplicateEvent) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  auto item = poke(*p, "inst", factory().lock_timeout());
  expect_kind(
      must_fail(p->ack_orchestration_item(item.lock_token, make_ack(1, {external_event("inst", 1, 1, "e", "{}")})),
                "ack"),
      ProviderErrorKind::DuplicateEvent);
}

TEST_P(ProviderErrorKinds, ForbiddenArgumentsAreInvalidInput) {
  auto p = create_provider();
  expect_kind(must_fail(p->enqueue_for_orchestrator(start_item(""), std::nullopt), "empty id"),
              ProviderErrorKind::InvalidInput);
  expect_kind(must_fail(p->enqueue_for_orchestrator(activity_execute_item("inst", 1, 1), std::nullopt), "wrong queue"),
              ProviderErrorKind::InvalidInput);
  expect_kind(must_fail(p->enqueue_for_worker(start_item("inst")), "wrong queue"), ProviderErrorKind::InvalidInput);
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  expect_kind(must_fail(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst", 1, 0)})), "id 0"),
              ProviderErrorKind::InvalidInput);
}

TEST_P(ProviderErrorKinds, OversizePayloadsArePayloadTooLarge) {
  auto p = create_provider();
  const std::string huge(providers::kDefaultMaxPayloadBytes + 1, 'p');
  expect_kind(must_fail(p->enqueue_for_orchestrator(external_item("inst", "big", huge), std::nullopt), "enqueue"),
              ProviderErrorKind::PayloadTooLarge);
}

}  // namespace
}  // namespace duroxide::validation
