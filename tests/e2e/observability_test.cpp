// Rows of duroxide's tests/observability_tests.rs: user traces with their correlation fields, the metrics
// snapshot, the labelled metrics a MetricsSink receives (MetricsRegistry), gauges, the
// instrumented provider, and the observability configuration.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

#include <duroxide/instrumented_provider.hpp>
#include <duroxide/logging.hpp>
#include <duroxide/sqlite_provider.hpp>

#include "logging/loggers.hpp"
#include "runtime/telemetry.hpp"
#include "support/e2e_support.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

// ---- log capture -------------------------------------------------------------------------------

/// Captures every log line of this process from now on, user traces down to debug.
std::shared_ptr<CaptureSink> capture_logs() {
  auto sink = attach_capture_sink();
  logging::orchestration().set_level(spdlog::level::debug);
  logging::activity().set_level(spdlog::level::debug);
  return sink;
}

// ---- orchestrations and activities -------------------------------------------------------------

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      .add("Fail", [](ActivityContext&, std::string) -> Result<std::string> { return Err("activity failed"); })
      .add("Traced",
           [](ActivityContext& ctx, std::string) -> Result<std::string> {
             ctx.trace_info("activity-info-line");
             ctx.trace_warn("activity-warn-line");
             ctx.trace_error("activity-error-line");
             ctx.trace_debug("activity-debug-line");
             return std::string("traced");
           })
      .add("Slow",
           [](ActivityContext&, std::string) -> Result<std::string> {
             std::this_thread::sleep_for(50ms);  // simulated work, so the duration is measurable
             return std::string("slow");
           })
      .build();
}

Task<Result<std::string>> hello(OrchestrationContext ctx, std::string input) {
  auto r = co_await ctx.schedule_activity("Echo", input);
  if (!r) co_return Err(r.error());
  co_return *r;
}
Task<Result<std::string>> failing(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Fail", "");
  if (!r) co_return Err("orchestration saw: " + r.error());
  co_return *r;
}
Task<Result<std::string>> calls_missing(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Missing", "");
  if (!r) co_return Err(r.error());
  co_return *r;
}
Task<Result<std::string>> traced_activity(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Traced", "");
  if (!r) co_return Err(r.error());
  co_return *r;
}
Task<Result<std::string>> traced_orchestration(OrchestrationContext ctx, std::string) {
  ctx.trace_info("orch-info-line");
  ctx.trace_warn("orch-warn-line");
  ctx.trace_error("orch-error-line");
  ctx.trace_debug("orch-debug-line");
  co_return "done";
}
Task<Result<std::string>> continue_once(OrchestrationContext ctx, std::string input) {
  if (input == "0") co_await ctx.continue_as_new("1");
  co_return "continued:" + input;
}
Task<Result<std::string>> slow_and_fast(OrchestrationContext ctx, std::string) {
  auto slow = co_await ctx.schedule_activity("Slow", "");
  auto fast = co_await ctx.schedule_activity("Echo", "fast");
  if (!slow || !fast) co_return Err("an activity failed");
  co_return *slow + "+" + *fast;
}
Task<Result<std::string>> parks_on_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(30s);
  co_return "woke";
}
Task<Result<std::string>> child(OrchestrationContext, std::string input) { co_return "child:" + input; }
Task<Result<std::string>> parent(OrchestrationContext ctx, std::string) {
  auto first = co_await ctx.schedule_sub_orchestration("Child", "a");
  auto second = co_await ctx.schedule_sub_orchestration("Child", "b");
  if (!first || !second) co_return Err("child failed");
  co_return *first + "," + *second;
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("Hello", hello)
      .add("Failing", failing)
      .add("CallsMissing", calls_missing)
      .add("TracedActivity", traced_activity)
      .add("TracedOrchestration", traced_orchestration)
      .add("ContinueOnce", continue_once)
      .add("SlowAndFast", slow_and_fast)
      .add("ParksOnTimer", parks_on_timer)
      .add("Child", child)
      .add("Parent", parent)
      .add_versioned("Versioned", "1.0.0", hello)
      .build();
}

/// Fast options with a MetricsRegistry attached; unregistered handlers poison after 3 fetches.
RuntimeOptions metered(const std::shared_ptr<MetricsRegistry>& registry) {
  RuntimeOptions options = fast_options();
  options.observability.metrics_sink = registry;
  options.max_attempts = 3;
  options.unregistered_backoff.base_delay = 10ms;
  options.unregistered_backoff.max_delay = 20ms;
  return options;
}

bool has_field(const CapturedLine& line, const std::string& field, const std::string& value) {
  return line.text.find(field + "=" + value) != std::string::npos;
}

// ---- traces ------------------------------------------------------------------------------------

