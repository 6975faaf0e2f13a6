// Mirrors duroxide's tests/kv_store_tests.rs, part 1: the orchestration-side KV store (set/get/clear/clear-all/prune,
// limits, continue-as-new carry-over, replay of read-modify-write) through a real runtime
// (docs/orchestration-engine.md). Cross-instance reads, client bulk reads and the stress rows are in
// kv_store_client_test.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Noop", [](ActivityContext&, std::string) -> Result<std::string> { return std::string("ok"); })
      .add("FastTask", [](ActivityContext&, std::string) -> Result<std::string> { return std::string("fast"); })
      .add("Process", [](ActivityContext&, std::string input) -> Result<std::string> { return "result_" + input; })
      .add("FailActivity", [](ActivityContext&, std::string) -> Result<std::string> { return Err("boom"); })
      .build();
}

/// A registry holding `handler` under the name "O" (plus "Child" when given).
OrchestrationRegistry one(OrchestrationHandler handler, OrchestrationHandler child = nullptr) {
  auto builder = OrchestrationRegistry::builder();
  builder.add("O", std::move(handler));
  if (child) builder.add("Child", std::move(child));
  return builder.build();
}

std::string or_none(const std::optional<std::string>& value) { return value.value_or("none"); }
std::string or_gone(const std::optional<std::string>& value) { return value.value_or("gone"); }

std::optional<std::string> kv(const Client& client, const std::string& instance, const std::string& key) {
  auto value = client.get_kv_value(instance, key);
  if (!value) {
    ADD_FAILURE() << "get_kv_value(" << instance << ", " << key << "): " << value.error().to_string();
    return std::nullopt;
  }
  return *value;
}

/// Starts "O" as `instance` and returns its output (test failure unless it completes).
std::string run(E2eEnv& env, const std::string& instance, const std::string& input = "") {
  auto started = env.client.start_orchestration(instance, "O", input);
  if (!started) {
    ADD_FAILURE() << "start_orchestration(" << instance << "): " << started.error().to_string();
    return "";
  }
  return env.output_of(instance);
}

/// Starts "O" as `instance` and returns the failure message (test failure unless it fails).
std::string run_failing(E2eEnv& env, const std::string& instance, const std::string& input = "") {
  EXPECT_TRUE(env.client.start_orchestration(instance, "O", input));
  const auto status = env.wait(instance);
  if (const auto* failed = status.get_if<status::Failed>()) return failed->details.display_message();
  ADD_FAILURE() << instance << " did not fail: " << status.name();
  return "";
}

