// A big store stays fast (issue #13, docs/storage.md "Indexes and counters", "Batch cap"): the
// behaviour the speed-ups must keep. Each test checks what a change made for speed could break:
// the batch cap loses or reorders nothing, ended instances leave no future timers behind, and the
// trigger-kept counters agree with counting the rows.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <duroxide/sqlite_provider.hpp>

#include "provider/validation/validation_helpers.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::validation {
namespace {

std::shared_ptr<SqliteProvider> open_memory(SqliteOptions options = {}) {
  auto store = SqliteProvider::open_in_memory(options);
  if (!store) throw std::runtime_error(store.error().to_string());
  return *store;
}

std::int64_t count_rows(SqliteProvider& p, const std::string& sql) {
  return must(p.store().query_int_for_tests(sql, ""), "count");
}

const std::string& external_name(const WorkItem& item) { return std::get<work_items::ExternalRaised>(item).name; }

TEST(ProviderSqliteBatchCap, AHotInstanceIsServedInCappedTurnsInOrder) {
  auto p = open_memory({.max_batch_messages = 3});
  create_instance(*p, "hot", 5s);
  for (int i = 0; i < 8; ++i) must(p->enqueue_for_orchestrator(external_item("hot", fmt::format("e{}", i)), {}), "q");

  std::vector<std::size_t> batch_sizes;
  std::vector<std::string> seen;
  std::uint64_t next_id = next_event_id(*p, "hot");
  while (auto item = fetch_orchestration(*p, 5s)) {
    batch_sizes.push_back(item->item.messages.size());
    std::vector<Event> delta;
    for (const auto& message : item->item.messages) {
      seen.push_back(external_name(message));
      delta.push_back(external_event("hot", 1, next_id++, external_name(message)));
    }
    must(p->ack_orchestration_item(item->lock_token, make_ack(1, std::move(delta))), "ack");
  }
  EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{3, 3, 2}));
  EXPECT_EQ(seen, (std::vector<std::string>{"e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7"}));
}

TEST(ProviderSqliteBatchCap, TheDefaultCapIsAHundredMessages) {
  auto p = open_memory();
  create_instance(*p, "hot", 5s);
  for (int i = 0; i < 150; ++i) must(p->enqueue_for_orchestrator(external_item("hot"), {}), "q");
  auto first = must_fetch_orchestration(*p, 5s);
  EXPECT_EQ(first.item.messages.size(), SqliteOptions::kDefaultMaxBatchMessages);
  EXPECT_EQ(SqliteOptions::kDefaultMaxBatchMessages, 100u);
  // The untaken messages wait for the instance's lock, like messages that arrive during a turn.
  EXPECT_FALSE(fetch_orchestration(*p, 5s).has_value());
  must(p->ack_orchestration_item(first.lock_token, make_ack(1, {})), "ack");
  EXPECT_EQ(must_fetch_orchestration(*p, 5s).item.messages.size(), 50u);
}

/// Leaves `instance` running with a timer due in an hour and a delayed event due in an hour.
void sleep_for_an_hour(SqliteProvider& p, const std::string& instance) {
  create_instance(p, instance, 5s);
  auto turn = poke(p, instance, 5s);
  const auto in_an_hour = now_ms() + 3'600'000;
  auto ack = make_ack(1, {external_event(instance, 1, next_event_id(p, instance))});
  ack.orchestrator_items.push_back(timer_fired_item(instance, 1, 9, in_an_hour));
  must(p.ack_orchestration_item(turn.lock_token, ack), "ack with timer");
  must(p.enqueue_for_orchestrator(external_item(instance, "later"), Millis(3'600'000)), "delayed event");
}

TEST(ProviderSqliteEndedTimers, CompletingAnInstanceDeletesItsFutureTimersOnly) {
  auto p = open_memory();
  sleep_for_an_hour(*p, "sleeper");
  sleep_for_an_hour(*p, "other");
  const std::string timers_of =
      "SELECT COUNT(*) FROM orchestrator_queue WHERE instance_id = ?1 AND work_item LIKE '%TimerFired%'";
  ASSERT_EQ(must(p->store().query_int_for_tests(timers_of, "sleeper"), "count"), 1);

  complete_instance(*p, "sleeper", 5s);

  EXPECT_EQ(must(p->store().query_int_for_tests(timers_of, "sleeper"), "count"), 0);
  EXPECT_EQ(must(p->store().query_int_for_tests(timers_of, "other"), "count"), 1) << "another instance's timer";
  EXPECT_EQ(must(p->store().query_int_for_tests("SELECT COUNT(*) FROM orchestrator_queue WHERE instance_id = ?1 AND "
                                                "work_item LIKE '%ExternalRaised%'",
                                                "sleeper"),
                 "count"),
            1)
      << "a delayed event is not a timer: it stays";
}

