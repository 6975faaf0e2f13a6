// Mirrors duroxide's tests/reliability_tests.rs: duplicate deliveries (as after a crash between
// steps) are recorded at most once where the engine dedupes, and never break the orchestration; a
// runtime that dies around a turn's commit leaves work a new runtime finishes exactly once; a turn
// whose ack committed but whose reply was lost is not committed twice.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "support/e2e_support.hpp"
#include "support/fault_injection.hpp"
#include "support/forwarding_provider.hpp"

namespace duroxide::testing {
namespace {

template <class Kind>
std::size_t count_of(const std::vector<Event>& history) {
  return static_cast<std::size_t>(
      std::count_if(history.begin(), history.end(), [](const Event& e) { return e.is<Kind>(); }));
}

Task<Result<std::string>> waits_evt(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("Evt");
  co_return data;
}
Task<Result<std::string>> long_timer(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::hours(1));
  co_return "t";
}
Task<Result<std::string>> timer_then_step(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(10));
  auto r = co_await ctx.schedule_activity("Step", "");
  co_return r.value_or("err");
}
Task<Result<std::string>> blocked_activity(OrchestrationContext ctx, std::string) {
  auto r = co_await ctx.schedule_activity("NeverRegistered", "");
  co_return r.value_or("err");
}

Task<Result<std::string>> step_then_wait(OrchestrationContext ctx, std::string input) {
  auto step = co_await ctx.schedule_activity("Step", input);
  auto go = co_await ctx.schedule_wait("Go");
  co_return step.value_or("err") + "+" + go;
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("WaitsEvt", waits_evt)
      .add("StepThenWait", step_then_wait)
      .add("LongTimer", long_timer)
      .add("Blocked", blocked_activity)
      .add("TimerThenStep", timer_then_step)
      .build();
}

/// Stops the runtime, enqueues `items` directly (the same message twice, as a crashed sender
/// would), and lets a new runtime process them in one batch.
E2eEnv& redeliver(std::unique_ptr<E2eEnv>& env, const std::vector<WorkItem>& items) {
  auto store = env->store;
  env.reset();
  for (const auto& item : items) EXPECT_TRUE(store->enqueue_for_orchestrator(item, std::nullopt));
  env = std::make_unique<E2eEnv>(store, ActivityRegistry::builder().build(), orchestrations());
  return *env;
}

void duplicate_event(const std::string& instance) {
  auto env = std::make_unique<E2eEnv>(ActivityRegistry::builder().build(), orchestrations());
  ASSERT_TRUE(env->client.start_orchestration(instance, "WaitsEvt", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env->store, instance));
  const WorkItem raised = work_items::ExternalRaised{instance, "Evt", "ok"};
  auto& resumed = redeliver(env, {raised, raised});
  EXPECT_EQ(resumed.output_of(instance), "ok");
  // Both arrivals are recorded; only the first was delivered to the wait.
  EXPECT_EQ(count_of<events::ExternalEvent>(resumed.history(instance)), 2u);
}

TEST(E2eReliability, external_duplicate_workitems_dedup) { duplicate_event("dup-evt"); }

void duplicate_timer(const std::string& instance) {
  auto env = std::make_unique<E2eEnv>(ActivityRegistry::builder().build(), orchestrations());
  ASSERT_TRUE(env->client.start_orchestration(instance, "LongTimer", ""));
  ASSERT_TRUE(wait_for_event_kind<events::TimerCreated>(*env->store, instance));
  const WorkItem fired = work_items::TimerFired{instance, 1, 2, 0};
  auto& resumed = redeliver(env, {fired, fired});
  EXPECT_EQ(resumed.output_of(instance), "t");
  EXPECT_EQ(count_of<events::TimerFired>(resumed.history(instance)), 1u);
}

TEST(E2eReliability, timer_duplicate_workitems_dedup) { duplicate_timer("dup-timer"); }

TEST(E2eReliability, activity_duplicate_completion_workitems_dedup) {
  auto env = std::make_unique<E2eEnv>(ActivityRegistry::builder().build(), orchestrations());
  ASSERT_TRUE(env->client.start_orchestration("dup-act", "Blocked", ""));
  ASSERT_TRUE(wait_for_event_kind<events::ActivityScheduled>(*env->store, "dup-act"));
  const WorkItem completed = work_items::ActivityCompleted{"dup-act", 1, 2, "x"};
  auto& resumed = redeliver(env, {completed, completed});
  EXPECT_EQ(resumed.output_of("dup-act"), "x");
  const auto history = resumed.history("dup-act");
  EXPECT_EQ(std::count_if(history.begin(), history.end(),
                          [](const Event& e) { return e.is<events::ActivityCompleted>() && e.source_event_id == 2u; }),
            1);
}

