// Mirrors duroxide's tests/tag_serde_tests.rs (18): activity routing tags (DurableFuture::with_tag, TagFilter,
// ActivityContext::tag()) end to end, and the JSON round-trips of tagged ActivityScheduled /
// ActivityExecute and of the KV event kinds through the wire codec (include/duroxide/wire.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>

#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------- wire round-trips

Event event_of(EventKind kind) {
  Event e;
  e.event_id = 2;
  e.instance_id = "i";
  e.execution_id = 1;
  e.timestamp_ms = 1700000000000;
  e.duroxide_version = "0.1.27";
  e.kind = std::move(kind);
  return e;
}

/// duroxide writes an event as one flat object: the common fields, then "type" and the kind's
/// own fields. A kind literal (`{"type":...}`) is therefore the kind part of an event object;
/// this adds the common fields in front of it.
std::string event_json_with_kind(std::string_view kind_json) {
  EXPECT_EQ(kind_json.front(), '{');
  return R"({"event_id":2,"source_event_id":null,"instance_id":"i","execution_id":1,"timestamp_ms":1,)"
         R"("duroxide_version":"0.1.27",)" +
         std::string(kind_json.substr(1));
}

events::ActivityScheduled build_scheduled(std::optional<std::string> tag) {
  return events::ActivityScheduled{"Build", "{}", std::nullopt, std::move(tag)};
}

work_items::ActivityExecute build_execute(std::optional<std::string> tag) {
  return work_items::ActivityExecute{"i", 1, 1, "Build", "{}", std::nullopt, std::move(tag)};
}

TEST(E2eTag, activity_scheduled_with_tag_roundtrips) {
  const std::string json = serialize_event(event_of(build_scheduled("gpu")));
  auto parsed = parse_event(json);
  ASSERT_TRUE(parsed) << parsed.error();
  const auto* scheduled = parsed->get_if<events::ActivityScheduled>();
  ASSERT_NE(scheduled, nullptr) << json;
  EXPECT_EQ(scheduled->tag, "gpu");
  EXPECT_NE(json.find(R"("tag":"gpu")"), std::string::npos) << json;
}

TEST(E2eTag, activity_scheduled_none_tag_omitted_in_json) {
  const std::string json = serialize_event(event_of(build_scheduled(std::nullopt)));
  EXPECT_EQ(json.find("\"tag\""), std::string::npos) << json;
}

TEST(E2eTag, activity_scheduled_missing_tag_deserializes_as_none) {
  auto parsed = parse_event(event_json_with_kind(R"({"type":"ActivityScheduled","name":"Build","input":"{}"})"));
  ASSERT_TRUE(parsed) << parsed.error();
  const auto* scheduled = parsed->get_if<events::ActivityScheduled>();
  ASSERT_NE(scheduled, nullptr);
  EXPECT_EQ(scheduled->name, "Build");
  EXPECT_EQ(scheduled->tag, std::nullopt);
}

TEST(E2eTag, work_item_activity_execute_with_tag_roundtrips) {
  const WorkItem item = build_execute("gpu");
  const std::string json = serialize_work_item(item);
  auto parsed = parse_work_item(json);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(*parsed, item) << json;
}

TEST(E2eTag, work_item_activity_execute_none_tag_omitted_in_json) {
  const std::string json = serialize_work_item(WorkItem{build_execute(std::nullopt)});
  EXPECT_EQ(json.find("\"tag\""), std::string::npos) << json;
}

TEST(E2eTag, work_item_activity_execute_missing_tag_deserializes_as_none) {
  auto parsed =
      parse_work_item(R"({"ActivityExecute":{"instance":"i","execution_id":1,"id":1,"name":"Build","input":"{}"}})");
  ASSERT_TRUE(parsed) << parsed.error();
  const auto* execute = std::get_if<work_items::ActivityExecute>(&*parsed);
  ASSERT_NE(execute, nullptr);
  EXPECT_EQ(execute->tag, std::nullopt);
  EXPECT_EQ(*execute, build_execute(std::nullopt));
}

TEST(E2eTag, kv_event_kinds_roundtrip) {
  for (const EventKind& kind :
       {EventKind{events::KeyValueSet{"k", "v", 1700000000001}}, EventKind{events::KeyValueCleared{"k"}}}) {
    const Event original = event_of(kind);
    const std::string json = serialize_event(original);
    auto parsed = parse_event(json);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(*parsed, original) << json;
  }
}

