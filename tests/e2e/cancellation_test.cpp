// Mirrors duroxide's tests/cancellation_tests.rs: instance cancellation and its cascade to children, lock stealing
// of in-flight activities (cooperative cancellation with a grace period), dropped futures, and
// positional event matching around cancelled subscriptions.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "support/e2e_support.hpp"
#include "support/gate.hpp"

namespace duroxide::testing {
namespace {

std::atomic<bool> g_saw_cancellation{false};
std::atomic<int> g_until_cancelled_started{0};
std::atomic<int> g_ignoring_attempts{0};
std::atomic<bool> g_ignoring_returned{false};
Gate g_ignoring_gate;
std::atomic<int> g_held_started{0};
std::atomic<int> g_held_finished{0};
Gate g_held_gate;
std::atomic<int> g_a_runs{0};

bool is_cancelled_with(const OrchestrationStatus& status, const std::string& reason) {
  const auto* failed = status.get_if<status::Failed>();
  if (failed == nullptr) return false;
  const auto* app = failed->details.get_if<error::Application>();
  return app != nullptr && app->kind == AppErrorKind::cancelled(reason);
}

template <class Kind>
std::size_t count_of(const std::vector<Event>& history) {
  return static_cast<std::size_t>(
      std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is<Kind>(); }));
}

ActivityRegistry activities() {
  return ActivityRegistry::builder()
      .add("UntilCancelled",
           [](ActivityContext& ctx, std::string) -> Result<std::string> {
             ++g_until_cancelled_started;
             const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
             while (!ctx.is_cancelled() && std::chrono::steady_clock::now() < deadline) {
               std::this_thread::sleep_for(std::chrono::milliseconds(5));
             }
             if (ctx.is_cancelled()) g_saw_cancellation = true;
             return Err("cancelled");
           })
      .add("IgnoresCancellation",
           [](ActivityContext&, std::string) -> Result<std::string> {
             ++g_ignoring_attempts;
             g_ignoring_gate.wait();  // ignores its stop token: runs until the test opens the gate
             g_ignoring_returned = true;
             return std::string("done despite cancellation");
           })
      .add("Slow",
           [](ActivityContext&, std::string) -> Result<std::string> {
             std::this_thread::sleep_for(std::chrono::milliseconds(300));
             return std::string("slow done");
           })
      .add("Held",
           [](ActivityContext&, std::string) -> Result<std::string> {
             ++g_held_started;
             g_held_gate.wait();  // runs until the test opens the gate, cancelled or not
             ++g_held_finished;
             return std::string("held done");
           })
      .add("A",
           [](ActivityContext&, std::string) -> Result<std::string> {
             ++g_a_runs;
             return std::string("a");
           })
      .add("Quick", [](ActivityContext&, std::string) -> Result<std::string> { return std::string("quick"); })
      .build();
}

