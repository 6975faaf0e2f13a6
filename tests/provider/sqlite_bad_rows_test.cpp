// Corrupt queue rows in the SQLite store: they cannot be processed, so their raw text is kept as a
// dead letter and they are reported, never dropped silently; they never block the work behind them
// (docs/failure-modes-corrupt-rows.md).
#include <gtest/gtest.h>

#include <duroxide/sqlite_provider.hpp>

#include "provider/validation/validation_helpers.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::validation {
namespace {

std::shared_ptr<SqliteProvider> open_store() {
  auto opened = SqliteProvider::open_in_memory();
  if (!opened) throw std::runtime_error(opened.error().to_string());
  return *opened;
}

TEST(ProviderSqliteBadRows, UndecodableOrchestratorMessageIsReportedDeadLetteredAndDeletedByTheAck) {
  auto provider = open_store();
  create_instance(*provider, "inst", 1s);
  must(provider->store().run_for_tests("INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, "
                                       "attempt_count, created_at) VALUES (?1, '{not json', 0, 0, 0)",
                                       "inst"),
       "insert corrupt row");
  must(provider->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");

  auto item = must_fetch_orchestration(*provider, 1s);
  ASSERT_EQ(item.item.messages.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<work_items::ExternalRaised>(item.item.messages[0]));
  ASSERT_EQ(item.item.corrupt_rows.size(), 1u);
  ASSERT_EQ(must(provider->list_dead_letters(), "dead letters").size(), 1u);
  must(provider->ack_orchestration_item(item.lock_token, make_ack(1, {})), "ack");
  EXPECT_EQ(must(provider->store().query_int_for_tests("SELECT COUNT(*) FROM orchestrator_queue WHERE "
                                                       "instance_id = ?1",
                                                       "inst"),
                 "count"),
            0);
}

TEST(ProviderSqliteBadRows, UndecodableWorkerRowWithoutIdentityIsDeadLetteredAndDoesNotBlockTheQueue) {
  auto provider = open_store();
  must(provider->store().run_for_tests("INSERT INTO worker_queue (work_item, visible_at, attempt_count, instance_id, "
                                       "created_at) VALUES ('garbage', 0, 0, ?1, 0)",
                                       "inst"),
       "insert corrupt row");
  must(provider->enqueue_for_worker(activity_execute_item("inst", 1, 2)), "enqueue");
  auto work = must_fetch_work(*provider, 1s);
  EXPECT_EQ(activity_of(work).id, 2u);
  EXPECT_FALSE(work.corrupt.has_value());
  // Without execution and activity id columns nothing can be told to the instance: the row leaves
  // the queue, its text stays as a dead letter.
  const auto letters = must(provider->list_dead_letters(), "dead letters");
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].raw_text, "garbage");
  EXPECT_EQ(letters[0].instance_id, "inst");
  EXPECT_EQ(
      must(provider->store().query_int_for_tests("SELECT COUNT(*) FROM worker_queue WHERE instance_id = ?1", "inst"),
           "count"),
      1);
}

TEST(ProviderSqliteBadRows, CorruptHistoryIsReportedNotDropped) {
  auto provider = open_store();
  create_instance(*provider, "inst", 1s);
  must(provider->store().run_for_tests("UPDATE history SET event_data = 'NOT_VALID_JSON{{{' WHERE instance_id = ?1",
                                       "inst"),
       "corrupt");
  auto read = provider->read("inst");
  ASSERT_FALSE(read.has_value());
  EXPECT_FALSE(read.error().is_retryable());
  EXPECT_NE(read.error().message.find("deserialization failed"), std::string::npos) << read.error().to_string();

  auto item = must(provider->fetch_orchestration_item(1s, 0ms, nullptr), "fetch");
  EXPECT_FALSE(item.has_value());  // nothing queued yet
  must(provider->enqueue_for_orchestrator(external_item("inst"), std::nullopt), "enqueue");
  auto poisoned = must_fetch_orchestration(*provider, 1s);
  ASSERT_TRUE(poisoned.item.history_error.has_value());
  EXPECT_TRUE(poisoned.item.history.empty());
}

}  // namespace
}  // namespace duroxide::validation
