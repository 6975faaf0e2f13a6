// Mirrors duroxide's tests/versioning_tests.rs (18): explicit versions on start, sub-orchestration, detached start
// and continue-as-new; Latest/Exact policies (also changed at run time); registration rules; and
// the serde boundary (unknown event types do not decode). Version resolution: docs/runtime-features.md, "Versioning".
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

Version v(const char* text) { return Version::parse(text).value(); }

/// A handler returning `prefix + input` (the prefix travels as a coroutine parameter, not a capture).
Task<Result<std::string>> prefixed(OrchestrationContext, std::string prefix, std::string input) {
  co_return prefix + input;
}
OrchestrationHandler returns_prefixed(std::string prefix) {
  return [prefix](OrchestrationContext ctx, std::string input) {
    return prefixed(std::move(ctx), prefix, std::move(input));
  };
}
/// A handler returning `value` whatever the input.
OrchestrationHandler returns(std::string value) {
  return [value](OrchestrationContext ctx, std::string) { return prefixed(std::move(ctx), value, ""); };
}

Task<Result<std::string>> echo(OrchestrationContext, std::string input) { co_return input; }

ActivityRegistry no_activities() { return ActivityRegistry::builder().build(); }

Task<Result<std::string>> parent_explicit_c1(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_sub_orchestration_versioned("C", std::string("1.0.0"), "A");
}
Task<Result<std::string>> parent_policy_c(OrchestrationContext ctx, std::string) {
  co_return co_await ctx.schedule_sub_orchestration("C", "B");
}
Task<Result<std::string>> parent_detached_leaf(OrchestrationContext ctx, std::string) {
  ctx.schedule_orchestration("Leaf", "child-1", "");
  co_return std::string("ok");
}
Task<Result<std::string>> up_v1(OrchestrationContext ctx, std::string) {
  co_await ctx.continue_as_new_versioned("2.0.0", "payload");
  co_return std::string("unreachable");
}
Task<Result<std::string>> parent_of_child_flow(OrchestrationContext ctx, std::string input) {
  co_return co_await ctx.schedule_sub_orchestration("ChildFlow", input);
}
Task<Result<std::string>> parent_of_child(OrchestrationContext ctx, std::string input) {
  co_return co_await ctx.schedule_sub_orchestration("Child", input);
}
Task<Result<std::string>> upgrader_v1(OrchestrationContext ctx, std::string) {
  co_await ctx.continue_as_new_versioned("2.0.0", "from_v1_to_v2");
  co_return std::string("unreachable");
}

Task<Result<int>> typed_one(OrchestrationContext, int) { co_return 1; }
Task<Result<int>> typed_two(OrchestrationContext, int) { co_return 2; }

std::string version_of_execution(E2eEnv& env, const std::string& instance, std::uint64_t execution) {
  auto history = env.client.read_execution_history(instance, execution);
  if (!history || history->empty()) return "<no history>";
  const auto* started = history->front().get_if<events::OrchestrationStarted>();
  return started ? started->version : "<no OrchestrationStarted>";
}

TEST(E2eVersioning, runtime_start_versioned_string_uses_explicit_version) {
  E2eEnv env(no_activities(), OrchestrationRegistry::builder()
                                  .add("S", returns("v1"))
                                  .add_versioned("S", "2.0.0", returns("v2"))
                                  .set_policy("S", version_policy::Latest{})
                                  .build());
  ASSERT_TRUE(env.client.start_orchestration_versioned("i1", "S", "1.0.0", ""));
  EXPECT_EQ(env.output_of("i1"), "v1") << "the explicit 1.0.0 wins over Latest (2.0.0)";
  ASSERT_TRUE(env.client.start_orchestration("i1-latest", "S", ""));
  EXPECT_EQ(env.output_of("i1-latest"), "v2");
}

