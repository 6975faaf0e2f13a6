// The PostgreSQL store when the server drops a connection (docs/storage.md, "The PostgreSQL store",
// "Lost connections"): in the middle of an ack, while a pooled connection sits idle, and the
// LISTEN connection. The server really terminates the backends (pg_terminate_backend); every test
// finds them by the application_name its store connects with, so tests running at the same time on
// the same server are never touched.
#include <gtest/gtest.h>

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include <spdlog/sinks/base_sink.h>

#include <duroxide/postgres_provider.hpp>

#include "logging/loggers.hpp"
#include "provider/postgres_test_session.hpp"
#include "provider/postgres_test_support.hpp"
#include "provider/validation/validation_helpers.hpp"

namespace duroxide {
namespace {

using namespace std::chrono_literals;
using namespace validation;
using pg_test::contains_ignoring_case;
using pg_test::eventually;
using pg_test::SchemaGuard;
using pg_test::SqlSession;
using pg_test::StoreUnderTest;
using pg_test::wait_for_backend_waiting_on_lock;

constexpr auto kLongLease = 120s;  // never expires during a test: a retry always finds it valid

std::string count_rows(const std::string& schema, const std::string& from_where) {
  return pg_test::run_sql(schema, "SELECT COUNT(*) FROM " + from_where, {});
}

/// Terminates the backends (a PostgreSQL int[] literal of pids) and waits until they are gone.
void terminate_backends(const std::string& pid_array) {
  pg_test::run_sql("", "SELECT bool_and(pg_terminate_backend(p)) FROM unnest($1::int[]) AS p", {pid_array});
  const bool gone = eventually([&] {
    return pg_test::run_sql("", "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", {pid_array}) == "0";
  });
  if (!gone) throw std::runtime_error("terminated backends " + pid_array + " never went away");
}

void expect_lost_connection_error(const ProviderError& error, const std::string& operation) {
  EXPECT_TRUE(error.is_retryable()) << error.to_string();
  EXPECT_EQ(error.operation, operation);
  EXPECT_TRUE(contains_ignoring_case(error.message, "connection")) << error.to_string();
  EXPECT_TRUE(contains_ignoring_case(error.message, "lost")) << error.to_string();
}

TEST(PostgresConnectionLoss, OrchestrationAckCutOffMidTurnWritesNothingAndSucceedsOnRetry) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  StoreUnderTest store(guard.schema);
  auto& provider = *store.provider;
  const std::string instance = "cut-off-ack";
  must(provider.enqueue_for_orchestrator(start_item(instance), std::nullopt), "enqueue start");
  const auto item = must_fetch_orchestration(provider, kLongLease);

  // The turn: its start, one activity scheduled, and that activity's work item.
  OrchestrationAck ack = make_ack(1, {started_event(instance), activity_scheduled_event(instance, 1, 2)},
                                  instance_metadata("TestOrch", "1.0.0", "Running"));
  ack.worker_items.push_back(activity_execute_item(instance, 1, 2));

  // The ack runs until it writes the history, then waits for the test's lock on that table; the
  // server ends its connection there, halfway through the function's transaction.
  SqlSession blocker(guard.schema);
  blocker.lock_table("history");
  auto cut_off = std::async(std::launch::async, [&] { return provider.ack_orchestration_item(item.lock_token, ack); });
  terminate_backends("{" + wait_for_backend_waiting_on_lock(store.application_name) + "}");
  blocker.release();
  const auto failed = cut_off.get();
  ASSERT_FALSE(failed) << "the ack succeeded although its connection was terminated";
  expect_lost_connection_error(failed.error(), "ack_orchestration_item");

