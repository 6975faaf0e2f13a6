// Mirrors duroxide's tests/registry_tests.rs: building, merging and querying registries, version policies, the
// reserved system-activity prefix, and two rows that need a runtime (built-ins, activity context).
#include <gtest/gtest.h>

#include <mutex>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

Task<Result<std::string>> noop_orch(OrchestrationContext, std::string input) { co_return input; }
Result<std::string> noop_activity(ActivityContext&, std::string input) { return input; }

Version v(const char* text) { return Version::parse(text).value(); }

OrchestrationRegistry orchs(std::initializer_list<const char*> names) {
  auto builder = OrchestrationRegistry::builder();
  for (const char* name : names) builder.add(name, noop_orch);
  return builder.build();
}
ActivityRegistry acts(std::initializer_list<const char*> names) {
  auto builder = ActivityRegistry::builder();
  for (const char* name : names) builder.add(name, noop_activity);
  return builder.build();
}

TEST(E2eRegistry, test_orchestration_registry_merge) {
  auto merged = OrchestrationRegistry::builder().merge(orchs({"orch1", "orch2"})).merge(orchs({"orch3"})).build();
  EXPECT_EQ(merged.count(), 3u);
}

TEST(E2eRegistry, test_orchestration_registry_builder_from) {
  const auto base = orchs({"orch1", "orch2"});
  auto extended = OrchestrationRegistry::builder_from(base).add("orch3", noop_orch).build();
  EXPECT_EQ(extended.count(), 3u);
  EXPECT_EQ(base.count(), 2u);
}

TEST(E2eRegistry, test_orchestration_registry_chained_register) {
  EXPECT_EQ(orchs({"orch1", "orch2", "orch3"}).count(), 3u);
}

TEST(E2eRegistry, test_orchestration_registry_merge_with_chained_register) {
  auto reg =
      OrchestrationRegistry::builder().merge(orchs({"orch1"})).add("orch2", noop_orch).add("orch3", noop_orch).build();
  EXPECT_EQ(reg.count(), 3u);
}

TEST(E2eRegistry, test_activity_registry_merge) {
  auto merged = ActivityRegistry::builder().merge(acts({"activity1", "activity2"})).merge(acts({"activity3"})).build();
  for (const char* name : {"activity1", "activity2", "activity3"}) EXPECT_TRUE(merged.has(name)) << name;
}

TEST(E2eRegistry, test_activity_registry_from_registry) {
  const auto base = acts({"activity1", "activity2"});
  auto extended = ActivityRegistry::builder_from(base).add("activity3", noop_activity).build();
  EXPECT_EQ(extended.count(), 3u);
  EXPECT_FALSE(base.has("activity3"));
}

TEST(E2eRegistry, test_activity_registry_chained_register) {
  auto reg = acts({"activity1", "activity2", "activity3"});
  for (const char* name : {"activity1", "activity2", "activity3"}) EXPECT_TRUE(reg.has(name));
}

TEST(E2eRegistry, test_activity_registry_merge_with_chained_register) {
  auto reg = ActivityRegistry::builder()
                 .merge(acts({"activity1"}))
                 .add("activity2", noop_activity)
                 .add("activity3", noop_activity)
                 .build();
  for (const char* name : {"activity1", "activity2", "activity3"}) EXPECT_TRUE(reg.has(name));
}

TEST(E2eRegistry, test_activity_registry_builder_detects_duplicates) {
  auto result =
      ActivityRegistry::builder().add("activity1", noop_activity).add("activity1", noop_activity).build_result();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("duplicate activity registration"), std::string::npos) << result.error();
}

TEST(E2eRegistry, test_activity_registry_merge_duplicate_errors) {
  auto result = ActivityRegistry::builder().merge(acts({"activity1"})).merge(acts({"activity1"})).build_result();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("duplicate activity in merge"), std::string::npos) << result.error();
}

TEST(E2eRegistry, test_reserved_prefix_rejected) {
  auto result = ActivityRegistry::builder().add("__duroxide_syscall:evil", noop_activity).build_result();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("uses reserved prefix"), std::string::npos) << result.error();
  EXPECT_NE(result.error().find("__duroxide_syscall:"), std::string::npos);
}

Task<Result<std::string>> uses_builtins(OrchestrationContext ctx, std::string) {
  auto guid = co_await ctx.new_guid();
  auto now = co_await ctx.utc_now();
  if (!guid || !now) co_return Err("builtin failed");
  co_return "ok";
}

TEST(E2eRegistry, test_builtins_exist_with_empty_registry) {
  E2eEnv env(ActivityRegistry::builder().build(),
             OrchestrationRegistry::builder().add("Builtins", uses_builtins).build());
  ASSERT_TRUE(env.client.start_orchestration("b", "Builtins", ""));
  EXPECT_EQ(env.output_of("b"), "ok");
}

