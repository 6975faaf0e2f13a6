// Post-turn limits (docs/orchestration-engine.md, "Limits after a turn") and the quiescence cap's failure kind.
#include "orchestration/turn_limits.hpp"
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using orchestration::check_turn_limits;
using Ctx = OrchestrationContext;

TurnOutput run(std::function<void(Ctx&)> body, std::map<std::string, KvEntry> snapshot = {}) {
  TurnDriver driver([body](Ctx ctx, std::string) -> Task<Result<std::string>> {
    body(ctx);
    co_return "done";
  });
  driver.kv_snapshot() = std::move(snapshot);
  return driver.turn();
}

TEST(ReplayLimits, ValuesExactlyAtTheLimitsAreAccepted) {
  auto out = run([](Ctx& ctx) {
    ctx.set_custom_status(std::string(kMaxCustomStatusBytes, 's'));
    ctx.set_kv_value("k", std::string(kMaxKvValueBytes, 'v'));
    for (std::size_t i = 1; i < kMaxKvKeys; ++i) ctx.set_kv_value("key" + std::to_string(i), "v");
  });
  EXPECT_EQ(check_turn_limits({}, out.history_delta, {}), std::nullopt);
}

TEST(ReplayLimits, CustomStatusOverLimitUsesLastNonNullStatus) {
  auto out = run([](Ctx& ctx) {
    ctx.set_custom_status(std::string(kMaxCustomStatusBytes + 1, 's'));
    ctx.reset_custom_status();
  });
  EXPECT_EQ(check_turn_limits({}, out.history_delta, {}),
            "Custom status size (262145 bytes) exceeds limit (262144 bytes)");
  out = run([](Ctx& ctx) {
    ctx.set_custom_status(std::string(kMaxCustomStatusBytes + 1, 's'));
    ctx.set_custom_status("small");
  });
  EXPECT_EQ(check_turn_limits({}, out.history_delta, {}), std::nullopt);
}

TEST(ReplayLimits, ActivityTagOverLimit) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_activity("Tagged", "in").with_tag(std::string(kMaxTagNameBytes + 1, 't'));
    co_return "";
  });
  auto out = driver.turn();
  EXPECT_EQ(check_turn_limits({}, out.history_delta, {}),
            "Activity 'Tagged' tag size (257 bytes) exceeds limit (256 bytes)");
}

TEST(ReplayLimits, KvValueOverLimit) {
  auto out = run([](Ctx& ctx) { ctx.set_kv_value("big", std::string(kMaxKvValueBytes + 1, 'v')); });
  EXPECT_EQ(check_turn_limits({}, out.history_delta, {}),
            "KV value for key 'big' (16385 bytes) exceeds limit (16384 bytes)");
}

TEST(ReplayLimits, KeyCountCountsSnapshotEarlierTurnsAndDelta) {
  std::map<std::string, KvEntry> snapshot;
  for (int i = 0; i < 50; ++i) snapshot["snap" + std::to_string(i)] = KvEntry{"v", 1};
  std::vector<Event> earlier{started()};
  for (int i = 0; i < 50; ++i) earlier.push_back(ev(2 + i, events::KeyValueSet{"early" + std::to_string(i), "v", 1}));
  auto out = run([](Ctx& ctx) { ctx.set_kv_value("one-more", "v"); }, snapshot);
  EXPECT_EQ(check_turn_limits(earlier, out.history_delta, snapshot), "KV key count (101) exceeds limit (100)");
  // Clearing in the same turn brings it back under the limit.
  out = run(
      [](Ctx& ctx) {
        ctx.set_kv_value("one-more", "v");
        ctx.clear_kv_value("snap0");
      },
      snapshot);
  EXPECT_EQ(check_turn_limits(earlier, out.history_delta, snapshot), std::nullopt);
}

TEST(ReplayLimits, ChecksRunInSpecOrder) {
  auto out = run([](Ctx& ctx) {
    ctx.set_kv_value("big", std::string(kMaxKvValueBytes + 1, 'v'));
    ctx.set_custom_status(std::string(kMaxCustomStatusBytes + 1, 's'));
  });
  EXPECT_TRUE(check_turn_limits({}, out.history_delta, {})->starts_with("Custom status size"));
}

}  // namespace
}  // namespace duroxide::testing