std::uint64_t to_ms(std::chrono::system_clock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// ---- basic set / get / clear ----

Task<Result<std::string>> set_progress(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("progress", "50%");
  co_return "done";
}

TEST(E2eKvStore, kv_set_value_visible_via_client) {
  E2eEnv env(activities(), one(set_progress));
  EXPECT_EQ(run(env, "kv-set-1"), "done");
  EXPECT_EQ(kv(env.client, "kv-set-1", "progress"), "50%");
}

Task<Result<std::string>> no_kv(OrchestrationContext, std::string) { co_return "done"; }

TEST(E2eKvStore, kv_get_missing_key_returns_none) {
  E2eEnv env(activities(), one(no_kv));
  EXPECT_EQ(run(env, "kv-miss"), "done");
  EXPECT_EQ(kv(env.client, "kv-miss", "nope"), std::nullopt);
}

Task<Result<std::string>> set_abc(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("a", "1");
  ctx.set_kv_value("b", "2");
  ctx.set_kv_value("c", "3");
  co_return "done";
}

TEST(E2eKvStore, kv_set_multiple_values_same_turn) {
  E2eEnv env(activities(), one(set_abc));
  EXPECT_EQ(run(env, "kv-multi"), "done");
  EXPECT_EQ(kv(env.client, "kv-multi", "a"), "1");
  EXPECT_EQ(kv(env.client, "kv-multi", "b"), "2");
  EXPECT_EQ(kv(env.client, "kv-multi", "c"), "3");
}

Task<Result<std::string>> overwrite_same(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("k", "first");
  ctx.set_kv_value("k", "second");
  co_return "done";
}

TEST(E2eKvStore, kv_overwrite_same_key) {
  E2eEnv env(activities(), one(overwrite_same));
  EXPECT_EQ(run(env, "kv-ow"), "done");
  EXPECT_EQ(kv(env.client, "kv-ow", "k"), "second");
}

Task<Result<std::string>> set_then_clear(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("x", "10");
  ctx.clear_kv_value("x");
  co_return "done";
}

TEST(E2eKvStore, kv_clear_single_value) {
  E2eEnv env(activities(), one(set_then_clear));
  EXPECT_EQ(run(env, "kv-clr"), "done");
  EXPECT_EQ(kv(env.client, "kv-clr", "x"), std::nullopt);
}

Task<Result<std::string>> set_then_clear_all(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("a", "1");
  ctx.set_kv_value("b", "2");
  ctx.clear_all_kv_values();
  co_return "done";
}

TEST(E2eKvStore, kv_clear_all_values) {
  E2eEnv env(activities(), one(set_then_clear_all));
  EXPECT_EQ(run(env, "kv-clra"), "done");
  EXPECT_EQ(kv(env.client, "kv-clra", "a"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-clra", "b"), std::nullopt);
}

Task<Result<std::string>> kv_across_activity(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("step", "before_activity");
  auto r = co_await ctx.schedule_activity("Noop", "");
  if (!r) co_return Err(r.error());
  if (ctx.get_kv_value("step") != "before_activity")
    co_return Err("after activity saw " + or_none(ctx.get_kv_value("step")));
  ctx.set_kv_value("step", "after_activity");
  co_return "done";
}

TEST(E2eKvStore, kv_persists_across_turns) {
  E2eEnv env(activities(), one(kv_across_activity));
  EXPECT_EQ(run(env, "kv-turns"), "done");
  EXPECT_EQ(kv(env.client, "kv-turns", "step"), "after_activity");
}

Task<Result<std::string>> typed_count(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value_typed("count", 42);
  auto value = ctx.get_kv_value_typed<int>("count");
  if (!value) co_return Err(value.error());
  if (*value != std::optional<int>(42)) co_return Err("typed get returned something else");
  co_return "done";
}

TEST(E2eKvStore, kv_typed_round_trip) {
  E2eEnv env(activities(), one(typed_count));
  EXPECT_EQ(run(env, "kv-typed"), "done");
  auto value = env.client.get_kv_value_typed<int>("kv-typed", "count");
  ASSERT_TRUE(value) << value.error().to_string();
  EXPECT_EQ(*value, std::optional<int>(42));
}

Task<Result<std::string>> local_reads(OrchestrationContext ctx, std::string) {
  if (ctx.get_kv_value("x")) co_return Err("initially " + or_none(ctx.get_kv_value("x")));
  ctx.set_kv_value("x", "hello");
  if (ctx.get_kv_value("x") != "hello") co_return Err("after set " + or_none(ctx.get_kv_value("x")));
  ctx.clear_kv_value("x");
  if (ctx.get_kv_value("x")) co_return Err("after clear " + or_none(ctx.get_kv_value("x")));
  co_return "done";
}

TEST(E2eKvStore, kv_get_value_reads_local_state) {
  E2eEnv env(activities(), one(local_reads));
  EXPECT_EQ(run(env, "kv-local"), "done");
}

Task<Result<std::string>> counter_over_can(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("counter", "1");
    co_await ctx.continue_as_new("1");
  }
  if (ctx.get_kv_value("counter") != "1") co_return Err("exec2 saw " + or_none(ctx.get_kv_value("counter")));
  co_return "done";
}

TEST(E2eKvStore, kv_survives_continue_as_new) {
  E2eEnv env(activities(), one(counter_over_can));
  EXPECT_EQ(run(env, "kv-can", "0"), "done");
  EXPECT_EQ(kv(env.client, "kv-can", "counter"), "1");
}

Task<Result<std::string>> set_foo(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("foo", "bar");
  co_return "done";
}

TEST(E2eKvStore, kv_deleted_with_instance) {
  E2eEnv env(activities(), one(set_foo));
  EXPECT_EQ(run(env, "kv-del"), "done");
  EXPECT_EQ(kv(env.client, "kv-del", "foo"), "bar");
  ASSERT_TRUE(env.client.delete_instance("kv-del", true));
  EXPECT_EQ(kv(env.client, "kv-del", "foo"), std::nullopt);
}

// ---- limits (docs/orchestration-engine.md, "Limits after a turn") ----

/// Sets std::stoul(input) keys key_0.. in one turn.
Task<Result<std::string>> many_keys(OrchestrationContext ctx, std::string input) {
  const auto count = std::stoul(input);
  for (std::size_t i = 0; i < count; ++i) ctx.set_kv_value(fmt::format("key_{}", i), fmt::format("val_{}", i));
  co_return "done";
}

TEST(E2eKvStore, kv_exceeding_key_limit_fails_orchestration) {
  E2eEnv env(activities(), one(many_keys));
  const auto message = run_failing(env, "kv-limit", std::to_string(kMaxKvKeys + 1));
  EXPECT_NE(message.find("KV key count"), std::string::npos) << message;
}

Task<Result<std::string>> big_value(OrchestrationContext ctx, std::string input) {
  ctx.set_kv_value("big", std::string(std::stoul(input), 'x'));
  co_return "done";
}

TEST(E2eKvStore, kv_exceeding_value_size_limit_fails_orchestration) {
  E2eEnv env(activities(), one(big_value));
  const auto message = run_failing(env, "kv-big", std::to_string(kMaxKvValueBytes + 1));
  EXPECT_NE(message.find("KV value"), std::string::npos) << message;
  EXPECT_NE(message.find("exceeds limit"), std::string::npos) << message;
}

TEST(E2eKvStore, kv_at_key_limit_succeeds) {
  E2eEnv env(activities(), one(many_keys));
  EXPECT_EQ(run(env, "kv-exact", std::to_string(kMaxKvKeys)), "done");
  EXPECT_EQ(env.client.get_kv_all_values("kv-exact").value().size(), kMaxKvKeys);
}

Task<Result<std::string>> clear_and_refill(OrchestrationContext ctx, std::string) {
  for (std::size_t i = 0; i < kMaxKvKeys; ++i) ctx.set_kv_value(fmt::format("old_{}", i), "v");
  ctx.clear_all_kv_values();
  for (std::size_t i = 0; i < kMaxKvKeys; ++i) ctx.set_kv_value(fmt::format("new_{}", i), "v");
  co_return "done";
}

TEST(E2eKvStore, kv_clear_all_resets_key_count) {
  E2eEnv env(activities(), one(clear_and_refill));
  EXPECT_EQ(run(env, "kv-clr-refill"), "done");
  const auto all = env.client.get_kv_all_values("kv-clr-refill").value();
  EXPECT_EQ(all.size(), kMaxKvKeys);
  EXPECT_EQ(all.count("old_0"), 0u);
}

// ---- composition ----

Task<Result<std::string>> select_kv(OrchestrationContext ctx, std::string) {
  auto timer = ctx.schedule_timer(std::chrono::seconds(60));
  auto activity = ctx.schedule_activity("FastTask", "");
  auto winner = co_await OrchestrationContext::select2(std::move(timer), std::move(activity));
  if (winner.is_first()) {
    ctx.set_kv_value("winner", "timer");
  } else {
    if (!winner.second_value()) co_return Err(winner.second_value().error());
    ctx.set_kv_value("winner", "activity");
  }
  co_return ctx.get_kv_value("winner").value_or("");
}

TEST(E2eKvStore, kv_works_in_select_branch) {
  E2eEnv env(activities(), one(select_kv));
  EXPECT_EQ(run(env, "kv-sel"), "activity");
  EXPECT_EQ(kv(env.client, "kv-sel", "winner"), "activity");
}

// ---- terminal states, deletion, pruning ----

Task<Result<std::string>> completer(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("status", "done");
  ctx.set_kv_value("result", "42");
  co_return "completed";
}

TEST(E2eKvStore, kv_accessible_after_completion) {
  DurableStore dir;
  E2eEnv env(dir.open(), activities(), one(completer));
  EXPECT_EQ(run(env, "kv-complete"), "completed");
  EXPECT_EQ(kv(env.client, "kv-complete", "status"), "done");
  EXPECT_EQ(kv(env.client, "kv-complete", "result"), "42");
}

Task<Result<std::string>> failer(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("progress", "started");
  ctx.set_kv_value("step", "pre-activity");
  auto r = co_await ctx.schedule_activity("FailActivity", "");
  if (!r) co_return Err(r.error());
  co_return "unreachable";
}

TEST(E2eKvStore, kv_accessible_after_failure) {
  DurableStore dir;
  E2eEnv env(dir.open(), activities(), one(failer));
  run_failing(env, "kv-fail");
  EXPECT_EQ(kv(env.client, "kv-fail", "progress"), "started");
  EXPECT_EQ(kv(env.client, "kv-fail", "step"), "pre-activity");
}

Task<Result<std::string>> important_data(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("important", "data");
  ctx.set_kv_value("other", "stuff");
  co_return "done";
}

TEST(E2eKvStore, kv_not_accessible_after_deletion) {
  DurableStore dir;
  E2eEnv env(dir.open(), activities(), one(important_data));
  EXPECT_EQ(run(env, "kv-del"), "done");
  EXPECT_EQ(kv(env.client, "kv-del", "important"), "data");
  auto deleted = env.client.delete_instance("kv-del", false);
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_GE(deleted->instances_deleted, 1u);
  EXPECT_EQ(kv(env.client, "kv-del", "important"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-del", "other"), std::nullopt);
}

Task<Result<std::string>> ephemeral_and_persistent(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("ephemeral", "from_exec_1");
    ctx.set_kv_value("persistent", "from_exec_1");
    co_await ctx.continue_as_new("1");
  }
  ctx.set_kv_value("persistent", "from_exec_2");
  co_return "done";
}

TEST(E2eKvStore, kv_prune_execution_removes_orphan_keys) {
  DurableStore dir;
  E2eEnv env(dir.open(), activities(), one(ephemeral_and_persistent));
  EXPECT_EQ(run(env, "kv-prune", "0"), "done");
  EXPECT_EQ(kv(env.client, "kv-prune", "ephemeral"), "from_exec_1");
  EXPECT_EQ(kv(env.client, "kv-prune", "persistent"), "from_exec_2");
  PruneOptions options;
  options.keep_last = 1;
  auto pruned = env.client.prune_executions("kv-prune", options);
  ASSERT_TRUE(pruned) << pruned.error().to_string();
  EXPECT_GE(pruned->executions_deleted, 1u);
  // KV is instance-scoped: pruning executions removes no key.
  EXPECT_EQ(kv(env.client, "kv-prune", "ephemeral"), "from_exec_1");
  EXPECT_EQ(kv(env.client, "kv-prune", "persistent"), "from_exec_2");
}

Task<Result<std::string>> two_exec_keys(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("a", "1");
    ctx.set_kv_value("b", "2");
    co_await ctx.continue_as_new("1");
  }
  ctx.set_kv_value("c", "3");
  co_return "done";
}

TEST(E2eKvStore, kv_delete_instance_removes_all_kv) {
  DurableStore dir;
  E2eEnv env(dir.open(), activities(), one(two_exec_keys));
  EXPECT_EQ(run(env, "kv-delinst", "0"), "done");
  EXPECT_EQ(kv(env.client, "kv-delinst", "a"), "1");
  EXPECT_EQ(kv(env.client, "kv-delinst", "b"), "2");
  EXPECT_EQ(kv(env.client, "kv-delinst", "c"), "3");
  auto deleted = env.client.delete_instance("kv-delinst", false);
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_GE(deleted->instances_deleted, 1u);
  EXPECT_EQ(kv(env.client, "kv-delinst", "a"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-delinst", "b"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-delinst", "c"), std::nullopt);
}

// ---- progressive updates, CAN ----

Task<Result<std::string>> update_across(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("counter", "1");
  auto r1 = co_await ctx.schedule_activity("Noop", "");
  if (!r1) co_return Err(r1.error());
  if (ctx.get_kv_value("counter") != "1") co_return Err("turn 2 saw " + or_none(ctx.get_kv_value("counter")));
  ctx.set_kv_value("counter", "2");
  auto r2 = co_await ctx.schedule_activity("Noop", "");
  if (!r2) co_return Err(r2.error());
  if (ctx.get_kv_value("counter") != "2") co_return Err("turn 3 saw " + or_none(ctx.get_kv_value("counter")));
  co_return "done";
}

TEST(E2eKvStore, kv_update_across_turns) {
  E2eEnv env(activities(), one(update_across));
  EXPECT_EQ(run(env, "kv-upd"), "done");
  EXPECT_EQ(kv(env.client, "kv-upd", "counter"), "2");
}

Task<Result<std::string>> clear_then_reset(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("key", "old");
  ctx.clear_kv_value("key");
  ctx.set_kv_value("key", "new");
  co_return "done";
}

TEST(E2eKvStore, kv_clear_value_then_reset) {
  E2eEnv env(activities(), one(clear_then_reset));
  EXPECT_EQ(run(env, "kv-clreset"), "done");
  EXPECT_EQ(kv(env.client, "kv-clreset", "key"), "new");
}

Task<Result<std::string>> overwrite_after_can(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("A", "old");
    co_await ctx.continue_as_new("1");
  }
  ctx.set_kv_value("A", "new");
  co_return "done";
}

TEST(E2eKvStore, kv_overwrite_after_can) {
  E2eEnv env(activities(), one(overwrite_after_can));
  EXPECT_EQ(run(env, "kv-canovr", "0"), "done");
  EXPECT_EQ(kv(env.client, "kv-canovr", "A"), "new");
}

Task<Result<std::string>> clear_after_can(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("A", "val_a");
    ctx.set_kv_value("B", "val_b");
    co_await ctx.continue_as_new("1");
  }
  ctx.clear_all_kv_values();
  co_return "done";
}