Task<Result<std::string>> waits_go(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Go");
  co_return data;
}
Task<Result<std::string>> awaits_child(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_sub_orchestration("WaitsGo", "");
  if (!r) co_return "child_err:" + r.error();
  co_return *r;
}
Task<Result<std::string>> five_children(OrchestrationContext ctx, std::string) {
  std::vector<DurableFuture<Result<std::string>>> children;
  for (int i = 0; i < 5; ++i) children.push_back(ctx.schedule_sub_orchestration("WaitsGo", ""));
  (void)co_await OrchestrationContext::join(std::move(children));
  co_return "all";
}
Task<Result<std::string>> returns_ok(OrchestrationContext, std::string) { co_return "ok"; }
Task<Result<std::string>> can_then_wait(OrchestrationContext ctx, std::string input) {
  if (input != "second") co_await ctx.continue_as_new("second");
  auto data = co_await ctx.schedule_wait("Go");
  co_return data;
}
Task<Result<std::string>> drops_activity_and_returns(OrchestrationContext ctx, std::string input) {
  { auto dropped = ctx.schedule_activity("Slow", ""); }
  if (input == "fail") co_return Err("boom");
  co_return "done";
}
Task<Result<std::string>> runs_until_cancelled(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("UntilCancelled", "");
  co_return r.value_or("err");
}
Task<Result<std::string>> select_long_activity(OrchestrationContext ctx, std::string) {
  auto activity = ctx.schedule_activity("UntilCancelled", "");
  // The race starts once the activity runs (the test raises "Running" then): a loser cancelled
  // before a worker fetched it would never run, and so never see its cancellation.
  (void)co_await ctx.schedule_wait("Running");
  auto race = co_await OrchestrationContext::select2(std::move(activity), ctx.schedule_timer(std::chrono::seconds(1)));
  co_return race.is_second() ? "timer_won" : "activity_won";
}
Task<Result<std::string>> held_then_done(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Held", "");
  co_return r.value_or("err");
}
Task<Result<std::string>> calls_quick(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("Quick", "");
  co_return r.value_or("err");
}
Task<Result<std::string>> schedules_a_then_waits(OrchestrationContext ctx, std::string) {
  auto a = ctx.schedule_activity("A", "");
  auto data = co_await ctx.schedule_wait("Go");
  (void)co_await std::move(a);
  co_return data;
}
Task<Result<std::string>> ignores_cancellation(OrchestrationContext ctx, std::string session) {
  // With a session id as input, the activity is bound to that session.
  auto activity = session.empty() ? ctx.schedule_activity("IgnoresCancellation", "")
                                  : ctx.schedule_activity_on_session("IgnoresCancellation", "", session);
  auto r = co_await std::move(activity);
  co_return r.value_or("err");
}
Task<Result<std::string>> calls_quick_on_session(OrchestrationContext ctx, std::string session) {
  auto r = co_await ctx.schedule_activity_on_session("Quick", "", session);
  co_return r.value_or("err");
}
Task<Result<std::string>> explicit_drop_activity(OrchestrationContext ctx, std::string input) {
  std::optional<DurableFuture<Result<std::string>>> activity;
  activity.emplace(ctx.schedule_activity("UntilCancelled", ""));
  (void)co_await ctx.schedule_wait("Running");  // raised by the test once the activity runs
  activity.reset();                             // dropped: the runtime cancels it
  co_await ctx.schedule_timer(std::chrono::milliseconds(50));
  co_return input == "scope" ? "completed_without_await" : "completed_after_drop";
}
Task<Result<std::string>> select_child_forever(OrchestrationContext ctx, std::string input) {
  auto child = input == "explicit" ? ctx.schedule_sub_orchestration_with_id("WaitsGo", "my-explicit-child-id", "")
                                   : ctx.schedule_sub_orchestration("WaitsGo", "");
  auto race =
      co_await OrchestrationContext::select2(std::move(child), ctx.schedule_timer(std::chrono::milliseconds(100)));
  co_return race.is_second() ? "timer_won" : "child_won";
}
Task<Result<std::string>> drops_child(OrchestrationContext ctx, std::string input) {
  { auto child = ctx.schedule_sub_orchestration("WaitsGo", ""); }
  co_await ctx.schedule_timer(std::chrono::milliseconds(50));
  co_return input == "scope" ? "parent_completed_without_await" : "parent_completed_after_drop";
}
Task<Result<std::string>> early_positional(OrchestrationContext ctx, std::string) {
  // Held by the test until its early "MyEvent" is recorded: a timer here would race the raise.
  (void)co_await ctx.schedule_wait("Proceed");
  auto race = co_await OrchestrationContext::select2(ctx.schedule_wait("MyEvent"),
                                                     ctx.schedule_timer(std::chrono::milliseconds(500)));
  co_return race.is_first() ? "event" : "timeout";
}
Task<Result<std::string>> cancelled_then_new_wait(OrchestrationContext ctx, std::string) {
  auto first = co_await OrchestrationContext::select2(ctx.schedule_wait("Signal"),
                                                      ctx.schedule_timer(std::chrono::milliseconds(50)));
  if (first.is_first()) co_return "unexpected:" + first.first_value();
  auto data = co_await ctx.schedule_wait("Signal");
  co_return "got:" + data;
}
Task<Result<std::string>> two_waits(OrchestrationContext ctx, std::string input) {
  const std::string name = input.empty() ? "Data" : input;
  auto a = co_await ctx.schedule_wait(name);
  auto b = co_await ctx.schedule_wait(name);
  co_return a + "," + b;
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("WaitsGo", waits_go)
      .add("AwaitsChild", awaits_child)
      .add("FiveChildren", five_children)
      .add("ReturnsOk", returns_ok)
      .add("CanThenWait", can_then_wait)
      .add("DropsActivity", drops_activity_and_returns)
      .add("RunsUntilCancelled", runs_until_cancelled)
      .add("SelectLongActivity", select_long_activity)
      .add("HeldThenDone", held_then_done)
      .add("CallsQuick", calls_quick)
      .add("CallsQuickOnSession", calls_quick_on_session)
      .add("SchedulesAThenWaits", schedules_a_then_waits)
      .add("IgnoresCancellation", ignores_cancellation)
      .add("ExplicitDropActivity", explicit_drop_activity)
      .add("SelectChildForever", select_child_forever)
      .add("DropsChild", drops_child)
      .add("EarlyPositional", early_positional)
      .add("CancelledThenNewWait", cancelled_then_new_wait)
      .add("TwoWaits", two_waits)
      .build();
}

