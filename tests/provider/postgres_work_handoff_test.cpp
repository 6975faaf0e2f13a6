// The PostgreSQL store's hand-off to idle workers (docs/storage.md, "Hand-off to idle workers"): an
// ack that schedules an activity while a worker fetch of the same store waits locks the activity
// for that fetch and hands it over, so the fetch never queries for it; with nobody waiting the ack
// locks nothing; a held activity nobody took goes back to the queue when the runtime stops or on
// its own. An activity's ack claims its fetcher's next activity, within the fetcher's tags and
// never a session's, for the fetch that follows.
// Function calls are counted with track_functions, read once the store's backends have exited
// (a backend flushes its counts before it leaves pg_stat_activity).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>

#include <duroxide/postgres_provider.hpp>

#include "provider/postgres_test_session.hpp"
#include "provider/postgres_test_support.hpp"
#include "provider/validation/validation_helpers.hpp"
#include "providers/postgres/pg_store.hpp"

namespace duroxide {
namespace {

using namespace std::chrono_literals;
using namespace validation;
using pg_test::eventually;
using pg_test::SchemaGuard;
using pg_test::StoreUnderTest;

constexpr auto kLease = 30s;
/// Turns a fetch that is never handed anything into a failure instead of an hour-long hang.
constexpr auto kHangGuard = 240s;
/// Counts the store's stored-function calls per function (pg_stat_user_functions).
constexpr std::string_view kCountCalls = "&options=-c%20track_functions%3Dpl";

/// A waiting fetch re-polls only when signalled (pg_test::open_listening_store).
std::unique_ptr<StoreUnderTest> open_store(const std::string& schema) {
  return pg_test::open_listening_store(schema, std::string(kCountCalls));
}

std::size_t idle_worker_fetches(PostgresProvider& provider) {
  std::lock_guard lock(provider.store().mutex);
  return provider.store().work_handoff.idle_fetches();
}

/// Starts `instance` and returns its locked first turn, whose ack the test writes.
LockedOrchestrationItem first_turn(Provider& provider, const std::string& instance) {
  must(provider.enqueue_for_orchestrator(start_item(instance), std::nullopt), "enqueue start");
  return must_fetch_orchestration(provider, kLease);
}

/// The first turn's ack, scheduling activity 2.
OrchestrationAck scheduling_ack(const std::string& instance) {
  OrchestrationAck ack =
      make_ack(1, {started_event(instance), activity_scheduled_event(instance, 1, 2)}, instance_metadata());
  ack.worker_items.push_back(activity_execute_item(instance, 1, 2));
  return ack;
}

/// Starts `instance` and acks its first turn while a worker fetch (asking for `lease`) is idle;
/// the fetch leaves before taking the item, as the fetches of a stopping runtime do.
void ack_while_a_fetch_waits_then_leaves(PostgresProvider& provider, const std::string& instance,
                                         std::chrono::milliseconds lease) {
  auto turn = first_turn(provider, instance);
  std::uint64_t leaving = 0;
  {
    std::lock_guard lock(provider.store().mutex);
    leaving = provider.store().work_handoff.idle(TagFilter::default_only(), lease);
  }
  must(provider.ack_orchestration_item(turn.lock_token, scheduling_ack(instance)), "ack");
  std::lock_guard lock(provider.store().mutex);
  provider.store().work_handoff.busy(leaving);
}

/// The worker row of `instance`'s activity 2: "<lock token or 'free'>|<attempt_count>".
std::string worker_row(const std::string& schema, const std::string& instance) {
  return pg_test::run_sql(schema,
                          "SELECT COALESCE(lock_token, 'free') || '|' || attempt_count FROM worker_queue WHERE "
                          "instance_id = $1 AND activity_id = 2",
                          {instance});
}

/// Closes the store and returns how often its backends called `function`.
std::string calls_after_close(std::unique_ptr<StoreUnderTest> store, const std::string& schema,
                              const std::string& function) {
  const std::string application_name = store->application_name;
  store.reset();
  const bool gone = eventually([&] {
    return pg_test::run_sql("", "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1",
                            {application_name}) == "0";
  });
  if (!gone) throw std::runtime_error("the store's backends never exited");
  return pg_test::run_sql(
      "", "SELECT COALESCE(SUM(calls), 0) FROM pg_stat_user_functions WHERE schemaname = $1 AND funcname = $2",
      {schema, function});
}

TEST(PostgresWorkHandOff, AnIdleWorkerFetchIsHandedTheActivityATurnSchedulesWithoutQueryingForIt) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_store(guard.schema);
  auto& provider = *store->provider;
  auto turn = first_turn(provider, "handed");