TEST(E2eKvStore, kv_clear_after_can) {
  E2eEnv env(activities(), one(clear_after_can));
  EXPECT_EQ(run(env, "kv-canclr", "0"), "done");
  EXPECT_EQ(kv(env.client, "kv-canclr", "A"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-canclr", "B"), std::nullopt);
}

Task<Result<std::string>> can_accumulate(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("count", "1");
    co_await ctx.continue_as_new("1");
  }
  if (input == "1") {
    const int n = std::stoi(ctx.get_kv_value("count").value_or("0"));
    ctx.set_kv_value("count", std::to_string(n + 1));
    co_await ctx.continue_as_new("2");
  }
  if (ctx.get_kv_value("count") != "2") co_return Err("exec3 saw " + or_none(ctx.get_kv_value("count")));
  co_return "done";
}

TEST(E2eKvStore, kv_can_chain_accumulation) {
  E2eEnv env(activities(), one(can_accumulate));
  EXPECT_EQ(run(env, "kv-accum", "0"), "done");
  EXPECT_EQ(kv(env.client, "kv-accum", "count"), "2");
}

Task<Result<std::string>> first_only_and_shared(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("first_only", "exec1");
    ctx.set_kv_value("shared", "exec1");
    co_await ctx.continue_as_new("1");
  }
  ctx.set_kv_value("shared", "exec2");
  co_return "done";
}