TEST(ProviderSqliteEndedTimers, ContinuingAsNewDeletesTheOldExecutionsTimers) {
  auto p = open_memory();
  sleep_for_an_hour(*p, "looper");
  auto turn = poke(*p, "looper", 5s);
  auto ack = make_ack(1, {continued_as_new_event("looper", 1, next_event_id(*p, "looper"))},
                      status_metadata("ContinuedAsNew"));
  ack.orchestrator_items.push_back(continue_as_new_item("looper"));
  must(p->ack_orchestration_item(turn.lock_token, ack), "ack");
  EXPECT_EQ(count_rows(*p, "SELECT COUNT(*) FROM orchestrator_queue WHERE work_item LIKE '%TimerFired%' AND ?1 = ''"),
            0);
  EXPECT_EQ(
      count_rows(*p, "SELECT COUNT(*) FROM orchestrator_queue WHERE work_item LIKE '%ContinueAsNew%' AND ?1 = ''"), 1)
      << "the new execution's start stays";
}

/// System metrics (the counters the triggers keep) and queue depths (counted when asked) against
/// counting the rows by hand.
void expect_counts_match_rows(SqliteProvider& p) {
  const auto metrics = must(p.get_system_metrics(), "metrics");
  const std::string current =
      "FROM instances i JOIN executions e ON e.instance_id = i.instance_id AND e.execution_id = "
      "i.current_execution_id WHERE ?1 = ''";
  EXPECT_EQ(metrics.total_instances, count_rows(p, "SELECT COUNT(*) FROM instances WHERE ?1 = ''"));
  EXPECT_EQ(metrics.total_executions, count_rows(p, "SELECT COUNT(*) FROM executions WHERE ?1 = ''"));
  EXPECT_EQ(metrics.total_events, count_rows(p, "SELECT COUNT(*) FROM history WHERE ?1 = ''"));
  EXPECT_EQ(metrics.running_instances, count_rows(p, "SELECT COUNT(*) " + current + " AND e.status = 'Running'"));
  EXPECT_EQ(metrics.completed_instances, count_rows(p, "SELECT COUNT(*) " + current + " AND e.status = 'Completed'"));
  EXPECT_EQ(metrics.failed_instances, count_rows(p, "SELECT COUNT(*) " + current + " AND e.status = 'Failed'"));
  const auto depths = must(p.get_queue_depths(), "depths");
  // Every lock these steps take lives for seconds, so a row is held exactly when it carries a token.
  EXPECT_EQ(depths.orchestrator_queue,
            count_rows(p, "SELECT COUNT(*) FROM orchestrator_queue WHERE ?1 = '' AND lock_token IS NULL"));
  EXPECT_EQ(depths.worker_queue,
            count_rows(p, "SELECT COUNT(*) FROM worker_queue WHERE ?1 = '' AND lock_token IS NULL"));
}

TEST(ProviderSqliteCounters, MetricsAndDepthsMatchTheRowsThroughAnInstancesLife) {
  auto p = open_memory();
  expect_counts_match_rows(*p);
  sleep_for_an_hour(*p, "a");
  create_instance(*p, "b", 5s);
  must(p->enqueue_for_worker(activity_execute_item("b", 1, 2)), "activity");
  expect_counts_match_rows(*p);
  EXPECT_EQ(must(p->get_system_metrics(), "metrics").running_instances, 2u);

  complete_instance(*p, "a", 5s);
  expect_counts_match_rows(*p);
  // Continue as new: the instance moves to a new execution, which starts Running.
  auto turn = poke(*p, "b", 5s);
  auto can = make_ack(1, {continued_as_new_event("b", 1, next_event_id(*p, "b"))}, status_metadata("ContinuedAsNew"));
  can.orchestrator_items.push_back(continue_as_new_item("b"));
  must(p->ack_orchestration_item(turn.lock_token, can), "continue as new");
  auto next = must_fetch_orchestration(*p, 5s);
  must(p->ack_orchestration_item(next.lock_token, make_ack(2, {started_event("b", 2)})), "second execution");
  expect_counts_match_rows(*p);
  auto work = must_fetch_work(*p, 5s);
  must(p->ack_work_item(work.lock_token, std::nullopt), "ack work");
  expect_counts_match_rows(*p);

  must(admin(*p).prune_executions("b", PruneOptions{.keep_last = 1, .completed_before_ms = std::nullopt}), "prune");
  expect_counts_match_rows(*p);
  must(admin(*p).delete_instances_atomic({"a"}, false), "delete a");
  must(admin(*p).delete_instances_atomic({"b"}, true), "delete b");
  expect_counts_match_rows(*p);
  const auto metrics = must(p->get_system_metrics(), "metrics");
  EXPECT_EQ(metrics.total_instances, 0u);
  EXPECT_EQ(metrics.running_instances, 0u);
  EXPECT_EQ(metrics.total_events, 0u);
}

}  // namespace
}  // namespace duroxide::validation
