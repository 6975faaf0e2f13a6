// Turns that can never commit end their instance instead of being retried forever (issue #12
// item 5; docs/failure-modes-runtime.md): a history row whose event names another id than its
// row is reported as undecodable history (and the instance ends Failed after max_attempts); a
// start event over the store's size limit ends the instance Failed with the sizes, its input
// replaced by a note; a batch whose failure cannot be committed either is retried with backoff,
// logged and counted, and goes on once the store accepts it; the client refuses a start whose
// OrchestrationStarted event would be over the limit.
#include <gtest/gtest.h>

#include <duroxide/wire.hpp>

#include "support/e2e_support.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"
#include "support/store_sql.hpp"

namespace duroxide::testing {
namespace {

using namespace std::chrono_literals;

Task<Result<std::string>> waits_for_go(OrchestrationContext ctx, std::string) {
  auto go = co_await ctx.schedule_wait("go");
  co_return "got " + go;
}

Task<Result<std::string>> plain(OrchestrationContext, std::string input) { co_return "done:" + input; }

OrchestrationRegistry orchestrations() {
  return OrchestrationRegistry::builder().add("WaitsForGo", waits_for_go).add("Plain", plain).build();
}

/// Polls the management view until the instance's status is terminal; returns its info.
std::optional<InstanceInfo> wait_for_terminal_info(const Client& client, const std::string& instance,
                                                   std::chrono::milliseconds timeout) {
  std::optional<InstanceInfo> info;
  wait_until(
      [&] {
        auto read = client.get_instance_info(instance);
        if (read && (read->status == ExecutionStatus::Failed || read->status == ExecutionStatus::Completed))
          info = *read;
        return info.has_value();
      },
      timeout);
  return info;
}

TEST(E2eUncommittableTurns, history_row_with_another_event_id_fails_the_instance_naming_the_row) {
  auto store = test_store();
  auto options = fast_options();
  options.max_attempts = 2;
  E2eEnv env(store, ActivityRegistry::builder().build(), orchestrations(), options);
  const std::string instance = "row-id-mismatch";
  ASSERT_TRUE(env.client.start_orchestration(instance, "WaitsForGo", "{}"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*store, instance));
  // Row 2 now holds an event that says it is event 1: every append after it used to collide.
  ASSERT_EQ(store_exec(*store,
                       "UPDATE history SET event_data = json_set(event_data, '$.event_id', 1) WHERE "
                       "instance_id = ?1 AND event_id = 2",
                       instance,
                       "UPDATE history SET event_data = jsonb_set(event_data::jsonb, '{event_id}', '1')::text WHERE "
                       "instance_id = ?1 AND event_id = 2"),
            1);
  ASSERT_TRUE(env.client.raise_event(instance, "go", "now"));

  const auto info = wait_for_terminal_info(env.client, instance, 30s);
  ASSERT_TRUE(info.has_value()) << "the instance never ended";
  EXPECT_EQ(info->status, ExecutionStatus::Failed);
  ASSERT_TRUE(info->output.has_value());
  EXPECT_NE(info->output->find("execution 1 event 2"), std::string::npos) << *info->output;
  EXPECT_NE(info->output->find("event_id 1"), std::string::npos) << *info->output;
  // The client's status comes from the metadata and the failure event, so it reports the failure;
  // the history itself stays unreadable, and a read of it says which row.
  auto status = env.client.get_orchestration_status(instance);
  ASSERT_TRUE(status.has_value()) << status.error().to_string();
  const auto* failed = status->get_if<status::Failed>();
  ASSERT_NE(failed, nullptr) << status->name();
  EXPECT_NE(failed->details.display_message().find("execution 1 event 2"), std::string::npos)
      << failed->details.display_message();
  auto history = store->read(instance);
  ASSERT_FALSE(history.has_value());
  EXPECT_NE(history.error().to_string().find("event 2"), std::string::npos) << history.error().to_string();
}

TEST(E2eUncommittableTurns, history_row_with_another_event_id_is_undecodable_history) {
  auto store = test_store();
  E2eEnv env(store, ActivityRegistry::builder().build(), orchestrations());
  const std::string instance = "row-id-mismatch-read";
  ASSERT_TRUE(env.client.start_orchestration(instance, "WaitsForGo", "{}"));
  ASSERT_TRUE(wait_for_event_kind<events::ExternalSubscribed>(*store, instance));
  env.runtime->shutdown(5s);
  ASSERT_EQ(
      store_exec(*store,
                 "UPDATE history SET event_data = json_set(event_data, '$.execution_id', 7) WHERE "
                 "instance_id = ?1 AND event_id = 2",
                 instance,
                 "UPDATE history SET event_data = jsonb_set(event_data::jsonb, '{execution_id}', '7')::text WHERE "
                 "instance_id = ?1 AND event_id = 2"),
      1);
  auto read = store->read(instance);
  ASSERT_FALSE(read.has_value());
  EXPECT_FALSE(read.error().is_retryable());
  EXPECT_NE(read.error().message.find("execution 1 event 2: the row holds an event with event_id 2 and execution_id 7"),
            std::string::npos)
      << read.error().to_string();
}

/// A store whose size limit is small enough for a test, and the input size that makes a start's
/// work item exactly fit it while its OrchestrationStarted event does not.
constexpr std::size_t kSmallLimit = 64 * 1024;

std::size_t input_that_fits_item_not_event(const std::string& instance, const std::string& name, std::size_t limit) {
  const auto overhead = serialize_work_item(work_items::StartOrchestration{instance, name, "", std::nullopt,
                                                                           std::nullopt, std::nullopt, 1})
                            .size();
  return limit - overhead;
}

TEST(E2eUncommittableTurns, start_event_over_the_size_limit_fails_the_instance_with_the_sizes) {
  E2eEnv env(test_store(kSmallLimit), ActivityRegistry::builder().build(), orchestrations());
  const std::string instance = "oversize-start-event";
  const std::string input(input_that_fits_item_not_event(instance, "Plain", kSmallLimit), 'i');
  // Enqueued below the client, whose own check would refuse it (the test after this one).
  ASSERT_TRUE(env.store->enqueue_for_orchestrator(
      work_items::StartOrchestration{instance, "Plain", input, std::nullopt, std::nullopt, std::nullopt, 1},
      std::nullopt));

  const auto status = env.wait(instance, 30s);
  const auto* failed = status.get_if<status::Failed>();
  ASSERT_NE(failed, nullptr) << "ended " << status.name();
  const auto message = failed->details.display_message();
  EXPECT_EQ(failed->details.category(), "infrastructure") << message;
  EXPECT_NE(message.find(fmt::format("the store's limit is {} bytes", kSmallLimit)), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("input of {} bytes", input.size())), std::string::npos) << message;
  EXPECT_NE(message.find("replaced by a note"), std::string::npos) << message;
  const auto history = env.history(instance);
  ASSERT_FALSE(history.empty());
  const auto* started = history.front().get_if<events::OrchestrationStarted>();
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(started->name, "Plain");
  EXPECT_NE(started->input.find("not stored"), std::string::npos) << started->input;
  EXPECT_TRUE(history.back().is<events::OrchestrationFailed>());
  EXPECT_EQ(env.runtime->metrics_snapshot().orch_uncommittable_turns, 0u);
}

TEST(E2eUncommittableTurns, client_refuses_a_start_whose_start_event_would_be_over_the_limit) {
  auto store = test_store();
  Client client(store);
  const std::string instance = "oversize-at-client";
  const std::string input(input_that_fits_item_not_event(instance, "Plain", kDefaultMaxPayloadBytes), 'c');
  auto started = client.start_orchestration(instance, "Plain", input);
  ASSERT_FALSE(started.has_value()) << "accepted a start that could never run";
  EXPECT_EQ(started.error().kind, ClientError::Kind::InvalidInput);
  const auto message = started.error().to_string();
  EXPECT_NE(message.find(fmt::format("is {} bytes", input.size())), std::string::npos) << message;
  EXPECT_NE(message.find("OrchestrationStarted event would be"), std::string::npos) << message;
  EXPECT_NE(message.find(fmt::format("limit of {} bytes", kDefaultMaxPayloadBytes)), std::string::npos) << message;
  auto versioned = client.start_orchestration_versioned(instance, "Plain", "1.0.0", input);
  ASSERT_FALSE(versioned.has_value());
  EXPECT_EQ(versioned.error().kind, ClientError::Kind::InvalidInput);
  auto depths = client.get_queue_depths();
  ASSERT_TRUE(depths);
  EXPECT_EQ(depths->orchestrator_queue, 0u) << "nothing may be enqueued";
}

TEST(E2eUncommittableTurns, client_accepts_a_large_start_that_fits) {
  auto store = test_store();
  Client client(store);
  const std::string input(kDefaultMaxPayloadBytes / 2, 'k');
  ASSERT_TRUE(client.start_orchestration("large-but-fits", "Plain", input));
}

TEST(E2eUncommittableTurns, batch_whose_failure_cannot_be_committed_backs_off_and_goes_on_later) {
  auto capture = attach_capture_sink();
  auto failing = std::make_shared<FailingProvider>(test_store());
  E2eEnv env(failing, ActivityRegistry::builder().build(), orchestrations());
  const std::string instance = "nothing-commits";
  failing->set_fail_acks_of(instance, true);  // the turn, and both forms of its failure
  ASSERT_TRUE(env.client.start_orchestration(instance, "Plain", "p"));
  ASSERT_TRUE(wait_until([&] { return env.runtime->metrics_snapshot().orch_uncommittable_turns >= 1; }, 20s));
  EXPECT_GE(failing->refused_acks_of(instance), 3) << "turn, failure, failure without the input";
  EXPECT_FALSE(capture->containing("instance_id=" + instance + " attempt_count=1").empty())
      << "no error line for the uncommittable batch";
  // Nothing is lost: once the store accepts the commit, the instance runs.
  failing->set_fail_acks_of(instance, false);
  EXPECT_EQ(env.output_of(instance, 20s), "done:p");
}

}  // namespace
}  // namespace duroxide::testing