TEST(E2eKvStore, kv_bulk_prune) {
  DurableStore dir;
  E2eEnv env(dir.open(), activities(), one(first_only_and_shared));
  EXPECT_EQ(run(env, "kv-bprune", "0"), "done");
  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"kv-bprune"};
  PruneOptions options;
  options.keep_last = 1;
  auto pruned = env.client.prune_executions_bulk(filter, options);
  ASSERT_TRUE(pruned) << pruned.error().to_string();
  EXPECT_GE(pruned->executions_deleted, 1u);
  EXPECT_EQ(kv(env.client, "kv-bprune", "first_only"), "exec1");
  EXPECT_EQ(kv(env.client, "kv-bprune", "shared"), "exec2");
}

// ---- parent / child ----

Task<Result<std::string>> role_parent(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("role", "parent");
  auto child = co_await ctx.schedule_sub_orchestration("Child", "");
  if (!child) co_return Err(child.error());
  co_return *child;
}

Task<Result<std::string>> role_child(OrchestrationContext ctx, std::string) {
  if (ctx.get_kv_value("role")) co_return Err("child saw parent's role: " + *ctx.get_kv_value("role"));
  ctx.set_kv_value("role", "child");
  co_return "child_done";
}

TEST(E2eKvStore, kv_parent_child_isolation) {
  E2eEnv env(activities(), one(role_parent, role_child));
  EXPECT_EQ(run(env, "kv-parent-iso"), "child_done");
  EXPECT_EQ(kv(env.client, "kv-parent-iso", "role"), "parent");
  auto tree = env.client.get_instance_tree("kv-parent-iso");
  ASSERT_TRUE(tree) << tree.error().to_string();
  ASSERT_EQ(tree->size(), 2u);
  EXPECT_EQ(kv(env.client, tree->all_ids[1], "role"), "child");
}

