// Corrupt stored rows (issue #12 item 3, docs/failure-modes-corrupt-rows.md): a queue row that
// cannot be used is kept as a dead letter and reported to the runtime with its row's identity,
// never dropped silently; an instance row naming a missing execution is reported too.
#include <algorithm>

#include <duroxide/wire.hpp>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::vector<DeadLetter> dead_letters(Provider& provider) {
  return must(admin(provider).list_dead_letters(), "list_dead_letters");
}

std::uint64_t worker_queue_depth(Provider& provider) {
  return must(admin(provider).get_queue_depths(), "get_queue_depths").worker_queue;
}

#define DUROXIDE_NEEDS_CORRUPTION_HOOKS() \
  if (!factory().supports_corruption_hooks()) GTEST_SKIP() << "needs corruption hooks"

TEST_P(ProviderCorruptRows, UndecodableWorkerRowIsReportedWithItsRowIdentityAndDeadLettered) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  factory().insert_raw_worker_row(*p, "inst", 1, 5, "{not json");

  auto work = must_fetch_work(*p, factory().lock_timeout());
  ASSERT_TRUE(work.corrupt.has_value()) << "a corrupt row must be reported, not handed out as runnable";
  const auto& activity = activity_of(work);
  EXPECT_EQ(activity.instance, "inst");
  EXPECT_EQ(activity.execution_id, 1u);
  EXPECT_EQ(activity.id, 5u);
  EXPECT_TRUE(contains(work.corrupt->error, "worker_queue")) << work.corrupt->error;

  const auto letters = dead_letters(*p);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(work.corrupt->dead_letter_id, letters[0].id);
  EXPECT_EQ(letters[0].queue, "worker_queue");
  EXPECT_EQ(letters[0].instance_id, "inst");
  EXPECT_EQ(letters[0].execution_id, 1u);
  EXPECT_EQ(letters[0].activity_id, 5u);
  EXPECT_EQ(letters[0].raw_text, "{not json");
  EXPECT_FALSE(letters[0].error.empty());
  EXPECT_GT(letters[0].created_at_ms, 0u);
}

TEST_P(ProviderCorruptRows, AckOfCorruptWorkerRowWithActivityFailedReachesTheOrchestration) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  factory().insert_raw_worker_row(*p, "inst", 1, 2, "garbage");

  auto work = must_fetch_work(*p, factory().lock_timeout());
  ASSERT_TRUE(work.corrupt.has_value());
  const auto failure = ErrorDetails::activity_failed("activity could not run: " + work.corrupt->error);
  must(p->ack_work_item(work.lock_token, work_items::ActivityFailed{"inst", 1, 2, failure}), "ack");

  EXPECT_EQ(worker_queue_depth(*p), 0u);
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_EQ(item.item.messages.size(), 1u);
  const auto* failed = std::get_if<work_items::ActivityFailed>(&item.item.messages[0]);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->id, 2u);
  EXPECT_EQ(failed->details, failure);
  EXPECT_EQ(dead_letters(*p).size(), 1u) << "the ack consumes the row, never its dead letter";
}

TEST_P(ProviderCorruptRows, RefetchOfCorruptWorkerRowKeepsOneDeadLetter) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  factory().insert_raw_worker_row(*p, "inst", 1, 5, "{not json");
  auto first = must_fetch_work(*p, factory().lock_timeout());
  ASSERT_TRUE(first.corrupt.has_value());
  must(p->abandon_work_item(first.lock_token, std::nullopt, false), "abandon");
  auto second = must_fetch_work(*p, factory().lock_timeout());
  ASSERT_TRUE(second.corrupt.has_value());
  EXPECT_EQ(second.corrupt->dead_letter_id, first.corrupt->dead_letter_id);
  EXPECT_EQ(dead_letters(*p).size(), 1u);
}

TEST_P(ProviderCorruptRows, ActivityJsonNamingAnotherInstanceThanItsRowIsCorrupt) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  const std::string other_instance_json = serialize_work_item(activity_execute_item("other", 1, 3));
  factory().insert_raw_worker_row(*p, "inst", 1, 3, other_instance_json);

  auto work = must_fetch_work(*p, factory().lock_timeout());
  ASSERT_TRUE(work.corrupt.has_value()) << "an activity whose text contradicts its row must not run";
  EXPECT_EQ(activity_of(work).instance, "inst");
  EXPECT_TRUE(contains(work.corrupt->error, "other")) << work.corrupt->error;
  const auto letters = dead_letters(*p);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].raw_text, other_instance_json);
}