/// The runtime's process, as the store sees it: it dies at the ack of the first turn whose history
/// delta holds a `Kind` event, before that ack reaches the store (`commit_first` false) or just
/// after it committed but before the runtime learned so (true). From then on the dead process
/// touches the store no more: every queue operation fails without reaching it, so the locks it
/// held lapse as a killed process's would.
template <class Kind>
class CrashingProvider : public ForwardingProvider {
 public:
  CrashingProvider(std::shared_ptr<Provider> inner, bool commit_first)
      : ForwardingProvider(std::move(inner)), commit_first_(commit_first) {}

  bool crashed() const { return dead_; }

  ProviderResult<void> ack_orchestration_item(const std::string& token, const OrchestrationAck& ack) override {
    if (dead_) return dead("ack_orchestration_item");
    const bool crash_point =
        std::any_of(ack.history_delta.begin(), ack.history_delta.end(), [](const Event& e) { return e.is<Kind>(); });
    if (!crash_point) return ForwardingProvider::ack_orchestration_item(token, ack);
    dead_ = true;  // before the commit: no other thread of the process reaches the store after it
    if (commit_first_) {
      EXPECT_TRUE(ForwardingProvider::ack_orchestration_item(token, ack));
    }
    return dead("ack_orchestration_item");
  }
  ProviderResult<std::optional<LockedOrchestrationItem>> fetch_orchestration_item(
      Millis lock_timeout, Millis poll_timeout, const DispatcherCapabilityFilter* filter,
      const KnownHistory* known = nullptr) override {
    if (dead_) return dead("fetch_orchestration_item");
    auto fetched = ForwardingProvider::fetch_orchestration_item(lock_timeout, poll_timeout, filter, known);
    // A long poll that locked an item as the process died: the lock is taken, the item never used.
    if (dead_) return dead("fetch_orchestration_item");
    return fetched;
  }
  ProviderResult<void> abandon_orchestration_item(const std::string& token, std::optional<Millis> delay,
                                                  bool ignore_attempt) override {
    if (dead_) return dead("abandon_orchestration_item");
    return ForwardingProvider::abandon_orchestration_item(token, delay, ignore_attempt);
  }
  ProviderResult<void> renew_orchestration_item_lock(const std::string& token, Millis extend_for) override {
    if (dead_) return dead("renew_orchestration_item_lock");
    return ForwardingProvider::renew_orchestration_item_lock(token, extend_for);
  }
  ProviderResult<std::optional<LockedWorkItem>> fetch_work_item(Millis lock_timeout, Millis poll_timeout,
                                                                const std::optional<SessionFetchConfig>& session,
                                                                const TagFilter& tags) override {
    if (dead_) return dead("fetch_work_item");
    auto fetched = ForwardingProvider::fetch_work_item(lock_timeout, poll_timeout, session, tags);
    if (dead_) return dead("fetch_work_item");
    return fetched;
  }
  ProviderResult<void> ack_work_item(const std::string& token, const std::optional<WorkItem>& completion) override {
    if (dead_) return dead("ack_work_item");
    return ForwardingProvider::ack_work_item(token, completion);
  }
  ProviderResult<void> abandon_work_item(const std::string& token, std::optional<Millis> delay,
                                         bool ignore_attempt) override {
    if (dead_) return dead("abandon_work_item");
    return ForwardingProvider::abandon_work_item(token, delay, ignore_attempt);
  }
  ProviderResult<void> renew_work_item_lock(const std::string& token, Millis extend_for) override {
    if (dead_) return dead("renew_work_item_lock");
    return ForwardingProvider::renew_work_item_lock(token, extend_for);
  }

 private:
  static std::unexpected<ProviderError> dead(const char* op) {
    return std::unexpected(ProviderError::transient(op, "the runtime's process has crashed"));
  }
  bool commit_first_;
  std::atomic<bool> dead_{false};
};

std::atomic<int> g_steps{0};

ActivityRegistry step_activities() {
  return ActivityRegistry::builder()
      .add("Step",
           [](ActivityContext&, std::string) -> Result<std::string> {
             ++g_steps;
             return std::string("step");
           })
      .build();
}

/// Short locks, so that the lock a crashed runtime held lapses soon for the next one.
RuntimeOptions short_locks() {
  RuntimeOptions options = fast_options();
  options.orchestrator_lock_timeout = std::chrono::seconds(1);
  options.orchestrator_lock_renewal_buffer = std::chrono::milliseconds(500);
  options.worker_lock_timeout = std::chrono::seconds(1);
  options.worker_lock_renewal_buffer = std::chrono::milliseconds(500);
  return options;
}