RuntimeOptions cancel_options() {
  RuntimeOptions options = fast_options();
  options.worker_lock_timeout = std::chrono::seconds(2);  // lock stealing is seen within ~1 s
  options.worker_lock_renewal_buffer = std::chrono::seconds(1);
  options.activity_cancellation_grace_period = std::chrono::seconds(5);
  options.session_idle_timeout = std::chrono::seconds(600);
  return options;
}

/// Raises "Running" to `instance` once an UntilCancelled activity started after `started_before`
/// runs.
void raise_running_once_started(E2eEnv& env, const std::string& instance, int started_before) {
  ASSERT_TRUE(wait_until([&] { return g_until_cancelled_started > started_before; }));
  ASSERT_TRUE(env.client.raise_event(instance, "Running", ""));
}

/// The children (instance ids containing "::") of `parent` per the store's tree.
std::vector<std::string> children_of(const Client& client, const std::string& parent) {
  std::vector<std::string> out;
  const auto tree = client.get_instance_tree(parent).value();
  for (const auto& id : tree.all_ids) {
    if (id != parent) out.push_back(id);
  }
  return out;
}

TEST(E2eCancellation, cancel_parent_down_propagates_to_child) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("parent", "AwaitsChild", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "parent::sub::2"));
  ASSERT_TRUE(env.client.cancel_instance("parent", "by_test"));
  EXPECT_TRUE(is_cancelled_with(env.wait("parent"), "by_test"));
  EXPECT_EQ(count_of<events::OrchestrationCancelRequested>(env.history("parent")), 1u);
  for (const auto& child : children_of(env.client, "parent")) {
    EXPECT_TRUE(is_cancelled_with(env.wait(child, std::chrono::seconds(5)), "parent canceled")) << child;
    EXPECT_EQ(count_of<events::OrchestrationCancelRequested>(env.history(child)), 1u);
  }
}

TEST(E2eCancellation, cancel_after_completion_is_noop) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("done", "ReturnsOk", ""));
  EXPECT_EQ(env.output_of("done"), "ok");
  ASSERT_TRUE(env.client.cancel_instance("done", "late"));
  ASSERT_TRUE(wait_until([&] { return env.client.get_queue_depths().value().orchestrator_queue == 0; }));
  const auto history = env.history("done");
  EXPECT_TRUE(history.back().is<events::OrchestrationCompleted>());
  EXPECT_EQ(count_of<events::OrchestrationCancelRequested>(history), 0u);
}

TEST(E2eCancellation, cancel_child_directly_signals_parent) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("inst-chdirect", "AwaitsChild", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "inst-chdirect::sub::2"));
  ASSERT_TRUE(env.client.cancel_instance("inst-chdirect::sub::2", "by_test_child"));
  const auto output = env.output_of("inst-chdirect");
  EXPECT_TRUE(output.starts_with("child_err:canceled: by_test_child")) << output;
  const auto history = env.history("inst-chdirect");
  const auto failed = std::find_if(history.begin(), history.end(),
                                   [](const Event& e) { return e.is<events::SubOrchestrationFailed>(); });
  ASSERT_NE(failed, history.end());
  EXPECT_EQ(failed->source_event_id, 2u);
  const auto* app = failed->get_if<events::SubOrchestrationFailed>()->details.get_if<error::Application>();
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->kind, AppErrorKind::cancelled("by_test_child"));
}