TEST(E2eRegistry, test_user_cannot_override_builtins) {
  auto result = ActivityRegistry::builder().add("__duroxide_syscall:new_guid", noop_activity).build_result();
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("uses reserved prefix"), std::string::npos) << result.error();
}

Task<Result<int>> typed_orch(OrchestrationContext, int n) { co_return n + 1; }

TEST(E2eRegistry, test_register_versioned_typed) {
  auto reg = OrchestrationRegistry::builder().add_versioned_typed("typed-orch", "2.0.0", typed_orch).build();
  EXPECT_EQ(reg.list_names(), std::vector<std::string>{"typed-orch"});
  EXPECT_EQ(reg.list_versions("typed-orch"), std::vector<Version>{v("2.0.0")});
}

std::mutex g_records_mutex;
std::vector<ActivityContext::Info> g_records;

Task<Result<std::string>> inspect(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Inspect", "");
  co_return r.value_or("?");
}

TEST(E2eRegistry, activity_context_metadata) {
  auto activities = ActivityRegistry::builder()
                        .add("Inspect",
                             [](ActivityContext& ctx, std::string) -> Result<std::string> {
                               std::lock_guard lock(g_records_mutex);
                               g_records.push_back(ctx.info());
                               return std::string("inspected");
                             })
                        .build();
  E2eEnv env(activities, OrchestrationRegistry::builder().add("InspectOrch", inspect).build());
  ASSERT_TRUE(env.client.start_orchestration("registry-test-instance", "InspectOrch", ""));
  EXPECT_EQ(env.output_of("registry-test-instance"), "inspected");
  std::lock_guard lock(g_records_mutex);
  ASSERT_EQ(g_records.size(), 1u);
  const auto& info = g_records.front();
  EXPECT_EQ(info.instance_id, "registry-test-instance");
  EXPECT_EQ(info.execution_id, 1u);
  EXPECT_EQ(info.orchestration_name, "InspectOrch");
  EXPECT_EQ(info.orchestration_version, "1.0.0");
  EXPECT_EQ(info.activity_name, "Inspect");
  EXPECT_EQ(info.activity_id, 2u);
  EXPECT_TRUE(info.worker_id.starts_with("work-")) << info.worker_id;
}

TEST(E2eRegistry, test_cross_crate_composition_pattern) {
  auto billing =
      OrchestrationRegistry::builder().add("billing::Charge", noop_orch).add("billing::Refund", noop_orch).build();
  auto shipping = OrchestrationRegistry::builder().add("shipping::Ship", noop_orch).build();
  EXPECT_EQ(OrchestrationRegistry::builder().merge(billing).merge(shipping).build().count(), 3u);
}

TEST(E2eRegistry, test_orchestration_registry_list_names) {
  auto names = orchs({"orch1", "orch2"}).list_names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"orch1", "orch2"}));
}

TEST(E2eRegistry, test_orchestration_registry_has_and_count) {
  auto reg = orchs({"orch1", "orch2"});
  EXPECT_TRUE(reg.has("orch1"));
  EXPECT_TRUE(reg.has("orch2"));
  EXPECT_FALSE(reg.has("orch3"));
  EXPECT_EQ(reg.count(), 2u);
}

TEST(E2eRegistry, test_orchestration_registry_list_versions) {
  auto reg = OrchestrationRegistry::builder()
                 .add("orch", noop_orch)
                 .add_versioned("orch", "2.0.0", noop_orch)
                 .add_versioned("orch", "3.0.0", noop_orch)
                 .build();
  EXPECT_EQ(reg.list_versions("orch").size(), 3u);
  EXPECT_TRUE(reg.list_versions("unknown").empty());
}

TEST(E2eRegistry, test_activity_registry_list_names) { EXPECT_EQ(acts({"a1", "a2", "a3"}).list_names().size(), 3u); }

TEST(E2eRegistry, test_activity_registry_has) {
  auto reg = acts({"a1"});
  EXPECT_TRUE(reg.has("a1"));
  EXPECT_FALSE(reg.has("a2"));
}

TEST(E2eRegistry, test_activity_registry_count) {
  EXPECT_EQ(ActivityRegistry::builder().build().count(), 0u);
  EXPECT_EQ(acts({"a1", "a2", "a3"}).count(), 3u);
}

