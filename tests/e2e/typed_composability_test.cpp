// Mirrors duroxide's tests/typed_composability_tests.rs: typed activity futures composed with join, select and map.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

struct Operands {
  int a = 0;
  int b = 0;
};
void to_json(nlohmann::json& j, const Operands& o) { j = nlohmann::json{{"a", o.a}, {"b", o.b}}; }
void from_json(const nlohmann::json& j, Operands& o) {
  o.a = j.at("a").get<int>();
  o.b = j.at("b").get<int>();
}

struct Sum {
  int sum = 0;
};
void to_json(nlohmann::json& j, const Sum& s) { j = nlohmann::json{{"sum", s.sum}}; }
void from_json(const nlohmann::json& j, Sum& s) { s.sum = j.at("sum").get<int>(); }

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add_typed("Add", [](ActivityContext&, Operands o) -> Result<int> { return o.a + o.b; })
      .add_typed("Mul", [](ActivityContext&, Operands o) -> Result<int> { return o.a * o.b; })
      .add_typed("AddStruct", [](ActivityContext&, Operands o) -> Result<Sum> { return Sum{o.a + o.b}; })
      .add_typed("SlowAdd",
                 [](ActivityContext& ctx, Operands o) -> Result<int> {
                   // Runs until cancelled (capped at 20 s) so the short timers it races always win.
                   for (int i = 0; i < 4000 && !ctx.is_cancelled(); ++i) {
                     std::this_thread::sleep_for(std::chrono::milliseconds(5));
                   }
                   return o.a + o.b;
                 })
      .add_typed("FailDiv",
                 [](ActivityContext&, Operands o) -> Result<int> {
                   if (o.b == 0) return Err("division by zero");
                   return o.a / o.b;
                 })
      .add("Double",
           [](ActivityContext&, std::string n) -> Result<std::string> { return std::to_string(2 * std::stoi(n)); })
      .build();
}

Task<Result<std::string>> fan_out(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<int>>> sums;
  for (int scale : {1, 10, 100}) sums.push_back(ctx.schedule_activity_typed<int>("Add", Operands{scale, 2 * scale}));
  int total = 0;
  for (auto& r : co_await OrchestrationContext::join(std::move(sums))) total += r.value_or(-1000);
  co_return std::to_string(total);
}
Task<Result<std::string>> heterogeneous(OrchestrationContext ctx, std::string) {
  auto both = co_await OrchestrationContext::join2(ctx.schedule_activity_typed<int>("Add", Operands{5, 3}),
                                                   ctx.schedule_activity_typed<int>("Mul", Operands{5, 3}));
  co_return "sum=" + std::to_string(std::get<0>(both).value_or(-1)) +
      ",product=" + std::to_string(std::get<1>(both).value_or(-1));
}
Task<Result<std::string>> select_timeout(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(ctx.schedule_activity_typed<int>("SlowAdd", Operands{1, 2}),
                                                     ctx.schedule_timer(std::chrono::milliseconds(10)));
  if (race.is_second()) co_return "timeout";
  co_return "completed:" + std::to_string(race.first_value().value_or(-1));
}
Task<Result<std::string>> mapped(OrchestrationContext ctx, std::string) {
  auto plus_one = ctx.schedule_activity("Double", "21").map([](Result<std::string> r) -> Result<int> {
    if (!r) return Err(r.error());
    return std::stoi(*r) + 1;
  });
  auto value = co_await std::move(plus_one);
  co_return std::to_string(value.value_or(-1));
}
Task<Result<std::string>> map_then_join(OrchestrationContext ctx, std::string) {
  auto to_sum = [](Result<Sum> r) -> int { return r ? r->sum : -1000; };
  auto a = ctx.schedule_activity_typed<Sum>("AddStruct", Operands{1, 2}).map(to_sum);
  auto b = ctx.schedule_activity_typed<Sum>("AddStruct", Operands{10, 20}).map(to_sum);
  auto both = co_await OrchestrationContext::join2(std::move(a), std::move(b));
  co_return std::to_string(std::get<0>(both) + std::get<1>(both));
}
Task<Result<std::string>> mapped_loser(OrchestrationContext ctx, std::string) {
  auto slow =
      ctx.schedule_activity_typed<int>("SlowAdd", Operands{1, 1}).map([](Result<int> r) { return r.value_or(0); });
  auto race =
      co_await OrchestrationContext::select2(std::move(slow), ctx.schedule_timer(std::chrono::milliseconds(50)));
  co_return race.is_second() ? "cancelled" : "finished";
}
Task<Result<std::string>> errors_through_join(OrchestrationContext ctx, std::string) {
  auto both = co_await OrchestrationContext::join2(ctx.schedule_activity_typed<int>("FailDiv", Operands{10, 2}),
                                                   ctx.schedule_activity_typed<int>("FailDiv", Operands{10, 0}));
  co_return "ok=" + std::to_string(std::get<0>(both).value_or(-1)) + ",err=" + std::get<1>(both).error();
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("FanOut", fan_out)
      .add("Heterogeneous", heterogeneous)
      .add("SelectTimeout", select_timeout)
      .add("Mapped", mapped)
      .add("MapThenJoin", map_then_join)
      .add("MappedLoser", mapped_loser)
      .add("ErrorsThroughJoin", errors_through_join)
      .build();
}

std::string run(const std::string& name) {
  RuntimeOptions options = fast_options();
  options.activity_cancellation_grace_period = std::chrono::milliseconds(100);
  E2eEnv env(activities(), orchestrations(), options);
  EXPECT_TRUE(env.client.start_orchestration("t", name, ""));
  return env.output_of("t");
}

TEST(E2eTypedComposability, typed_activity_join_fan_out) { EXPECT_EQ(run("FanOut"), "333"); }
TEST(E2eTypedComposability, typed_activity_join2_heterogeneous) { EXPECT_EQ(run("Heterogeneous"), "sum=8,product=15"); }
TEST(E2eTypedComposability, typed_activity_select2_timeout) { EXPECT_EQ(run("SelectTimeout"), "timeout"); }
TEST(E2eTypedComposability, durable_future_map_transforms_result) { EXPECT_EQ(run("Mapped"), "43"); }
TEST(E2eTypedComposability, typed_map_then_join) { EXPECT_EQ(run("MapThenJoin"), "33"); }
TEST(E2eTypedComposability, map_preserves_cancellation_on_drop) { EXPECT_EQ(run("MappedLoser"), "cancelled"); }
TEST(E2eTypedComposability, typed_error_propagation_through_join) {
  EXPECT_EQ(run("ErrorsThroughJoin"), "ok=5,err=division by zero");
}

}  // namespace
}  // namespace duroxide::testing
