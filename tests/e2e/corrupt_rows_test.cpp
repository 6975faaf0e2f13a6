// Corrupt stored rows of a running instance (issue #12 item 3, docs/failure-modes-corrupt-rows.md):
// each test lets a first runtime bring an instance to a waiting point, stops it, corrupts a row
// through the store's test hooks, and proves that a second runtime brings the instance to a
// terminal state carrying the problem, and that the raw row is listed as a dead letter.
#include <gtest/gtest.h>

#include "providers/sqlite/sqlite_store.hpp"
#include "support/e2e_support.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::int64_t query(SqliteProvider& store, const std::string& sql, const std::string& instance) {
  auto value = store.store().query_int_for_tests(sql, instance);
  if (!value) throw std::runtime_error(value.error().to_string());
  return *value;
}

void run_sql(SqliteProvider& store, const std::string& sql, const std::string& instance) {
  auto done = store.store().run_for_tests(sql, instance);
  if (!done) throw std::runtime_error(done.error().to_string());
}

/// Failed's display message, or "" and a test failure for any other status.
std::string failure_of(const OrchestrationStatus& status) {
  const auto* failed = status.get_if<status::Failed>();
  if (failed == nullptr) {
    ADD_FAILURE() << "expected Failed, got " << status.name();
    return "";
  }
  return failed->details.display_message();
}

Task<Result<std::string>> activity_then_report(OrchestrationContext ctx, std::string) {
  auto result = co_await ctx.schedule_activity("Echo", "hello");
  if (result) co_return std::string("completed: ") + *result;
  co_return std::string("activity failed: ") + result.error();
}

Task<Result<std::string>> wait_for_go(OrchestrationContext ctx, std::string) {
  auto data = co_await ctx.schedule_wait("go");
  co_return std::string("got ") + data;
}

ActivityRegistry echo_activity() {
  return ActivityRegistry::builder()
      .add("Echo", [](ActivityContext&, std::string input) -> Result<std::string> { return input; })
      .build();
}

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder()
      .add("ActivityThenReport", activity_then_report)
      .add("WaitForGo", wait_for_go)
      .build();
}

RuntimeOptions without_workers() {
  auto options = fast_options();
  options.worker_concurrency = 0;
  return options;
}

/// Runs a runtime over `store` until `ready` holds, then shuts it down.
void run_until(const std::shared_ptr<SqliteProvider>& store, RuntimeOptions options,
               const std::function<bool()>& ready) {
  auto runtime = Runtime::start(store, echo_activity(), orchestrations(), std::move(options));
  const bool reached = wait_until(ready);
  runtime->shutdown(5s);
  ASSERT_TRUE(reached) << "the first runtime did not bring the instance to its waiting point";
}

bool waits_for_event(Provider& store, const std::string& instance) {
  auto history = store.read(instance);
  return history && std::any_of(history->begin(), history->end(),
                                [](const Event& e) { return e.is<events::ExternalSubscribed>(); });
}

/// The client's dead letters of `instance` (a test failure when the call fails).
std::vector<DeadLetter> dead_letters_of(const Client& client, const std::string& instance) {
  auto letters = client.list_dead_letters();
  if (!letters) {
    ADD_FAILURE() << "list_dead_letters: " << letters.error().to_string();
    return {};
  }
  std::vector<DeadLetter> out;
  for (auto& letter : *letters) {
    if (letter.instance_id == instance) out.push_back(std::move(letter));
  }
  return out;
}

/// A store where `instance` ("ActivityThenReport") has scheduled its activity, still queued: no
/// worker slot ran it.
std::shared_ptr<SqliteProvider> store_with_queued_activity(const std::string& instance) {
  auto store = memory_store();
  Client client(store);
  EXPECT_TRUE(client.start_orchestration(instance, "ActivityThenReport", ""));
  run_until(store, without_workers(),
            [&] { return query(*store, "SELECT COUNT(*) FROM worker_queue WHERE instance_id = ?1", instance) == 1; });
  return store;
}

/// Waits for `instance` to complete and checks that its activity failed with `reason` in the error.
void expect_activity_failed(E2eEnv& env, const std::string& instance, const std::string& reason) {
  const auto status = env.wait(instance);
  const auto* completed = status.get_if<status::Completed>();
  ASSERT_NE(completed, nullptr) << status.name();
  EXPECT_TRUE(contains(completed->output, "activity failed: ")) << completed->output;
  EXPECT_TRUE(contains(completed->output, reason)) << completed->output;
}