TEST(E2eObservability, activity_tracing_emits_all_levels) {
  auto logs = capture_logs();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("trace-act", "TracedActivity", ""));
  ASSERT_EQ(env.output_of("trace-act"), "traced");
  const std::vector<std::pair<std::string, spdlog::level::level_enum>> expected{
      {"activity-info-line", spdlog::level::info},
      {"activity-warn-line", spdlog::level::warn},
      {"activity-error-line", spdlog::level::err},
      {"activity-debug-line", spdlog::level::debug}};
  for (const auto& [message, level] : expected) {
    auto lines = logs->containing(message);
    ASSERT_EQ(lines.size(), 1u) << message;
    EXPECT_EQ(lines[0].target, "duroxide::activity");
    EXPECT_EQ(lines[0].level, level) << message;
    EXPECT_TRUE(has_field(lines[0], "instance_id", "trace-act"));
    EXPECT_TRUE(has_field(lines[0], "execution_id", "1"));
    EXPECT_TRUE(has_field(lines[0], "orchestration_name", "TracedActivity"));
    EXPECT_TRUE(has_field(lines[0], "activity_name", "Traced"));
    EXPECT_TRUE(has_field(lines[0], "activity_id", "2"));
  }
}

TEST(E2eObservability, orchestration_tracing_emits_all_levels) {
  auto logs = capture_logs();
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("trace-orch", "TracedOrchestration", ""));
  ASSERT_EQ(env.output_of("trace-orch"), "done");
  const std::vector<std::pair<std::string, spdlog::level::level_enum>> expected{
      {"orch-info-line", spdlog::level::info},
      {"orch-warn-line", spdlog::level::warn},
      {"orch-error-line", spdlog::level::err},
      {"orch-debug-line", spdlog::level::debug}};
  for (const auto& [message, level] : expected) {
    auto lines = logs->containing(message);
    ASSERT_EQ(lines.size(), 1u) << message;  // not repeated on replay
    EXPECT_EQ(lines[0].target, "duroxide::orchestration");
    EXPECT_EQ(lines[0].level, level) << message;
    EXPECT_TRUE(has_field(lines[0], "instance_id", "trace-orch"));
    EXPECT_TRUE(has_field(lines[0], "execution_id", "1"));
    EXPECT_TRUE(has_field(lines[0], "orchestration_name", "TracedOrchestration"));
    EXPECT_TRUE(has_field(lines[0], "orchestration_version", "1.0.0"));
    EXPECT_EQ(lines[0].text.find("activity_name="), std::string::npos);
  }
}

// ---- metrics through real runs -----------------------------------------------------------------

TEST(E2eObservability, metrics_capture_activity_and_orchestration_outcomes) {
  auto failing_store = std::make_shared<FailingProvider>(test_store());
  E2eEnv env(failing_store, activities(), orchestrations(), metered(std::make_shared<MetricsRegistry>()));
  // (1) the activity ack commits but reports failure: retried, the instance still completes.
  failing_store->set_ack_then_fail(true);
  ASSERT_TRUE(env.client.start_orchestration("m-ack", "Hello", "x"));
  ASSERT_TRUE(wait_until([&] { return env.runtime->metrics_snapshot().activity_infra_errors >= 1; }));
  failing_store->set_ack_then_fail(false);
  EXPECT_TRUE(env.wait("m-ack").is_completed());
  // (2) clean success, (3) activity error, (4) unregistered activity poisoned.
  ASSERT_TRUE(env.client.start_orchestration("m-ok", "Hello", "y"));
  EXPECT_TRUE(env.wait("m-ok").is_completed());
  ASSERT_TRUE(env.client.start_orchestration("m-fail", "Failing", ""));
  EXPECT_TRUE(env.wait("m-fail").is_failed());
  ASSERT_TRUE(env.client.start_orchestration("m-poison", "CallsMissing", ""));
  EXPECT_TRUE(env.wait("m-poison").is_failed());
  // (5) the orchestration ack fails permanently; the infrastructure-failure commit goes through.
  failing_store->set_allow_failure_commits(true);
  failing_store->fail_next_ack_orchestration_item();
  ASSERT_TRUE(env.client.start_orchestration("m-infra", "Hello", "z"));
  EXPECT_TRUE(env.wait("m-infra").is_failed());

  const auto m = env.runtime->metrics_snapshot();
  EXPECT_GE(m.orch_starts, 5u);
  EXPECT_GE(m.activity_success, 1u);
  EXPECT_GE(m.activity_app_errors, 1u);
  EXPECT_GE(m.activity_poison, 1u);
  EXPECT_GE(m.activity_infra_errors, 1u);
  EXPECT_GE(m.orch_completions, 2u);
  EXPECT_GE(m.orch_failures, 3u);
  EXPECT_GE(m.orch_application_errors, 1u);
  EXPECT_GE(m.orch_infrastructure_errors, 1u);
}

TEST(E2eObservability, test_fetch_orchestration_item_fault_injection) {
  auto failing_store = std::make_shared<FailingProvider>(test_store());
  work_items::StartOrchestration start;
  start.instance = "f";
  start.orchestration = "Hello";
  start.input = "x";
  ASSERT_TRUE(failing_store->enqueue_for_orchestrator(start, std::nullopt));
  failing_store->fail_next_fetch_orchestration_item();
  auto failed = failing_store->fetch_orchestration_item(1s, 0ms, nullptr);
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().is_retryable());
  EXPECT_NE(failed.error().message.find("simulated transient infrastructure failure"), std::string::npos);
  auto fetched = failing_store->fetch_orchestration_item(1s, 0ms, nullptr);
  ASSERT_TRUE(fetched);
  ASSERT_TRUE(fetched->has_value());
  EXPECT_EQ((*fetched)->item.instance, "f");
}