TEST(E2eRegistry, test_activity_registry_introspection_after_merge) {
  auto lib_a = ActivityRegistry::builder().add("liba::One", noop_activity).add("liba::Two", noop_activity).build();
  auto lib_b = ActivityRegistry::builder().add("libb::Three", noop_activity).build();
  auto merged = ActivityRegistry::builder().merge(lib_a).merge(lib_b).build();
  EXPECT_EQ(merged.count(), 3u);
  EXPECT_TRUE(merged.has("libb::Three"));
  EXPECT_EQ(merged.list_names().size(), 3u);
}

TEST(E2eRegistry, test_registry_default) {
  OrchestrationRegistry reg;
  EXPECT_EQ(reg.count(), 0u);
  EXPECT_TRUE(reg.list_names().empty());
  EXPECT_FALSE(reg.resolve_handler("x").has_value());
  EXPECT_FALSE(reg.resolve_version("x").has_value());
  EXPECT_TRUE(reg.list_versions("x").empty());
}

TEST(E2eRegistry, test_registry_clone_shares_policy) {
  auto original =
      OrchestrationRegistry::builder().add("orch", noop_orch).add_versioned("orch", "2.0.0", noop_orch).build();
  auto copy = original;
  copy.set_version_policy("orch", version_policy::Exact{v("1.0.0")});
  EXPECT_EQ(original.resolve_version("orch"), v("1.0.0"));
  EXPECT_EQ(copy.resolve_version("orch"), v("1.0.0"));
}

TEST(E2eRegistry, test_empty_registry_resolution) {
  auto reg = OrchestrationRegistry::builder().build();
  EXPECT_FALSE(reg.resolve_handler("orch").has_value());
  EXPECT_FALSE(reg.has("orch"));
}

TEST(E2eRegistry, test_resolve_handler_exact_policy_missing_version) {
  auto reg = OrchestrationRegistry::builder()
                 .add("orch", noop_orch)
                 .set_policy("orch", version_policy::Exact{v("2.0.0")})
                 .build();
  EXPECT_FALSE(reg.resolve_handler("orch").has_value());
  EXPECT_FALSE(reg.resolve_version("orch").has_value());
}

TEST(E2eRegistry, test_resolve_version_latest) {
  auto reg = OrchestrationRegistry::builder().add("orch", noop_orch).add_versioned("orch", "2.0.0", noop_orch).build();
  EXPECT_EQ(reg.resolve_version("orch"), v("2.0.0"));
}

TEST(E2eRegistry, test_resolve_version_exact) {
  auto reg = OrchestrationRegistry::builder()
                 .add("orch", noop_orch)
                 .add_versioned("orch", "2.0.0", noop_orch)
                 .set_policy("orch", version_policy::Exact{v("1.0.0")})
                 .build();
  EXPECT_EQ(reg.resolve_version("orch"), v("1.0.0"));
}

TEST(E2eRegistry, test_activity_always_1_0_0_and_latest) {
  auto reg = acts({"act"});
  EXPECT_EQ(reg.list_versions("act"), std::vector<Version>{v("1.0.0")});
  EXPECT_EQ(reg.resolve_version("act"), v("1.0.0"));
}

TEST(E2eRegistry, test_activity_register_typed) {
  auto reg =
      ActivityRegistry::builder().add_typed("typed", [](ActivityContext&, int n) -> Result<int> { return n; }).build();
  EXPECT_EQ(reg.resolve_version("typed"), v("1.0.0"));
}

TEST(E2eRegistry, test_register_all) {
  auto reg =
      OrchestrationRegistry::builder().add_all({{"o1", noop_orch}, {"o2", noop_orch}, {"o3", noop_orch}}).build();
  EXPECT_EQ(reg.count(), 3u);
}

TEST(E2eRegistry, test_list_versions_ordering) {
  auto reg = OrchestrationRegistry::builder()
                 .add("orch", noop_orch)
                 .add_versioned("orch", "2.0.0", noop_orch)
                 .add_versioned("orch", "3.0.0", noop_orch)
                 .build();
  EXPECT_EQ(reg.list_versions("orch"), (std::vector<Version>{v("1.0.0"), v("2.0.0"), v("3.0.0")}));
}

TEST(E2eRegistry, test_multiple_policies) {
  auto reg = OrchestrationRegistry::builder()
                 .add("orch1", noop_orch)
                 .add_versioned("orch1", "2.0.0", noop_orch)
                 .add("orch2", noop_orch)
                 .add_versioned("orch2", "2.0.0", noop_orch)
                 .set_policy("orch1", version_policy::Exact{v("1.0.0")})
                 .build();
  EXPECT_EQ(reg.resolve_version("orch1"), v("1.0.0"));
  EXPECT_EQ(reg.resolve_version("orch2"), v("2.0.0"));
}

}  // namespace
}  // namespace duroxide::testing
