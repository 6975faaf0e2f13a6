// Validation category Capability filtering and decode contract (docs/storage.md): a filtered fetch only sees instances
// whose current execution is pinned inside the filter's first range (or unpinned), and it filters
// before decoding history, so an unreadable history of an excluded instance never surfaces.
#include <duroxide/constants.hpp>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

Version v(const char* text) { return Version::parse(text).value(); }

DispatcherCapabilityFilter range(const char* min, const char* max) {
  return DispatcherCapabilityFilter{{SemverRange{v(min), v(max)}}};
}

/// An instance whose execution 1 is pinned to `pinned` (or unpinned), with a message queued so it
/// is fetchable (`queue_message` false: the caller queues one after setting up other instances).
void pinned_instance(Provider& p, const std::string& instance, Millis lock, std::optional<const char*> pinned,
                     bool queue_message = true) {
  must(p.enqueue_for_orchestrator(start_item(instance), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(p, lock);
  ExecutionMetadata metadata = instance_metadata();
  if (pinned) metadata.pinned_duroxide_version = v(*pinned);
  must(p.ack_orchestration_item(item.lock_token, make_ack(1, {started_event(instance)}, metadata)), "ack");
  if (queue_message) must(p.enqueue_for_orchestrator(external_item(instance), std::nullopt), "poke");
}

std::optional<std::string> fetched_instance(Provider& p, Millis lock, const DispatcherCapabilityFilter* filter) {
  auto item = must(p.fetch_orchestration_item(lock, 0ms, filter), "fetch");
  if (!item) return std::nullopt;
  return item->item.instance;
}

TEST_P(ProviderCapabilityFilter, FetchWithFilterNoneReturnsAnyItem) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "1.2.3");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), nullptr), "inst");
}

TEST_P(ProviderCapabilityFilter, FetchWithCompatibleFilterReturnsItem) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "1.2.3");
  const auto filter = range("1.0.0", "1.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), "inst");
}

TEST_P(ProviderCapabilityFilter, FetchWithIncompatibleFilterSkipsItem) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "1.2.3");
  const auto filter = range("2.0.0", "2.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), std::nullopt);
}

TEST_P(ProviderCapabilityFilter, FetchFilterSkipsIncompatibleSelectsCompatible) {
  auto p = create_provider();
  pinned_instance(*p, "v1", factory().lock_timeout(), "1.0.0", false);
  pinned_instance(*p, "v2", factory().lock_timeout(), "2.0.0");
  must(p->enqueue_for_orchestrator(external_item("v1"), std::nullopt), "poke");
  const auto v2 = range("2.0.0", "2.9.9");
  const auto v1 = range("1.0.0", "1.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &v2), "v2");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &v1), "v1");
}

TEST_P(ProviderCapabilityFilter, FetchFilterDoesNotLockSkippedInstances) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "1.0.0");
  const auto incompatible = range("2.0.0", "2.9.9");
  const auto compatible = range("1.0.0", "1.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &incompatible), std::nullopt);
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &compatible), "inst");
}

TEST_P(ProviderCapabilityFilter, FetchFilterNullPinnedVersionAlwaysCompatible) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), std::nullopt);
  const auto filter = range("99.0.0", "99.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), "inst");
}

TEST_P(ProviderCapabilityFilter, FetchFilterBoundaryVersions) {
  const auto filter = range("1.0.0", "1.9.99");
  for (const char* inside : {"1.0.0", "1.9.99"}) {
    auto p = create_provider();
    pinned_instance(*p, "inst", factory().lock_timeout(), inside);
    EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), "inst") << inside;
  }
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "2.0.0");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), std::nullopt);
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), nullptr), "inst");
}

TEST_P(ProviderCapabilityFilter, PinnedVersionStoredViaAckMetadata) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "3.1.4");
  const auto filter = range("3.0.0", "3.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), "inst");
}

TEST_P(ProviderCapabilityFilter, PinnedVersionImmutableAcrossAckCycles) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "1.0.0");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {external_event("inst", 1, 2)})), "ack without pin");
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "poke");
  const auto v1 = range("1.0.0", "1.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &v1), "inst");
}

TEST_P(ProviderCapabilityFilter, ContinueAsNewExecutionGetsOwnPinnedVersion) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "1.0.0");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  must(p->ack_orchestration_item(
           item.lock_token, make_ack(1, {continued_as_new_event("inst", 1, 2)}, status_metadata("ContinuedAsNew"))),
       "ack can");
  must(p->enqueue_for_orchestrator(continue_as_new_item("inst"), std::nullopt), "enqueue can");
  auto next = must_fetch_orchestration(*p, factory().lock_timeout());
  ExecutionMetadata metadata = instance_metadata();
  metadata.pinned_duroxide_version = v("2.0.0");
  must(p->ack_orchestration_item(next.lock_token, make_ack(2, {started_event("inst", 2)}, metadata)), "ack exec 2");
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "poke");
  const auto v1_only = range("1.0.0", "1.9.9");
  const auto v2 = range("2.0.0", "2.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &v1_only), std::nullopt);
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &v2), "inst");
}

TEST_P(ProviderCapabilityFilter, FilterWithEmptySupportedVersionsReturnsNothing) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), std::nullopt);
  const DispatcherCapabilityFilter empty;
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &empty), std::nullopt);
}

