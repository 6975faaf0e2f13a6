// The SQLite store's hand-off of an activity's next activity (docs/storage.md, "Hand-off to idle
// workers"): an activity's ack claims, in its own transaction, what the same fetcher would fetch
// next (within its tags, never a session's row), and the next fetch is handed exactly that claim;
// a held activity goes back to the queue, its attempt not counted, when the runtime stops.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <duroxide/sqlite_provider.hpp>

#include "provider/validation/validation_helpers.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::validation {
namespace {

using namespace std::chrono_literals;

constexpr auto kLease = 30s;

std::shared_ptr<SqliteProvider> open_store() {
  auto opened = SqliteProvider::open_in_memory();
  if (!opened) throw std::runtime_error(opened.error().to_string());
  return *opened;
}

/// How many worker rows of `instance`'s activity `id` match `condition` (?1 is the instance).
std::int64_t rows(SqliteProvider& provider, const std::string& instance, int id, const std::string& condition) {
  return must(provider.store().query_int_for_tests(
                  "SELECT COUNT(*) FROM worker_queue WHERE instance_id = ?1 AND activity_id = " + std::to_string(id) +
                      " AND " + condition,
                  instance),
              "count rows");
}

TEST(SqliteWorkHandOff, AnActivityAckClaimsItsFetchersNextActivityForTheNextFetch) {
  auto provider = open_store();
  must(provider->enqueue_for_worker(activity_execute_item("next", 1, 1)), "enqueue 1");
  must(provider->enqueue_for_worker(activity_execute_item("next", 1, 2)), "enqueue 2");
  const auto first = must_fetch_work(*provider, kLease);
  ASSERT_EQ(activity_of(first).id, 1U);
  must(provider->ack_work_item(first.lock_token, activity_completed_item("next", 1, 1)), "ack 1");
  EXPECT_EQ(rows(*provider, "next", 2, "lock_token IS NOT NULL AND attempt_count = 1"), 1) << "the ack claimed it";

  const auto second = must_fetch_work(*provider, kLease);
  EXPECT_EQ(activity_of(second).id, 2U);
  EXPECT_EQ(second.attempt_count, 1U);
  // The fetch was handed the ack's claim, not a claim of its own.
  EXPECT_EQ(
      must(provider->store().query_int_for_tests(
               "SELECT COUNT(*) FROM worker_queue WHERE activity_id = 2 AND attempt_count = 1 AND lock_token = ?1",
               second.lock_token),
           "count"),
      1);
  must(provider->ack_work_item(second.lock_token, activity_completed_item("next", 1, 2)), "ack 2");
  EXPECT_EQ(rows(*provider, "next", 2, "1"), 0);
}

TEST(SqliteWorkHandOff, AnActivityAckClaimsOnlyWhatItsFetcherServesAndNoSessionsItems) {
  auto provider = open_store();
  const auto gpu = TagFilter::tags({"gpu"});
  must(provider->enqueue_for_worker(activity_execute_item("tags", 1, 1, "Work", "{}", std::nullopt, "gpu")), "1");
  must(provider->enqueue_for_worker(activity_execute_item("tags", 1, 2)), "untagged");
  must(provider->enqueue_for_worker(activity_execute_item("tags", 1, 3, "Work", "{}", "alpha", "gpu")), "session");
  must(provider->enqueue_for_worker(activity_execute_item("tags", 1, 4, "Work", "{}", std::nullopt, "gpu")), "4");
  const auto first = must(provider->fetch_work_item(kLease, 0ms, std::nullopt, gpu), "fetch").value();
  ASSERT_EQ(activity_of(first).id, 1U);
  must(provider->ack_work_item(first.lock_token, activity_completed_item("tags", 1, 1)), "ack 1");
  EXPECT_EQ(rows(*provider, "tags", 2, "lock_token IS NULL"), 1) << "untagged: not the fetcher's";
  EXPECT_EQ(rows(*provider, "tags", 3, "lock_token IS NULL"), 1) << "a session's row: only a fetch claims it";
  EXPECT_EQ(rows(*provider, "tags", 4, "lock_token IS NOT NULL"), 1);

  // A fetch that does not serve the held item's tag gets the untagged one from the queue.
  EXPECT_EQ(activity_of(must_fetch_work(*provider, kLease)).id, 2U);
  EXPECT_EQ(activity_of(must(provider->fetch_work_item(kLease, 0ms, std::nullopt, gpu), "fetch").value()).id, 4U);
}

TEST(SqliteWorkHandOff, AHeldActivityGoesBackToTheQueueWhenTheRuntimeStops) {
  auto provider = open_store();
  must(provider->enqueue_for_worker(activity_execute_item("held", 1, 1)), "enqueue 1");
  must(provider->enqueue_for_worker(activity_execute_item("held", 1, 2)), "enqueue 2");
  const auto first = must_fetch_work(*provider, kLease);
  must(provider->ack_work_item(first.lock_token, activity_completed_item("held", 1, 1)), "ack 1");
  ASSERT_EQ(rows(*provider, "held", 2, "lock_token IS NOT NULL"), 1);

  provider->wake_waiters();  // what Runtime::shutdown calls

  EXPECT_EQ(rows(*provider, "held", 2, "lock_token IS NULL AND attempt_count = 0"), 1);
  const auto fetched = must_fetch_work(*provider, kLease);
  EXPECT_EQ(activity_of(fetched).id, 2U);
  EXPECT_EQ(fetched.attempt_count, 1U);
}

}  // namespace
}  // namespace duroxide::validation
