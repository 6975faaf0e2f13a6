// Mirrors duroxide's tests/kv_store_tests.rs, part 2: KV seen from outside the instance: cross-instance reads
// (get_kv_value_from_instance[_typed], a system activity), client reads while running
// (wait_for_kv_value), client get_kv_all_values, and the KV stress rows (docs/orchestration-engine.md, docs/core.md).
#include <gtest/gtest.h>

#include <cstdint>

#include <fmt/ranges.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Noop", [](ActivityContext&, std::string) -> Result<std::string> { return std::string("ok"); })
      .build();
}

std::optional<std::string> kv(const Client& client, const std::string& instance, const std::string& key) {
  auto value = client.get_kv_value(instance, key);
  if (!value) {
    ADD_FAILURE() << "get_kv_value(" << instance << ", " << key << "): " << value.error().to_string();
    return std::nullopt;
  }
  return *value;
}

std::map<std::string, std::string> all_values(const Client& client, const std::string& instance) {
  auto values = client.get_kv_all_values(instance);
  if (!values) {
    ADD_FAILURE() << "get_kv_all_values(" << instance << "): " << values.error().to_string();
    return {};
  }
  return *values;
}

/// Waits until the client sees `key` = `expected` on `instance` (running instances included).
bool wait_for_kv(const Client& client, const std::string& instance, const std::string& key,
                 const std::string& expected) {
  return wait_until([&] {
    auto value = client.get_kv_value(instance, key);
    return value && *value == expected;
  });
}

// ---- writers that stay alive until told to finish ----

Task<Result<std::string>> writer(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("secret", "42");
  co_await ctx.schedule_wait("done");
  co_return "done";
}

Task<Result<std::string>> reader(OrchestrationContext ctx, std::string) {
  auto value = co_await ctx.get_kv_value_from_instance("kv-writer", "secret");
  if (!value) co_return Err(value.error());
  co_return value->value_or("missing");
}

