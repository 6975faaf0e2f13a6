// Orchestration and activity registries (docs/runtime.md, "Registries"; mirrors duroxide's tests/registry_tests.rs).
#include <gtest/gtest.h>

#include <duroxide/registry.hpp>

#include "orchestration/replay_engine.hpp"

using namespace duroxide;

namespace {

Task<Result<std::string>> echo_orchestration(OrchestrationContext, std::string input) { co_return input; }

OrchestrationHandler returning(std::string value) {
  // Captureless coroutine body; the value travels as the coroutine's parameter.
  return [value](OrchestrationContext ctx, std::string) {
    return [](OrchestrationContext, std::string v) -> Task<Result<std::string>> { co_return v; }(std::move(ctx), value);
  };
}

ActivityHandler activity_returning(std::string value) {
  return [value](ActivityContext&, std::string) -> Result<std::string> { return value; };
}

Version v(std::string_view text) { return *Version::parse(text); }

std::vector<std::string> version_texts(const std::vector<Version>& versions) {
  std::vector<std::string> out;
  for (const auto& version : versions) out.push_back(version.to_string());
  return out;
}

// Runs `handler` as a one-turn orchestration and returns the turn result.
orchestration::TurnResult run_once(const OrchestrationHandler& handler, std::string input) {
  orchestration::TurnInput in;
  in.instance_id = "inst";
  in.orchestration_name = "O";
  in.input = input;
  in.baseline.push_back(
      make_event(1, std::nullopt, "inst", 1, events::OrchestrationStarted{"O", "1.0.0", input, {}, {}, {}, {}}));
  in.handler = handler;
  return orchestration::run_turn(in).result;
}

ActivityContext test_activity_context() {
  return ActivityContext(ActivityContext::Info{"i", 1, "O", "1.0.0", "A", 2, "w", std::nullopt, std::nullopt});
}

struct Order {
  std::string sku;
  int qty = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, sku, qty)

}  // namespace

TEST(UnitRegistry, OrchestrationChainedAddMergeAndBuilderFrom) {
  auto base = OrchestrationRegistry::builder().add("orch1", returning("1")).add("orch2", returning("2")).build();
  EXPECT_EQ(base.count(), 2u);
  auto merged = OrchestrationRegistry::builder()
                    .merge(base)
                    .merge(OrchestrationRegistry::builder().add("orch3", returning("3")).build())
                    .build();
  EXPECT_EQ(merged.list_names(), (std::vector<std::string>{"orch1", "orch2", "orch3"}));
  auto extended = OrchestrationRegistry::builder_from(base).add("orch3", returning("3")).build();
  EXPECT_EQ(extended.count(), 3u);
  EXPECT_EQ(base.count(), 2u) << "builder_from copies; the base is unchanged";
  EXPECT_TRUE(base.has("orch1"));
  EXPECT_FALSE(base.has("orch3"));
  auto all = OrchestrationRegistry::builder()
                 .add_all({{"a", returning("a")}, {"b", returning("b")}, {"c", returning("c")}})
                 .build();
  EXPECT_EQ(all.count(), 3u);
}

TEST(UnitRegistry, EmptyRegistryResolvesNothing) {
  const OrchestrationRegistry empty;
  EXPECT_EQ(empty.count(), 0u);
  EXPECT_TRUE(empty.list_names().empty());
  EXPECT_FALSE(empty.resolve_handler("x").has_value());
  EXPECT_FALSE(empty.resolve_version("x").has_value());
  EXPECT_TRUE(empty.list_versions("x").empty());
  const auto built = OrchestrationRegistry::builder().build();
  EXPECT_FALSE(built.has("x"));
  EXPECT_FALSE(built.resolve_handler("x").has_value());
}

