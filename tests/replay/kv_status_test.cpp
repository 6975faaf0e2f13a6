// Custom status and the key-value store (docs/orchestration-engine.md; duroxide's tests/replay_engine/kv.rs).
#include "replay/turn_driver.hpp"

namespace duroxide::testing {
namespace {

using std::chrono::seconds;
using Ctx = OrchestrationContext;

Event kv_set(std::uint64_t id, std::string key, std::string value, std::uint64_t ts = kClockMs) {
  return ev(id, events::KeyValueSet{std::move(key), std::move(value), ts});
}
Event act(std::uint64_t id, std::string name = "A") {
  return ev(id, events::ActivityScheduled{std::move(name), "in", {}, {}});
}

TEST(ReplayCustomStatus, SetAndResetEmitEventsAndGetReflectsAccumulatedValue) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    std::string seen = ctx.get_custom_status().value_or("none");
    ctx.set_custom_status("step-1");
    seen += "," + ctx.get_custom_status().value_or("none");
    co_await ctx.schedule_activity("A", "in");
    seen += "," + ctx.get_custom_status().value_or("none");
    ctx.reset_custom_status();
    seen += "," + ctx.get_custom_status().value_or("none");
    ctx.set_custom_status("step-2");
    co_return seen;
  });
  auto first = driver.turn();
  ASSERT_EQ(events_of<events::CustomStatusUpdated>(first.history_delta).size(), 1u);
  auto out = driver.turn({activity_ok(3, "r")});
  EXPECT_EQ(completed_output(out), "none,step-1,step-1,none");
  auto updates = events_of<events::CustomStatusUpdated>(out.history_delta);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_FALSE(updates[0]->status.has_value());
  EXPECT_EQ(updates[1]->status, "step-2");
}

TEST(ReplayCustomStatus, SeededFromInitialCustomStatus) {
  TurnDriver driver(
      [](Ctx ctx, std::string) -> Task<Result<std::string>> { co_return ctx.get_custom_status().value_or("none"); });
  driver.set_initial_status("carried");
  EXPECT_EQ(completed_output(driver.turn()), "carried");
}

TEST(ReplayCustomStatus, ValueIsNotComparedOnReplayButKindIs) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.set_custom_status("different-now");
    co_await ctx.schedule_activity("A", "in");
    co_return "";
  });
  EXPECT_TRUE(is_continue(driver.replay({started(), ev(2, events::CustomStatusUpdated{"old"}), act(3)})));
  TurnDriver mismatch([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_activity("A", "in");
    co_return "";
  });
  EXPECT_TRUE(nd_message(mismatch.replay({started(), ev(2, events::CustomStatusUpdated{"old"})}))
                  .starts_with("custom status mismatch:"));
}

TEST(ReplayKv, ActionsBecomeEventsWithNullSource) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.set_kv_value("X", "Y");
    ctx.clear_kv_value("Z");
    ctx.clear_all_kv_values();
    ctx.set_kv_value("A", "1");
    co_return *ctx.get_kv_value("A");
  });
  auto out = driver.turn();
  EXPECT_EQ(completed_output(out), "1");
  ASSERT_EQ(out.history_delta.size(), 4u);
  EXPECT_EQ(kind_of<events::KeyValueSet>(out.history_delta[0]), (events::KeyValueSet{"X", "Y", kClockMs}));
  EXPECT_TRUE(out.history_delta[1].is<events::KeyValueCleared>());
  EXPECT_TRUE(out.history_delta[2].is<events::KeyValuesCleared>());
  EXPECT_TRUE(out.history_delta[3].is<events::KeyValueSet>());
  for (const auto& e : out.history_delta) EXPECT_FALSE(e.source_event_id.has_value());
}

Task<Result<std::string>> read_modify_write(Ctx ctx, std::string) {
  int value = std::stoi(ctx.get_kv_value("counter").value_or("0"));
  ctx.set_kv_value("counter", std::to_string(value + 1));
  co_await ctx.schedule_activity("Work", std::to_string(value));
  value = std::stoi(*ctx.get_kv_value("counter"));
  ctx.set_kv_value("counter", std::to_string(value + 1));
  co_await ctx.schedule_activity("Work", std::to_string(value));
  co_return *ctx.get_kv_value("counter");
}