TEST(E2eVersioning, runtime_start_versioned_typed_uses_explicit_version) {
  E2eEnv env(
      no_activities(),
      OrchestrationRegistry::builder().add_typed("T", typed_one).add_versioned_typed("T", "2.0.0", typed_two).build());
  ASSERT_TRUE(env.client.start_orchestration_versioned_typed<int>("i2", "T", "1.0.0", 0));
  auto result = env.client.wait_for_orchestration_typed<int>("i2", 10s);
  ASSERT_TRUE(result) << result.error().to_string();
  ASSERT_TRUE(result->has_value()) << "orchestration failed: " << result->error();
  EXPECT_EQ(**result, 1) << "pinned to 1.0.0, not the latest 2.0.0";
}

TEST(E2eVersioning, sub_orchestration_versioned_explicit_and_policy) {
  E2eEnv env(no_activities(), OrchestrationRegistry::builder()
                                  .add("P1", parent_explicit_c1)
                                  .add("P2", parent_policy_c)
                                  .add("C", returns("c1"))
                                  .add_versioned("C", "2.0.0", returns("c2"))
                                  .build());
  ASSERT_TRUE(env.client.start_orchestration("i3-1", "P1", ""));
  EXPECT_EQ(env.output_of("i3-1"), "c1");
  ASSERT_TRUE(env.client.start_orchestration("i3-2", "P2", ""));
  EXPECT_EQ(env.output_of("i3-2"), "c2") << "unversioned sub-orchestration resolves Latest";
}

TEST(E2eVersioning, detached_versioned_uses_policy_latest) {
  E2eEnv env(no_activities(), OrchestrationRegistry::builder()
                                  .add("Parent", parent_detached_leaf)
                                  .add("Leaf", returns("l1"))
                                  .add_versioned("Leaf", "2.0.0", returns("l2"))
                                  .build());
  ASSERT_TRUE(env.client.start_orchestration("i4", "Parent", ""));
  EXPECT_EQ(env.output_of("i4"), "ok");
  EXPECT_EQ(env.output_of("child-1"), "l2") << "the detached start (instance verbatim) resolves Latest";
  ASSERT_TRUE(env.client.start_orchestration("i4::child-1", "Leaf", ""));
  EXPECT_EQ(env.output_of("i4::child-1"), "l2");
}

TEST(E2eVersioning, continue_as_new_versioned_typed_explicit) {
  E2eEnv env(no_activities(), OrchestrationRegistry::builder()
                                  .add("Up", up_v1)
                                  .add_versioned("Up", "2.0.0", returns("done"))
                                  .set_policy("Up", version_policy::Exact{v("1.0.0")})
                                  .build());
  ASSERT_TRUE(env.client.start_orchestration("i5", "Up", ""));
  EXPECT_EQ(env.output_of("i5"), "done");
  EXPECT_EQ(version_of_execution(env, "i5", 1), "1.0.0");
  EXPECT_EQ(version_of_execution(env, "i5", 2), "2.0.0") << "the CAN's explicit version beats the Exact policy";
}

TEST(E2eVersioning, start_uses_latest_version) {
  E2eEnv env(no_activities(), OrchestrationRegistry::builder()
                                  .add("OrderFlow", returns_prefixed("v1:"))
                                  .add_versioned("OrderFlow", "1.1.0", returns_prefixed("v1.1:"))
                                  .build());
  ASSERT_TRUE(env.client.start_orchestration("inst-vlatest", "OrderFlow", "X"));
  EXPECT_EQ(env.output_of("inst-vlatest"), "v1.1:X");
  auto history = env.client.read_execution_history("inst-vlatest", 1);
  ASSERT_TRUE(history && !history->empty());
  EXPECT_TRUE(history->back().is<events::OrchestrationCompleted>());
  EXPECT_EQ(version_of_execution(env, "inst-vlatest", 1), "1.1.0");
}