TEST_P(ProviderCorruptRows, WorkerRowOfTheWrongKindIsCorrupt) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  factory().insert_raw_worker_row(*p, "inst", 1, 4, serialize_work_item(external_item("inst")));
  auto work = must_fetch_work(*p, factory().lock_timeout());
  ASSERT_TRUE(work.corrupt.has_value());
  EXPECT_EQ(activity_of(work).id, 4u);
  EXPECT_TRUE(contains(work.corrupt->error, "ActivityExecute")) << work.corrupt->error;
}

TEST_P(ProviderCorruptRows, WorkerRowWithoutIdentityColumnsIsDeadLetteredAndRemoved) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  factory().insert_raw_worker_row(*p, std::nullopt, std::nullopt, std::nullopt, "garbage");
  must(p->enqueue_for_worker(activity_execute_item("inst", 1, 2)), "enqueue");

  // Nothing can be told to an unknown instance: the row is kept as a dead letter and leaves the
  // queue, and the work behind it is served.
  auto work = must_fetch_work(*p, factory().lock_timeout());
  EXPECT_FALSE(work.corrupt.has_value());
  EXPECT_EQ(activity_of(work).id, 2u);
  EXPECT_FALSE(fetch_work(*p, factory().lock_timeout()).has_value()) << "the corrupt row left the queue";
  const auto letters = dead_letters(*p);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].raw_text, "garbage");
  EXPECT_FALSE(letters[0].instance_id.has_value());
}

TEST_P(ProviderCorruptRows, UndecodableOrchestratorMessageIsReportedDeadLetteredAndConsumedByTheAck) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  factory().insert_raw_orchestrator_row(*p, "inst", "{not json");
  must(p->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");

  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  ASSERT_EQ(item.item.messages.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<work_items::ExternalRaised>(item.item.messages[0]));
  ASSERT_EQ(item.item.corrupt_rows.size(), 1u);
  const auto& corrupt = item.item.corrupt_rows[0];
  EXPECT_TRUE(contains(corrupt.error, "orchestrator_queue")) << corrupt.error;
  const auto letters = dead_letters(*p);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(corrupt.dead_letter_id, letters[0].id);
  EXPECT_EQ(letters[0].queue, "orchestrator_queue");
  EXPECT_EQ(letters[0].instance_id, "inst");
  EXPECT_EQ(letters[0].raw_text, "{not json");

  must(p->ack_orchestration_item(item.lock_token, make_ack(1, {})), "ack");
  EXPECT_EQ(must(admin(*p).get_queue_depths(), "depths").orchestrator_queue, 0u);
  EXPECT_EQ(dead_letters(*p).size(), 1u);
}

TEST_P(ProviderCorruptRows, CorruptStartOfAnInstanceThatNeverStartedIsHandedOut) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  factory().insert_raw_orchestrator_row(*p, "fresh", "{\"type\":\"StartOrchestration\",broken");

  // Handed out (not dropped) so the runtime can fail the instance with the reason.
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(item.item.instance, "fresh");
  EXPECT_TRUE(item.item.messages.empty());
  EXPECT_TRUE(item.item.history.empty());
  EXPECT_EQ(item.item.execution_id, 1u);
  ASSERT_EQ(item.item.corrupt_rows.size(), 1u);
  EXPECT_TRUE(item.item.corrupt_rows[0].dead_letter_id.has_value());
  EXPECT_EQ(dead_letters(*p).size(), 1u);
}

TEST_P(ProviderCorruptRows, OrchestratorMessageNamingAnotherInstanceIsCorrupt) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  factory().insert_raw_orchestrator_row(*p, "inst", serialize_work_item(external_item("other")));
  auto item = must_fetch_orchestration(*p, factory().lock_timeout());
  EXPECT_EQ(item.item.instance, "inst");
  EXPECT_TRUE(item.item.messages.empty());
  ASSERT_EQ(item.item.corrupt_rows.size(), 1u);
  EXPECT_TRUE(contains(item.item.corrupt_rows[0].error, "other")) << item.item.corrupt_rows[0].error;
}

TEST_P(ProviderCorruptRows, CurrentExecutionWithoutExecutionIsReported) {
  DUROXIDE_NEEDS_CORRUPTION_HOOKS();
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  factory().set_current_execution_id(*p, "inst", 7);
  auto item = poke(*p, "inst", factory().lock_timeout());
  EXPECT_EQ(item.item.execution_id, 7u);
  ASSERT_EQ(item.item.corrupt_rows.size(), 1u);
  EXPECT_FALSE(item.item.corrupt_rows[0].dead_letter_id.has_value()) << "the instance row itself is not lost";
  EXPECT_TRUE(contains(item.item.corrupt_rows[0].error, "execution 7")) << item.item.corrupt_rows[0].error;
}

#undef DUROXIDE_NEEDS_CORRUPTION_HOOKS

}  // namespace
}  // namespace duroxide::validation