TEST(UnitRegistry, VersionsListAscendingAndLatestWins) {
  auto reg = OrchestrationRegistry::builder()
                 .add("orch", returning("v1"))
                 .add_versioned("orch", "2.0.0", returning("v2"))
                 .add_versioned("orch", "3.0.0", returning("v3"))
                 .build();
  EXPECT_EQ(version_texts(reg.list_versions("orch")), (std::vector<std::string>{"1.0.0", "2.0.0", "3.0.0"}));
  EXPECT_TRUE(reg.list_versions("unknown").empty());
  auto resolved = reg.resolve_handler("orch");
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->version.to_string(), "3.0.0");
  EXPECT_EQ(std::get<orchestration::turn_result::Completed>(run_once(resolved->handler, "")).output, "v3")
      << "the resolved handler is the 3.0.0 one";
  EXPECT_EQ(reg.resolve_handler_exact("orch", v("2.0.0"))->version.to_string(), "2.0.0");
  EXPECT_FALSE(reg.resolve_handler_exact("orch", v("4.0.0")).has_value());
}

TEST(UnitRegistry, ExactPolicyResolvesThatVersionOrNothing) {
  auto reg = OrchestrationRegistry::builder()
                 .add("orch1", returning("1"))
                 .add_versioned("orch1", "2.0.0", returning("2"))
                 .add("orch2", returning("1"))
                 .add_versioned("orch2", "2.0.0", returning("2"))
                 .set_policy("orch1", version_policy::Exact{v("1.0.0")})
                 .build();
  EXPECT_EQ(reg.resolve_version("orch1")->to_string(), "1.0.0");
  EXPECT_EQ(reg.resolve_version("orch2")->to_string(), "2.0.0") << "policies are per name";
  reg.set_version_policy("orch2", version_policy::Exact{v("5.0.0")});
  EXPECT_FALSE(reg.resolve_handler("orch2").has_value()) << "Exact of an unregistered version resolves nothing";
  EXPECT_FALSE(reg.resolve_version("orch2").has_value());
}

TEST(UnitRegistry, CopiesShareThePolicyTable) {
  auto original = OrchestrationRegistry::builder()
                      .add("orch", returning("1"))
                      .add_versioned("orch", "2.0.0", returning("2"))
                      .build();
  const OrchestrationRegistry copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  copy.set_version_policy("orch", version_policy::Exact{v("1.0.0")});
  EXPECT_EQ(original.resolve_version("orch")->to_string(), "1.0.0");
  EXPECT_EQ(copy.resolve_version("orch")->to_string(), "1.0.0");
  original.set_version_policy("orch", version_policy::Latest{});
  EXPECT_EQ(copy.resolve_version("orch")->to_string(), "2.0.0");
}

TEST(UnitRegistry, DuplicateOrchestrationIsARecordedError) {
  auto builder = OrchestrationRegistry::builder().add("orch", returning("first")).add("orch", returning("second"));
  auto result = builder.build_result();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("duplicate orchestration registration: orch@1.0.0"), std::string::npos)
      << result.error();
  auto built = builder.build();
  EXPECT_EQ(
      std::get<orchestration::turn_result::Completed>(run_once(built.resolve_handler("orch")->handler, "")).output,
      "first")
      << "build() keeps the first registration and drops the failed one";
}

TEST(UnitRegistry, DuplicateTypedOrchestrationIsRecordedToo) {
  auto typed = [](OrchestrationContext, int x) -> Task<Result<int>> { co_return x; };
  auto result = OrchestrationRegistry::builder().add_typed("t", typed).add_typed("t", typed).build_result();
  ASSERT_FALSE(result.has_value()) << "unlike duroxide, typed registration also detects duplicates";
  EXPECT_NE(result.error().find("duplicate orchestration registration"), std::string::npos);
}