TEST(E2eVersioning, policy_exact_pins_start) {
  auto registry = OrchestrationRegistry::builder()
                      .add("OrderFlow", returns_prefixed("v1:"))
                      .add_versioned("OrderFlow", "1.1.0", returns_prefixed("v1.1:"))
                      .build();
  registry.set_version_policy("OrderFlow", version_policy::Exact{v("1.0.0")});
  E2eEnv env(no_activities(), registry);
  ASSERT_TRUE(env.client.start_orchestration("inst-vpin", "OrderFlow", "Y"));
  EXPECT_EQ(env.output_of("inst-vpin"), "v1:Y");
}

TEST(E2eVersioning, sub_orchestration_uses_latest_by_default_and_pinned_when_set) {
  auto registry = OrchestrationRegistry::builder()
                      .add("ParentFlow", parent_of_child_flow)
                      .add("ChildFlow", returns_prefixed("c1:"))
                      .add_versioned("ChildFlow", "1.1.0", returns_prefixed("c1.1:"))
                      .build();
  E2eEnv env(no_activities(), registry);  // the runtime's copy shares the policy table
  ASSERT_TRUE(env.client.start_orchestration("inst-child-latest", "ParentFlow", "Z"));
  EXPECT_EQ(env.output_of("inst-child-latest"), "c1.1:Z");
  registry.set_version_policy("ChildFlow", version_policy::Exact{v("1.0.0")});
  ASSERT_TRUE(env.client.start_orchestration("inst-child-pinned", "ParentFlow", "Q"));
  EXPECT_EQ(env.output_of("inst-child-pinned"), "c1:Q") << "a policy set at run time applies to new children";
}

TEST(E2eVersioning, parent_calls_child_upgrade_child_and_verify_latest_used) {
  E2eEnv env(no_activities(), OrchestrationRegistry::builder()
                                  .add("Parent", parent_of_child)
                                  .add("Child", returns_prefixed("cv1:"))
                                  .add_versioned("Child", "1.1.0", returns_prefixed("cv1.1:"))
                                  .build());
  ASSERT_TRUE(env.client.start_orchestration("inst-parent-child-upgrade", "Parent", "inp"));
  EXPECT_EQ(env.output_of("inst-parent-child-upgrade"), "cv1.1:inp");
  auto history = env.client.read_execution_history("inst-parent-child-upgrade", 1);
  ASSERT_TRUE(history && !history->empty());
  EXPECT_TRUE(history->back().is<events::OrchestrationCompleted>());
  EXPECT_TRUE(std::any_of(history->begin(), history->end(),
                          [](const Event& e) { return e.is<events::SubOrchestrationCompleted>(); }));
}

TEST(E2eVersioning, continue_as_new_upgrades_version_deterministically) {
  E2eEnv env(no_activities(), OrchestrationRegistry::builder()
                                  .add("Upgrader", upgrader_v1)
                                  .add_versioned("Upgrader", "2.0.0", returns_prefixed("v2_done:"))
                                  .set_policy("Upgrader", version_policy::Exact{v("1.0.0")})
                                  .build());
  ASSERT_TRUE(env.client.start_orchestration("inst-can-upgrade", "Upgrader", "seed"));
  EXPECT_EQ(env.output_of("inst-can-upgrade"), "v2_done:from_v1_to_v2");
  auto first = env.client.read_execution_history("inst-can-upgrade", 1);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->empty());
  EXPECT_EQ(version_of_execution(env, "inst-can-upgrade", 1), "1.0.0");
  EXPECT_EQ(version_of_execution(env, "inst-can-upgrade", 2), "2.0.0");
  EXPECT_EQ(env.output_of("inst-can-upgrade", 1s), "v2_done:from_v1_to_v2") << "stable on re-query";
}

TEST(E2eVersioning, register_default_is_1_0_0_and_list_versions) {
  auto registry = OrchestrationRegistry::builder().add("OrderFlow", echo).build();
  const auto names = registry.list_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "OrderFlow"), names.end());
  EXPECT_EQ(registry.list_versions("OrderFlow"), std::vector<Version>{v("1.0.0")});
}