TEST(E2eObservability, test_labeled_metrics_recording) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("l1", "Hello", "x"));
  EXPECT_EQ(env.output_of("l1"), "x");
  EXPECT_GE(env.runtime->metrics_snapshot().orch_completions, 1u);
  EXPECT_GE(env.runtime->metrics_snapshot().activity_success, 1u);
  ASSERT_TRUE(wait_until([&] {
    return registry->counter_value("duroxide_orchestration_completions_total", {{"orchestration_name", "Hello"},
                                                                                {"version", "1.0.0"},
                                                                                {"status", "success"},
                                                                                {"final_turn_count", "1-5"}}) == 1;
  }));
  EXPECT_EQ(
      registry->counter_value("duroxide_orchestration_starts_total",
                              {{"orchestration_name", "Hello"}, {"version", "1.0.0"}, {"initiated_by", "client"}}),
      1);
  EXPECT_TRUE(wait_until([&] {
    return registry->counter_value(
               "duroxide_activity_executions_total",
               {{"activity_name", "Echo"}, {"outcome", "success"}, {"retry_attempt", "0"}, {"tag", "default"}}) == 1;
  }));
  EXPECT_EQ(registry->histogram_count("duroxide_orchestration_duration_seconds", {{"status", "success"}}), 1u);
  EXPECT_EQ(registry->histogram_count("duroxide_orchestration_history_size", {{"orchestration_name", "Hello"}}), 1u);
  EXPECT_EQ(registry->histogram_count("duroxide_orchestration_turns", {{"orchestration_name", "Hello"}}), 1u);
}

TEST(E2eObservability, test_continue_as_new_metrics) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("can", "ContinueOnce", "0"));
  EXPECT_EQ(env.output_of("can"), "continued:1");
  ASSERT_TRUE(wait_until([&] { return registry->counter_sum("duroxide_orchestration_completions_total") == 2; }));
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_continue_as_new_total", {{"execution_id", "1"}}), 1);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_starts_total", {{"initiated_by", "continueAsNew"}}), 1);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_starts_total", {{"initiated_by", "client"}}), 1);
  EXPECT_EQ(env.runtime->metrics_snapshot().orch_continue_as_new, 1u);
}

TEST(E2eObservability, test_activity_duration_tracking) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("dur", "SlowAndFast", ""));
  EXPECT_EQ(env.output_of("dur"), "slow+fast");
  EXPECT_GE(env.runtime->metrics_snapshot().activity_success, 2u);
  EXPECT_GE(env.runtime->metrics_snapshot().orch_completions, 1u);
  // Recorded after each activity's ack, which the client may see first.
  ASSERT_TRUE(wait_until([&] {
    return registry->histogram_count("duroxide_activity_duration_seconds", {{"activity_name", "Slow"}}) == 1 &&
           registry->histogram_count("duroxide_activity_duration_seconds", {{"activity_name", "Echo"}}) == 1;
  }));
  // The slow one's observation lands above the 0.01 s bucket.
  const auto text = registry->render_prometheus();
  EXPECT_NE(text.find("duroxide_activity_duration_seconds_bucket{activity_name=\"Slow\",outcome=\"success\",tag="
                      "\"default\",le=\"0.01\"} 0"),
            std::string::npos)
      << text;
}

TEST(E2eObservability, test_error_classification_metrics) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("app", "Failing", ""));
  ASSERT_TRUE(env.client.start_orchestration("missing", "CallsMissing", ""));
  EXPECT_TRUE(env.wait("app").is_failed());
  EXPECT_TRUE(env.wait("missing").is_failed());
  EXPECT_GE(env.runtime->metrics_snapshot().activity_app_errors, 1u);
  EXPECT_TRUE(wait_until([&] {
    return registry->counter_sum("duroxide_activity_executions_total", {{"outcome", "app_error"}}) == 1;
  }));
  EXPECT_EQ(registry->counter_value("duroxide_activity_poison_total"), 1);
  // The poisoned one is not an application error: its error_type is "unknown" (category poison).
  ASSERT_TRUE(wait_until([&] { return registry->counter_sum("duroxide_orchestration_failures_total") == 2; }));
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_failures_total", {{"error_type", "app_error"}}), 1);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_failures_total",
                                  {{"error_type", "unknown"}, {"error_category", "poison"}}),
            1);
}