TEST(E2eCancellation, cancel_continue_as_new_second_exec) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("can", "CanThenWait", "first"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "can"));
  ASSERT_TRUE(env.client.cancel_instance("can", "by_test_can"));
  EXPECT_TRUE(is_cancelled_with(env.wait("can"), "by_test_can"));
  EXPECT_EQ(count_of<events::OrchestrationCancelRequested>(env.history("can")), 1u);
  EXPECT_EQ(env.history("can").front().execution_id, 2u);
}

void terminal_before_activity(const std::string& input, bool expect_completed) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("t", "DropsActivity", input));
  const auto status = env.wait("t");
  EXPECT_EQ(status.is_completed(), expect_completed);
  const auto before = env.history("t");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // past when the activity would finish
  EXPECT_EQ(env.history("t"), before) << "nothing may be recorded after the terminal event";
  std::size_t terminals =
      count_of<events::OrchestrationCompleted>(before) + count_of<events::OrchestrationFailed>(before);
  EXPECT_EQ(terminals, 1u);
}

TEST(E2eCancellation, orchestration_completes_before_activity_finishes) { terminal_before_activity("ok", true); }
TEST(E2eCancellation, orchestration_fails_before_activity_finishes) { terminal_before_activity("fail", false); }

TEST(E2eCancellation, cancel_parent_with_multiple_children) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("multi", "FiveChildren", ""));
  ASSERT_TRUE(wait_until([&] { return children_of(env.client, "multi").size() == 5; }));
  for (const auto& child : children_of(env.client, "multi")) {
    ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, child));
  }
  ASSERT_TRUE(env.client.cancel_instance("multi", "multi_test"));
  EXPECT_TRUE(is_cancelled_with(env.wait("multi"), "multi_test"));
  const auto children = children_of(env.client, "multi");
  EXPECT_EQ(children.size(), 5u);
  for (const auto& child : children) EXPECT_TRUE(is_cancelled_with(env.wait(child), "parent canceled")) << child;
}

TEST(E2eCancellation, activity_receives_cancellation_signal) {
  g_saw_cancellation = false;
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("sig", "RunsUntilCancelled", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*env.store, "sig"));
  ASSERT_TRUE(wait_until([&] { return env.client.get_queue_depths().value().worker_queue == 0; }));  // running
  ASSERT_TRUE(env.client.cancel_instance("sig", "stop it"));
  EXPECT_TRUE(is_cancelled_with(env.wait("sig"), "stop it"));
  EXPECT_TRUE(wait_until([] { return g_saw_cancellation.load(); }, std::chrono::seconds(10)));
}

TEST(E2eCancellation, select2_loser_activity_receives_cancellation_signal) {
  g_saw_cancellation = false;
  const int started = g_until_cancelled_started;
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("loser", "SelectLongActivity", ""));
  raise_running_once_started(env, "loser", started);
  EXPECT_EQ(env.output_of("loser"), "timer_won");
  EXPECT_TRUE(wait_until([] { return g_saw_cancellation.load(); }, std::chrono::seconds(10)));
  const auto history = env.history("loser");
  const auto request = std::find_if(history.begin(), history.end(),
                                    [](const Event& e) { return e.is<events::ActivityCancelRequested>(); });
  ASSERT_NE(request, history.end());
  EXPECT_EQ(request->get_if<events::ActivityCancelRequested>()->reason, "dropped_future");
  EXPECT_EQ(request->source_event_id, 2u);
}