  // Nothing of the turn was written: the rows it had already changed were rolled back.
  EXPECT_EQ(count_rows(guard.schema, "history"), "0");
  EXPECT_EQ(count_rows(guard.schema, "instances"), "0");
  EXPECT_EQ(count_rows(guard.schema, "executions"), "0");
  EXPECT_EQ(count_rows(guard.schema, "worker_queue"), "0");
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT COUNT(*) FROM orchestrator_queue WHERE lock_token = $1",
                             {item.lock_token}),
            "1")
      << "the start message must still be queued under the lease";
  EXPECT_EQ(
      pg_test::run_sql(guard.schema, "SELECT COUNT(*) FROM instance_locks WHERE lock_token = $1", {item.lock_token}),
      "1")
      << "the lease must still be held";

  // The lease is still valid, so the same ack on a fresh pooled connection commits the turn once.
  must(provider.ack_orchestration_item(item.lock_token, ack), "retried ack");
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT string_agg(event_id::text, ',' ORDER BY event_id) FROM history", {}),
            "1,2");
  EXPECT_EQ(count_rows(guard.schema, "worker_queue"), "1");
  EXPECT_EQ(count_rows(guard.schema, "orchestrator_queue"), "0");
  EXPECT_EQ(count_rows(guard.schema, "instance_locks"), "0");
  const auto history = must(provider.read(instance), "read");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_TRUE(history[0].is<events::OrchestrationStarted>());
  EXPECT_TRUE(history[1].is<events::ActivityScheduled>());
}

TEST(PostgresConnectionLoss, WorkerAckCutOffMidCallWritesNothingAndSucceedsOnRetry) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  StoreUnderTest store(guard.schema);
  auto& provider = *store.provider;
  const std::string instance = "cut-off-work-ack";
  must(provider.enqueue_for_worker(activity_execute_item(instance, 1, 1)), "enqueue activity");
  const auto work = must_fetch_work(provider, kLongLease);

  // The ack deletes the worker row, then waits to insert the completion into the locked
  // orchestrator queue; the server ends its connection there.
  SqlSession blocker(guard.schema);
  blocker.lock_table("orchestrator_queue");
  const auto completion = activity_completed_item(instance, 1, 1);
  auto cut_off = std::async(std::launch::async, [&] { return provider.ack_work_item(work.lock_token, completion); });
  terminate_backends("{" + wait_for_backend_waiting_on_lock(store.application_name) + "}");
  blocker.release();
  const auto failed = cut_off.get();
  ASSERT_FALSE(failed) << "the ack succeeded although its connection was terminated";
  expect_lost_connection_error(failed.error(), "ack_work_item");

  EXPECT_EQ(count_rows(guard.schema, "orchestrator_queue"), "0");
  EXPECT_EQ(
      pg_test::run_sql(guard.schema, "SELECT COUNT(*) FROM worker_queue WHERE lock_token = $1", {work.lock_token}), "1")
      << "the activity must still be queued under its lease";

  must(provider.ack_work_item(work.lock_token, completion), "retried ack");
  EXPECT_EQ(count_rows(guard.schema, "worker_queue"), "0");
  EXPECT_EQ(count_rows(guard.schema, "orchestrator_queue"), "1");
}

TEST(PostgresConnectionLoss, IdleConnectionsKilledByTheServerAreReplacedWithoutAFailedCall) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  StoreUnderTest store(guard.schema, "&pool=4");
  auto& provider = *store.provider;

  // Two pooled connections at once: an ack held up by a table lock keeps the first busy while an
  // enqueue opens the second. Both go back to the pool idle.
  must(provider.enqueue_for_orchestrator(start_item("before"), std::nullopt), "enqueue");
  const auto first = must_fetch_orchestration(provider, kLongLease);
  {
    SqlSession blocker(guard.schema);
    blocker.lock_table("history");
    auto held = std::async(std::launch::async, [&] {
      return provider.ack_orchestration_item(first.lock_token,
                                             make_ack(1, {started_event("before")}, instance_metadata()));
    });
    wait_for_backend_waiting_on_lock(store.application_name);
    must(provider.enqueue_for_worker(activity_execute_item("before", 1, 2)), "enqueue while the ack waits");
    blocker.release();
    must(held.get(), "held ack");
  }
  const auto pids = pg_test::run_sql(
      "", "SELECT array_agg(pid)::text FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
      {store.application_name});
  ASSERT_FALSE(pids.empty());
  ASSERT_GE(std::count(pids.begin(), pids.end(), ',') + 1, 3) << "expected the listener and two pooled: " << pids;
  terminate_backends(pids);

  // Every call succeeds at once: the pool notices the closed connections before using them.
  must(provider.enqueue_for_orchestrator(start_item("after"), std::nullopt), "enqueue after the kill");
  EXPECT_EQ(must(provider.read("before"), "read after the kill").size(), 1u);
  const auto second = must_fetch_orchestration(provider, kLongLease);
  EXPECT_EQ(second.item.instance, "after");
  must(provider.ack_orchestration_item(second.lock_token, make_ack(1, {started_event("after")}, instance_metadata())),
       "ack after the kill");
  const auto work = must_fetch_work(provider, kLongLease);
  must(provider.ack_work_item(work.lock_token, activity_completed_item("before", 1, 2)), "work ack after the kill");
  EXPECT_EQ(must(provider.read("after"), "read").size(), 1u);
}

