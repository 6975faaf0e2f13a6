// Validation category Instance status (docs/storage.md, "Status without history"): a store reports an
// instance's status from its metadata, with the output of a completed execution, the failure details
// of a failed one and the custom status, and agrees with what the history says.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

/// The record a store reports for an instance without custom status.
InstanceStatusRecord plain(ExecutionStatus status, std::optional<std::string> output = std::nullopt) {
  InstanceStatusRecord record;
  record.status = status;
  record.output = std::move(output);
  return record;
}

InstanceStatusRecord status_of(Provider& p, const std::string& instance) {
  auto record = must(p.get_instance_status(instance), "get_instance_status");
  if (!record) throw std::runtime_error("no status for " + instance);
  return *record;
}

/// The status Provider's default derives from the history, for comparison with the store's own.
std::optional<InstanceStatusRecord> status_from_history(Provider& p, const std::string& instance) {
  return must(p.Provider::get_instance_status(instance), "default get_instance_status");
}

void fail_instance(Provider& p, const std::string& instance, Millis lock, const std::string& message) {
  auto item = poke(p, instance, lock);
  const auto id = next_event_id(p, instance);
  const Event failed = failed_event(instance, 1, id, message);
  const auto& details = failed.get_if<events::OrchestrationFailed>()->details;
  must(p.ack_orchestration_item(item.lock_token,
                                make_ack(1, {failed}, status_metadata("Failed", details.display_message()))),
       "ack failure");
}

/// One turn that ends execution 1 with ContinuedAsNew (the next execution has not started).
void continue_as_new(Provider& p, const std::string& instance, Millis lock) {
  auto item = poke(p, instance, lock);
  must(p.ack_orchestration_item(item.lock_token,
                                make_ack(1, {continued_as_new_event(instance, 1, next_event_id(p, instance))},
                                         status_metadata("ContinuedAsNew", "{}"))),
       "ack");
}

TEST_P(ProviderInstanceStatus, UnknownInstanceHasNoStatus) {
  auto p = create_provider();
  EXPECT_FALSE(must(p->get_instance_status("nobody"), "get_instance_status").has_value());
  // A queued start is not an instance until its first turn commits.
  must(p->enqueue_for_orchestrator(start_item("queued"), std::nullopt), "enqueue");
  EXPECT_FALSE(must(p->get_instance_status("queued"), "get_instance_status").has_value());
}

TEST_P(ProviderInstanceStatus, RunningInstanceReportsItsCustomStatus) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(status_of(*p, "inst"), plain(ExecutionStatus::Running));
  auto item = poke(*p, "inst", factory().lock_timeout());
  must(p->ack_orchestration_item(item.lock_token,
                                 make_ack(1, {custom_status_event("inst", 1, next_event_id(*p, "inst"), "half")})),
       "ack");
  const auto record = status_of(*p, "inst");
  EXPECT_EQ(record.status, ExecutionStatus::Running);
  EXPECT_EQ(record.custom_status, "half");
  EXPECT_EQ(record.custom_status_version, 1u);
  EXPECT_EQ(status_from_history(*p, "inst"), record);
}

TEST_P(ProviderInstanceStatus, CompletedInstanceReportsItsOutput) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  complete_instance(*p, "inst", factory().lock_timeout(), "\"the output\"");
  const auto record = status_of(*p, "inst");
  EXPECT_EQ(record, plain(ExecutionStatus::Completed, "\"the output\""));
  EXPECT_EQ(status_from_history(*p, "inst"), record);
}

TEST_P(ProviderInstanceStatus, FailedInstanceReportsItsFailureDetails) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  fail_instance(*p, "inst", factory().lock_timeout(), "it broke");
  const auto record = status_of(*p, "inst");
  EXPECT_EQ(record.status, ExecutionStatus::Failed);
  ASSERT_TRUE(record.failure.has_value());
  EXPECT_EQ(*record.failure, ErrorDetails::orchestration_failed("it broke"));
  EXPECT_EQ(status_from_history(*p, "inst"), record);
}

/// One turn that records an operator's `event` and sets `status` with the reason as its output.
void operator_turn(Provider& p, const std::string& instance, Millis lock, EventKind event, const std::string& status,
                   const std::string& reason) {
  auto item = poke(p, instance, lock);
  Event recorded = started_event(instance, 1, next_event_id(p, instance));
  recorded.kind = std::move(event);
  must(p.ack_orchestration_item(item.lock_token, make_ack(1, {recorded}, status_metadata(status, reason))),
       "ack " + status);
}

TEST_P(ProviderInstanceStatus, TerminatedInstanceReportsItsReasonAndHasEnded) {
  // Our extension (docs/terminate.md): Terminated is a terminal status whose output is the reason.
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  operator_turn(*p, "inst", factory().lock_timeout(), events::OrchestrationTerminated{"operator"}, "Terminated",
                "operator");
  const auto record = status_of(*p, "inst");
  EXPECT_EQ(record, plain(ExecutionStatus::Terminated, "operator"));
  EXPECT_EQ(status_from_history(*p, "inst"), record);
  if (p->as_management_capability() == nullptr) return;
  const auto info = must(admin(*p).get_execution_info("inst", 1), "execution info");
  EXPECT_EQ(info.status, ExecutionStatus::Terminated);
  EXPECT_TRUE(info.completed_at_ms.has_value()) << "a terminated execution has ended";
  EXPECT_EQ(must(admin(*p).get_system_metrics(), "metrics").terminated_instances, 1u);
}