TEST(E2eObservability, test_active_orchestrations_gauge) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("g1", "Hello", "x"));
  ASSERT_TRUE(env.client.start_orchestration("g2", "ContinueOnce", "0"));
  EXPECT_TRUE(env.wait("g1").is_completed());
  EXPECT_TRUE(env.wait("g2").is_completed());
  // Raised once per instance (not per continue-as-new), lowered at each end, never below zero.
  ASSERT_TRUE(wait_until([&] { return registry->gauge_value("duroxide_active_orchestrations") == 0; }));
}

TEST(E2eObservability, test_active_orchestrations_gauge_comprehensive) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("p1", "ParksOnTimer", ""));
  ASSERT_TRUE(env.client.start_orchestration("p2", "ParksOnTimer", ""));
  ASSERT_TRUE(env.client.start_orchestration("p3", "ParksOnTimer", ""));
  ASSERT_TRUE(wait_until([&] { return registry->gauge_value("duroxide_active_orchestrations") == 3; }));
  ASSERT_TRUE(env.client.start_orchestration("q1", "Hello", "a"));
  EXPECT_TRUE(env.wait("q1").is_completed());
  ASSERT_TRUE(wait_until([&] { return registry->gauge_value("duroxide_active_orchestrations") == 3; }));
}

TEST(E2eObservability, test_gauge_poller_refreshes_queue_depths) {
  auto registry = std::make_shared<MetricsRegistry>();
  RuntimeOptions options = metered(registry);
  options.observability.gauge_poll_interval = 100ms;
  E2eEnv env(activities(), orchestrations(), options);
  EXPECT_EQ(registry->gauge_value("duroxide_orchestrator_queue_depth"), 0);
  EXPECT_EQ(registry->gauge_value("duroxide_worker_queue_depth"), 0);
  for (const char* id : {"t1", "t2", "t3"}) ASSERT_TRUE(env.client.start_orchestration(id, "ParksOnTimer", ""));
  for (const char* id : {"t1", "t2", "t3"}) ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*env.store, id));
  // Overwrite the event-driven value so only a poll can restore it.
  registry->set_gauge("duroxide_active_orchestrations", {}, 42);
  ASSERT_TRUE(wait_until([&] { return registry->gauge_value("duroxide_active_orchestrations") == 3; }));
  // The three timers wait in the orchestrator queue.
  ASSERT_TRUE(wait_until([&] { return registry->gauge_value("duroxide_orchestrator_queue_depth") == 3; }));
}

TEST(E2eObservability, test_gauge_poller_updates_active_orchestrations_on_completion) {
  auto registry = std::make_shared<MetricsRegistry>();
  RuntimeOptions options = metered(registry);
  options.observability.gauge_poll_interval = 100ms;
  E2eEnv env(activities(), orchestrations(), options);
  for (const char* id : {"c1", "c2", "c3"}) ASSERT_TRUE(env.client.start_orchestration(id, "Hello", id));
  for (const char* id : {"c1", "c2", "c3"}) EXPECT_TRUE(env.wait(id).is_completed());
  registry->set_gauge("duroxide_active_orchestrations", {}, 7);
  ASSERT_TRUE(wait_until([&] { return registry->gauge_value("duroxide_active_orchestrations") == 0; }));
}

TEST(E2eObservability, test_separate_error_counters_exported) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("s-missing", "CallsMissing", ""));
  ASSERT_TRUE(env.client.start_orchestration("s-app", "Failing", ""));
  EXPECT_TRUE(env.wait("s-missing").is_failed());
  EXPECT_TRUE(env.wait("s-app").is_failed());
  const auto m = env.runtime->metrics_snapshot();
  EXPECT_GE(m.orch_application_errors, 1u);
  EXPECT_GE(m.activity_app_errors, 1u);
  EXPECT_GE(m.activity_poison, 1u);
  const auto text = registry->render_prometheus();
  EXPECT_NE(text.find("# TYPE duroxide_activity_poison_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE duroxide_orchestration_failures_total counter"), std::string::npos);
}

TEST(E2eObservability, test_sub_orchestration_metrics) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("parent", "Parent", ""));
  const auto output = env.output_of("parent");
  EXPECT_NE(output.find("child:"), std::string::npos);
  EXPECT_EQ(env.runtime->metrics_snapshot().suborchestration_calls, 2u);
  ASSERT_TRUE(wait_until([&] {
    return registry->counter_sum("duroxide_orchestration_completions_total", {{"orchestration_name", "Child"}}) == 2;
  }));
}

TEST(E2eObservability, test_versioned_orchestration_metrics) {
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv env(activities(), orchestrations(), metered(registry));
  for (const char* id : {"v1", "v2", "v3"}) {
    ASSERT_TRUE(env.client.start_orchestration_versioned(id, "Versioned", "1.0.0", id));
  }
  for (const char* id : {"v1", "v2", "v3"}) EXPECT_EQ(env.output_of(id), id);
  ASSERT_TRUE(wait_until([&] {
    return registry->counter_sum("duroxide_orchestration_completions_total",
                                 {{"orchestration_name", "Versioned"}, {"version", "1.0.0"}}) == 3;
  }));
}