/// Keeps the lines duroxide's loggers write (the store logs to the duroxide::provider target).
class ProviderLogCapture {
 public:
  ProviderLogCapture() : sink_(std::make_shared<Sink>()) { logging::add_sink_for_tests(sink_); }
  ~ProviderLogCapture() { logging::remove_sink_for_tests(sink_); }
  ProviderLogCapture(const ProviderLogCapture&) = delete;
  ProviderLogCapture& operator=(const ProviderLogCapture&) = delete;
  bool logged(const std::function<bool(spdlog::level::level_enum, const std::string&)>& predicate) {
    return sink_->any(predicate);
  }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    bool any(const std::function<bool(spdlog::level::level_enum, const std::string&)>& predicate) {
      std::lock_guard lock(mutex_);
      return std::any_of(lines_.begin(), lines_.end(),
                         [&](const auto& line) { return predicate(line.first, line.second); });
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      lines_.emplace_back(msg.level, std::string(msg.payload.begin(), msg.payload.end()));
    }
    void flush_() override {}

   private:
    std::vector<std::pair<spdlog::level::level_enum, std::string>> lines_;
  };
  std::shared_ptr<Sink> sink_;
};

TEST(PostgresConnectionLoss, LostListenerIsLoggedAndFetchesStillSeeOtherProcessesWork) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  ProviderLogCapture logs;
  StoreUnderTest listening(guard.schema);
  StoreUnderTest other_process(guard.schema);

  // The listener is the store's connection whose last statement was its LISTEN.
  std::string listener_pid;
  ASSERT_TRUE(eventually([&] {
    listener_pid = pg_test::run_sql("",
                                    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE "
                                    "'LISTEN%' LIMIT 1",
                                    {listening.application_name});
    return !listener_pid.empty();
  })) << "the store's LISTEN connection never showed up";
  terminate_backends("{" + listener_pid + "}");

  must(other_process.provider->enqueue_for_orchestrator(start_item("from-elsewhere"), std::nullopt),
       "enqueue from the other store");
  // A long poll: whether the listener is back by now (it wakes everyone when it reconnects) or not
  // (fetches re-poll every fallback_poll_interval), the message is found long before 30 s.
  auto fetched = listening.provider->fetch_orchestration_item(kLongLease, 30s, nullptr);
  ASSERT_TRUE(fetched) << fetched.error().to_string();
  ASSERT_TRUE(fetched->has_value()) << "the fetch timed out: the lost listener was never made up for";
  EXPECT_EQ((*fetched)->item.instance, "from-elsewhere");

  EXPECT_TRUE(eventually([&] {
    return logs.logged([&](spdlog::level::level_enum level, const std::string& text) {
      return level == spdlog::level::warn && text.find("LISTEN connection") != std::string::npos &&
             text.find("lost") != std::string::npos && text.find(guard.schema) != std::string::npos;
    });
  })) << "no warning about the lost LISTEN connection";
}

}  // namespace
}  // namespace duroxide