TEST(UnitRegistry, VersionedRegistrationRejectsBadAndNonMonotonicVersions) {
  auto builder = OrchestrationRegistry::builder().add_versioned("orch", "2.0.0", returning("2"));
  EXPECT_THROW(builder.add_versioned("orch", "not-a-version", returning("x")), std::invalid_argument);
  EXPECT_THROW(builder.add_versioned("orch", "1.5.0", returning("x")), std::invalid_argument);
  try {
    builder.add_versioned("orch", "1.0.0", returning("x"));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("non-monotonic orchestration version"), std::string::npos) << e.what();
  }
  builder.add_versioned("orch", "2.0.0", returning("dup"));
  auto result = builder.build_result();
  ASSERT_FALSE(result.has_value()) << "the same version again is a duplicate, not a monotonicity error";
  EXPECT_NE(result.error().find("duplicate orchestration registration: orch@2.0.0"), std::string::npos);
}

TEST(UnitRegistry, MergeCollisionsAreRecorded) {
  auto a = OrchestrationRegistry::builder().add("orch", returning("a")).build();
  auto result = OrchestrationRegistry::builder().merge(a).merge(a).build_result();
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("duplicate orchestration in merge: orch@1.0.0"), std::string::npos);
}

TEST(UnitRegistry, TypedOrchestrationDecodesInputAndEncodesOutput) {
  auto reg =
      OrchestrationRegistry::builder()
          .add_typed("Total", [](OrchestrationContext, Order order) -> Task<Result<int>> { co_return order.qty * 10; })
          .add_versioned_typed(
              "typed-orch", "2.0.0",
              [](OrchestrationContext, std::string s) -> Task<Result<std::string>> { co_return s + "!"; })
          .build();
  EXPECT_EQ(version_texts(reg.list_versions("typed-orch")), (std::vector<std::string>{"2.0.0"}));
  auto total = reg.resolve_handler("Total")->handler;
  EXPECT_EQ(std::get<orchestration::turn_result::Completed>(run_once(total, R"({"sku":"x","qty":3})")).output, "30");
  const auto failed = run_once(total, "not an order");
  const auto* f = std::get_if<orchestration::turn_result::Failed>(&failed);
  ASSERT_NE(f, nullptr) << "an undecodable input fails the orchestration";
  const auto* app = f->details.get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind.code, AppErrorKind::Code::OrchestrationFailed);
  auto typed_string = reg.resolve_handler("typed-orch")->handler;
  EXPECT_EQ(std::get<orchestration::turn_result::Completed>(run_once(typed_string, "hi")).output, "hi!")
      << "strings are stored raw by the codec";
}

TEST(UnitRegistry, OrchestrationFromPlainFunction) {
  auto reg = OrchestrationRegistry::builder().add("Echo", echo_orchestration).build();
  EXPECT_EQ(std::get<orchestration::turn_result::Completed>(run_once(reg.resolve_handler("Echo")->handler, "x")).output,
            "x");
}

TEST(UnitActivityRegistry, ChainedMergeFromRegistryAndIntrospection) {
  auto base = ActivityRegistry::builder()
                  .add("lib1::activity1", activity_returning("1"))
                  .add("lib1::activity2", activity_returning("2"))
                  .build();
  auto other = ActivityRegistry::builder().add("lib2::activity3", activity_returning("3")).build();
  auto merged = ActivityRegistry::builder().merge(base).merge(other).build();
  EXPECT_EQ(merged.count(), 3u);
  EXPECT_EQ(merged.list_names(), (std::vector<std::string>{"lib1::activity1", "lib1::activity2", "lib2::activity3"}));
  auto extended = ActivityRegistry::builder_from(base).add("activity3", activity_returning("3")).build();
  EXPECT_TRUE(extended.has("activity3"));
  EXPECT_FALSE(base.has("activity3"));
  EXPECT_EQ(ActivityRegistry::builder().build().count(), 0u);
}

TEST(UnitActivityRegistry, ActivitiesAreAlwaysVersion1AndLatest) {
  auto reg = ActivityRegistry::builder().add("A", activity_returning("ok")).build();
  EXPECT_EQ(version_texts(reg.list_versions("A")), (std::vector<std::string>{"1.0.0"}));
  auto resolved = reg.resolve_handler("A");
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->version.to_string(), "1.0.0");
  auto ctx = test_activity_context();
  EXPECT_EQ(resolved->handler(ctx, ""), "ok");
}