TEST(E2eTag, kv_event_kinds_backward_compat) {
  auto set = parse_event(event_json_with_kind(R"({"type":"KeyValueSet","key":"k","value":"v"})"));
  ASSERT_TRUE(set) << set.error();
  const auto* kv = set->get_if<events::KeyValueSet>();
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->key, "k");
  EXPECT_EQ(kv->value, "v");
  EXPECT_EQ(kv->last_updated_at_ms, 0u);  // absent in older histories

  auto cleared = parse_event(event_json_with_kind(R"({"type":"KeyValueCleared","key":"k"})"));
  ASSERT_TRUE(cleared) << cleared.error();
  ASSERT_TRUE(cleared->is<events::KeyValueCleared>());
  EXPECT_EQ(cleared->get_if<events::KeyValueCleared>()->key, "k");

  auto all_cleared = parse_event(event_json_with_kind(R"({"type":"KeyValuesCleared"})"));
  ASSERT_TRUE(all_cleared) << all_cleared.error();
  EXPECT_TRUE(all_cleared->is<events::KeyValuesCleared>());
}

// ---------------------------------------------------------------- orchestrations

Task<Result<std::string>> gpu_then_untagged_race(OrchestrationContext ctx, std::string) {
  auto gpu = co_await ctx.schedule_activity("Compute", "gpu-work").with_tag("gpu");
  if (!gpu) co_return Err(gpu.error());
  auto race = co_await OrchestrationContext::select2(ctx.schedule_activity("Compute", "default-work"),
                                                     ctx.schedule_timer(500ms));
  std::string untagged = "untagged_timed_out";
  if (race.is_first()) untagged = race.first_value() ? "untagged_completed" : "untagged_error";
  co_return *gpu + "|" + untagged;
}