TEST(E2eCancellation, activity_result_dropped_when_orchestration_cancelled) {
  const int before = g_held_finished;
  const int started_before = g_held_started;
  g_held_gate.close();
  E2eEnv env(activities(), orchestrations(), cancel_options());
  OpenOnExit open_at_exit{g_held_gate};
  ASSERT_TRUE(env.client.start_orchestration("drop", "HeldThenDone", ""));
  // Cancel while the activity runs (not before a worker has fetched it); it finishes only once the
  // cancellation has ended the instance, so its result always comes too late.
  ASSERT_TRUE(wait_until([&] { return g_held_started > started_before; }));
  ASSERT_TRUE(env.client.cancel_instance("drop", "cancel"));
  EXPECT_TRUE(is_cancelled_with(env.wait("drop"), "cancel"));
  g_held_gate.open();
  EXPECT_TRUE(wait_until([&] { return g_held_finished > before; }));  // it still ran to its end
}

TEST(E2eCancellation, activity_skipped_when_orchestration_terminal_at_fetch) {
  auto store = test_store();
  const int before = g_a_runs;
  {
    RuntimeOptions no_workers = cancel_options();
    no_workers.worker_concurrency = 0;
    E2eEnv phase1(store, activities(), orchestrations(), no_workers);
    ASSERT_TRUE(phase1.client.start_orchestration("skip", "SchedulesAThenWaits", ""));
    ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*store, "skip"));
    ASSERT_TRUE(phase1.client.cancel_instance("skip", "early"));
    EXPECT_TRUE(phase1.wait("skip").is_failed());
  }
  E2eEnv phase2(store, activities(), orchestrations(), cancel_options());
  EXPECT_EQ(phase2.client.get_queue_depths().value().worker_queue, 0u);
  EXPECT_EQ(g_a_runs, before);
  EXPECT_EQ(count_of<events::ActivityCompleted>(phase2.history("skip")), 0u);
}

TEST(E2eCancellation, activity_aborted_after_cancellation_grace) {
  RuntimeOptions options = cancel_options();
  options.activity_cancellation_grace_period = std::chrono::milliseconds(500);
  options.worker_concurrency = 1;  // the cancellation-ignoring activity's slot is the only one
  const int before = g_ignoring_attempts;
  g_ignoring_returned = false;
  g_ignoring_gate.close();
  {
    E2eEnv env(activities(), orchestrations(), options);
    OpenOnExit open_at_exit{g_ignoring_gate};
    ASSERT_TRUE(env.client.start_orchestration("ignoring", "IgnoresCancellation", ""));
    ASSERT_TRUE(wait_until([&] { return g_ignoring_attempts > before; }));
    ASSERT_TRUE(env.client.cancel_instance("ignoring", "go away"));
    EXPECT_TRUE(is_cancelled_with(env.wait("ignoring"), "go away"));
    EXPECT_EQ(count_of<events::ActivityCompleted>(env.history("ignoring")), 0u);
    // The slot gave up after the grace period instead of waiting for the activity, which only
    // returns once the gate opens: the only slot runs the next activity while it still blocks.
    ASSERT_TRUE(env.client.start_orchestration("next", "CallsQuick", ""));
    EXPECT_EQ(env.output_of("next"), "quick");
    EXPECT_FALSE(g_ignoring_returned.load());
    // The slot's new thread recorded the abandoned activity before running the next one.
    EXPECT_EQ(env.runtime->metrics_snapshot().activity_cancelled, 1u);
    g_ignoring_gate.open();
    EXPECT_TRUE(wait_until([] { return g_ignoring_returned.load(); }));
  }
  EXPECT_EQ(g_ignoring_attempts - before, 1);
}

// The slot's new thread also gives back the session of the activity it left behind: with room for
// one session only, an activity of another session runs while the first still blocks.
TEST(E2eCancellation, session_released_when_activity_overstays_grace) {
  RuntimeOptions options = cancel_options();
  options.activity_cancellation_grace_period = std::chrono::milliseconds(200);
  options.worker_concurrency = 1;
  options.max_sessions_per_runtime = 1;
  const int before = g_ignoring_attempts;
  g_ignoring_returned = false;
  g_ignoring_gate.close();
  {
    E2eEnv env(activities(), orchestrations(), options);
    OpenOnExit open_at_exit{g_ignoring_gate};
    ASSERT_TRUE(env.client.start_orchestration("on-s1", "IgnoresCancellation", "s1"));
    ASSERT_TRUE(wait_until([&] { return g_ignoring_attempts > before; }));
    ASSERT_TRUE(env.client.cancel_instance("on-s1", "go away"));
    EXPECT_TRUE(is_cancelled_with(env.wait("on-s1"), "go away"));
    ASSERT_TRUE(env.client.start_orchestration("on-s2", "CallsQuickOnSession", "s2"));
    EXPECT_EQ(env.output_of("on-s2"), "quick");
    EXPECT_FALSE(g_ignoring_returned.load());
    g_ignoring_gate.open();
    EXPECT_TRUE(wait_until([] { return g_ignoring_returned.load(); }));
  }
}

