// Mirrors duroxide's tests/async_block_tests.rs: Task coroutines (C++'s async blocks) composed with join/select,
// including sub-orchestrations inside the blocks.
#include <gtest/gtest.h>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Work", [](ActivityContext&, std::string input) -> Result<std::string> { return "work:" + input; })
      .add("Process", [](ActivityContext&, std::string input) -> Result<std::string> { return "processed:" + input; })
      .add("Delayed",
           [](ActivityContext& ctx, std::string input) -> Result<std::string> {
             const auto colon = input.find(':');
             const int ms = std::stoi(input.substr(colon + 1));
             for (int waited = 0; waited < ms && !ctx.is_cancelled(); waited += 5) {
               std::this_thread::sleep_for(std::chrono::milliseconds(5));
             }
             return input.substr(0, colon);
           })
      .build();
}

using Text = Result<std::string>;

Task<Text> branchy(OrchestrationContext ctx) {
  auto first = co_await ctx.schedule_activity("Work", "a");
  if (first && first->starts_with("work:")) {
    auto second = co_await ctx.schedule_activity("Work", "b");
    co_return "if:" + second.value_or("?");
  }
  co_return std::string("else");
}
Task<Text> looping(OrchestrationContext ctx) {
  std::string out;
  for (int i = 0; i < 3; ++i) out += (co_await ctx.schedule_activity("Work", std::to_string(i))).value_or("?") + ";";
  co_return "loop:" + out;
}
Task<Text> timer_then_work(OrchestrationContext ctx) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(20));
  auto r = co_await ctx.schedule_activity("Work", "after-timer");
  co_return "timer:" + r.value_or("?");
}
Task<Text> join_with_control_flow(OrchestrationContext ctx, std::string) {
  auto all = co_await OrchestrationContext::join3(branchy(ctx), looping(ctx), timer_then_work(ctx));
  co_return std::get<0>(all).value_or("?") + "|" + std::get<1>(all).value_or("?") + "|" +
      std::get<2>(all).value_or("?");
}

Task<Text> delayed_block(OrchestrationContext ctx, int index, int ms) {
  auto r = co_await ctx.schedule_activity("Delayed", "r" + std::to_string(index) + ":" + std::to_string(ms));
  co_return r.value_or("?");
}
Task<Text> join_many(OrchestrationContext ctx, std::string) {
  std::vector<Task<Text>> blocks;
  for (int i = 0; i < 5; ++i) blocks.push_back(delayed_block(ctx, i, 50 - 10 * i));
  std::string out;
  for (auto& r : co_await OrchestrationContext::join(std::move(blocks))) out += r.value_or("?") + ",";
  co_return out;
}

Task<Text> step(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Process", input);
  co_return r.value_or("?");
}
Task<Text> sequential(OrchestrationContext ctx, std::string) {
  auto a = co_await step(ctx, "1");
  auto b = co_await step(ctx, a.value_or("?"));
  auto c = co_await step(ctx, b.value_or("?"));
  co_return "final:" + c.value_or("?");
}

Task<Text> two_delayed(OrchestrationContext ctx, const char* label, int ms) {
  auto a = co_await ctx.schedule_activity("Delayed", std::string(label) + "1:" + std::to_string(ms));
  auto b = co_await ctx.schedule_activity("Delayed", std::string(label) + "2:" + std::to_string(ms));
  co_return a.value_or("?") + "+" + b.value_or("?");
}
// The losers below take ten minutes (the runtime stops them at the end of the test): the winners need
// several activity round trips, which a loaded machine can stretch past a head start of 0.5 to 3 s.
constexpr int kSlowMs = 600'000;

Task<Text> select_racing(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(two_delayed(ctx, "fast", 0), two_delayed(ctx, "slow", kSlowMs));
  co_return race.is_first() ? "winner:0," + race.first_value().value_or("?") : "winner:1";
}

Task<Text> quick_wrapper(OrchestrationContext ctx) {
  auto r = co_await ctx.schedule_activity("Work", "quick");
  co_return r.value_or("?");
}
Task<Text> vs_durable_future(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(quick_wrapper(ctx), two_delayed(ctx, "multi", kSlowMs));
  co_return race.is_first() ? "winner:0" : "winner:1";
}

Task<Text> gated(OrchestrationContext ctx, const char* label, std::chrono::milliseconds delay) {
  co_await ctx.schedule_timer(delay);
  auto r = co_await ctx.schedule_activity("Work", label);
  co_return std::string(label) + ":" + r.value_or("?");
}
Task<Text> select3_timers(OrchestrationContext ctx, std::string) {
  // The losers wait minutes, not a tenth of a second: on a loaded machine A's activity can take longer
  // than a short head start, and the race would then go to whichever timer fired in the same turn.
  using std::chrono::milliseconds, std::chrono::minutes;
  auto race = co_await OrchestrationContext::select3(gated(ctx, "A", milliseconds(10)), gated(ctx, "B", minutes(20)),
                                                     gated(ctx, "C", minutes(10)));
  if (race.index() != 0) co_return "winner:" + std::to_string(race.index());
  co_return "winner:0," + race.first_value().value_or("?");
}