TEST(E2eObservability, test_provider_metrics_recorded) {
  auto registry = std::make_shared<MetricsRegistry>();
  auto inner = test_store();
  auto store = std::make_shared<InstrumentedProvider>(inner, registry);
  EXPECT_EQ(store->name(), inner->name());  // the wrapper reports the store it wraps
  EXPECT_NE(store->as_management_capability(), nullptr);
  E2eEnv env(store, activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("ip", "Hello", "x"));
  EXPECT_EQ(env.output_of("ip"), "x");
  for (const char* op : {"enqueue_orchestrator", "fetch_orchestration_item", "ack_orchestration_item",
                         "fetch_work_item", "ack_work_item", "get_instance_status"}) {
    // Recorded when the call returns, which may be just after the client saw its effect.
    EXPECT_TRUE(wait_until([&] {
      return registry->histogram_count("duroxide_provider_operation_duration_seconds",
                                       {{"operation", op}, {"status", "success"}}) >= 1;
    })) << op;
  }
  // Untimed calls pass through without a series.
  EXPECT_EQ(registry->histogram_count("duroxide_provider_operation_duration_seconds",
                                      {{"operation", "renew_work_item_lock"}}),
            0u);
}

TEST(E2eObservability, test_provider_error_metrics) {
  auto registry = std::make_shared<MetricsRegistry>();
  auto failing_store = std::make_shared<FailingProvider>(test_store());
  auto store = std::make_shared<InstrumentedProvider>(failing_store, registry);
  failing_store->fail_next_fetch_orchestration_item();
  E2eEnv env(store, activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env.client.start_orchestration("pe", "Hello", "x"));
  EXPECT_EQ(env.output_of("pe"), "x");  // the runtime kept working
  EXPECT_EQ(registry->counter_value("duroxide_provider_errors_total",
                                    {{"operation", "fetch_orchestration_item"}, {"error_type", "other"}}),
            1);
  EXPECT_EQ(registry->histogram_count("duroxide_provider_operation_duration_seconds",
                                      {{"operation", "fetch_orchestration_item"}, {"status", "error"}}),
            1u);
  EXPECT_GE(env.runtime->metrics_snapshot().provider_errors, 1u);
}

TEST(E2eObservability, test_queue_depth_gauges_initialization) {
  auto registry = std::make_shared<MetricsRegistry>();
  auto store = test_store();
  Client before_start(store);
  for (const char* id : {"e1", "e2", "e3"}) ASSERT_TRUE(before_start.start_orchestration(id, "Hello", id));
  RuntimeOptions options = metered(registry);
  options.orchestration_concurrency = 0;  // nothing is fetched: the initial reading stays
  E2eEnv env(store, activities(), orchestrations(), options);
  // Read at start, before Runtime::start returned.
  EXPECT_EQ(registry->gauge_value("duroxide_orchestrator_queue_depth"), 3);
  EXPECT_EQ(registry->gauge_value("duroxide_worker_queue_depth"), 0);
  EXPECT_EQ(registry->series("duroxide_active_orchestrations").size(), 1u);
}

TEST(E2eObservability, test_queue_depth_gauges_tracking) {
  auto registry = std::make_shared<MetricsRegistry>();
  RuntimeOptions options = metered(registry);
  options.observability.gauge_poll_interval = 100ms;
  E2eEnv env(activities(), orchestrations(), options);
  for (const char* id : {"d1", "d2", "d3", "d4"}) ASSERT_TRUE(env.client.start_orchestration(id, "SlowAndFast", ""));
  for (const char* id : {"d1", "d2", "d3", "d4"}) EXPECT_EQ(env.output_of(id), "slow+fast");
  ASSERT_TRUE(wait_until([&] {
    return registry->gauge_value("duroxide_orchestrator_queue_depth") == 0 &&
           registry->gauge_value("duroxide_worker_queue_depth") == 0;
  }));
}

TEST(E2eObservability, test_all_gauges_initialized_together) {
  DurableStore dir;
  {
    E2eEnv first(dir.open(), activities(), orchestrations());
    ASSERT_TRUE(first.client.start_orchestration("blocked", "ParksOnTimer", ""));
    ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*first.store, "blocked"));
  }
  auto registry = std::make_shared<MetricsRegistry>();
  E2eEnv second(dir.open(), activities(), orchestrations(), metered(registry));
  EXPECT_EQ(registry->gauge_value("duroxide_active_orchestrations"), 1);
  EXPECT_EQ(registry->series("duroxide_orchestrator_queue_depth").size(), 1u);
  EXPECT_EQ(registry->series("duroxide_worker_queue_depth").size(), 1u);
}

