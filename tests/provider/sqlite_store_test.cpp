// Mirrors duroxide's tests/provider_atomic_tests.rs and sqlite_tests.rs: the SQLite store through the Provider API,
// directly and through the InstrumentedProvider wrapper.
#include <gtest/gtest.h>

#include <thread>

#include <duroxide/instrumented_provider.hpp>
#include <duroxide/sqlite_provider.hpp>

#include "provider/validation/validation_helpers.hpp"
#include "providers/sqlite/sqlite_store.hpp"
#include "support/e2e_support.hpp"

namespace duroxide::validation {
namespace {

using testing::TempDir;

std::shared_ptr<SqliteProvider> open_memory() { return testing::memory_store(); }

/// Seeds `instance` with these events (through a start → fetch → ack), leaving no queued message.
void seed(Provider& p, const std::string& instance, std::vector<Event> events,
          ExecutionMetadata metadata = instance_metadata()) {
  must(p.enqueue_for_orchestrator(start_item(instance), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(p, 5s);
  must(p.ack_orchestration_item(item.lock_token, make_ack(1, std::move(events), std::move(metadata))), "ack");
}

// ---- provider_atomic_tests.rs ----

TEST(ProviderSqliteAtomic, test_ignore_work_after_terminal_event) {
  auto p = open_memory();
  seed(*p, "done", {started_event("done"), completed_event("done", 1, 2, "ok")},
       instance_metadata("TestOrch", "1.0.0", "Completed", "ok"));
  must(p->enqueue_for_orchestrator(external_item("done"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, 5s);
  EXPECT_EQ(item.item.messages.size(), 1u);
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {})), "empty ack");
  EXPECT_FALSE(fetch_orchestration(*p, 5s).has_value());
  EXPECT_EQ(must(p->read("done"), "read").size(), 2u);
}

TEST(ProviderSqliteAtomic, test_fetch_orchestration_item_new_instance) {
  auto p = open_memory();
  must(p->enqueue_for_orchestrator(start_item("new"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, 5s);
  EXPECT_EQ(item.item.instance, "new");
  EXPECT_EQ(item.item.orchestration_name, "TestOrch");
  EXPECT_EQ(item.item.version, "1.0.0");
  EXPECT_EQ(item.item.execution_id, 1u);
  EXPECT_TRUE(item.item.history.empty());
  EXPECT_EQ(item.item.messages.size(), 1u);
}

TEST(ProviderSqliteAtomic, test_fetch_orchestration_item_existing_instance) {
  auto p = open_memory();
  seed(*p, "inst", {started_event("inst"), activity_scheduled_event("inst", 1, 2)});
  must(p->enqueue_for_orchestrator(activity_completed_item("inst", 1, 2), std::nullopt), "completion");
  auto item = must_fetch_orchestration(*p, 5s);
  EXPECT_EQ(item.item.history.size(), 2u);
  ASSERT_EQ(item.item.messages.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<work_items::ActivityCompleted>(item.item.messages[0]));
}

TEST(ProviderSqliteAtomic, test_fetch_orchestration_item_no_work) {
  auto p = open_memory();
  EXPECT_FALSE(fetch_orchestration(*p, 5s).has_value());
}

TEST(ProviderSqliteAtomic, test_ack_orchestration_item_atomic) {
  auto p = open_memory();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, 5s);
  OrchestrationAck ack =
      make_ack(1, {started_event("inst"), activity_scheduled_event("inst", 1, 2)}, instance_metadata());
  ack.worker_items.push_back(activity_execute_item("inst", 1, 2));
  must(p->ack_orchestration_item(item.lock_token, ack), "ack");
  EXPECT_EQ(must(p->read("inst"), "read").size(), 2u);
  EXPECT_TRUE(fetch_work(*p, 5s).has_value());
  EXPECT_FALSE(fetch_orchestration(*p, 5s).has_value());
}

TEST(ProviderSqliteAtomic, test_ack_orchestration_item_error_handling) {
  auto p = open_memory();
  auto error = must_fail(p->ack_orchestration_item("bogus", make_ack(1, {})), "ack");
  EXPECT_NE(error.message.find("Invalid lock token"), std::string::npos);
}

TEST(ProviderSqliteAtomic, test_abandon_orchestration_item) {
  auto p = open_memory();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, 5s);
  must(p->abandon_orchestration_item(item.lock_token, std::nullopt, false), "abandon");
  EXPECT_TRUE(fetch_orchestration(*p, 5s).has_value());
}

TEST(ProviderSqliteAtomic, test_abandon_orchestration_item_with_delay) {
  auto p = open_memory();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, 5s);
  must(p->abandon_orchestration_item(item.lock_token, 300ms, false), "abandon");
  EXPECT_FALSE(fetch_orchestration(*p, 5s).has_value());
  wait_past(300ms);
  EXPECT_TRUE(fetch_orchestration(*p, 5s).has_value());
}

TEST(ProviderSqliteAtomic, test_abandon_orchestration_item_error_handling) {
  auto p = open_memory();
  must_fail(p->abandon_orchestration_item("bogus", std::nullopt, false), "abandon");
}

TEST(ProviderSqliteAtomic, test_in_memory_provider_atomic_operations) {
  auto p = open_memory();
  must(p->enqueue_for_orchestrator(start_item("inst"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, 5s);
  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {started_event("inst")}, instance_metadata())), "ack");
  EXPECT_EQ(must(p->read("inst"), "read").size(), 1u);
  auto next = poke(*p, "inst", 5s);
  must(p->abandon_orchestration_item(next.lock_token, std::nullopt, false), "abandon");
  EXPECT_TRUE(fetch_orchestration(*p, 5s).has_value());
}

// ---- sqlite_tests.rs ----

TEST(ProviderSqliteStore, test_sqlite_provider_basic) {
  auto p = open_memory();
  must(p->enqueue_for_orchestrator(start_item("basic"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, 5s);
  EXPECT_EQ(item.item.orchestration_name, "TestOrch");
  EXPECT_EQ(item.item.version, "1.0.0");
  EXPECT_EQ(item.item.execution_id, 1u);
  EXPECT_EQ(item.item.messages.size(), 1u);
  EXPECT_TRUE(item.item.history.empty());
  must(p->ack_orchestration_item(
           item.lock_token,
           make_ack(1, {started_event("basic"), activity_scheduled_event("basic", 1, 2)}, instance_metadata())),
       "ack");
  EXPECT_EQ(must(p->read("basic"), "read").size(), 2u);
}

TEST(ProviderSqliteStore, test_execution_status_completed) {
  auto p = open_memory();
  seed(*p, "ok", {started_event("ok"), completed_event("ok", 1, 2, "Success")},
       instance_metadata("TestOrch", "1.0.0", "Completed", "Success"));
  EXPECT_EQ(must(p->list_executions("ok"), "list"), std::vector<std::uint64_t>{1});
  const auto info = must(p->get_execution_info("ok", 1), "info");
  EXPECT_EQ(info.status, ExecutionStatus::Completed);
  EXPECT_EQ(info.output, "Success");
}

TEST(ProviderSqliteStore, test_execution_status_failed) {
  auto p = open_memory();
  seed(*p, "bad", {started_event("bad"), failed_event("bad", 1, 2, "Error occurred")},
       instance_metadata("TestOrch", "1.0.0", "Failed", "Error occurred"));
  const auto info = must(p->get_execution_info("bad", 1), "info");
  EXPECT_EQ(info.status, ExecutionStatus::Failed);
  EXPECT_EQ(info.output, "Error occurred");
}

TEST(ProviderSqliteStore, test_sqlite_basic_persistence) {
  TempDir dir;
  {
    auto p = testing::disk_store(dir.url());
    must(p->enqueue_for_worker(activity_execute_item("inst", 1, 1, "First", "one")), "enqueue 1");
    must(p->enqueue_for_worker(activity_execute_item("inst", 1, 2, "Second", "two")), "enqueue 2");
  }
  auto p = testing::disk_store(dir.url());
  auto first = must_fetch_work(*p, 5s);
  EXPECT_EQ(activity_of(first).name, "First");
  EXPECT_EQ(activity_of(first).input, "one");
  must(p->ack_work_item(first.lock_token, std::nullopt), "ack");
  auto second = must_fetch_work(*p, 5s);
  EXPECT_EQ(activity_of(second).name, "Second");
  must(p->ack_work_item(second.lock_token, std::nullopt), "ack");
  EXPECT_FALSE(fetch_work(*p, 5s).has_value());
}

TEST(ProviderSqliteStore, test_sqlite_file_concurrent_access) {
  TempDir dir;
  auto p = testing::disk_store(dir.url());
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back(
        [&, i] { must(p->enqueue_for_orchestrator(start_item("c" + std::to_string(i)), std::nullopt), "enqueue"); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 10; ++i) {
    auto item = must_fetch_orchestration(*p, 5s);
    must(p->ack_orchestration_item(item.lock_token,
                                   make_ack(1, {started_event(item.item.instance)}, instance_metadata())),
         "ack");
  }
  EXPECT_EQ(must(p->list_instances(), "list").size(), 10u);
}

Task<Result<std::string>> timer_then_post(OrchestrationContext ctx, std::string) {
  co_await ctx.schedule_timer(std::chrono::milliseconds(500));
  auto r = co_await ctx.schedule_activity("PostTimer", "");
  co_return "Timer fired, then: " + r.value_or("?");
}

TEST(ProviderSqliteStore, timer_recovery_after_crash_before_fire) {
  TempDir dir;
  auto orchestrations = OrchestrationRegistry::builder().add("TimerThenPost", timer_then_post).build();
  auto post =
      ActivityRegistry::builder()
          .add("PostTimer", [](ActivityContext&, std::string) -> Result<std::string> { return std::string("done"); })
          .build();
  {
    testing::E2eEnv first(testing::disk_store(dir.url()), post, orchestrations);
    ASSERT_TRUE(first.client.start_orchestration("timer", "TimerThenPost", ""));
    ASSERT_TRUE(testing::wait_for_event_kind<events::TimerCreated>(*first.store, "timer"));
  }
  testing::E2eEnv second(testing::disk_store(dir.url()), post, orchestrations);
  EXPECT_EQ(second.output_of("timer"), "Timer fired, then: done");
}

TEST(ProviderSqliteStore, test_sqlite_provider_transactional) {
  auto p = open_memory();
  must(p->enqueue_for_orchestrator(start_item("tx"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(*p, 5s);
  OrchestrationAck ack = make_ack(1, {started_event("tx")}, instance_metadata());
  for (std::uint64_t id = 2; id <= 4; ++id) {
    ack.history_delta.push_back(activity_scheduled_event("tx", 1, id));
    ack.worker_items.push_back(activity_execute_item("tx", 1, id));
  }
  must(p->ack_orchestration_item(item.lock_token, ack), "ack");
  EXPECT_EQ(must(p->read("tx"), "read").size(), 4u);
  int fetched = 0;
  while (fetch_work(*p, 5s)) ++fetched;
  EXPECT_EQ(fetched, 3);
}

TEST(ProviderSqliteStore, test_sqlite_provider_timer_queue) {
  auto p = open_memory();
  seed(*p, "timer", {started_event("timer")});
  EXPECT_EQ(must(p->read("timer"), "read").size(), 1u);
}

TEST(ProviderSqliteStore, test_execution_status_running) {
  auto p = open_memory();
  seed(*p, "running", {started_event("running")});
  EXPECT_EQ(must(p->list_executions("running"), "list"), std::vector<std::uint64_t>{1});
  EXPECT_EQ(must(p->get_execution_info("running", 1), "info").status, ExecutionStatus::Running);
}

TEST(ProviderSqliteStore, test_execution_output_captured_on_continue_as_new) {
  auto p = open_memory();
  seed(*p, "can", {started_event("can"), continued_as_new_event("can", 1, 2)},
       instance_metadata("TestOrch", "1.0.0", "ContinuedAsNew", "next-input"));
  EXPECT_EQ(must(p->list_executions("can"), "list"), std::vector<std::uint64_t>{1});
  const auto info = must(p->get_execution_info("can", 1), "info");
  EXPECT_EQ(info.status, ExecutionStatus::ContinuedAsNew);
  EXPECT_EQ(info.output, "next-input");
}

TEST(ProviderSqliteStore, test_instrumented_provider_semantic_equivalence) {
  auto registry = std::make_shared<MetricsRegistry>();
  InstrumentedProvider p(open_memory(), registry);
  must(p.enqueue_for_orchestrator(start_item("wrapped"), std::nullopt), "enqueue");
  auto item = must_fetch_orchestration(p, 5s);
  EXPECT_EQ(item.attempt_count, 1u);
  EXPECT_EQ(item.item.instance, "wrapped");
  must(p.ack_orchestration_item(item.lock_token, make_ack(1, {started_event("wrapped")}, instance_metadata())), "ack");
  EXPECT_EQ(must(p.read("wrapped"), "read").size(), 1u);
  EXPECT_EQ(registry->counter_sum("duroxide_provider_errors_total"), 0);
  EXPECT_EQ(registry->histogram_count("duroxide_provider_operation_duration_seconds",
                                      {{"operation", "ack_orchestration_item"}, {"status", "success"}}),
            1u);
}

TEST(ProviderSqliteStore, test_instrumented_provider_error_paths) {
  auto registry = std::make_shared<MetricsRegistry>();
  InstrumentedProvider p(open_memory(), registry);
  auto acked = p.ack_orchestration_item("no-such-token", make_ack(1, {started_event("x")}, instance_metadata()));
  ASSERT_FALSE(acked);
  EXPECT_FALSE(acked.error().is_retryable());
  EXPECT_GE(registry->counter_sum("duroxide_provider_errors_total", {{"operation", "ack_orchestration_item"}}), 1);
  EXPECT_EQ(registry->histogram_count("duroxide_provider_operation_duration_seconds",
                                      {{"operation", "ack_orchestration_item"}, {"status", "error"}}),
            1u);
}

TEST(ProviderSqliteStore, test_instrumented_provider_management_passthrough) {
  auto inner = open_memory();
  InstrumentedProvider p(inner, std::make_shared<MetricsRegistry>());
  ASSERT_NE(p.as_management_capability(), nullptr);
  EXPECT_EQ(p.as_management_capability(), inner->as_management_capability());
  EXPECT_TRUE(must(p.as_management_capability()->list_instances(), "list").empty());
  EXPECT_EQ(p.name(), inner->name());
  EXPECT_EQ(p.version(), inner->version());
}

// ---- change signal (Provider::change_epoch) ----

/// A client waiting for one instance is not woken by the turns of instances in other buckets.
TEST(ProviderSqliteStore, ChangeEpochOfAnInstanceIgnoresTurnsOfOtherBuckets) {
  auto p = open_memory();
  const std::string watched = "watched";
  std::string other = "other-0";
  for (int i = 1; InstanceChanges::bucket_of(other) == InstanceChanges::bucket_of(watched); ++i) {
    other = "other-" + std::to_string(i);
  }
  const auto watched_before = p->change_epoch(watched);
  const auto other_before = p->change_epoch(other);
  seed(*p, other, {started_event(other)});
  EXPECT_NE(p->change_epoch(other), other_before) << "a committed turn bumps its own instance's epoch";
  EXPECT_EQ(p->change_epoch(watched), watched_before) << "a turn of another bucket must not wake this waiter";
  const auto start = std::chrono::steady_clock::now();
  p->wait_for_change(watched, watched_before, 50ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms) << "nothing changed for the watched instance";
  seed(*p, watched, {started_event(watched)});
  EXPECT_NE(p->change_epoch(watched), watched_before);
}

}  // namespace
}  // namespace duroxide::validation