// An hour, so that the join wins however slow the machine is.
Task<Text> long_timer_block(OrchestrationContext ctx) {
  co_await ctx.schedule_timer(std::chrono::hours(1));
  co_return std::string("timer");
}
Task<Text> joined_steps(OrchestrationContext ctx) {
  auto all = co_await OrchestrationContext::join3(ctx.schedule_activity("Work", "step:1"),
                                                  ctx.schedule_activity("Work", "step:2"),
                                                  ctx.schedule_activity("Work", "step:3"));
  co_return std::get<0>(all).value_or("?") + "," + std::get<1>(all).value_or("?") + "," +
      std::get<2>(all).value_or("?");
}
Task<Text> nested_join_in_select(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(long_timer_block(ctx), joined_steps(ctx));
  co_return race.is_second() ? "join:" + race.second_value().value_or("?") : "timer";
}

// Children.
Task<Text> fast_child(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Work", input);
  co_return "child:" + r.value_or("?");
}
Task<Text> slow_child(OrchestrationContext ctx, std::string) {
  auto a = co_await ctx.schedule_activity("Delayed", "s1:" + std::to_string(kSlowMs));
  auto b = co_await ctx.schedule_activity("Delayed", "s2:" + std::to_string(kSlowMs));
  co_return "slow:" + a.value_or("?") + b.value_or("?");
}
Task<Text> child_with_timer(OrchestrationContext ctx, std::string input) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(20));
  co_return "timer-child:" + input;
}
Task<Text> grandchild(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Work", input);
  co_return "grandchild:" + r.value_or("?");
}
Task<Text> chain_child(OrchestrationContext ctx, std::string input) {
  auto both = co_await OrchestrationContext::join2(ctx.schedule_sub_orchestration("Grandchild", "leaf:" + input),
                                                   ctx.schedule_activity("Work", "leaf:" + input));
  co_return "child:[" + std::get<0>(both).value_or("?") + "," + std::get<1>(both).value_or("?") + "]";
}

Task<Text> child_and_activity(OrchestrationContext ctx) {
  auto child = co_await ctx.schedule_sub_orchestration("FastChild", "c");
  auto work = co_await ctx.schedule_activity("Work", "w");
  co_return child.value_or("?") + "&" + work.value_or("?");
}
Task<Text> sub_wins(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(child_and_activity(ctx), two_delayed(ctx, "slow", kSlowMs));
  co_return race.is_first() ? "winner:0," + race.first_value().value_or("?") : "winner:1";
}

Task<Text> awaits_slow_child(OrchestrationContext ctx) {
  auto r = co_await ctx.schedule_sub_orchestration("SlowChild", "");
  co_return r.value_or("?");
}
Task<Text> sub_loses(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(awaits_slow_child(ctx), two_delayed(ctx, "fast", 0));
  co_return race.is_second() ? "winner:1," + race.second_value().value_or("?") : "winner:0";
}

Task<Text> call_child(OrchestrationContext ctx, const char* name, const char* input) {
  auto r = co_await ctx.schedule_sub_orchestration(name, input);
  co_return r.value_or("?");
}
Task<Text> multiple_children(OrchestrationContext ctx, std::string) {
  auto all = co_await OrchestrationContext::join3(call_child(ctx, "FastChild", "A"), call_child(ctx, "FastChild", "B"),
                                                  call_child(ctx, "ChildWithTimer", "C"));
  co_return "block1=" + std::get<0>(all).value_or("?") + ";block2=" + std::get<1>(all).value_or("?") +
      ";block3=" + std::get<2>(all).value_or("?");
}

Task<Text> racing_timeout(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select3(call_child(ctx, "FastChild", "fast"), awaits_slow_child(ctx),
                                                     long_timer_block(ctx));
  co_return "winner:" + std::to_string(race.index());
}

Task<Text> nested_chain(OrchestrationContext ctx, std::string) {
  auto both =
      co_await OrchestrationContext::join2(call_child(ctx, "ChainChild", "1"), call_child(ctx, "ChainChild", "2"));
  co_return std::get<0>(both).value_or("?") + "|" + std::get<1>(both).value_or("?");
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("JoinWithControlFlow", join_with_control_flow)
      .add("JoinMany", join_many)
      .add("Sequential", sequential)
      .add("SelectRacing", select_racing)
      .add("VsDurableFuture", vs_durable_future)
      .add("Select3Timers", select3_timers)
      .add("NestedJoinInSelect", nested_join_in_select)
      .add("SubWins", sub_wins)
      .add("SubLoses", sub_loses)
      .add("MultipleChildren", multiple_children)
      .add("RacingTimeout", racing_timeout)
      .add("NestedChain", nested_chain)
      .add("FastChild", fast_child)
      .add("SlowChild", slow_child)
      .add("ChildWithTimer", child_with_timer)
      .add("Grandchild", grandchild)
      .add("ChainChild", chain_child)
      .build();
}