TEST(E2eCorruptRows, corrupt_activity_row_fails_the_activity_and_the_orchestration_handles_it) {
  auto store = store_with_queued_activity("corrupt-activity");
  run_sql(*store, "UPDATE worker_queue SET work_item = '{\"type\":\"ActivityExecute\",' WHERE instance_id = ?1",
          "corrupt-activity");

  E2eEnv env(store, echo_activity(), orchestrations());
  expect_activity_failed(env, "corrupt-activity", "worker_queue row");

  const auto letters = dead_letters_of(env.client, "corrupt-activity");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].queue, "worker_queue");
  EXPECT_EQ(letters[0].raw_text, "{\"type\":\"ActivityExecute\",");
  EXPECT_EQ(letters[0].execution_id, 1u);
  EXPECT_TRUE(letters[0].activity_id.has_value());
}

TEST(E2eCorruptRows, activity_row_naming_another_instance_fails_the_activity_of_its_row) {
  auto store = store_with_queued_activity("row-owner");
  run_sql(*store,
          "UPDATE worker_queue SET work_item = replace(work_item, 'row-owner', 'someone-else') WHERE "
          "instance_id = ?1",
          "row-owner");

  E2eEnv env(store, echo_activity(), orchestrations());
  expect_activity_failed(env, "row-owner", "someone-else");
  EXPECT_EQ(dead_letters_of(env.client, "row-owner").size(), 1u);
}

TEST(E2eCorruptRows, corrupt_queued_start_fails_the_instance_with_the_decode_error) {
  auto store = memory_store();
  Client client(store);
  ASSERT_TRUE(client.start_orchestration("corrupt-start", "WaitForGo", ""));
  run_sql(*store, "UPDATE orchestrator_queue SET work_item = 'not json at all' WHERE instance_id = ?1",
          "corrupt-start");

  E2eEnv env(store, echo_activity(), orchestrations());
  const auto message = failure_of(env.wait("corrupt-start"));
  EXPECT_TRUE(contains(message, "orchestrator_queue row")) << message;
  EXPECT_TRUE(contains(message, "could not be decoded")) << message;

  const auto letters = dead_letters_of(env.client, "corrupt-start");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].queue, "orchestrator_queue");
  EXPECT_EQ(letters[0].raw_text, "not json at all");
}

TEST(E2eCorruptRows, corrupt_message_for_a_running_instance_fails_it) {
  auto store = memory_store();
  Client client(store);
  ASSERT_TRUE(client.start_orchestration("corrupt-event", "WaitForGo", ""));
  run_until(store, fast_options(), [&] { return waits_for_event(*store, "corrupt-event"); });
  ASSERT_TRUE(client.raise_event("corrupt-event", "go", "payload"));
  run_sql(*store, "UPDATE orchestrator_queue SET work_item = '{\"type\":' WHERE instance_id = ?1", "corrupt-event");

  E2eEnv env(store, echo_activity(), orchestrations());
  const auto message = failure_of(env.wait("corrupt-event"));
  EXPECT_TRUE(contains(message, "could not be decoded")) << message;
  EXPECT_EQ(dead_letters_of(env.client, "corrupt-event").size(), 1u);
}

TEST(E2eCorruptRows, current_execution_pointing_at_no_execution_fails_the_instance) {
  auto store = memory_store();
  Client client(store);
  ASSERT_TRUE(client.start_orchestration("lost-execution", "WaitForGo", ""));
  run_until(store, fast_options(), [&] { return waits_for_event(*store, "lost-execution"); });
  run_sql(*store, "UPDATE instances SET current_execution_id = 7 WHERE instance_id = ?1", "lost-execution");
  ASSERT_TRUE(client.raise_event("lost-execution", "go", "payload"));

  E2eEnv env(store, echo_activity(), orchestrations());
  const auto message = failure_of(env.wait("lost-execution"));
  EXPECT_TRUE(contains(message, "current execution 7")) << message;
  auto info = env.client.get_instance_info("lost-execution");
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->status, ExecutionStatus::Failed);
}

}  // namespace
}  // namespace duroxide::testing