Task<Result<std::string>> parent_del(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("parent_key", "parent_val");
  auto child = co_await ctx.schedule_sub_orchestration("Child", "");
  if (!child) co_return Err(child.error());
  co_return "done";
}

Task<Result<std::string>> child_del(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("child_key", "child_val");
  co_return "done";
}

TEST(E2eKvStore, kv_delete_parent_cascades_child_kv) {
  DurableStore dir;
  E2eEnv env(dir.open(), activities(), one(parent_del, child_del));
  EXPECT_EQ(run(env, "kv-pdel"), "done");
  auto tree = env.client.get_instance_tree("kv-pdel");
  ASSERT_TRUE(tree) << tree.error().to_string();
  ASSERT_EQ(tree->size(), 2u);
  const auto child_id = tree->all_ids[1];
  EXPECT_EQ(kv(env.client, child_id, "child_key"), "child_val");
  auto deleted = env.client.delete_instance("kv-pdel", false);
  ASSERT_TRUE(deleted) << deleted.error().to_string();
  EXPECT_GE(deleted->instances_deleted, 1u);
  EXPECT_EQ(kv(env.client, "kv-pdel", "parent_key"), std::nullopt);
  EXPECT_EQ(kv(env.client, child_id, "child_key"), std::nullopt);
}

// ---- mixed workloads and value shapes ----

Task<Result<std::string>> interleave(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("step", "1");
  auto r = co_await ctx.schedule_activity("Noop", "");
  if (!r) co_return Err(r.error());
  ctx.set_kv_value("step", "2");
  co_await ctx.schedule_timer(std::chrono::milliseconds(1));
  ctx.clear_all_kv_values();
  ctx.set_kv_value("step", "final");
  co_return ctx.get_kv_value("step").value_or("");
}