TEST_P(ProviderInstanceStatus, SuspendedInstanceReportsItsReasonAndHasNotEnded) {
  // Our extension (docs/suspend-resume.md): Suspended is not an ending; its output is the reason.
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  operator_turn(*p, "inst", factory().lock_timeout(), events::OrchestrationSuspended{"maintenance"}, "Suspended",
                "maintenance");
  const auto record = status_of(*p, "inst");
  EXPECT_EQ(record, plain(ExecutionStatus::Suspended, "maintenance"));
  EXPECT_EQ(status_from_history(*p, "inst"), record);
  if (p->as_management_capability() == nullptr) return;
  const auto info = must(admin(*p).get_execution_info("inst", 1), "execution info");
  EXPECT_FALSE(info.completed_at_ms.has_value()) << "a suspended execution has not ended";
  EXPECT_EQ(must(admin(*p).get_system_metrics(), "metrics").suspended_instances, 1u);
  EXPECT_EQ(must_fail(admin(*p).delete_instance("inst", false), "delete without force").kind,
            ProviderErrorKind::InstanceStillRunning);
}

TEST_P(ProviderInstanceStatus, RewoundExecutionRunsAgainAndNoLongerCountsAsEnded) {
  // Our extension (docs/rewind.md): a Running status after a Failed one clears the ending.
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  fail_instance(*p, "inst", factory().lock_timeout(), "it broke");
  const auto failure_id = next_event_id(*p, "inst") - 1;
  auto item = poke(*p, "inst", factory().lock_timeout());
  Event marker = started_event("inst", 1, failure_id + 1);
  marker.kind = events::OrchestrationRewound{"fixed", {failure_id}};
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {marker}, status_metadata("Running"))), "ack rewind");
  const auto record = status_of(*p, "inst");
  EXPECT_EQ(record, plain(ExecutionStatus::Running));
  EXPECT_EQ(status_from_history(*p, "inst"), record);
  if (p->as_management_capability() == nullptr) return;
  const auto info = must(admin(*p).get_execution_info("inst", 1), "execution info");
  EXPECT_EQ(info.status, ExecutionStatus::Running);
  EXPECT_FALSE(info.completed_at_ms.has_value()) << "a rewound execution runs again";
  EXPECT_FALSE(info.output.has_value()) << "the failure's message is gone with it";
  const auto metrics = must(admin(*p).get_system_metrics(), "metrics");
  EXPECT_EQ(metrics.running_instances, 1u);
  EXPECT_EQ(metrics.failed_instances, 0u);
}

TEST_P(ProviderInstanceStatus, ContinuedAsNewBeforeTheNextExecutionStarts) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  continue_as_new(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(status_of(*p, "inst").status, ExecutionStatus::ContinuedAsNew);
}

TEST_P(ProviderInstanceStatus, TheStatusOfTheLatestExecution) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  continue_as_new(*p, "inst", factory().lock_timeout());
  must(p->enqueue_for_orchestrator(continue_as_new_item("inst"), std::nullopt), "enqueue");
  auto next = must_fetch_orchestration(*p, factory().lock_timeout());
  must(p->ack_orchestration_item(next.lock_token, make_ack(2, {started_event("inst", 2, 1)}, instance_metadata())),
       "ack second start");
  EXPECT_EQ(status_of(*p, "inst").status, ExecutionStatus::Running);
  complete_instance(*p, "inst", factory().lock_timeout(), "\"second\"");
  EXPECT_EQ(status_of(*p, "inst"), plain(ExecutionStatus::Completed, "\"second\""));
}

TEST_P(ProviderInstanceStatus, StatusDoesNotReadTheHistoryOfACompletedInstance) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "the store cannot corrupt rows for tests";
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  complete_instance(*p, "inst", factory().lock_timeout(), "\"kept\"");
  factory().corrupt_instance_history(*p, "inst");
  // Every history row is now unreadable: only a status taken from metadata still answers.
  EXPECT_FALSE(p->read("inst").has_value());
  EXPECT_EQ(status_of(*p, "inst"), plain(ExecutionStatus::Completed, "\"kept\""));
}

TEST_P(ProviderInstanceStatus, AnOutputWithNulBytesRoundTrips) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  const std::string output("\"a\0b\"", 5);
  complete_instance(*p, "inst", factory().lock_timeout(), output);
  EXPECT_EQ(status_of(*p, "inst"), plain(ExecutionStatus::Completed, output));
  EXPECT_EQ(must(admin(*p).get_instance_info("inst"), "info").output, output);
}

}  // namespace
}  // namespace duroxide::validation