  auto waiting = std::async(std::launch::async, [&] {
    return must(provider.fetch_work_item(kLease, 1h, std::nullopt, TagFilter::default_only()), "waiting fetch");
  });
  ASSERT_TRUE(eventually([&] { return idle_worker_fetches(provider) == 1; })) << "the worker fetch never waited";
  must(provider.ack_orchestration_item(turn.lock_token, scheduling_ack("handed")), "ack");

  ASSERT_EQ(waiting.wait_for(kHangGuard), std::future_status::ready) << "the waiting fetch was never handed the item";
  const auto fetched = waiting.get();
  ASSERT_TRUE(fetched.has_value());
  EXPECT_EQ(activity_of(*fetched).id, 2U);
  EXPECT_EQ(fetched->attempt_count, 1U);
  EXPECT_EQ(worker_row(guard.schema, "handed"), fetched->lock_token + "|1") << "the ack locked the row for the fetch";
  // The lease is the store's like any other: the activity's ack needs it and consumes the row.
  must(provider.ack_work_item(fetched->lock_token, activity_completed_item("handed", 1, 2)), "ack activity");
  EXPECT_EQ(worker_row(guard.schema, "handed"), "");

  // The fetch queried once, before it waited, and not for the item it was handed.
  EXPECT_EQ(calls_after_close(std::move(store), guard.schema, "dx_fetch_work"), "1");
}

TEST(PostgresWorkHandOff, WithNoWorkerFetchWaitingTheAckLocksNothing) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_store(guard.schema);
  auto& provider = *store->provider;
  auto turn = first_turn(provider, "free");
  must(provider.ack_orchestration_item(turn.lock_token, scheduling_ack("free")), "ack");
  EXPECT_EQ(worker_row(guard.schema, "free"), "free|0");
  const auto fetched = must_fetch_work(provider, kLease);
  EXPECT_EQ(fetched.attempt_count, 1U);
}

TEST(PostgresWorkHandOff, AHeldActivityGoesBackToTheQueueWhenTheRuntimeStops) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_store(guard.schema);
  auto& provider = *store->provider;
  ack_while_a_fetch_waits_then_leaves(provider, "held", kLease);
  {
    std::lock_guard lock(provider.store().mutex);
    EXPECT_EQ(provider.store().work_handoff.held(), 1U);
  }
  EXPECT_NE(worker_row(guard.schema, "held").substr(0, 5), "free|") << "the ack locked the row for the idle fetch";

  provider.wake_waiters();  // what Runtime::shutdown calls

  EXPECT_EQ(worker_row(guard.schema, "held"), "free|0") << "given back, its attempt not counted";
  const auto fetched = must_fetch_work(provider, kLease);
  EXPECT_EQ(activity_of(fetched).id, 2U);
  EXPECT_EQ(fetched.attempt_count, 1U);
}