TEST_P(ProviderCapabilityFilter, ConcurrentFilteredFetchNoDoubleLock) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "1.0.0");
  const auto filter = range("1.0.0", "1.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), "inst");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), std::nullopt);
}

TEST_P(ProviderCapabilityFilter, AckStoresPinnedVersionViaMetadataUpdate) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), std::nullopt);
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  ExecutionMetadata metadata;
  metadata.pinned_duroxide_version = v("1.5.0");
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {}, metadata)), "backfill");
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "poke");
  const auto other = range("2.0.0", "2.9.9");
  const auto filter = range("1.0.0", "1.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &other), std::nullopt);
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), "inst");
}

TEST_P(ProviderCapabilityFilter, ProviderUpdatesPinnedVersionWhenTold) {
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "1.0.0");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  ExecutionMetadata metadata;
  metadata.pinned_duroxide_version = v("2.0.0");
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {}, metadata)), "overwrite");
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "poke");
  const auto v1_only = range("1.0.0", "1.9.9");
  const auto v2 = range("2.0.0", "2.9.9");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &v1_only), std::nullopt);
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &v2), "inst");
}

TEST_P(ProviderCapabilityFilter, FetchCorruptedHistoryFilteredVsUnfiltered) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "needs corruption hooks";
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "99.0.0");
  factory().corrupt_instance_history(*p, "inst");
  const auto filter = range("1.0.0", "2.0.0");
  EXPECT_EQ(fetched_instance(*p, factory().lock_timeout(), &filter), std::nullopt);
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_TRUE(item.item.history_error.has_value());
  EXPECT_TRUE(item.item.history.empty());
}

TEST_P(ProviderCapabilityFilter, FetchDeserializationErrorIncrementsAttemptCount) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "needs corruption hooks";
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), std::nullopt);
  factory().corrupt_instance_history(*p, "inst");
  for (int i = 0; i < 2; ++i) {
    auto item = must_fetch_orchestration(*p, factory().lock_timeout());
    EXPECT_TRUE(item.item.history_error.has_value());
    must(p->abandon_orchestration_item(item.lock_token, std::nullopt, false), "abandon");
  }
  EXPECT_GE(factory().get_max_attempt_count(*p, "inst"), 2u);
}

TEST_P(ProviderCapabilityFilter, FetchDeserializationErrorEventuallyReachesPoison) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "needs corruption hooks";
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), std::nullopt);
  factory().corrupt_instance_history(*p, "inst");
  for (int i = 0; i < 5; ++i) {
    auto item = must_fetch_orchestration(*p, factory().lock_timeout());
    EXPECT_TRUE(item.item.history_error.has_value());
    must(p->abandon_orchestration_item(item.lock_token, std::nullopt, false), "abandon");
  }
  EXPECT_GE(factory().get_max_attempt_count(*p, "inst"), 5u);
}

TEST_P(ProviderCapabilityFilter, FetchFilterAppliedBeforeHistoryDeserialization) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "needs corruption hooks";
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), "99.0.0");
  factory().corrupt_instance_history(*p, "inst");
  const auto filter = range("1.0.0", "2.0.0");
  auto filtered = p->fetch_orchestration_item(factory().lock_timeout(), 0ms, &filter);
  ASSERT_TRUE(filtered.has_value()) << filtered.error().to_string();
  EXPECT_FALSE(filtered->has_value());
  auto unfiltered = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_TRUE(unfiltered.item.history_error.has_value());
}

TEST_P(ProviderCapabilityFilter, FetchSingleRangeOnlyUsesFirstRange) {
  auto p = create_provider();
  pinned_instance(*p, "v1", factory().lock_timeout(), "1.0.0", false);
  pinned_instance(*p, "v3", factory().lock_timeout(), "3.0.0");
  must(p->enqueue_for_orchestrator(external_item("v1"), std::nullopt), "poke");
  const DispatcherCapabilityFilter filter{{SemverRange{v("1.0.0"), v("1.5.0")}, SemverRange{v("3.0.0"), v("3.5.0")}}};
  for (int i = 0; i < 3; ++i) {
    auto item = must(p->fetch_orchestration_item(factory().lock_timeout(), 0ms, &filter), "fetch");
    if (!item) break;
    EXPECT_EQ(item->item.instance, "v1");
    must(p->abandon_orchestration_item(item->lock_token, std::nullopt, false), "abandon");
  }
}

TEST_P(ProviderCapabilityFilter, AckAppendsEventToCorruptedHistory) {
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "needs corruption hooks";
  auto p = create_provider();
  pinned_instance(*p, "inst", factory().lock_timeout(), std::nullopt);
  factory().corrupt_instance_history(*p, "inst");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_TRUE(item.item.history_error.has_value());
  const std::string output = "history deserialization failed: poisoned";
  Event failed = make_event(kPoisonSentinelEventId, std::nullopt, "inst", 1,
                            events::OrchestrationFailed{ErrorDetails::orchestration_failed(output)});
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {failed}, status_metadata("Failed", output))),
       "ack over corrupted rows");
  const auto info = must(admin(*p).get_instance_info("inst"), "info");
  EXPECT_EQ(info.status, ExecutionStatus::Failed);
  ASSERT_TRUE(info.output.has_value());
  EXPECT_NE(info.output->find("deserialization failed"), std::string::npos);
}

}  // namespace
}  // namespace duroxide::validation