TEST(E2eObservability, test_poison_message_metrics) {
  auto registry = std::make_shared<MetricsRegistry>();
  auto poison = std::make_shared<PoisonInjectingProvider>(test_store());
  E2eEnv env(poison, activities(), orchestrations(), metered(registry));
  poison->inject_orchestration_poison(10);
  ASSERT_TRUE(env.client.start_orchestration("po", "Hello", "x"));
  EXPECT_TRUE(env.wait("po").is_failed());
  poison->inject_worker_poison(10);
  ASSERT_TRUE(env.client.start_orchestration("pa", "Hello", "y"));
  EXPECT_TRUE(env.wait("pa").is_failed());
  const auto m = env.runtime->metrics_snapshot();
  EXPECT_GE(m.orch_poison, 1u);
  EXPECT_GE(m.activity_poison, 1u);
  EXPECT_TRUE(wait_until([&] { return registry->counter_value("duroxide_orchestration_poison_total") == 1; }));
  EXPECT_EQ(registry->counter_value("duroxide_activity_poison_total"), 1);
}

// ---- the recorders themselves (duroxide's MetricsProvider unit rows) --------------------------

ErrorDetails failure_of(std::string_view category) {
  if (category == "application") return ErrorDetails::orchestration_failed("boom");
  if (category == "infrastructure") return ErrorDetails::infrastructure("store", "down", true);
  return ErrorDetails::nondeterminism("changed");
}

TEST(E2eObservability, test_metrics_outcome_matrix) {
  auto registry = std::make_shared<MetricsRegistry>();
  runtime::Telemetry telemetry(registry);
  telemetry.execution_started("O", "1.0.0", false);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_starts_total"), 1);
  telemetry.execution_ended("i0", "O", "1.0.0", "success", 1.0, 4, nullptr, 1);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_completions_total", {{"status", "success"}}), 1);
  int n = 0;
  for (const char* category : {"application", "infrastructure", "configuration"}) {
    const auto details = failure_of(category);
    telemetry.execution_ended("i", "O", "1.0.0", "failed", 1.0, 4, &details, 1);
    EXPECT_EQ(registry->counter_sum("duroxide_orchestration_failures_total"), ++n);
    EXPECT_EQ(registry->counter_sum("duroxide_orchestration_failures_total", {{"error_category", category}}), 1);
  }
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_infrastructure_errors_total"), 1);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_configuration_errors_total"), 1);
  telemetry.execution_ended("i", "O", "1.0.0", "continuedAsNew", 1.0, 4, nullptr, 1);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_continue_as_new_total"), 1);
}

TEST(E2eObservability, test_metrics_activity_outcomes) {
  auto registry = std::make_shared<MetricsRegistry>();
  runtime::Telemetry telemetry(registry);
  telemetry.activity_finished("A", "success", "", 0.1);
  telemetry.activity_finished("A", "app_error", "gpu", 0.1);
  telemetry.activity_infrastructure_error("A");
  EXPECT_EQ(registry->counter_sum("duroxide_activity_executions_total", {{"outcome", "success"}, {"tag", "default"}}),
            1);
  EXPECT_EQ(registry->counter_sum("duroxide_activity_executions_total", {{"outcome", "app_error"}, {"tag", "gpu"}}), 1);
  EXPECT_EQ(registry->counter_value("duroxide_activity_infrastructure_errors_total", {{"activity_name", "A"}}), 1);
  // Configuration errors of activities are defined by duroxide but never raised (docs/runtime-features.md).
  EXPECT_EQ(registry->counter_sum("duroxide_activity_configuration_errors_total"), 0);
}

TEST(E2eObservability, test_metrics_poison_messages) {
  auto registry = std::make_shared<MetricsRegistry>();
  runtime::Telemetry telemetry(registry);
  telemetry.orchestration_poisoned();
  telemetry.orchestration_poisoned();
  telemetry.activity_poisoned();
  EXPECT_EQ(registry->counter_value("duroxide_orchestration_poison_total"), 2);
  EXPECT_EQ(registry->counter_value("duroxide_activity_poison_total"), 1);
}

TEST(E2eObservability, test_metrics_dispatcher) {
  E2eEnv env(activities(), orchestrations());
  for (const char* id : {"x1", "x2", "x3", "x4"}) ASSERT_TRUE(env.client.start_orchestration(id, "Hello", id));
  for (const char* id : {"x1", "x2", "x3", "x4"}) EXPECT_TRUE(env.wait(id).is_completed());
  const auto m = env.runtime->metrics_snapshot();
  EXPECT_GE(m.orch_dispatcher_items_fetched, 8u);  // a start turn and a completion turn each
  EXPECT_EQ(m.worker_dispatcher_items_fetched, 4u);
}

TEST(E2eObservability, test_metrics_suborchestration) {
  E2eEnv env(activities(), orchestrations());
  ASSERT_TRUE(env.client.start_orchestration("subs", "Parent", ""));
  EXPECT_EQ(env.output_of("subs"), "child:a,child:b");
  EXPECT_EQ(env.runtime->metrics_snapshot().suborchestration_calls, 2u);
}