TEST(PostgresWorkHandOff, AHeldActivityNobodyTakesGoesBackToTheQueueOnItsOwn) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_store(guard.schema);
  auto& provider = *store->provider;
  // A 2 s lease: the item may be handed out for 200 ms after the ack.
  ack_while_a_fetch_waits_then_leaves(provider, "swept", 2s);
  EXPECT_NE(worker_row(guard.schema, "swept").substr(0, 5), "free|");
  // No fetch and no shutdown: the store's own sweep gives it back, well before the lease lapses.
  EXPECT_TRUE(eventually([&] { return worker_row(guard.schema, "swept") == "free|0"; }));
  std::lock_guard lock(provider.store().mutex);
  EXPECT_EQ(provider.store().work_handoff.held(), 0U);
}

/// Lock token (or "free") and attempts of every worker row, in id order: "<token>|<attempts>,...".
std::string worker_rows(const std::string& schema) {
  return pg_test::run_sql(schema,
                          "SELECT string_agg(COALESCE(lock_token, 'free') || '|' || attempt_count, ',' ORDER BY id) "
                          "FROM worker_queue",
                          {});
}

TEST(PostgresWorkHandOff, AnActivityAckClaimsItsFetchersNextActivityForTheNextFetch) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_store(guard.schema);
  auto& provider = *store->provider;
  must(provider.enqueue_for_worker(activity_execute_item("next", 1, 1)), "enqueue 1");
  must(provider.enqueue_for_worker(activity_execute_item("next", 1, 2)), "enqueue 2");
  const auto first = must_fetch_work(provider, kLease);
  ASSERT_EQ(activity_of(first).id, 1U);
  must(provider.ack_work_item(first.lock_token, activity_completed_item("next", 1, 1)), "ack 1");

  const auto rows = worker_rows(guard.schema);
  EXPECT_NE(rows.substr(0, 5), "free|") << "the ack claimed activity 2: " << rows;
  const auto second = must_fetch_work(provider, kLease);
  EXPECT_EQ(activity_of(second).id, 2U);
  EXPECT_EQ(second.attempt_count, 1U);
  EXPECT_EQ(worker_rows(guard.schema), second.lock_token + "|1");
  must(provider.ack_work_item(second.lock_token, activity_completed_item("next", 1, 2)), "ack 2");
  EXPECT_EQ(worker_rows(guard.schema), "");

  // Only the first fetch queried; the second was handed what the first one's ack claimed.
  EXPECT_EQ(calls_after_close(std::move(store), guard.schema, "dx_fetch_work"), "1");
}

TEST(PostgresWorkHandOff, AnActivityAckClaimsOnlyWhatItsFetcherServesAndNoSessionsItems) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_store(guard.schema);
  auto& provider = *store->provider;
  const auto gpu = TagFilter::tags({"gpu"});
  must(provider.enqueue_for_worker(activity_execute_item("tags", 1, 1, "Work", "{}", std::nullopt, "gpu")), "1");
  must(provider.enqueue_for_worker(activity_execute_item("tags", 1, 2)), "untagged");
  must(provider.enqueue_for_worker(activity_execute_item("tags", 1, 3, "Work", "{}", "alpha", "gpu")), "session");
  must(provider.enqueue_for_worker(activity_execute_item("tags", 1, 4, "Work", "{}", std::nullopt, "gpu")), "4");
  const auto first = must(provider.fetch_work_item(kLease, 0ms, std::nullopt, gpu), "fetch").value();
  ASSERT_EQ(activity_of(first).id, 1U);
  must(provider.ack_work_item(first.lock_token, activity_completed_item("tags", 1, 1)), "ack 1");
  // Activity 4 was claimed; the untagged one and the session's are free.
  const auto rows = worker_rows(guard.schema);
  EXPECT_EQ(rows.substr(0, 14), "free|0,free|0,") << rows;
  EXPECT_NE(rows.substr(14, 5), "free|") << rows;

  // A fetch that does not serve the held item's tag queries and gets the untagged one.
  EXPECT_EQ(activity_of(must_fetch_work(provider, kLease)).id, 2U);
  EXPECT_EQ(activity_of(must(provider.fetch_work_item(kLease, 0ms, std::nullopt, gpu), "fetch").value()).id, 4U);
}

}  // namespace
}  // namespace duroxide
