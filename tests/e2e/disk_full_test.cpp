// A momentarily full disk (issue #12 item 4): while the store cannot grow, turns and activity
// results fail to commit and are retried with backoff; no instance fails. Once there is room again
// every instance completes. The full disk is simulated with PRAGMA max_page_count on the store's
// connection (docs/failure-modes-sqlite.md).
#include <gtest/gtest.h>

#include <string>

#include "providers/sqlite/sqlite_store.hpp"
#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

constexpr int kInstances = 20;
/// The store may still grow by this many pages (1 KiB each): room for the small writes of a fetch
/// or an abandon, never for a turn that schedules an activity with kBigInput bytes.
constexpr std::int64_t kSparePages = 16;
constexpr std::size_t kBigInput = 64 * 1024;

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Size", [](ActivityContext&, std::string x) -> Result<std::string> { return std::to_string(x.size()); })
      .build();
}

Task<Result<std::string>> measurer(OrchestrationContext ctx, std::string input) {
  auto size = co_await ctx.schedule_activity("Size", std::string(kBigInput, 'p') + input);
  if (!size) co_return Err(size.error());
  co_return input + ":" + *size;
}

std::string expected_output(int i) {
  const auto input = std::to_string(i);
  return input + ":" + std::to_string(kBigInput + input.size());
}

TEST(E2eDiskFull, InstancesWaitOutAFullStoreAndCompleteOnceThereIsRoom) {
  TempDir dir;
  auto sqlite = disk_store(dir.url());
  Client client(sqlite);
  for (int i = 0; i < kInstances; ++i) {
    ASSERT_TRUE(client.start_orchestration(fmt::format("full-{}", i), "Measurer", std::to_string(i)));
  }
  // The disk is (nearly) full before the runtime starts: no first turn can commit.
  ASSERT_TRUE(sqlite->store().cap_growth_for_tests(kSparePages).has_value());
  auto options = fast_options();
  // Transient store errors should not count towards poisoning at all (issue #12 item 9); a high
  // threshold keeps this test about the retry, however long the full window lasts.
  options.max_attempts = 1000;
  E2eEnv env(sqlite, activities(), OrchestrationRegistry::builder().add("Measurer", measurer).build(), options);

  // As many refused turns as there are instances (before the fix, each failed its instance).
  ASSERT_TRUE(wait_until([&] { return env.runtime->metrics_snapshot().orch_infrastructure_errors >= kInstances; }, 60s))
      << "the capped store never refused a turn";
  for (int i = 0; i < kInstances; ++i) {
    auto status = client.get_orchestration_status(fmt::format("full-{}", i));
    ASSERT_TRUE(status.has_value());
    EXPECT_FALSE(status->is_terminal()) << "full-" << i << " ended while the store was full: " << status->name();
  }

  ASSERT_TRUE(sqlite->store().cap_growth_for_tests(1'000'000).has_value());
  for (int i = 0; i < kInstances; ++i) {
    EXPECT_EQ(env.output_of(fmt::format("full-{}", i), 60s), expected_output(i));
  }
  const auto metrics = env.runtime->metrics_snapshot();
  EXPECT_EQ(metrics.orch_failures, 0u);
  EXPECT_EQ(metrics.orch_completions, static_cast<std::uint64_t>(kInstances));
}

}  // namespace
}  // namespace duroxide::testing