Task<Result<std::string>> one_tagged(OrchestrationContext ctx, std::string input) {
  // "<activity>|<tag>|<activity input>"
  const auto first = input.find('|');
  const auto second = input.find('|', first + 1);
  auto r = co_await ctx.schedule_activity(input.substr(0, first), input.substr(second + 1))
               .with_tag(input.substr(first + 1, second - first - 1));
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> tag_of_length(OrchestrationContext ctx, std::string bytes) {
  auto r = co_await ctx.schedule_activity("Work", "data").with_tag(std::string(std::stoul(bytes), 'x'));
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> gpu_starvation(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(ctx.schedule_activity("GpuRender", "frame1").with_tag("gpu"),
                                                     ctx.schedule_timer(500ms));
  if (race.is_second()) co_return "timeout:no_gpu_worker";
  auto& r = race.first_value();
  if (!r) co_return Err("activity_error:" + r.error());
  co_return "completed:" + *r;
}

Task<Result<std::string>> untagged_echo(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("EchoTag", "");
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> can_then_tagged(OrchestrationContext ctx, std::string input) {
  const int count = std::stoi(input);
  if (count < 1) co_await ctx.continue_as_new("1");
  auto r = co_await ctx.schedule_activity("GpuWork", "iter" + std::to_string(count)).with_tag("gpu");
  if (!r) co_return Err(r.error());
  co_return *r;
}

Task<Result<std::string>> cpu_then_gpu(OrchestrationContext ctx, std::string) {
  auto cpu = co_await ctx.schedule_activity("Work", "cpu");
  if (!cpu) co_return Err(cpu.error());
  auto gpu = co_await ctx.schedule_activity("Work", "gpu").with_tag("gpu");
  if (!gpu) co_return Err(gpu.error());
  co_return *cpu + "|" + *gpu;
}

Task<Result<std::string>> tagged_loses_to_timer(OrchestrationContext ctx, std::string) {
  auto race = co_await OrchestrationContext::select2(ctx.schedule_activity("SlowGpu", "data").with_tag("gpu"),
                                                     ctx.schedule_timer(200ms));
  if (race.is_second()) co_return "timeout_won";
  auto& r = race.first_value();
  if (!r) co_return Err(r.error());
  co_return "gpu_won:" + *r;
}

/// Drops a running tagged activity: it waits until the activity itself reports that it started.
Task<Result<std::string>> drops_running_tagged(OrchestrationContext ctx, std::string) {
  auto gpu = ctx.schedule_activity("SignalsThenWaits", "").with_tag("gpu");
  (void)co_await ctx.schedule_wait("activity-started");
  co_return "dropped";
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("TagTest", gpu_then_untagged_race)
      .add("OneTagged", one_tagged)
      .add("TagOfLength", tag_of_length)
      .add("StarvationTest", gpu_starvation)
      .add("UntaggedEcho", untagged_echo)
      .add("CanTagOrch", can_then_tagged)
      .add("TwoPoolOrch", cpu_then_gpu)
      .add("CancelTagOrch", tagged_loses_to_timer)
      .add("DropsRunningTagged", drops_running_tagged)
      .build();
}

std::function<Result<std::string>(ActivityContext&, std::string)> prefix(std::string p) {
  return [p = std::move(p)](ActivityContext&, std::string input) -> Result<std::string> { return p + input; };
}

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Compute", prefix("computed:"))
      .add("GpuTask", prefix("gpu:"))
      .add("GpuRender", prefix("rendered:"))
      .add("GpuWork", prefix("gpu:"))
      .add("Work", prefix("done:"))
      .add("EchoTag",
           [](ActivityContext& ctx, std::string) -> Result<std::string> { return ctx.tag().value_or("none"); })
      .add("SignalsThenWaits",
           [](ActivityContext& ctx, std::string) -> Result<std::string> {
             (void)ctx.get_client().raise_event(ctx.instance_id(), "activity-started", "");
             (void)wait_for_stop(ctx, 20s);
             return std::string("finished after stop");
           })
      .add("SlowGpu",
           [](ActivityContext& ctx, std::string) -> Result<std::string> {
             // Runs until told to stop (the orchestration drops it), bounded so nothing hangs.
             (void)wait_for_stop(ctx, 20s);
             return std::string("should_not_reach");
           })
      .build();
}

RuntimeOptions with_filter(TagFilter filter) {
  RuntimeOptions options = fast_options();
  options.worker_tag_filter = std::move(filter);
  return options;
}

// ---------------------------------------------------------------- end to end

TEST(E2eTag, e2e_tagged_activity_runs_on_matching_worker) {
  E2eEnv env(activities(), orchestrations(), with_filter(TagFilter::tags({"gpu"})));
  ASSERT_TRUE(env.client.start_orchestration("tag-e2e-1", "TagTest", ""));
  EXPECT_EQ(env.output_of("tag-e2e-1"), "computed:gpu-work|untagged_timed_out");
}

TEST(E2eTag, e2e_with_tag_persists_tag_in_event_history) {
  E2eEnv env(activities(), orchestrations(), with_filter(TagFilter::default_and({"gpu"})));
  ASSERT_TRUE(env.client.start_orchestration("tag-e2e-2", "OneTagged", "GpuTask|gpu|frame1"));
  EXPECT_EQ(env.output_of("tag-e2e-2"), "gpu:frame1");
  const auto history = env.history("tag-e2e-2");
  EXPECT_TRUE(std::any_of(history.begin(), history.end(), [](const Event& e) {
    const auto* s = e.get_if<events::ActivityScheduled>();
    return s != nullptr && s->tag == "gpu";
  })) << serialize_history(history);
}

TEST(E2eTag, e2e_tagged_activity_starvation_times_out) {
  E2eEnv env(activities(), orchestrations(), with_filter(TagFilter::default_only()));
  ASSERT_TRUE(env.client.start_orchestration("starvation-1", "StarvationTest", ""));
  EXPECT_EQ(env.output_of("starvation-1"), "timeout:no_gpu_worker");
}

TEST(E2eTag, e2e_oversized_tag_fails_orchestration) {
  E2eEnv env(activities(), orchestrations(), with_filter(TagFilter::any()));
  ASSERT_TRUE(env.client.start_orchestration("oversized-1", "TagOfLength", std::to_string(kMaxTagNameBytes + 1)));
  const auto status = env.wait("oversized-1");
  ASSERT_TRUE(status.is_failed()) << status.name();
  const auto message = status.get_if<status::Failed>()->details.display_message();
  EXPECT_NE(message.find("tag size"), std::string::npos) << message;
  EXPECT_NE(message.find("exceeds limit"), std::string::npos) << message;
}

TEST(E2eTag, e2e_tag_at_boundary_succeeds) {
  E2eEnv env(activities(), orchestrations(), with_filter(TagFilter::any()));
  ASSERT_TRUE(env.client.start_orchestration("boundary-1", "TagOfLength", std::to_string(kMaxTagNameBytes)));
  EXPECT_EQ(env.output_of("boundary-1"), "done:data");
}

TEST(E2eTag, e2e_activity_context_tag_visible_in_handler) {
  E2eEnv env(activities(), orchestrations(), with_filter(TagFilter::default_and({"gpu"})));
  ASSERT_TRUE(env.client.start_orchestration("echo-tag-1", "OneTagged", "EchoTag|gpu|"));
  EXPECT_EQ(env.output_of("echo-tag-1"), "gpu");
}

TEST(E2eTag, e2e_activity_context_tag_none_for_untagged) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("echo-tag-2", "UntaggedEcho", ""));
  EXPECT_EQ(env.output_of("echo-tag-2"), "none");
}

