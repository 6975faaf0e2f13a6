// Wake-ups of the PostgreSQL store that no other test can see being lost (docs/storage.md, "The
// PostgreSQL store", "Wake-ups: LISTEN/NOTIFY"): a worker fetch that held a row and let it go must
// wake the fetchers that skipped the row meanwhile, in its own process and in others; putting back
// a batch nobody can serve must wake nobody; a fetch that claimed the last claimable instance makes
// the next one wait for a signal, which any enqueue, here or elsewhere, gives. Each test stages its interleaving with a
// transaction of its own and waits for the server to show the state it needs (pg_stat_activity), never for time to
// pass.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include <duroxide/postgres_provider.hpp>
#include <duroxide/wire.hpp>

#include "provider/postgres_test_session.hpp"
#include "provider/postgres_test_support.hpp"
#include "provider/validation/validation_helpers.hpp"

namespace duroxide {
namespace {

using namespace std::chrono_literals;
using namespace validation;
using pg_test::ChannelListener;
using pg_test::eventually;
using pg_test::open_listening_store;
using pg_test::SchemaGuard;
using pg_test::SqlSession;
using pg_test::StoreUnderTest;

constexpr auto kLongLease = 120s;
/// The waiting fetch's poll timeout: it re-scans when it ends, so it must outlast the test.
constexpr auto kWaiterPoll = 1h;
/// Turns a fetch that is never woken into a failure instead of an hour-long hang; a woken fetch
/// returns within milliseconds.
constexpr auto kHangGuard = 240s;

/// True once a backend of `application_name` has finished a worker fetch and sits idle.
bool finished_a_worker_fetch(const std::string& application_name) {
  return pg_test::run_sql("",
                          "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle' "
                          "AND query LIKE '%dx_fetch_work%'",
                          {application_name}) != "0";
}

/// Node B's fetch holds the only row of session "alpha" while it waits to claim the session, which
/// node A claims first (in a transaction the test holds open). Node A's fetch scans meanwhile,
/// skips the held row and waits. Node B then finds the session taken and lets the row go: node A's
/// fetch must be woken and take the row (its poll timeout is an hour).
void lost_session_race_wakes_the_waiting_fetcher(bool waiter_in_another_process) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto holder = open_listening_store(guard.schema);
  auto other = waiter_in_another_process ? open_listening_store(guard.schema) : nullptr;
  StoreUnderTest& waiter = other ? *other : *holder;
  must(holder->provider->enqueue_for_worker(activity_execute_item("race", 1, 1, "Work", "{}", "alpha")), "enqueue");

  SqlSession node_a_claim(guard.schema);
  node_a_claim.exec("BEGIN");
  node_a_claim.exec(
      "INSERT INTO sessions (session_id, worker_id, locked_until, last_activity_at) "
      "VALUES ('alpha', 'node-A', dx_now_ms() + 3600000, dx_now_ms())");

  auto node_b = std::async(std::launch::async, [&] {
    return fetch_work(*holder->provider, kLongLease, SessionFetchConfig{"node-B", 1h}, TagFilter::default_only(), 0ms);
  });
  pg_test::wait_for_backend_waiting_on_lock(holder->application_name);

  auto node_a = std::async(std::launch::async, [&] {
    return fetch_work(*waiter.provider, kLongLease, SessionFetchConfig{"node-A", 1h}, TagFilter::default_only(),
                      kWaiterPoll);
  });
  ASSERT_TRUE(eventually([&] { return finished_a_worker_fetch(waiter.application_name); }))
      << "node A's fetch never scanned the queue";

  node_a_claim.exec("COMMIT");
  EXPECT_FALSE(node_b.get().has_value()) << "node B took a row of a session node A owns";
  if (node_a.wait_for(kHangGuard) != std::future_status::ready) {
    waiter.provider->wake_waiters();  // ends the wait so the test can finish
    (void)node_a.get();
    FAIL() << "node A's fetch was never woken after node B let the row go";
  }
  const auto taken = node_a.get();
  ASSERT_TRUE(taken.has_value()) << "node A's fetch was woken but did not take the row";
  EXPECT_EQ(activity_of(*taken).session_id, std::optional<std::string>("alpha"));
}

TEST(PostgresFetchWakeup, WorkerFetchThatLosesASessionRaceWakesFetchersOfItsOwnProcess) {
  lost_session_race_wakes_the_waiting_fetcher(false);
}

TEST(PostgresFetchWakeup, WorkerFetchThatLosesASessionRaceWakesFetchersOfOtherProcesses) {
  lost_session_race_wakes_the_waiting_fetcher(true);
}

TEST(PostgresFetchWakeup, PuttingBackABatchNobodyCanServeSendsNoNotification) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  StoreUnderTest store(guard.schema);
  // A completion for an instance that never started: not a queue message, so it is put back
  // untouched rather than dropped, and stays unservable until the instance starts.
  must(store.provider->enqueue_for_orchestrator(activity_completed_item("never-started", 1, 1), std::nullopt),
       "enqueue");
  // Registered, as another process's LISTEN connection is: a lone store notifies nobody.
  ChannelListener listener(pg_test::run_sql(guard.schema, "SELECT dx_channel('orch')", {}));
  listener.register_in(guard.schema);

