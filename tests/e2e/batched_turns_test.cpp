// Batched turns (docs/runtime.md, "Batched turns"): an orchestration slot claims several ready
// instances in one fetch and commits their turns in one batched ack, each turn still standing on
// its own. On the SQLite store, which batches natively.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "support/e2e_support.hpp"
#include "support/forwarding_provider.hpp"

namespace duroxide::testing {
namespace {

/// Forwards the batched calls to the store and records their sizes; can fail the second turn of
/// the next batched ack with a transient error, without passing it on.
class BatchRecorder : public ForwardingProvider {
 public:
  using ForwardingProvider::ForwardingProvider;
  ProviderResult<std::vector<LockedOrchestrationItem>> fetch_orchestration_items(
      std::size_t max_items, Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override {
    auto fetched = inner().fetch_orchestration_items(max_items, lock_timeout, poll_timeout, filter, known);
    if (fetched) raise(largest_fetch, fetched->size());
    return fetched;
  }
  std::vector<ProviderResult<void>> ack_orchestration_items(const std::vector<TurnCommit>& turns) override {
    raise(largest_ack, turns.size());
    if (turns.size() < 2 || !fail_second_turn.exchange(false)) return inner().ack_orchestration_items(turns);
    std::vector<TurnCommit> passed;
    for (std::size_t i = 0; i < turns.size(); ++i) {
      if (i != 1) passed.push_back(turns[i]);
    }
    auto committed = inner().ack_orchestration_items(passed);
    std::vector<ProviderResult<void>> results;
    for (std::size_t i = 0, k = 0; i < turns.size(); ++i) {
      if (i == 1) {
        results.push_back(std::unexpected(ProviderError::transient("ack_orchestration_items", "injected")));
      } else {
        results.push_back(std::move(committed[k++]));
      }
    }
    return results;
  }
  std::atomic<std::size_t> largest_fetch{0};
  std::atomic<std::size_t> largest_ack{0};
  std::atomic<bool> fail_second_turn{false};

 private:
  static void raise(std::atomic<std::size_t>& largest, std::size_t size) {
    auto seen = largest.load();
    while (size > seen && !largest.compare_exchange_weak(seen, size)) {
    }
  }
};

Task<Result<std::string>> twice(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Double", input);
  co_return r;
}

ActivityRegistry doubling() {
  return ActivityRegistry::builder()
      .add("Double",
           [](ActivityContext&, std::string n) -> Result<std::string> { return std::to_string(2 * std::stoi(n)); })
      .build();
}

OrchestrationRegistry twice_registry() { return OrchestrationRegistry::builder().add("Twice", twice).build(); }

constexpr int kInstances = 20;

/// Enqueues kInstances starts before any runtime runs, so the first fetch finds them all waiting.
void start_all(Provider& store) {
  Client client(std::shared_ptr<Provider>(&store, [](Provider*) {}));
  for (int i = 0; i < kInstances; ++i) {
    ASSERT_TRUE(client.start_orchestration("batch-" + std::to_string(i), "Twice", std::to_string(i)));
  }
}

void expect_all_doubled(E2eEnv& env) {
  for (int i = 0; i < kInstances; ++i) {
    EXPECT_EQ(env.output_of("batch-" + std::to_string(i)), std::to_string(2 * i)) << "instance " << i;
  }
}

RuntimeOptions one_slot(std::size_t batch_size) {
  auto options = fast_options();
  options.orchestration_concurrency = 1;
  options.orchestration_batch_size = batch_size;
  return options;
}

TEST(E2eBatchedTurns, WaitingInstancesAreFetchedAndCommittedTogether) {
  auto recorder = std::make_shared<BatchRecorder>(memory_store());
  start_all(*recorder);
  E2eEnv env(recorder, doubling(), twice_registry(), one_slot(8));
  expect_all_doubled(env);
  EXPECT_EQ(recorder->largest_fetch.load(), 8u);
  EXPECT_EQ(recorder->largest_ack.load(), 8u);
}

TEST(E2eBatchedTurns, BatchSizeOneTakesOneInstanceAtATime) {
  auto recorder = std::make_shared<BatchRecorder>(memory_store());
  start_all(*recorder);
  E2eEnv env(recorder, doubling(), twice_registry(), one_slot(1));
  expect_all_doubled(env);
  EXPECT_EQ(recorder->largest_fetch.load(), 1u);
  EXPECT_EQ(recorder->largest_ack.load(), 0u) << "a single turn is acked alone";
}

TEST(E2eBatchedTurns, ATurnWhoseBatchedAckFailedTransientlyIsRetriedAlone) {
  auto recorder = std::make_shared<BatchRecorder>(memory_store());
  recorder->fail_second_turn = true;
  start_all(*recorder);
  E2eEnv env(recorder, doubling(), twice_registry(), one_slot(8));
  expect_all_doubled(env);
  EXPECT_FALSE(recorder->fail_second_turn.load()) << "no batch was acked";
  const auto metrics = env.runtime->metrics_snapshot();
  EXPECT_EQ(metrics.orch_completions, static_cast<std::uint64_t>(kInstances));
  EXPECT_EQ(metrics.orch_failures, 0u);
  // Retried in place, not handed back as a failed ack.
  EXPECT_EQ(metrics.orch_infrastructure_errors, 0u);
}

TEST(E2eBatchedTurns, ZeroBatchSizeIsRefused) {
  auto options = fast_options();
  options.orchestration_batch_size = 0;
  EXPECT_THROW(Runtime::start(memory_store(), doubling(), twice_registry(), options), std::invalid_argument);
}

}  // namespace
}  // namespace duroxide::testing