TEST(E2eCancellation, cancel_nonexistent_instance_is_noop) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  EXPECT_TRUE(env.client.cancel_instance("does-not-exist", "nothing"));
  ASSERT_TRUE(env.client.start_orchestration("other", "ReturnsOk", ""));
  EXPECT_EQ(env.output_of("other"), "ok");
}

TEST(E2eCancellation, multiple_cancel_calls_are_idempotent) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("many", "WaitsGo", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "many"));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(env.client.cancel_instance("many", "cancel-" + std::to_string(i)));
  EXPECT_TRUE(is_cancelled_with(env.wait("many"), "cancel-0"));
  const auto history = env.history("many");
  ASSERT_EQ(count_of<events::OrchestrationCancelRequested>(history), 1u);
}

TEST(E2eCancellation, cancel_before_orchestration_starts) {
  auto store = test_store();
  Client client(store);
  ASSERT_TRUE(client.start_orchestration("early", "WaitsGo", ""));
  ASSERT_TRUE(client.cancel_instance("early", "early_cancel"));
  E2eEnv env(store, activities(), orchestrations(), cancel_options());
  EXPECT_TRUE(is_cancelled_with(env.wait("early"), "early_cancel"));
}

TEST(E2eCancellation, explicit_drop_activity_triggers_cancellation) {
  g_saw_cancellation = false;
  const int started = g_until_cancelled_started;
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("drop", "ExplicitDropActivity", "explicit"));
  raise_running_once_started(env, "drop", started);
  EXPECT_EQ(env.output_of("drop"), "completed_after_drop");
  EXPECT_TRUE(wait_until([] { return g_saw_cancellation.load(); }, std::chrono::seconds(10)));
}

TEST(E2eCancellation, activity_out_of_scope_triggers_cancellation) {
  g_saw_cancellation = false;
  const int started = g_until_cancelled_started;
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("scope", "ExplicitDropActivity", "scope"));
  raise_running_once_started(env, "scope", started);
  EXPECT_EQ(env.output_of("scope"), "completed_without_await");
  EXPECT_TRUE(wait_until([] { return g_saw_cancellation.load(); }, std::chrono::seconds(10)));
}

void expect_child_cancelled(E2eEnv& env, const std::string& child) {
  const auto status = env.wait(child);
  EXPECT_TRUE(status.is_failed()) << child << " " << status.name();
  EXPECT_FALSE(status.is_completed());
}

TEST(E2eCancellation, select2_loser_sub_orchestration_cancelled) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("p", "SelectChildForever", ""));
  EXPECT_EQ(env.output_of("p"), "timer_won");
  expect_child_cancelled(env, "p::sub::2");
}

TEST(E2eCancellation, select2_loser_sub_orchestration_explicit_id_cancelled) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("p", "SelectChildForever", "explicit"));
  EXPECT_EQ(env.output_of("p"), "timer_won");
  const auto history = env.history("p");
  const auto scheduled = std::find_if(history.begin(), history.end(),
                                      [](const Event& e) { return e.is<events::SubOrchestrationScheduled>(); });
  ASSERT_NE(scheduled, history.end());
  EXPECT_EQ(scheduled->get_if<events::SubOrchestrationScheduled>()->instance, "my-explicit-child-id");
  expect_child_cancelled(env, "my-explicit-child-id");
}

TEST(E2eCancellation, explicit_drop_sub_orchestration_cancelled) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("p", "DropsChild", "explicit"));
  EXPECT_EQ(env.output_of("p"), "parent_completed_after_drop");
  expect_child_cancelled(env, "p::sub::2");
}