TEST(ReplayKv, ReadModifyWriteAcrossTurnsReplaysFromSnapshot) {
  TurnDriver driver(read_modify_write);
  driver.turn();
  driver.turn({activity_ok(3, "")});  // ids: set 2, activity 3, completion 4, set 5, activity 6
  auto out = driver.turn({activity_ok(6, "")});
  EXPECT_EQ(completed_output(out), "2");
}

TEST(ReplayKv, ReadModifyWriteSeededFromPreviousExecutionSnapshot) {
  TurnDriver driver(read_modify_write);
  driver.kv_snapshot()["counter"] = KvEntry{"5", 1};
  driver.turn();
  driver.turn({activity_ok(3, "")});
  EXPECT_EQ(completed_output(driver.turn({activity_ok(6, "")})), "7");
}

TEST(ReplayKv, ReplayValidatesKeyAndValueButNotTimestamp) {
  auto code = [](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.set_kv_value("k", "new");
    co_await ctx.schedule_activity("A", "in");
    co_return "done";
  };
  TurnDriver driver(code);
  EXPECT_TRUE(is_continue(driver.replay({started(), kv_set(2, "k", "new", 12345), act(3)})));
  EXPECT_TRUE(nd_message(driver.replay({started(), kv_set(2, "k", "old"), act(3)})).starts_with("kv set mismatch:"));
  EXPECT_TRUE(
      nd_message(driver.replay({started(), kv_set(2, "other", "new"), act(3)})).starts_with("kv set mismatch:"));
}

TEST(ReplayKv, KvEventAgainstDifferentActionIsNondeterminism) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    co_await ctx.schedule_activity("A", "in");
    co_return "";
  });
  EXPECT_TRUE(nd_message(driver.replay({started(), kv_set(2, "k", "v")})).starts_with("kv set mismatch:"));
  EXPECT_TRUE(
      nd_message(driver.replay({started(), ev(2, events::KeyValueCleared{"k"})})).starts_with("kv clear mismatch:"));
  EXPECT_TRUE(
      nd_message(driver.replay({started(), ev(2, events::KeyValuesCleared{})})).starts_with("kv clear_all mismatch:"));
  TurnDriver clear_a([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.clear_kv_value("A");
    co_await ctx.schedule_timer(seconds(1));
    co_return "";
  });
  EXPECT_TRUE(
      nd_message(clear_a.replay({started(), ev(2, events::KeyValueCleared{"B"})})).starts_with("kv clear mismatch:"));
}

TEST(ReplayKv, SnapshotSeedsStateAndCodeOverridesIt) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    std::string seen =
        ctx.get_kv_value("status").value_or("missing") + "," + ctx.get_kv_value("absent").value_or("missing");
    ctx.set_kv_value("status", "new");
    co_return seen + "," + *ctx.get_kv_value("status");
  });
  driver.kv_snapshot()["status"] = KvEntry{"from_prev_exec", 1};
  EXPECT_EQ(completed_output(driver.turn()), "from_prev_exec,missing,new");
}

TEST(ReplayKv, ClearAllRemovesSnapshotKeys) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.clear_all_kv_values();
    ctx.set_kv_value("x", "new");
    co_return "x=" + ctx.get_kv_value("x").value_or("gone") + ",old=" + ctx.get_kv_value("old").value_or("gone");
  });
  driver.kv_snapshot()["old"] = KvEntry{"v", 1};
  EXPECT_EQ(completed_output(driver.turn()), "x=new,old=gone");
}

TEST(ReplayKv, ReadsKeysLengthAndAllValues) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.set_kv_value("b", "2");
    ctx.set_kv_value("a", "1");
    std::string keys;
    for (const auto& key : ctx.get_kv_all_keys()) keys += key;
    co_return keys + ":" + std::to_string(ctx.get_kv_length()) + ":" + ctx.get_kv_all_values().at("b");
  });
  EXPECT_EQ(completed_output(driver.turn()), "ab:2:2");
}