RuntimeOptions options() {
  RuntimeOptions o = fast_options();
  o.activity_cancellation_grace_period = std::chrono::milliseconds(200);
  o.worker_concurrency = 4;
  return o;
}

std::string child_instance_of(E2eEnv& env, const std::string& parent, const std::string& child_name) {
  for (const auto& e : env.history(parent)) {
    if (const auto* s = e.get_if<events::SubOrchestrationScheduled>(); s != nullptr && s->name == child_name) {
      return build_child_instance_id(parent, s->instance);
    }
  }
  return "";
}

TEST(E2eAsyncBlock, async_block_join_with_control_flow) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "JoinWithControlFlow", ""));
  const auto output = env.output_of("b");
  EXPECT_NE(output.find("if:work:b"), std::string::npos) << output;
  EXPECT_NE(output.find("loop:work:0;work:1;work:2;"), std::string::npos) << output;
  EXPECT_NE(output.find("timer:work:after-timer"), std::string::npos) << output;
}

TEST(E2eAsyncBlock, async_block_join_many) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "JoinMany", ""));
  EXPECT_EQ(env.output_of("b"), "r0,r1,r2,r3,r4,");
}

TEST(E2eAsyncBlock, async_block_sequential) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "Sequential", ""));
  const auto output = env.output_of("b");
  EXPECT_TRUE(output.starts_with("final:")) << output;
  EXPECT_NE(output.find("processed:"), std::string::npos);
}

TEST(E2eAsyncBlock, async_block_select_racing) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "SelectRacing", ""));
  EXPECT_EQ(env.output_of("b"), "winner:0,fast1+fast2");
}

TEST(E2eAsyncBlock, async_block_vs_durable_future) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "VsDurableFuture", ""));
  EXPECT_EQ(env.output_of("b"), "winner:0");
}

TEST(E2eAsyncBlock, async_block_select3_with_timers) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "Select3Timers", ""));
  const auto output = env.output_of("b");
  EXPECT_TRUE(output.starts_with("winner:0")) << output;
  EXPECT_NE(output.find("A:work:A"), std::string::npos) << output;
}

TEST(E2eAsyncBlock, async_block_nested_join_in_select) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "NestedJoinInSelect", ""));
  EXPECT_EQ(env.output_of("b"), "join:work:step:1,work:step:2,work:step:3");
}

TEST(E2eAsyncBlock, async_block_suborchestration_wins_race) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "SubWins", ""));
  EXPECT_EQ(env.output_of("b"), "winner:0,child:work:c&work:w");
  const auto child = child_instance_of(env, "b", "FastChild");
  EXPECT_TRUE(env.wait(child).is_completed()) << child;
}

TEST(E2eAsyncBlock, async_block_suborchestration_loses_race) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "SubLoses", ""));
  EXPECT_EQ(env.output_of("b"), "winner:1,fast1+fast2");
  const auto child = child_instance_of(env, "b", "SlowChild");
  ASSERT_FALSE(child.empty());
  auto status = env.client.get_orchestration_status(child);
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->is_completed()) << "the losing child must not complete";
}

TEST(E2eAsyncBlock, async_block_multiple_suborchestrations_joined) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "MultipleChildren", ""));
  EXPECT_EQ(env.output_of("b"), "block1=child:work:A;block2=child:work:B;block3=timer-child:C");
}

TEST(E2eAsyncBlock, async_block_suborchestration_racing_timeout) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "RacingTimeout", ""));
  EXPECT_EQ(env.output_of("b"), "winner:0");
  const auto slow = child_instance_of(env, "b", "SlowChild");
  ASSERT_FALSE(slow.empty());
  auto status = env.client.get_orchestration_status(slow);
  ASSERT_TRUE(status);
  EXPECT_FALSE(status->is_completed());
}

TEST(E2eAsyncBlock, async_block_nested_suborchestration_chain) {
  E2eEnv env(activities(), orchestrations(), options());
  ASSERT_TRUE(env.client.start_orchestration("b", "NestedChain", ""));
  EXPECT_EQ(env.output_of("b"),
            "child:[grandchild:work:leaf:1,work:leaf:1]|child:[grandchild:work:leaf:2,work:leaf:2]");
}

}  // namespace
}  // namespace duroxide::testing