// The runtime dies after it fetched the raised event and before the turn recording it committed:
// nothing of that turn is stored, and a new runtime on the same store records the event once.
TEST(E2eReliability, crash_after_dequeue_before_append_completion) {
  auto store = test_store();
  auto crashing = std::make_shared<CrashingProvider<events::ExternalEvent>>(store, false);
  {
    E2eEnv first(crashing, ActivityRegistry::builder().build(), orchestrations(), short_locks());
    ASSERT_TRUE(first.client.start_orchestration("crash-evt", "WaitsEvt", ""));
    ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*store, "crash-evt"));
    ASSERT_TRUE(first.client.raise_event("crash-evt", "Evt", "ok"));
    ASSERT_TRUE(wait_until([&] { return crashing->crashed(); }));
  }
  auto history = store->read("crash-evt");
  ASSERT_TRUE(history);
  EXPECT_EQ(count_of<events::ExternalEvent>(*history), 0u) << "the crash came before the commit";

  E2eEnv second(store, ActivityRegistry::builder().build(), orchestrations(), short_locks());
  EXPECT_EQ(second.output_of("crash-evt"), "ok");
  EXPECT_EQ(count_of<events::ExternalEvent>(second.history("crash-evt")), 1u);
}

// The runtime dies after the turn recording the fired timer committed (history appended, message
// acknowledged, activity enqueued) and before it learned so: a new runtime runs the activity once
// and the timer is recorded once.
TEST(E2eReliability, crash_after_append_before_ack_timer) {
  auto store = test_store();
  auto crashing = std::make_shared<CrashingProvider<events::TimerFired>>(store, true);
  const int before = g_steps;
  {
    E2eEnv first(crashing, step_activities(), orchestrations(), short_locks());
    ASSERT_TRUE(first.client.start_orchestration("crash-timer", "TimerThenStep", ""));
    ASSERT_TRUE(wait_until([&] { return crashing->crashed(); }));
  }
  auto history = store->read("crash-timer");
  ASSERT_TRUE(history);
  EXPECT_EQ(count_of<events::TimerFired>(*history), 1u) << "the crash came after the commit";
  EXPECT_EQ(g_steps - before, 0) << "the dead runtime ran the activity";

  E2eEnv second(store, step_activities(), orchestrations(), short_locks());
  EXPECT_EQ(second.output_of("crash-timer"), "step");
  const auto final_history = second.history("crash-timer");
  EXPECT_EQ(count_of<events::TimerFired>(final_history), 1u);
  EXPECT_EQ(count_of<events::ActivityScheduled>(final_history), 1u);
  EXPECT_EQ(g_steps - before, 1);
}

// The store commits a turn and the reply is lost (on PostgreSQL: the connection drops after the
// COMMIT), once for the first turn and once for the last. The runtime's retry of the ack finds the
// lock already used; the turn must stay committed exactly once, never be redone or failed on top.
TEST(E2eReliability, lost_ack_reply_commits_the_turn_once) {
  auto failing = std::make_shared<FailingProvider>(test_store());
  const int steps_before = g_steps;
  E2eEnv env(failing, step_activities(), orchestrations());
  failing->lose_next_orchestration_ack_replies(1);  // the start turn: nothing else acks before it
  ASSERT_TRUE(env.client.start_orchestration("lost-reply", "StepThenWait", "in"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*env.store, "lost-reply"));
  ASSERT_EQ(failing->lost_orchestration_ack_replies(), 1);
  // The instance is idle, waiting: the next ack is the turn that receives Go and completes.
  failing->lose_next_orchestration_ack_replies(1);
  ASSERT_TRUE(env.client.raise_event("lost-reply", "Go", "go"));
  EXPECT_EQ(env.output_of("lost-reply"), "step+go");
  EXPECT_EQ(g_steps - steps_before, 1) << "the activity ran again";

  const auto history = env.history("lost-reply");
  EXPECT_EQ(count_of<events::OrchestrationStarted>(history), 1u);
  EXPECT_EQ(count_of<events::ActivityScheduled>(history), 1u);
  EXPECT_EQ(count_of<events::ActivityCompleted>(history), 1u);
  EXPECT_EQ(count_of<events::ExternalSubscribed>(history), 1u);
  EXPECT_EQ(count_of<events::ExternalEvent>(history), 1u);
  EXPECT_EQ(count_of<events::OrchestrationCompleted>(history), 1u);
  EXPECT_EQ(count_of<events::OrchestrationFailed>(history), 0u);
  std::set<std::uint64_t> ids;
  for (const auto& event : history) EXPECT_TRUE(ids.insert(event.event_id).second) << "event id " << event.event_id;

  // The runtime knows the turns were committed: counted once, not reported as uncommittable. After
  // shutdown every slot has finished its turn, so the counters are final.
  env.runtime->shutdown(10s);
  EXPECT_EQ(failing->lost_orchestration_ack_replies(), 2);
  const auto metrics = env.runtime->metrics_snapshot();
  EXPECT_EQ(metrics.orch_starts, 1u);
  EXPECT_EQ(metrics.orch_completions, 1u);
  EXPECT_EQ(metrics.orch_failures, 0u);
  EXPECT_EQ(metrics.orch_uncommittable_turns, 0u);
}

}  // namespace
}  // namespace duroxide::testing