TEST(E2eKvStore, kv_interleaved_with_activities_and_timers) {
  E2eEnv env(activities(), one(interleave));
  EXPECT_EQ(run(env, "kv-interl"), "final");
  EXPECT_EQ(kv(env.client, "kv-interl", "step"), "final");
}

Task<Result<std::string>> fan_out_kv(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> work;
  for (int i = 0; i < 5; ++i) work.push_back(ctx.schedule_activity("Process", std::to_string(i)));
  auto results = co_await OrchestrationContext::join(std::move(work));
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i]) ctx.set_kv_value(fmt::format("result_{}", i), *results[i]);
  }
  co_return "done";
}

TEST(E2eKvStore, kv_in_fan_out_fan_in) {
  E2eEnv env(activities(), one(fan_out_kv));
  EXPECT_EQ(run(env, "kv-fanout"), "done");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(kv(env.client, "kv-fanout", fmt::format("result_{}", i)), fmt::format("result_{}", i));
  }
}

constexpr const char* kJsonText = R"({"nested": [1,2,3]})";

Task<Result<std::string>> json_kv(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("data", kJsonText);
  co_return "done";
}

TEST(E2eKvStore, kv_json_value) {
  E2eEnv env(activities(), one(json_kv));
  EXPECT_EQ(run(env, "kv-json"), "done");
  EXPECT_EQ(kv(env.client, "kv-json", "data"), kJsonText);
}

Task<Result<std::string>> empty_key(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("", "value_for_empty_key");
  co_return "done";
}

TEST(E2eKvStore, kv_empty_key) {
  E2eEnv env(activities(), one(empty_key));
  EXPECT_EQ(run(env, "kv-emptykey"), "done");
  EXPECT_EQ(kv(env.client, "kv-emptykey", ""), "value_for_empty_key");
}

Task<Result<std::string>> clear_set_same(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("A", "1");
  ctx.clear_kv_value("A");
  ctx.set_kv_value("A", "2");
  co_return ctx.get_kv_value("A").value_or("");
}

TEST(E2eKvStore, kv_clear_value_then_set_same_key) {
  E2eEnv env(activities(), one(clear_set_same));
  EXPECT_EQ(run(env, "kv-clrset"), "2");
  EXPECT_EQ(kv(env.client, "kv-clrset", "A"), "2");
}

Task<Result<std::string>> typed_mismatch(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value_typed("data", std::vector<std::uint32_t>{1, 2, 3});
  auto result = ctx.get_kv_value_typed<std::map<std::string, std::string>>("data");
  if (!result) co_return "error_caught";
  if (!*result) co_return "none";
  co_return "unexpected";
}

TEST(E2eKvStore, kv_get_value_typed_wrong_type) {
  E2eEnv env(activities(), one(typed_mismatch));
  EXPECT_EQ(run(env, "kv-typemis"), "error_caught");
}

// ---- minimal concurrency ----

RuntimeOptions single_slot_options() {
  RuntimeOptions options = fast_options();
  options.orchestration_concurrency = 1;
  options.worker_concurrency = 1;
  return options;
}

Task<Result<std::string>> single_thread_kv(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("key", "val");
  auto r = co_await ctx.schedule_activity("Noop", "");
  if (!r) co_return Err(r.error());
  co_return ctx.get_kv_value("key").value_or("");
}

TEST(E2eKvStore, kv_single_thread_basic) {
  E2eEnv env(activities(), one(single_thread_kv), single_slot_options());
  EXPECT_EQ(run(env, "kv-st"), "val");
  EXPECT_EQ(kv(env.client, "kv-st", "key"), "val");
}

TEST(E2eKvStore, kv_single_thread_can_with_kv) {
  E2eEnv env(activities(), one(counter_over_can), single_slot_options());
  EXPECT_EQ(run(env, "kv-stcan", "0"), "done");
  EXPECT_EQ(kv(env.client, "kv-stcan", "counter"), "1");
}

// ---- prune_kv_values_updated_before ----

Task<Result<std::string>> prune_by_timestamp(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("old1", "v1");
    ctx.set_kv_value("old2", "v2");
    co_await ctx.continue_as_new("1");
  }
  co_await ctx.schedule_timer(std::chrono::milliseconds(50));
  auto now = co_await ctx.utc_now();
  if (!now) co_return Err(now.error());
  const auto cutoff = to_ms(*now);  // taken before "fresh" is set
  ctx.set_kv_value("fresh", "v3");
  const auto removed = ctx.prune_kv_values_updated_before(cutoff);
  co_return fmt::format("removed:{}", removed);
}