TEST(E2eObservability, test_metrics_queue_depths) {
  auto registry = std::make_shared<MetricsRegistry>();
  runtime::Telemetry telemetry(registry);
  telemetry.set_gauges(0, 0, 0);
  EXPECT_EQ(registry->gauge_value("duroxide_orchestrator_queue_depth"), 0);
  telemetry.set_gauges(0, 10, 5);
  EXPECT_EQ(registry->gauge_value("duroxide_orchestrator_queue_depth"), 10);
  EXPECT_EQ(registry->gauge_value("duroxide_worker_queue_depth"), 5);
  telemetry.set_gauges(0, 0, 0);
  EXPECT_EQ(registry->gauge_value("duroxide_orchestrator_queue_depth"), 0);
  EXPECT_EQ(registry->gauge_value("duroxide_worker_queue_depth"), 0);
}

TEST(E2eObservability, test_metrics_active_orchestrations) {
  auto registry = std::make_shared<MetricsRegistry>();
  runtime::Telemetry telemetry(registry);
  EXPECT_EQ(registry->gauge_value("duroxide_active_orchestrations"), 0);
  // The dispatcher moves the gauge before each ack (+1 for a new instance, -1 at its end).
  telemetry.adjust_active_orchestrations(1);
  telemetry.adjust_active_orchestrations(1);
  telemetry.adjust_active_orchestrations(0);  // a continue-as-new turn: same instance
  EXPECT_EQ(registry->gauge_value("duroxide_active_orchestrations"), 2);
  telemetry.execution_started("O", "1.0.0", true);
  telemetry.execution_ended("i", "O", "1.0.0", "success", 1.0, 3, nullptr, 1);
  EXPECT_EQ(registry->gauge_value("duroxide_active_orchestrations"), 2) << "the labelled metrics leave the gauge alone";
  telemetry.adjust_active_orchestrations(-1);
  EXPECT_EQ(registry->gauge_value("duroxide_active_orchestrations"), 1);
  telemetry.set_gauges(100, 0, 0);
  EXPECT_EQ(registry->gauge_value("duroxide_active_orchestrations"), 100);
  registry->set_gauge("duroxide_active_orchestrations", {}, 0);
  telemetry.adjust_active_orchestrations(-1);
  EXPECT_EQ(registry->gauge_value("duroxide_active_orchestrations"), 0);  // never below zero
}

TEST(E2eObservability, test_metrics_provider_errors) {
  auto registry = std::make_shared<MetricsRegistry>();
  auto failing_store = std::make_shared<FailingProvider>(test_store());
  InstrumentedProvider store(failing_store, registry);
  for (int i = 0; i < 4; ++i) {
    failing_store->fail_next_fetch_work_item();
    EXPECT_FALSE(store.fetch_work_item(1s, 0ms, std::nullopt, TagFilter::default_only()));
  }
  EXPECT_EQ(registry->counter_sum("duroxide_provider_errors_total", {{"operation", "fetch_work_item"}}), 4);
  EXPECT_EQ(InstrumentedProvider::classify_error(ProviderError::transient("x", "deadlock detected")), "deadlock");
  EXPECT_EQ(InstrumentedProvider::classify_error(ProviderError::transient("x", "statement timeout")), "timeout");
  EXPECT_EQ(InstrumentedProvider::classify_error(ProviderError::transient("x", "connection reset")), "connection");
}

TEST(E2eObservability, test_metrics_error_shortcuts) {
  auto registry = std::make_shared<MetricsRegistry>();
  runtime::Telemetry telemetry(registry);
  const auto app = failure_of("application");
  const auto infra = failure_of("infrastructure");
  telemetry.execution_ended("a", "O", "1", "failed", 0, 1, &app, 1);
  telemetry.execution_ended("b", "O", "1", "failed", 0, 1, &infra, 1);
  telemetry.execution_ended("c", "O", "1", "failed", 0, 1, &infra, 1);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_failures_total"), 3);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_failures_total", {{"error_type", "app_error"}}), 1);
  EXPECT_EQ(registry->counter_sum("duroxide_orchestration_failures_total", {{"error_type", "infrastructure_error"}}),
            2);
  telemetry.activity_infrastructure_error("A");
  telemetry.activity_infrastructure_error("B");
  EXPECT_EQ(registry->counter_sum("duroxide_activity_infrastructure_errors_total"), 2);
}

TEST(E2eObservability, test_observability_handle_lifecycle) {
  auto registry = std::make_shared<MetricsRegistry>();
  auto env = std::make_unique<E2eEnv>(activities(), orchestrations(), metered(registry));
  ASSERT_TRUE(env->client.start_orchestration("life", "Hello", "x"));
  EXPECT_TRUE(env->wait("life").is_completed());
  EXPECT_EQ(env->runtime->metrics_snapshot().orch_starts, 1u);
  env->runtime->shutdown(5s);
  EXPECT_EQ(env->runtime->metrics_snapshot().orch_starts, 1u);  // still readable after shutdown
  env.reset();
  EXPECT_NE(registry->render_prometheus().find("duroxide_orchestration_starts_total{"), std::string::npos);
}

TEST(E2eObservability, test_observability_config_defaults) {
  const ObservabilityConfig config;
  EXPECT_EQ(config.log_format, LogFormat::Pretty);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.service_name, "duroxide");
  EXPECT_FALSE(config.service_version.has_value());
  EXPECT_EQ(config.gauge_poll_interval, 60s);
  EXPECT_EQ(config.metrics_sink, nullptr);
}

