// duroxide's tests/provider_stress_test_validation.rs (2): the stress harness (tests/support/stress_harness.hpp)
// at minimal settings against a fresh file store, orchestration and worker concurrency 1.
//
// "Success rate reasonable" is taken as: every instance started in the 1 s launch window completes
// with the expected output within the drain time (success rate 100%, nothing failed or unfinished).
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"
#include "support/stress_harness.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

stress::StressConfig minimal(std::size_t max_concurrent) {
  stress::StressConfig config;
  config.max_concurrent = max_concurrent;
  config.duration = 1s;
  config.orchestration_concurrency = 1;
  config.worker_concurrency = 1;
  config.activity_delay = 5ms;
  return config;
}

TEST(E2eProviderStress, test_stress_infrastructure_minimal) {
  DurableStore dir;
  const auto config = minimal(1);
  const auto result = stress::run_stress(dir.open(), stress::parallel_orchestrations(config, 2), config);
  ::testing::Test::RecordProperty("stress", result.summary());
  EXPECT_GE(result.completed, 1u) << result.summary();
  EXPECT_EQ(result.failed, 0u) << result.summary();
  EXPECT_EQ(result.unfinished, 0u) << result.summary();
}

TEST(E2eProviderStress, test_large_payload_stress_infrastructure) {
  DurableStore dir;
  const auto config = minimal(2);
  stress::LargePayloadSizes sizes;
  sizes.small_kb = 5;
  sizes.medium_kb = 10;
  sizes.large_kb = 20;
  sizes.activity_count = 10;
  sizes.sub_orch_count = 2;
  auto store = dir.open();
  const auto result = stress::run_stress(store, stress::large_payload(config, sizes), config);
  ::testing::Test::RecordProperty("stress", result.summary());
  EXPECT_GE(result.completed, 1u) << result.summary();
  EXPECT_EQ(result.failed, 0u) << result.summary();
  EXPECT_DOUBLE_EQ(result.success_rate(), 100.0) << result.summary();

  // The payloads really went through the store: a finished instance's history holds the large
  // inputs and results (10 + 10 padding activities, 2 children).
  const auto history = store->read("large-0");
  ASSERT_TRUE(history.has_value());
  std::size_t large_results = 0;
  for (const auto& event : *history) {
    if (const auto* done = event.get_if<events::ActivityCompleted>(); done && done->result.size() >= 20 * 1024) {
      ++large_results;
    }
  }
  EXPECT_GE(large_results, 1u);
}

}  // namespace
}  // namespace duroxide::testing