TEST(E2eKvStore, kv_prune_old_values_by_timestamp) {
  E2eEnv env(activities(), one(prune_by_timestamp));
  EXPECT_EQ(run(env, "kv-prune-ts", "0"), "removed:2");
  EXPECT_EQ(kv(env.client, "kv-prune-ts", "old1"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-prune-ts", "old2"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-prune-ts", "fresh"), "v3");
}

Task<Result<std::string>> prune_zero(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("a", "1");
    ctx.set_kv_value("b", "2");
    co_await ctx.continue_as_new("1");
  }
  const auto removed = ctx.prune_kv_values_updated_before(0);
  co_return fmt::format("removed:{},a:{},b:{}", removed, ctx.get_kv_value("a").value_or(""),
                        ctx.get_kv_value("b").value_or(""));
}

TEST(E2eKvStore, kv_prune_with_zero_threshold_does_nothing) {
  E2eEnv env(activities(), one(prune_zero));
  EXPECT_EQ(run(env, "kv-prune-0", "0"), "removed:0,a:1,b:2");
}

Task<Result<std::string>> prune_empty(OrchestrationContext ctx, std::string) {
  co_return fmt::format("removed:{}", ctx.prune_kv_values_updated_before(std::numeric_limits<std::uint64_t>::max()));
}

TEST(E2eKvStore, kv_prune_empty_returns_zero) {
  E2eEnv env(activities(), one(prune_empty));
  EXPECT_EQ(run(env, "kv-prune-empty"), "removed:0");
}

Task<Result<std::string>> prune_max(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("x", "1");
  ctx.set_kv_value("y", "2");
  const auto removed = ctx.prune_kv_values_updated_before(std::numeric_limits<std::uint64_t>::max());
  co_return fmt::format("removed:{},x:{},y:{}", removed, or_gone(ctx.get_kv_value("x")),
                        or_gone(ctx.get_kv_value("y")));
}

TEST(E2eKvStore, kv_prune_current_turn_keys_with_max_threshold) {
  E2eEnv env(activities(), one(prune_max));
  EXPECT_EQ(run(env, "kv-prune-max"), "removed:2,x:gone,y:gone");
}

Task<Result<std::string>> prune_wall_clock(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("ephemeral", "will_be_pruned");
  // Reading the wall clock inside an orchestration is non-deterministic and only acceptable here:
  // this one-turn orchestration needs a cutoff at or after the key's own timestamp.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const auto wall_now = to_ms(std::chrono::system_clock::now());
  const auto removed = ctx.prune_kv_values_updated_before(wall_now);
  co_return fmt::format("removed:{},ephemeral:{}", removed, or_gone(ctx.get_kv_value("ephemeral")));
}

TEST(E2eKvStore, kv_prune_unpersisted_current_turn_key_with_wall_clock) {
  E2eEnv env(activities(), one(prune_wall_clock));
  EXPECT_EQ(run(env, "kv-prune-wall"), "removed:1,ephemeral:gone");
  EXPECT_EQ(kv(env.client, "kv-prune-wall", "ephemeral"), std::nullopt);
}

Task<Result<std::string>> prune_selective(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("old_key", "old_val");
    co_await ctx.continue_as_new("1");
  }
  if (input == "1") {
    co_await ctx.schedule_timer(std::chrono::milliseconds(50));
    auto now = co_await ctx.utc_now();
    if (!now) co_return Err(now.error());
    const auto boundary = to_ms(*now);
    ctx.set_kv_value("recent_key", "recent_val");
    co_await ctx.continue_as_new(fmt::format("2:{}", boundary));
  }
  const auto boundary = std::stoull(input.substr(2));
  co_await ctx.schedule_timer(std::chrono::milliseconds(10));
  const auto removed = ctx.prune_kv_values_updated_before(boundary);
  co_return fmt::format("removed:{},old:{},recent:{}", removed, or_gone(ctx.get_kv_value("old_key")),
                        or_gone(ctx.get_kv_value("recent_key")));
}

TEST(E2eKvStore, kv_prune_selective_by_age) {
  E2eEnv env(activities(), one(prune_selective));
  EXPECT_EQ(run(env, "kv-prune-sel", "0"), "removed:1,old:gone,recent:recent_val");
}

// ---- read-modify-write and deltas replayed across turns ----