TEST(E2eTag, e2e_tag_routing_survives_continue_as_new) {
  E2eEnv env(activities(), orchestrations(), with_filter(TagFilter::default_and({"gpu"})));
  ASSERT_TRUE(env.client.start_orchestration("can-tag-1", "CanTagOrch", "0"));
  EXPECT_EQ(env.output_of("can-tag-1"), "gpu:iter1");
  const auto history = env.history("can-tag-1");  // the latest execution
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history.front().execution_id, 2u);
}

TEST(E2eTag, e2e_two_workers_different_tags_no_overlap) {
  // Each runtime's "Work" records which runtime ran which input.
  auto ran = std::make_shared<std::map<std::string, std::string>>();
  auto mutex = std::make_shared<std::mutex>();
  auto build = [&](std::string runtime) {
    return ActivityRegistry::builder()
        .add("Work",
             [ran, mutex, runtime](ActivityContext&, std::string input) -> Result<std::string> {
               std::lock_guard lock(*mutex);
               (*ran)[input] += runtime;
               return "done:" + input;
             })
        .build();
  };
  auto store = test_store();
  RuntimeOptions a_options = with_filter(TagFilter::default_only());
  RuntimeOptions b_options = with_filter(TagFilter::tags({"gpu"}));
  b_options.orchestration_concurrency = 0;  // worker-only
  auto rt_a = Runtime::start(store, build("A"), orchestrations(), a_options);
  auto rt_b = Runtime::start(store, build("B"), orchestrations(), b_options);
  Client client(store);
  ASSERT_TRUE(client.start_orchestration("two-pool-1", "TwoPoolOrch", ""));
  auto status = client.wait_for_orchestration("two-pool-1", 10s);
  rt_b->shutdown(5s);
  rt_a->shutdown(5s);
  ASSERT_TRUE(status) << status.error().to_string();
  const auto* done = status->get_if<status::Completed>();
  ASSERT_NE(done, nullptr) << status->name();
  EXPECT_EQ(done->output, "done:cpu|done:gpu");
  std::lock_guard lock(*mutex);
  EXPECT_EQ(*ran, (std::map<std::string, std::string>{{"cpu", "A"}, {"gpu", "B"}}));
}

TEST(E2eTag, e2e_dropped_tagged_future_triggers_cancellation) {
  RuntimeOptions options = with_filter(TagFilter::default_and({"gpu"}));
  options.activity_cancellation_grace_period = 100ms;
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("cancel-tag-1", "CancelTagOrch", ""));
  EXPECT_EQ(env.output_of("cancel-tag-1"), "timeout_won");
  // The dropped loser is cancelled: a dropped_future breadcrumb for the tagged activity.
  const auto history = env.history("cancel-tag-1");
  std::optional<std::uint64_t> scheduled_id;
  for (const auto& e : history) {
    const auto* s = e.get_if<events::ActivityScheduled>();
    if (s != nullptr && s->tag == "gpu") scheduled_id = e.event_id;
  }
  ASSERT_TRUE(scheduled_id);
  EXPECT_TRUE(std::any_of(history.begin(), history.end(), [&](const Event& e) {
    const auto* c = e.get_if<events::ActivityCancelRequested>();
    return c != nullptr && c->reason == "dropped_future" && e.source_event_id == scheduled_id;
  })) << serialize_history(history);
}

// Regression (no duroxide counterpart): an activity that honours its stop token returns right after
// the cancellation; its result must be discarded and the run counted as cancelled, not acked as a
// completion (which fails on the deleted row and was counted as an infrastructure error).
TEST(E2eTag, dropped_running_tagged_activity_is_counted_cancelled) {
  RuntimeOptions options = with_filter(TagFilter::default_and({"gpu"}));
  options.activity_cancellation_grace_period = 2s;
  options.worker_lock_timeout = 2s;  // lock stealing is noticed at the next renewal (1 s)
  E2eEnv env(activities(), orchestrations(), options);
  ASSERT_TRUE(env.client.start_orchestration("cancel-tag-2", "DropsRunningTagged", ""));
  EXPECT_EQ(env.output_of("cancel-tag-2"), "dropped");
  ASSERT_TRUE(wait_until([&] {
    const auto m = env.runtime->metrics_snapshot();
    return m.activity_cancelled + m.activity_success + m.activity_infra_errors >= 1;
  }));
  const auto m = env.runtime->metrics_snapshot();
  EXPECT_EQ(m.activity_cancelled, 1u);
  EXPECT_EQ(m.activity_success, 0u);
  EXPECT_EQ(m.activity_infra_errors, 0u);
}

}  // namespace
}  // namespace duroxide::testing