  EXPECT_FALSE(fetch_orchestration(*store.provider, kLongLease).has_value());
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT COUNT(*) FROM orchestrator_queue WHERE lock_token IS NULL", {}), "1")
      << "the batch must be back in the queue, unlocked";

  pg_test::run_sql(guard.schema, "SELECT pg_notify(dx_channel('orch'), 'marker')", {});
  EXPECT_TRUE(listener.payloads_before("marker").empty())
      << "putting the batch back woke other processes, which would fetch it and put it back in turn";
}

/// A start message for `instance` written straight into the queue, as another writer would, but
/// without the notification every call of ours sends: only a query can find it.
void insert_start_silently(const std::string& schema, const std::string& instance) {
  pg_test::run_sql(schema,
                   "INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, created_at) "
                   "VALUES ($1, $2, dx_now_ms(), dx_now_ms())",
                   {instance, serialize_work_item(start_item(instance))});
}

// docs/storage.md, "Wake-ups": a fetch that claimed the only claimable instance leaves an idle
// record, and the next fetch waits for a signal instead of querying. A row nobody announced
// shows whether it queried.
TEST(PostgresFetchWakeup, FetchAfterClaimingTheOnlyInstanceWaitsForASignalInsteadOfQuerying) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_listening_store(guard.schema);
  must(store->provider->enqueue_for_orchestrator(start_item("only"), std::nullopt), "enqueue");
  ASSERT_EQ(must_fetch_orchestration(*store->provider, kLongLease).item.instance, "only");

  insert_start_silently(guard.schema, "unannounced");
  // A waiting fetch that queried first would take "unannounced" at once. One that waits for a
  // signal returns nothing when wake_waiters() ends its wait (which queries no more).
  auto waiter =
      std::async(std::launch::async, [&] { return fetch_orchestration(*store->provider, kLongLease, kWaiterPoll); });
  while (waiter.wait_for(10ms) != std::future_status::ready) store->provider->wake_waiters();
  EXPECT_FALSE(waiter.get().has_value()) << "the fetch queried although nothing had signalled new work since";
  // A fetch without a wait always queries.
  const auto found = fetch_orchestration(*store->provider, kLongLease, 0ms);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->item.instance, "unannounced");
}

TEST(PostgresFetchWakeup, ClaimWithAnotherInstanceReadyLeavesNoIdleRecord) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_listening_store(guard.schema);
  must(store->provider->enqueue_for_orchestrator(start_item("first"), std::nullopt), "enqueue");
  must(store->provider->enqueue_for_orchestrator(start_item("second"), std::nullopt), "enqueue");
  ASSERT_EQ(must_fetch_orchestration(*store->provider, kLongLease).item.instance, "first");
  // "second" was claimable too, so the next fetch queries first and takes it; waiting, it would
  // have been ended by wake_waiters() with nothing.
  auto next =
      std::async(std::launch::async, [&] { return fetch_orchestration(*store->provider, kLongLease, kWaiterPoll); });
  while (next.wait_for(10ms) != std::future_status::ready) store->provider->wake_waiters();
  const auto taken = next.get();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->item.instance, "second");
}

TEST(PostgresFetchWakeup, IdleWaitIsEndedByWorkOfThisProcessAndOfOthers) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  auto store = open_listening_store(guard.schema);
  auto other = open_listening_store(guard.schema);
  for (const auto* source : {"local", "remote"}) {
    const std::string idle_instance = std::string("idle-") + source;
    must(store->provider->enqueue_for_orchestrator(start_item(idle_instance), std::nullopt), "enqueue");
    ASSERT_EQ(must_fetch_orchestration(*store->provider, kLongLease).item.instance, idle_instance);
    auto waiter =
        std::async(std::launch::async, [&] { return fetch_orchestration(*store->provider, kLongLease, kWaiterPoll); });
    const std::string woken_instance = std::string("new-") + source;
    auto& writer = std::string(source) == "local" ? *store : *other;
    must(writer.provider->enqueue_for_orchestrator(start_item(woken_instance), std::nullopt), "enqueue");
    if (waiter.wait_for(kHangGuard) != std::future_status::ready) {
      store->provider->wake_waiters();
      (void)waiter.get();
      FAIL() << "the idle fetch was never woken by an enqueue of " << source;
    }
    const auto taken = waiter.get();
    ASSERT_TRUE(taken.has_value()) << source;
    EXPECT_EQ(taken->item.instance, woken_instance);
  }
}

}  // namespace
}  // namespace duroxide