TEST(E2eCancellation, user_cancel_instance_and_dropped_future_both_enqueue_cancelinstance_for_child) {
  // Without the reference's recording store: the user's cancel and the runtime's dropped-future
  // cancel both reach the child, which ends cancelled once; the parent records the drop.
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("combo", "DropsChild", "explicit"));
  ASSERT_TRUE(env.client.cancel_instance("combo::sub::2", "user_cancel"));
  EXPECT_EQ(env.output_of("combo"), "parent_completed_after_drop");
  expect_child_cancelled(env, "combo::sub::2");
  EXPECT_EQ(count_of<events::OrchestrationCancelRequested>(env.history("combo::sub::2")), 1u);
  const auto history = env.history("combo");
  const auto dropped = std::find_if(history.begin(), history.end(),
                                    [](const Event& e) { return e.is<events::SubOrchestrationCancelRequested>(); });
  ASSERT_NE(dropped, history.end());
  EXPECT_EQ(dropped->get_if<events::SubOrchestrationCancelRequested>()->reason, "dropped_future");
}

TEST(E2eCancellation, sub_orchestration_out_of_scope_cancelled) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("p", "DropsChild", "scope"));
  EXPECT_EQ(env.output_of("p"), "parent_completed_without_await");
  expect_child_cancelled(env, "p::sub::2");
}

TEST(E2eCancellation, positional_arrival_before_sub_outstanding) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("early", "EarlyPositional", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "early"));  // to "Proceed"
  // Raised before the wait for it exists: recorded, never delivered.
  ASSERT_TRUE(env.client.raise_event("early", "MyEvent", "too soon"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalEvent>(*env.store, "early"));
  ASSERT_TRUE(env.client.raise_event("early", "Proceed", ""));
  EXPECT_EQ(env.output_of("early"), "timeout");
  const auto history = env.history("early");
  const auto cancelled = std::find_if(history.begin(), history.end(),
                                      [](const Event& e) { return e.is<events::ExternalSubscribedCancelled>(); });
  ASSERT_NE(cancelled, history.end());
  EXPECT_EQ(cancelled->get_if<events::ExternalSubscribedCancelled>()->reason, "dropped_future");
}

TEST(E2eCancellation, cancelled_subscription_does_not_steal_future_event) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("steal", "CancelledThenNewWait", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribedCancelled>(*env.store, "steal"));
  ASSERT_TRUE(wait_until([&] {
    auto history = env.store->read("steal");
    return history && count_of<events::ExternalSubscribed>(*history) == 2;
  }));
  ASSERT_TRUE(env.client.raise_event("steal", "Signal", "hello"));
  EXPECT_EQ(env.output_of("steal"), "got:hello");
}

TEST(E2eCancellation, positional_matching_fifo_without_cancellation) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("fifo", "TwoWaits", "Data"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "fifo"));
  ASSERT_TRUE(env.client.raise_event("fifo", "Data", "first"));
  ASSERT_TRUE(wait_until([&] {
    auto history = env.store->read("fifo");
    return history && count_of<events::ExternalSubscribed>(*history) == 2;
  }));
  ASSERT_TRUE(env.client.raise_event("fifo", "Data", "second"));
  EXPECT_EQ(env.output_of("fifo"), "first,second");
}

TEST(E2eCancellation, duplicate_external_events_not_deduplicated) {
  E2eEnv env(activities(), orchestrations(), cancel_options());
  ASSERT_TRUE(env.client.start_orchestration("dup", "TwoWaits", "Dup"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "dup"));
  ASSERT_TRUE(env.client.raise_event("dup", "Dup", "same_payload"));
  ASSERT_TRUE(wait_until([&] {
    auto history = env.store->read("dup");
    return history && count_of<events::ExternalSubscribed>(*history) == 2;
  }));
  ASSERT_TRUE(env.client.raise_event("dup", "Dup", "same_payload"));
  EXPECT_EQ(env.output_of("dup"), "same_payload,same_payload");
}

}  // namespace
}  // namespace duroxide::testing