TEST(E2eObservability, test_log_format_variants) {
  const std::set<LogFormat> formats{LogFormat::Compact, LogFormat::Pretty, LogFormat::Json};
  EXPECT_EQ(formats.size(), 3u);
  EXPECT_EQ(LogFormat{}, LogFormat::Compact);
}

// ---- Prometheus exposition ---------------------------------------------------------------------

TEST(E2eObservability, prometheus_text_renders_every_kind_with_escaped_labels) {
  MetricsRegistry registry;
  registry.add_counter("duroxide_orchestration_poison_total", {}, 2);
  registry.add_counter("duroxide_orchestration_starts_total", {{"orchestration_name", "say \"hi\"\n"}}, 1);
  registry.set_gauge("duroxide_worker_queue_depth", {}, 5);
  registry.observe_histogram("duroxide_activity_duration_seconds", {{"activity_name", "A"}}, 0.02);
  const auto text = registry.render_prometheus();
  EXPECT_NE(text.find("# TYPE duroxide_orchestration_poison_total counter\nduroxide_orchestration_poison_total 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(duroxide_orchestration_starts_total{orchestration_name="say \"hi\"\n"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE duroxide_worker_queue_depth gauge\nduroxide_worker_queue_depth 5\n"), std::string::npos);
  EXPECT_NE(text.find("duroxide_activity_duration_seconds_bucket{activity_name=\"A\",le=\"0.01\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("duroxide_activity_duration_seconds_bucket{activity_name=\"A\",le=\"0.05\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("duroxide_activity_duration_seconds_bucket{activity_name=\"A\",le=\"+Inf\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("duroxide_activity_duration_seconds_count{activity_name=\"A\"} 1\n"), std::string::npos);
}

TEST(E2eObservability, invalid_gauge_poll_interval_is_rejected_at_start) {
  RuntimeOptions options = metered(std::make_shared<MetricsRegistry>());
  options.observability.gauge_poll_interval = 0ms;
  EXPECT_THROW(Runtime::start(test_store(), activities(), orchestrations(), options), std::invalid_argument);
}

// ---- where the logs go -------------------------------------------------------------------------

/// The check of configure_logging, in a process where nothing has logged yet: true when every
/// target's line reached the application's sink and a later set-up changed nothing.
bool application_sink_receives_every_target() {
  ::setenv("DUROXIDE_LOG", "duroxide::client=info", 1);  // the client's line is informational
  auto sink = std::make_shared<CaptureSink>();
  ObservabilityConfig config;
  config.log_format = LogFormat::Compact;
  config.log_sink = sink;
  const bool first = configure_logging(config);
  // A runtime started afterwards with a sink of its own keeps the first set-up.
  auto ignored = std::make_shared<CaptureSink>();
  RuntimeOptions options = fast_options();
  options.observability.log_sink = ignored;
  const bool second = configure_logging(options.observability);

  auto store = SqliteProvider::open_in_memory().value();
  // The store warns when it drops queue messages of an instance that was never started
  // (duroxide::provider).
  (void)store->enqueue_for_orchestrator(work_items::QueueMessage{"ghost", "inbox", "x"}, std::nullopt);
  (void)store->fetch_orchestration_item(1s, 0ms, nullptr);
  // The client says what it deleted (duroxide::client), and the orchestration traces.
  auto runtime = Runtime::start(store, activities(), orchestrations(), options);
  Client client(store);
  (void)client.start_orchestration("traced", "TracedOrchestration", "");
  const bool completed = client.wait_for_orchestration("traced", 30s).value().is_completed();
  runtime->shutdown();
  (void)client.delete_instance("traced", false);

  const auto has = [&](const std::shared_ptr<CaptureSink>& in, const char* target, const char* text) {
    return in
        ->find([&](const CapturedLine& line) {
          return line.target == target && line.text.find(text) != std::string::npos;
        })
        .has_value();
  };
  const bool provider = has(sink, "duroxide::provider", "'ghost'");
  const bool client_line = has(sink, "duroxide::client", "deleted instance traced");
  const bool orchestration = has(sink, "duroxide::orchestration", "orch-warn-line");
  const bool none_elsewhere = ignored->lines().empty();
  std::fprintf(stderr, "first=%d second=%d completed=%d provider=%d client=%d orchestration=%d none_elsewhere=%d\n",
               first, second, completed, provider, client_line, orchestration, none_elsewhere);
  return first && !second && completed && provider && client_line && orchestration && none_elsewhere;
}

// Logging is set up once per process, so the check runs in a fresh child process (a death test in
// the "threadsafe" style re-runs this binary for just this test).
TEST(E2eObservability, configure_logging_sends_every_target_to_the_applications_sink) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(application_sink_receives_every_target() ? 0 : 1), ::testing::ExitedWithCode(0),
              "first=1 second=0 completed=1 provider=1 client=1 orchestration=1 none_elsewhere=1");
}

}  // namespace
}  // namespace duroxide::testing