TEST(UnitActivityRegistry, DuplicatesAndMergeCollisionsAreRecorded) {
  auto dup = ActivityRegistry::builder()
                 .add("activity1", activity_returning("a"))
                 .add("activity1", activity_returning("b"))
                 .build_result();
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().find("duplicate activity registration"), std::string::npos) << dup.error();
  auto one = ActivityRegistry::builder().add("activity1", activity_returning("a")).build();
  auto merged = ActivityRegistry::builder().merge(one).merge(one).build_result();
  ASSERT_FALSE(merged.has_value());
  EXPECT_NE(merged.error().find("duplicate activity in merge"), std::string::npos) << merged.error();
}

TEST(UnitActivityRegistry, ReservedPrefixIsRejectedIncludingBuiltinNames) {
  for (const char* name : {"__duroxide_syscall:evil", "__duroxide_syscall:new_guid"}) {
    auto builder = ActivityRegistry::builder().add(name, activity_returning("x")).add("ok", activity_returning("y"));
    auto result = builder.build_result();
    ASSERT_FALSE(result.has_value()) << name;
    EXPECT_NE(result.error().find("uses reserved prefix"), std::string::npos) << result.error();
    EXPECT_NE(result.error().find("__duroxide_syscall:"), std::string::npos) << result.error();
    auto built = builder.build();
    EXPECT_FALSE(built.has(name));
    EXPECT_TRUE(built.has("ok"));
  }
}

TEST(UnitActivityRegistry, TypedActivityDecodesAndEncodes) {
  auto reg = ActivityRegistry::builder()
                 .add_typed("Double", [](ActivityContext&, int x) -> Result<int> { return x * 2; })
                 .add_typed("Sku", [](ActivityContext&, Order o) -> Result<std::string> { return o.sku; })
                 .build();
  auto ctx = test_activity_context();
  EXPECT_EQ(reg.resolve_handler("Double")->version.to_string(), "1.0.0");
  EXPECT_EQ(reg.resolve_handler("Double")->handler(ctx, "21"), "42");
  EXPECT_EQ(reg.resolve_handler("Sku")->handler(ctx, R"({"sku":"w","qty":1})"), "w");
  auto bad = reg.resolve_handler("Double")->handler(ctx, "\"x\"");
  EXPECT_FALSE(bad.has_value()) << "an undecodable input fails the activity";
}

TEST(UnitActivityContext, ExposesMetadataCancellationAndTraces) {
  std::stop_source stop;
  std::vector<std::string> traces;
  ActivityContext ctx(ActivityContext::Info{"inst", 3, "Orch", "2.0.0", "Act", 7, "work-0-ab", "s1", "gpu"},
                      stop.get_token(), [&](const ActivityContext::Info& info, const ActivityTraceRecord& r) {
                        traces.push_back(info.activity_name + ":" + r.level + ":" + r.message);
                      });
  EXPECT_EQ(ctx.instance_id(), "inst");
  EXPECT_EQ(ctx.execution_id(), 3u);
  EXPECT_EQ(ctx.orchestration_name(), "Orch");
  EXPECT_EQ(ctx.orchestration_version(), "2.0.0");
  EXPECT_EQ(ctx.activity_name(), "Act");
  EXPECT_EQ(ctx.activity_id(), 7u);
  EXPECT_EQ(ctx.worker_id(), "work-0-ab");
  EXPECT_EQ(ctx.session_id(), "s1");
  EXPECT_EQ(ctx.tag(), "gpu");
  EXPECT_FALSE(ctx.is_cancelled());
  stop.request_stop();
  EXPECT_TRUE(ctx.is_cancelled());
  EXPECT_TRUE(ctx.stop_token().stop_requested());
  ctx.trace_info("a");
  ctx.trace_warn("b");
  ctx.trace_error("c");
  ctx.trace_debug("d");
  EXPECT_EQ(traces, (std::vector<std::string>{"Act:info:a", "Act:warn:b", "Act:error:c", "Act:debug:d"}));
}