TEST(ReplayKv, PruneClearsKeysOlderThanCutoffInKeyOrder) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.set_kv_value("fresh", "v");  // stamped with the turn clock
    auto pruned = ctx.prune_kv_values_updated_before(kClockMs);
    co_return std::to_string(pruned) + ":" + std::to_string(ctx.get_kv_length());
  });
  driver.kv_snapshot()["z-old"] = KvEntry{"v", 10};
  driver.kv_snapshot()["a-old"] = KvEntry{"v", 20};
  auto out = driver.turn();
  EXPECT_EQ(completed_output(out), "2:1");
  auto cleared = events_of<events::KeyValueCleared>(out.history_delta);
  ASSERT_EQ(cleared.size(), 2u);
  EXPECT_EQ(cleared[0]->key, "a-old");
  EXPECT_EQ(cleared[1]->key, "z-old");
}

TEST(ReplayKv, TypedValuesUsePlainJsonAndStrictParsing) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.set_kv_value_typed("s", std::string("abc"));
    ctx.set_kv_value_typed("n", 5);
    ctx.set_kv_value("raw", "not json");
    auto s = ctx.get_kv_value_typed<std::string>("s");
    auto n = ctx.get_kv_value_typed<int>("n");
    auto bad = ctx.get_kv_value_typed<int>("raw");
    auto missing = ctx.get_kv_value_typed<int>("missing");
    co_return *ctx.get_kv_value("s") + "|" + **s + "|" + std::to_string(**n) + "|" +
        (bad ? "parsed" : bad.error().substr(0, 38)) + "|" + (missing && !*missing ? "none" : "?");
  });
  EXPECT_EQ(completed_output(driver.turn()), "\"abc\"|abc|5|KV deserialization error for key 'raw'|none");
}

TEST(ReplayKv, CrossInstanceReadIsASyscallActivity) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    auto value = co_await ctx.get_kv_value_from_instance("other", "key\"1");
    if (!value) co_return Err(value.error());
    co_return value->value_or("null");
  });
  auto out = driver.turn();
  auto scheduled = events_of<events::ActivityScheduled>(out.history_delta);
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled[0]->name, kSyscallGetKvValue);
  EXPECT_EQ(scheduled[0]->input, R"({"instance_id":"other","key":"key\"1"})");
  EXPECT_EQ(completed_output(driver.turn({activity_ok(2, "\"source_value\"")})), "source_value");
  EXPECT_EQ(completed_output(driver.replay(driver.history())), "source_value");
}

// Issue #12 item 12: a replayed set_kv_value takes last_updated_at_ms from its recorded
// KeyValueSet, not from the clock, so prune_kv_values_updated_before decides the same on every
// replay (before, the replayed entry was re-stamped with the replay's clock and kept).
TEST(ReplayKv, ReplayedSetKeepsTheRecordedTimestampForPrune) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.set_kv_value("k", "v");
    co_await ctx.schedule_activity("A", "in");
    co_return std::to_string(ctx.prune_kv_values_updated_before(20'000));
  });
  driver.set_clock(kClockMs);  // the replay's clock is far past the cutoff; the recorded time is not
  auto out =
      driver.replay({started(), kv_set(2, "k", "v", 12'345), act(3), ev(4, events::ActivityCompleted{"done"}, 3)});
  EXPECT_EQ(completed_output(out), "1");
  auto cleared = events_of<events::KeyValueCleared>(out.history_delta);
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0]->key, "k");
}

TEST(ReplayKv, NewSetIsStampedWithTheTurnClock) {
  TurnDriver driver([](Ctx ctx, std::string) -> Task<Result<std::string>> {
    ctx.set_kv_value("k", "v");
    co_return std::to_string(ctx.prune_kv_values_updated_before(kClockMs));
  });
  auto out = driver.turn();
  EXPECT_EQ(completed_output(out), "0");
  auto sets = events_of<events::KeyValueSet>(out.history_delta);
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(sets[0]->last_updated_at_ms, kClockMs);
}

}  // namespace
}  // namespace duroxide::testing
