// Validation category Tag filtering (docs/storage.md): workers fetch only the activities their TagFilter accepts.
#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

/// Enqueues activity `id` of instance "inst" with an optional tag.
void enqueue_tagged(Provider& provider, std::uint64_t id, std::optional<std::string> tag) {
  must(provider.enqueue_for_worker(
           activity_execute_item("inst", 1, id, "Task" + std::to_string(id), "{}", std::nullopt, std::move(tag))),
       "enqueue");
}

/// Fetches and acks with `filter` until nothing is left; returns the activity ids in order.
std::vector<std::uint64_t> drain(Provider& provider, const TagFilter& filter, Millis lock) {
  std::vector<std::uint64_t> ids;
  while (auto item = fetch_work(provider, lock, std::nullopt, filter)) {
    ids.push_back(activity_of(*item).id);
    must(provider.ack_work_item(item->lock_token, std::nullopt), "ack");
  }
  return ids;
}

using Ids = std::vector<std::uint64_t>;

TEST_P(ProviderTagFilter, DefaultOnlyFetchesUntagged) {
  auto p = create_provider();
  enqueue_tagged(*p, 1, std::nullopt);
  enqueue_tagged(*p, 2, "gpu");
  enqueue_tagged(*p, 3, std::nullopt);
  EXPECT_EQ(drain(*p, TagFilter::default_only(), factory().lock_timeout()), (Ids{1, 3}));
}

TEST_P(ProviderTagFilter, TagsFetchesOnlyMatching) {
  auto p = create_provider();
  enqueue_tagged(*p, 1, std::nullopt);
  enqueue_tagged(*p, 2, "gpu");
  enqueue_tagged(*p, 3, "cpu");
  enqueue_tagged(*p, 4, "gpu");
  EXPECT_EQ(drain(*p, TagFilter::tags({"gpu"}), factory().lock_timeout()), (Ids{2, 4}));
}

TEST_P(ProviderTagFilter, DefaultAndFetchesUntaggedAndMatching) {
  auto p = create_provider();
  enqueue_tagged(*p, 1, std::nullopt);
  enqueue_tagged(*p, 2, "gpu");
  enqueue_tagged(*p, 3, "cpu");
  EXPECT_EQ(drain(*p, TagFilter::default_and({"gpu"}), factory().lock_timeout()), (Ids{1, 2}));
}

TEST_P(ProviderTagFilter, NoneFilterReturnsNothing) {
  auto p = create_provider();
  enqueue_tagged(*p, 1, std::nullopt);
  enqueue_tagged(*p, 2, "gpu");
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::none()).has_value());
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::none()).has_value());
}

TEST_P(ProviderTagFilter, MultiTagFilter) {
  auto p = create_provider();
  enqueue_tagged(*p, 1, "gpu");
  enqueue_tagged(*p, 2, "cpu");
  enqueue_tagged(*p, 3, "tpu");
  enqueue_tagged(*p, 4, std::nullopt);
  EXPECT_EQ(drain(*p, TagFilter::tags({"gpu", "tpu"}), factory().lock_timeout()), (Ids{1, 3}));
}

TEST_P(ProviderTagFilter, TagRoundTripPreservation) {
  auto p = create_provider();
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 7, "Render", "{}", std::nullopt, "gpu-a100")), "enqueue");
  auto item = must_fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::any());
  EXPECT_EQ(activity_of(item).tag, "gpu-a100");
  EXPECT_EQ(activity_of(item).name, "Render");
}

TEST_P(ProviderTagFilter, AnyFilterFetchesEverything) {
  auto p = create_provider();
  enqueue_tagged(*p, 1, std::nullopt);
  enqueue_tagged(*p, 2, "gpu");
  enqueue_tagged(*p, 3, "cpu");
  EXPECT_EQ(drain(*p, TagFilter::any(), factory().lock_timeout()), (Ids{1, 2, 3}));
}

TEST_P(ProviderTagFilter, TagSurvivesAbandonAndRefetch) {
  auto p = create_provider();
  enqueue_tagged(*p, 1, "gpu");
  enqueue_tagged(*p, 2, std::nullopt);
  auto first = must_fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::tags({"gpu"}));
  must(p->abandon_work_item(first.lock_token, std::nullopt, false), "abandon");
  auto again = must_fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::tags({"gpu"}));
  EXPECT_EQ(activity_of(again).id, 1u);
  EXPECT_EQ(activity_of(again).tag, "gpu");
  EXPECT_NE(again.lock_token, first.lock_token);
  EXPECT_GE(again.attempt_count, 2u);
  auto plain = must_fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::default_only());
  EXPECT_EQ(activity_of(plain).id, 2u);
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::default_only()).has_value());
}

TEST_P(ProviderTagFilter, MultiRuntimeTagIsolation) {
  auto p = create_provider();
  enqueue_tagged(*p, 1, "alpha");
  enqueue_tagged(*p, 2, "beta");
  enqueue_tagged(*p, 3, "gamma");
  enqueue_tagged(*p, 4, "delta");
  enqueue_tagged(*p, 5, std::nullopt);
  const auto lock = factory().lock_timeout();
  EXPECT_EQ(drain(*p, TagFilter::tags({"alpha"}), lock), (Ids{1}));
  EXPECT_EQ(drain(*p, TagFilter::tags({"alpha", "beta", "gamma"}), lock), (Ids{2, 3}));
  EXPECT_EQ(drain(*p, TagFilter::tags({"alpha", "beta", "gamma", "delta"}), lock), (Ids{4}));
  EXPECT_EQ(drain(*p, TagFilter::default_only(), lock), (Ids{5}));
  EXPECT_TRUE(drain(*p, TagFilter::any(), lock).empty());
}

TEST_P(ProviderTagFilter, TagPreservedThroughAckOrchestrationItem) {
  auto p = create_provider();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  OrchestrationAck ack = make_ack(1, {started_event("inst")}, instance_metadata());
  ack.worker_items.push_back(activity_execute_item("inst", 1, 2, "CpuWork"));
  ack.worker_items.push_back(activity_execute_item("inst", 1, 3, "GpuWork", "{}", std::nullopt, "gpu"));
  must(p->ack_orchestration_item(item.lock_token, ack), "ack");
  auto cpu = must_fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::default_only());
  EXPECT_EQ(activity_of(cpu).name, "CpuWork");
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::default_only()).has_value());
  auto gpu = must_fetch_work(*p, factory().lock_timeout(), std::nullopt, TagFilter::tags({"gpu"}));
  EXPECT_EQ(activity_of(gpu).name, "GpuWork");
  EXPECT_EQ(activity_of(gpu).tag, "gpu");
}

}  // namespace
}  // namespace duroxide::validation