TEST(E2eVersioning, register_multiple_versions_latest_is_highest) {
  auto registry = OrchestrationRegistry::builder()
                      .add("OrderFlow", echo)
                      .add_versioned("OrderFlow", "1.1.0", echo)
                      .add_versioned("OrderFlow", "2.0.0", echo)
                      .build();
  EXPECT_EQ(registry.list_versions("OrderFlow"), (std::vector<Version>{v("1.0.0"), v("1.1.0"), v("2.0.0")}));
  EXPECT_EQ(registry.resolve_version("OrderFlow"), v("2.0.0"));
}

TEST(E2eVersioning, policy_exact_pins_resolve_handler) {
  auto registry =
      OrchestrationRegistry::builder().add("OrderFlow", echo).add_versioned("OrderFlow", "1.1.0", echo).build();
  auto latest = registry.resolve_handler("OrderFlow");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->version, v("1.1.0"));
  registry.set_version_policy("OrderFlow", version_policy::Exact{v("1.0.0")});
  auto pinned = registry.resolve_handler("OrderFlow");
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->version, v("1.0.0"));
  registry.set_version_policy("OrderFlow", version_policy::Latest{});
  auto unpinned = registry.resolve_handler("OrderFlow");
  ASSERT_TRUE(unpinned);
  EXPECT_EQ(unpinned->version, v("1.1.0"));
}

TEST(E2eVersioning, duplicate_default_version_returns_error) {
  auto result = OrchestrationRegistry::builder().add("OrderFlow", echo).add("OrderFlow", echo).build_result();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("duplicate orchestration registration"), std::string::npos) << result.error();
}

TEST(E2eVersioning, duplicate_specific_version_returns_error) {
  auto result = OrchestrationRegistry::builder()
                    .add_versioned("OrderFlow", "1.2.0", echo)
                    .add_versioned("OrderFlow", "1.2.0", echo)
                    .build_result();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("duplicate orchestration registration"), std::string::npos) << result.error();
}

TEST(E2eVersioning, non_monotonic_registration_panics) {
  auto builder = OrchestrationRegistry::builder().add_versioned("OrderFlow", "2.0.0", echo);
  try {
    builder.add_versioned("OrderFlow", "1.1.0", echo);
    FAIL() << "registering 1.1.0 after 2.0.0 must throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("non-monotonic orchestration version"), std::string::npos) << e.what();
  }
}

TEST(E2eVersioning, resolve_handler_exact_missing_returns_none) {
  auto registry = OrchestrationRegistry::builder().add("OrderFlow", echo).build();
  EXPECT_FALSE(registry.resolve_handler_exact("OrderFlow", v("9.9.9")).has_value());
  EXPECT_FALSE(registry.resolve_handler_exact("Missing", v("1.0.0")).has_value());
  EXPECT_TRUE(registry.resolve_handler_exact("OrderFlow", v("1.0.0")).has_value());
}

TEST(E2eVersioning, serde_boundary_v2_events) {
  // This build knows no v2 event kinds: an unknown `type` is a decode error, so an older binary
  // structurally cannot replay histories written with newer event types.
  const std::string common =
      R"("event_id":1,"source_event_id":null,"instance_id":"i","execution_id":1,"timestamp_ms":1,"duroxide_version":"0.1.27")";
  const std::string subscribed2 = "{" + common + R"(,"type":"ExternalSubscribed2","name":"x","topic":"y"})";
  const std::string event2 = "{" + common + R"(,"type":"ExternalEvent2","name":"x","topic":"y","data":"payload"})";
  for (const auto& json : {subscribed2, event2}) {
    auto parsed = parse_event(json);
    ASSERT_FALSE(parsed.has_value()) << json;
    EXPECT_NE(parsed.error().find("unknown event type"), std::string::npos) << parsed.error();
  }
  const std::string known = "{" + common + R"(,"type":"ExternalSubscribed","name":"x"})";
  EXPECT_TRUE(parse_event(known).has_value()) << "the same envelope with a known type decodes";
}

}  // namespace
}  // namespace duroxide::testing