TEST(E2eKvStore, kv_get_value_from_instance) {
  E2eEnv env(activities(), OrchestrationRegistry::builder().add("Writer", writer).add("Reader", reader).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-writer", "Writer", ""));
  ASSERT_TRUE(wait_for_kv(env.client, "kv-writer", "secret", "42"));
  ASSERT_TRUE(env.client.start_orchestration("kv-reader", "Reader", ""));
  EXPECT_EQ(env.output_of("kv-reader"), "42");
  ASSERT_TRUE(env.client.raise_event("kv-writer", "done", ""));
  EXPECT_EQ(env.output_of("kv-writer"), "done");
}

Task<Result<std::string>> running_kv(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("progress", "initialized");
  co_await ctx.schedule_wait("finish");
  co_return "done";
}

TEST(E2eKvStore, client_get_value_running) {
  E2eEnv env(activities(), OrchestrationRegistry::builder().add("RunningKV", running_kv).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-running", "RunningKV", ""));
  auto value = env.client.wait_for_kv_value("kv-running", "progress", 10s);
  ASSERT_TRUE(value) << value.error().to_string();
  EXPECT_EQ(*value, "initialized");
  const auto status = env.client.get_orchestration_status("kv-running");
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->is_running()) << status->name();
  ASSERT_TRUE(env.client.raise_event("kv-running", "finish", ""));
  EXPECT_EQ(env.output_of("kv-running"), "done");
}

Task<Result<std::string>> writer2(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("exists", "yes");
  co_await ctx.schedule_wait("done");
  co_return "done";
}

Task<Result<std::string>> reader2(OrchestrationContext ctx, std::string) {
  auto value = co_await ctx.get_kv_value_from_instance("kv-writer2", "nonexistent");
  if (!value) co_return Err(value.error());
  co_return value->value_or("none");
}

TEST(E2eKvStore, kv_get_value_from_instance_key_missing) {
  E2eEnv env(activities(), OrchestrationRegistry::builder().add("Writer2", writer2).add("Reader2", reader2).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-writer2", "Writer2", ""));
  ASSERT_TRUE(wait_for_kv(env.client, "kv-writer2", "exists", "yes"));
  ASSERT_TRUE(env.client.start_orchestration("kv-reader2", "Reader2", ""));
  EXPECT_EQ(env.output_of("kv-reader2"), "none");
  ASSERT_TRUE(env.client.raise_event("kv-writer2", "done", ""));
  EXPECT_EQ(env.output_of("kv-writer2"), "done");
}

Task<Result<std::string>> reader_unknown(OrchestrationContext ctx, std::string) {
  auto value = co_await ctx.get_kv_value_from_instance("no-such-inst", "key");
  if (!value) co_return Err(value.error());
  co_return value->value_or("none");
}

TEST(E2eKvStore, kv_get_value_from_instance_unknown_instance) {
  E2eEnv env(activities(), OrchestrationRegistry::builder().add("ReaderUnknown", reader_unknown).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-unknown", "ReaderUnknown", ""));
  EXPECT_EQ(env.output_of("kv-unknown"), "none");
}

Task<Result<std::string>> typed_writer(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value_typed("config", std::vector<std::uint32_t>{1, 2, 3});
  co_await ctx.schedule_wait("done");
  co_return "done";
}

Task<Result<std::string>> typed_reader(OrchestrationContext ctx, std::string) {
  auto value = co_await ctx.get_kv_value_from_instance_typed<std::vector<std::uint32_t>>("kv-tw", "config");
  if (!value) co_return Err(value.error());
  if (!*value) co_return "None";
  co_return fmt::format("Some([{}])", fmt::join(**value, ", "));
}

TEST(E2eKvStore, kv_get_value_from_instance_typed_e2e) {
  E2eEnv env(
      activities(),
      OrchestrationRegistry::builder().add("TypedWriter", typed_writer).add("TypedReader", typed_reader).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-tw", "TypedWriter", ""));
  ASSERT_TRUE(wait_for_kv(env.client, "kv-tw", "config", "[1,2,3]"));
  ASSERT_TRUE(env.client.start_orchestration("kv-tr", "TypedReader", ""));
  EXPECT_EQ(env.output_of("kv-tr"), "Some([1, 2, 3])");
  ASSERT_TRUE(env.client.raise_event("kv-tw", "done", ""));
  EXPECT_EQ(env.output_of("kv-tw"), "done");
}

Task<Result<std::string>> source_orch(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("data", "source_value");
  co_await ctx.schedule_wait("done");
  co_return "done";
}

Task<Result<std::string>> replay_reader(OrchestrationContext ctx, std::string) {
  auto value = co_await ctx.get_kv_value_from_instance("kv-source", "data");
  if (!value) co_return Err(value.error());
  auto r = co_await ctx.schedule_activity("Noop", "");  // a later turn replays the recorded read
  if (!r) co_return Err(r.error());
  co_return value->value_or("missing");
}

TEST(E2eKvStore, kv_get_value_from_instance_replay_safe) {
  E2eEnv env(
      activities(),
      OrchestrationRegistry::builder().add("SourceOrch", source_orch).add("ReplayReader", replay_reader).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-source", "SourceOrch", ""));
  ASSERT_TRUE(wait_for_kv(env.client, "kv-source", "data", "source_value"));
  ASSERT_TRUE(env.client.start_orchestration("kv-replayer", "ReplayReader", ""));
  EXPECT_EQ(env.output_of("kv-replayer"), "source_value");
  // The read ran once (as a system activity) and was replayed from history afterwards.
  std::size_t reads = 0;
  for (const auto& event : env.history("kv-replayer")) {
    const auto* scheduled = event.get_if<events::ActivityScheduled>();
    if (scheduled && scheduled->name == kSyscallGetKvValue) ++reads;
  }
  EXPECT_EQ(reads, 1u);
  ASSERT_TRUE(env.client.raise_event("kv-source", "done", ""));
  EXPECT_EQ(env.output_of("kv-source"), "done");
}

Task<Result<std::string>> live_source(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("v", "1");
  co_await ctx.schedule_wait("update");
  ctx.set_kv_value("v", "2");
  co_await ctx.schedule_wait("done");
  co_return "done";
}

Task<Result<std::string>> live_reader(OrchestrationContext ctx, std::string) {
  auto v1 = co_await ctx.get_kv_value_from_instance("kv-lsrc", "v");
  if (!v1) co_return Err(v1.error());
  ctx.set_kv_value("read1", v1->value_or(""));
  co_await ctx.schedule_wait("source_updated");
  auto v2 = co_await ctx.get_kv_value_from_instance("kv-lsrc", "v");
  if (!v2) co_return Err(v2.error());
  ctx.set_kv_value("read2", v2->value_or(""));
  co_return v1->value_or("") + "," + v2->value_or("");
}

TEST(E2eKvStore, kv_get_value_from_instance_after_source_update) {
  E2eEnv env(activities(),
             OrchestrationRegistry::builder().add("LiveSource", live_source).add("LiveReader", live_reader).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-lsrc", "LiveSource", ""));
  ASSERT_TRUE(wait_for_kv(env.client, "kv-lsrc", "v", "1"));
  ASSERT_TRUE(env.client.start_orchestration("kv-lrdr", "LiveReader", ""));
  ASSERT_TRUE(wait_for_kv(env.client, "kv-lrdr", "read1", "1"));
  ASSERT_TRUE(env.client.raise_event("kv-lsrc", "update", ""));
  ASSERT_TRUE(wait_for_kv(env.client, "kv-lsrc", "v", "2"));
  ASSERT_TRUE(env.client.raise_event("kv-lrdr", "source_updated", ""));
  EXPECT_EQ(env.output_of("kv-lrdr"), "1,2");
  EXPECT_EQ(kv(env.client, "kv-lrdr", "read2"), "2");
  ASSERT_TRUE(env.client.raise_event("kv-lsrc", "done", ""));
  EXPECT_EQ(env.output_of("kv-lsrc"), "done");
}

Task<Result<std::string>> self_read(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("key", "local_val");
  auto r = co_await ctx.schedule_activity("Noop", "");  // the set is committed with this turn
  if (!r) co_return Err(r.error());
  auto value = co_await ctx.get_kv_value_from_instance("kv-self", "key");
  if (!value) co_return Err(value.error());
  co_return value->value_or("missing");
}

TEST(E2eKvStore, kv_get_value_from_instance_self) {
  E2eEnv env(activities(), OrchestrationRegistry::builder().add("SelfRead", self_read).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-self", "SelfRead", ""));
  EXPECT_EQ(env.output_of("kv-self"), "local_val");
}

// ---- stress ----

Task<Result<std::string>> conc_write(OrchestrationContext ctx, std::string input) {
  for (int i = 0; i < 5; ++i) ctx.set_kv_value(fmt::format("key_{}", i), fmt::format("val_{}_{}", input, i));
  co_return "wrote_" + input;
}

TEST(E2eKvStore, kv_stress_concurrent_writes) {
  DurableStore dir;
  E2eEnv env(dir.open(), activities(), OrchestrationRegistry::builder().add("ConcWrite", conc_write).build());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(env.client.start_orchestration(fmt::format("kv-conc-{}", i), "ConcWrite", std::to_string(i)));
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(env.output_of(fmt::format("kv-conc-{}", i)), fmt::format("wrote_{}", i));
  for (int i : {0, 3, 7, 9}) {
    EXPECT_EQ(kv(env.client, fmt::format("kv-conc-{}", i), "key_0"), fmt::format("val_{}_0", i));
    EXPECT_EQ(kv(env.client, fmt::format("kv-conc-{}", i), "key_4"), fmt::format("val_{}_4", i));
  }
}

Task<Result<std::string>> many_keys_two_turns(OrchestrationContext ctx, std::string) {
  for (std::size_t i = 0; i < kMaxKvKeys; ++i) ctx.set_kv_value(fmt::format("k{}", i), fmt::format("v{}", i));
  auto r = co_await ctx.schedule_activity("Noop", "");
  if (!r) co_return Err(r.error());
  for (std::size_t i = 0; i < kMaxKvKeys; ++i) ctx.set_kv_value(fmt::format("k{}", i), fmt::format("v{}", i));
  co_return "done";
}

TEST(E2eKvStore, kv_stress_high_key_count) {
  E2eEnv env(activities(), OrchestrationRegistry::builder().add("ManyKeys", many_keys_two_turns).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-manykeys", "ManyKeys", ""));
  EXPECT_EQ(env.output_of("kv-manykeys"), "done");
  const auto all = all_values(env.client, "kv-manykeys");
  EXPECT_EQ(all.size(), kMaxKvKeys);
  for (std::size_t i = 0; i < kMaxKvKeys; ++i) {
    const auto it = all.find(fmt::format("k{}", i));
    ASSERT_NE(it, all.end()) << "missing k" << i;
    EXPECT_EQ(it->second, fmt::format("v{}", i));
  }
}

Task<Result<std::string>> shared_writer(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("shared", "producer_value");
  co_await ctx.schedule_wait("done");
  co_return "done";
}

Task<Result<std::string>> conc_reader(OrchestrationContext ctx, std::string) {
  auto value = co_await ctx.get_kv_value_from_instance("kv-shared-src", "shared");
  if (!value) co_return Err(value.error());
  co_return value->value_or("missing");
}

TEST(E2eKvStore, kv_stress_cross_instance_reads) {
  E2eEnv env(
      activities(),
      OrchestrationRegistry::builder().add("SharedWriter", shared_writer).add("ConcReader", conc_reader).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-shared-src", "SharedWriter", ""));
  ASSERT_TRUE(wait_for_kv(env.client, "kv-shared-src", "shared", "producer_value"));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(env.client.start_orchestration(fmt::format("kv-reader-{}", i), "ConcReader", ""));
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(env.output_of(fmt::format("kv-reader-{}", i)), "producer_value");
  ASSERT_TRUE(env.client.raise_event("kv-shared-src", "done", ""));
  EXPECT_EQ(env.output_of("kv-shared-src"), "done");
}

Task<Result<std::string>> can_throughput(OrchestrationContext ctx, std::string input) {
  const int iter = std::stoi(input);
  ctx.set_kv_value("iter", input);
  if (iter < 4) co_await ctx.continue_as_new(std::to_string(iter + 1));
  co_return "done";
}

TEST(E2eKvStore, kv_stress_can_throughput) {
  E2eEnv env(activities(), OrchestrationRegistry::builder().add("CANThroughput", can_throughput).build());
  ASSERT_TRUE(env.client.start_orchestration("kv-can-tput", "CANThroughput", "0"));
  EXPECT_EQ(env.output_of("kv-can-tput"), "done");
  EXPECT_EQ(kv(env.client, "kv-can-tput", "iter"), "4");
  EXPECT_EQ(env.client.list_executions("kv-can-tput").value().size(), 5u);
}

// ---- Client::get_kv_all_values ----

Task<Result<std::string>> set_multi(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("a", "1");
  ctx.set_kv_value("b", "2");
  ctx.set_kv_value("c", "3");
  co_return "done";
}

Task<Result<std::string>> no_kv(OrchestrationContext, std::string) { co_return "done"; }

Task<Result<std::string>> overwrite(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("x", "old");
  ctx.set_kv_value("y", "keep");
  ctx.set_kv_value("x", "new");
  co_return "done";
}

Task<Result<std::string>> clear_some(OrchestrationContext ctx, std::string) {
  ctx.set_kv_value("a", "1");
  ctx.set_kv_value("b", "2");
  ctx.set_kv_value("c", "3");
  ctx.clear_kv_value("b");
  co_return "done";
}

Task<Result<std::string>> key_per_execution(OrchestrationContext ctx, std::string input) {
  const int n = std::stoi(input);
  ctx.set_kv_value(fmt::format("key_{}", n), fmt::format("val_{}", n));
  if (n < 2) co_await ctx.continue_as_new(std::to_string(n + 1));
  co_return "done";
}

OrchestrationRegistry all_values_orchestrations() {
  return OrchestrationRegistry::builder()
      .add("SetMulti", set_multi)
      .add("NoKV", no_kv)
      .add("Overwrite", overwrite)
      .add("ClearSome", clear_some)
      .add("CANKV", key_per_execution)
      .build();
}

TEST(E2eKvStore, kv_client_get_all_values) {
  E2eEnv env(activities(), all_values_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("kv-all-1", "SetMulti", ""));
  EXPECT_EQ(env.output_of("kv-all-1"), "done");
  const std::map<std::string, std::string> expected{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  EXPECT_EQ(all_values(env.client, "kv-all-1"), expected);
}

TEST(E2eKvStore, kv_client_get_all_values_empty) {
  E2eEnv env(activities(), all_values_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("kv-all-empty", "NoKV", ""));
  EXPECT_EQ(env.output_of("kv-all-empty"), "done");
  EXPECT_TRUE(all_values(env.client, "kv-all-empty").empty());
}

TEST(E2eKvStore, kv_client_get_all_values_after_overwrite) {
  E2eEnv env(activities(), all_values_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("kv-all-ow", "Overwrite", ""));
  EXPECT_EQ(env.output_of("kv-all-ow"), "done");
  const std::map<std::string, std::string> expected{{"x", "new"}, {"y", "keep"}};
  EXPECT_EQ(all_values(env.client, "kv-all-ow"), expected);
}

TEST(E2eKvStore, kv_client_get_all_values_after_clear) {
  E2eEnv env(activities(), all_values_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("kv-all-clr", "ClearSome", ""));
  EXPECT_EQ(env.output_of("kv-all-clr"), "done");
  const std::map<std::string, std::string> expected{{"a", "1"}, {"c", "3"}};
  EXPECT_EQ(all_values(env.client, "kv-all-clr"), expected);
}

TEST(E2eKvStore, kv_client_get_all_values_across_can) {
  E2eEnv env(activities(), all_values_orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("kv-all-can", "CANKV", "0"));
  EXPECT_EQ(env.output_of("kv-all-can"), "done");
  const std::map<std::string, std::string> expected{{"key_0", "val_0"}, {"key_1", "val_1"}, {"key_2", "val_2"}};
  EXPECT_EQ(all_values(env.client, "kv-all-can"), expected);
}

}  // namespace
}  // namespace duroxide::testing