Task<Result<std::string>> read_modify_write(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("counter", "1");
  auto r1 = co_await ctx.schedule_activity("Noop", "");
  if (!r1) co_return Err(r1.error());
  if (ctx.get_kv_value("counter") != "1") co_return Err("turn 2 saw " + or_none(ctx.get_kv_value("counter")));
  auto r2 = co_await ctx.schedule_activity("Noop", "");
  if (!r2) co_return Err(r2.error());
  const int n = std::stoi(ctx.get_kv_value("counter").value_or("-100"));
  ctx.set_kv_value("counter", std::to_string(n + 1));
  co_return std::to_string(n + 1);
}

TEST(E2eKvStore, kv_read_modify_write_across_turns) {
  E2eEnv env(activities(), one(read_modify_write));
  EXPECT_EQ(run(env, "kv-rmw"), "2");
  EXPECT_EQ(kv(env.client, "kv-rmw", "counter"), "2");
}

Task<Result<std::string>> rmw_every_turn(OrchestrationContext ctx, std::string) {
  for (int i = 0; i < 5; ++i) {
    const int n = std::stoi(ctx.get_kv_value("counter").value_or("0"));
    ctx.set_kv_value("counter", std::to_string(n + 1));
    auto r = co_await ctx.schedule_activity("Noop", "");
    if (!r) co_return Err(r.error());
  }
  co_return ctx.get_kv_value("counter").value_or("0");
}

TEST(E2eKvStore, kv_read_modify_write_every_turn) {
  E2eEnv env(activities(), one(rmw_every_turn));
  EXPECT_EQ(run(env, "kv-rmw-every"), "5");
  EXPECT_EQ(kv(env.client, "kv-rmw-every", "counter"), "5");
}

Task<Result<std::string>> clear_all_then_set(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("old_key", "old_val");
    ctx.set_kv_value("shared", "from_exec_1");
    co_await ctx.continue_as_new("1");
  }
  ctx.clear_all_kv_values();
  ctx.set_kv_value("new_key", "new_val");
  auto r = co_await ctx.schedule_activity("Noop", "");
  if (!r) co_return Err(r.error());
  const auto out = fmt::format("old={},shared={},new={}", or_none(ctx.get_kv_value("old_key")),
                               or_none(ctx.get_kv_value("shared")), or_none(ctx.get_kv_value("new_key")));
  ctx.set_kv_value("final", "done");
  co_return out;
}

TEST(E2eKvStore, kv_clear_all_then_set_across_turns) {
  E2eEnv env(activities(), one(clear_all_then_set));
  EXPECT_EQ(run(env, "kv-ca-rmw", "0"), "old=none,shared=none,new=new_val");
  EXPECT_EQ(kv(env.client, "kv-ca-rmw", "old_key"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-ca-rmw", "shared"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-ca-rmw", "final"), "done");
  EXPECT_EQ(kv(env.client, "kv-ca-rmw", "new_key"), "new_val");
}

Task<Result<std::string>> clear_prior_single(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("session_token", "abc123");
    ctx.set_kv_value("keep_me", "alive");
    co_await ctx.continue_as_new("1");
  }
  ctx.clear_kv_value("session_token");
  auto r = co_await ctx.schedule_activity("Noop", "");
  if (!r) co_return Err(r.error());
  co_return fmt::format("token={},kept={}", or_none(ctx.get_kv_value("session_token")),
                        or_none(ctx.get_kv_value("keep_me")));
}

TEST(E2eKvStore, kv_clear_single_with_prior_execution_value) {
  E2eEnv env(activities(), one(clear_prior_single));
  EXPECT_EQ(run(env, "kv-csp", "0"), "token=none,kept=alive");
  EXPECT_EQ(kv(env.client, "kv-csp", "session_token"), std::nullopt);
  EXPECT_EQ(kv(env.client, "kv-csp", "keep_me"), "alive");
}

Task<Result<std::string>> rmw_across_can(OrchestrationContext ctx, std::string input) {
  if (input == "0") {
    ctx.set_kv_value("counter", "5");
    co_await ctx.continue_as_new("1");
  }
  for (int i = 0; i < 3; ++i) {
    const int n = std::stoi(ctx.get_kv_value("counter").value_or("0"));
    ctx.set_kv_value("counter", std::to_string(n + 1));
    auto r = co_await ctx.schedule_activity("Noop", "");
    if (!r) co_return Err(r.error());
  }
  co_return ctx.get_kv_value("counter").value_or("0");
}

TEST(E2eKvStore, kv_rmw_across_can_boundary) {
  E2eEnv env(activities(), one(rmw_across_can));
  EXPECT_EQ(run(env, "kv-rmw-can", "0"), "8");
  EXPECT_EQ(kv(env.client, "kv-rmw-can", "counter"), "8");
}

}  // namespace
}  // namespace duroxide::testing
