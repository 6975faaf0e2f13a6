// The listener registry of the PostgreSQL store (docs/storage.md, "Wake-ups: who is told"): calls
// notify only when a process other than the caller's own listens on the schema; a listener that
// registers while a call is in flight still sees that call's work; a provider's registration ends
// with it, and registrations of dead backends are forgotten. Each test stages its interleaving
// with connections of its own and waits for the server to show the state it needs, never for time
// to pass.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <duroxide/postgres_provider.hpp>
#include <duroxide/wire.hpp>

#include "provider/postgres_test_session.hpp"
#include "provider/postgres_test_support.hpp"
#include "provider/validation/validation_helpers.hpp"

namespace duroxide {
namespace {

using namespace std::chrono_literals;
using namespace validation;
using namespace pg_test;

/// A lease no test here outlives, and a bound that turns a fetch never woken into a failure
/// instead of an hour-long hang (a woken fetch returns within milliseconds).
constexpr auto kLease = 120s;
constexpr auto kNeverWoken = 240s;

std::string registered_listeners(const std::string& schema) {
  return run_sql(schema, "SELECT COUNT(*) FROM listeners", {});
}

TEST(PostgresListenerRegistry, AStoreAloneOnItsSchemaNotifiesNobodyAndAnotherListenerIsNotified) {
  SchemaGuard guard(random_schema("dxt"));
  StoreUnderTest store(guard.schema);
  // The store's own registration is in place, so this also shows that its calls do not count it.
  ASSERT_TRUE(eventually([&] { return registered_listeners(guard.schema) == "1"; }))
      << "the store's LISTEN connection never registered";
  ChannelListener listener(run_sql(guard.schema, "SELECT dx_channel('work')", {}));

  must(store.provider->enqueue_for_worker(activity_execute_item("alone", 1, 1)), "enqueue while alone");
  listener.register_in(guard.schema);
  must(store.provider->enqueue_for_worker(activity_execute_item("alone", 1, 2)), "enqueue with a neighbour");
  run_sql(guard.schema, "SELECT pg_notify(dx_channel('work'), 'marker')", {});

  // Notifications arrive in commit order: had the first enqueue notified, it would be here too.
  EXPECT_EQ(listener.payloads_before("marker").size(), 1U)
      << "expected one notification: none for the store alone, one once another listener registered";
}

TEST(PostgresListenerRegistry, AListenerRegisteringWhileACallIsInFlightStillFindsItsWork) {
  SchemaGuard guard(random_schema("dxt"));
  {
    StoreUnderTest migrator(guard.schema);  // creates the schema, then unregisters when closed
  }
  ASSERT_EQ(registered_listeners(guard.schema), "0");

  // A call of another process, in flight: it checked the registry while it was empty, so it will
  // not notify, and it has not committed yet.
  SqlSession in_flight(guard.schema);
  in_flight.exec("BEGIN");
  std::string item = serialize_work_item(activity_execute_item("in-flight", 1, 1));
  std::string quoted;
  for (const char c : item) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  in_flight.exec(fmt::format("SELECT dx_enqueue_worker('{}', 'in-flight', 1, 1, NULL, NULL)", quoted));

  // A store that never re-polls on its own: only its listener's wake-ups end its fetch's wait.
  PostgresOptions options;
  options.fallback_poll_interval = 1h;
  StoreUnderTest late(guard.schema, "", options);
  // Its listener registered and now waits for the call in flight to end.
  wait_for_backend_waiting_on_lock(late.application_name);
  auto fetch = std::async(std::launch::async, [&] {
    return fetch_work(*late.provider, kLease, std::nullopt, TagFilter::default_only(), 1h);
  });
  ASSERT_TRUE(eventually([&] {
    return run_sql("",
                   "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle' "
                   "AND query LIKE '%dx_fetch_work%'",
                   {late.application_name}) != "0";
  })) << "the late store's fetch never scanned the queue";

  in_flight.exec("COMMIT");
  if (fetch.wait_for(kNeverWoken) != std::future_status::ready) {
    late.provider->wake_waiters();  // ends the wait so the test can finish
    (void)fetch.get();
    FAIL() << "the fetch was never woken for work committed while its listener registered";
  }
  const auto taken = fetch.get();
  ASSERT_TRUE(taken.has_value()) << "the fetch was woken but did not find the work";
  EXPECT_EQ(activity_of(*taken).instance, "in-flight");
}

TEST(PostgresListenerRegistry, ARegistrationEndsWithItsStoreAndDeadOnesAreForgotten) {
  SchemaGuard guard(random_schema("dxt"));
  auto first = std::make_unique<StoreUnderTest>(guard.schema);
  ASSERT_TRUE(eventually([&] { return registered_listeners(guard.schema) == "1"; }));
  // A process that died without unregistering: no server backend has this pid.
  run_sql(guard.schema, "INSERT INTO listeners (node, backend_pid) VALUES ('crashed', 2147483647)", {});

  StoreUnderTest second(guard.schema);
  ASSERT_TRUE(eventually([&] {
    return run_sql(guard.schema, "SELECT COUNT(*) FROM listeners WHERE node = 'crashed'", {}) == "0";
  })) << "the second store's registration did not forget the dead one";
  ASSERT_TRUE(eventually([&] { return registered_listeners(guard.schema) == "2"; }));

  first.reset();
  EXPECT_EQ(registered_listeners(guard.schema), "1") << "a closed store must unregister before it is gone";
}

}  // namespace
}  // namespace duroxide
