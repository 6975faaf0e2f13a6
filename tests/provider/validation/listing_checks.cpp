// Validation category Listing (docs/storage.md, "Listing instances"): paginated, filtered
// instance listing. Pages cover every instance once, newest first; filters select by the current
// execution's status (kept as executions change), name and creation time; bad limits and cursors
// are rejected.
#include <algorithm>
#include <set>
#include <tuple>

#include "provider/validation/validation_helpers.hpp"
#include "provider/validation/validation_suites.hpp"

namespace duroxide::validation {
namespace {

/// Every page of `query` in order; checks each page's size against the limit on the way.
std::vector<InstanceInfo> all_pages(Provider& p, InstanceQuery query) {
  std::vector<InstanceInfo> rows;
  for (int pages = 0;; ++pages) {
    if (pages > 100) throw std::runtime_error("listing did not end after 100 pages");
    const auto page = must(admin(p).list_instances_page(query), "list page");
    EXPECT_LE(page.instances.size(), query.limit);
    if (page.next_cursor) {
      EXPECT_EQ(page.instances.size(), query.limit) << "a page before the last is full";
    }
    rows.insert(rows.end(), page.instances.begin(), page.instances.end());
    if (!page.next_cursor) return rows;
    query.cursor = page.next_cursor;
  }
}

std::set<std::string> ids_of(const std::vector<InstanceInfo>& rows) {
  std::set<std::string> ids;
  for (const auto& row : rows) ids.insert(row.instance_id);
  return ids;
}

/// A turn that ends the instance's current execution `execution` with `status`.
void end_execution(Provider& p, const std::string& instance, Millis lock, std::uint64_t execution,
                   const std::string& status) {
  auto item = poke(p, instance, lock);
  const auto id = next_event_id(p, instance);
  const Event last = status == "Completed"        ? completed_event(instance, execution, id)
                     : status == "ContinuedAsNew" ? continued_as_new_event(instance, execution, id)
                                                  : failed_event(instance, execution, id, "boom");
  must(p.ack_orchestration_item(item.lock_token, make_ack(execution, {last}, status_metadata(status, "\"out\""))),
       "end execution");
}

TEST_P(ProviderListing, PagesCoverEveryInstanceOnceNewestFirst) {
  auto p = create_provider();
  const std::vector<std::string> ids = {"i1", "i2", "i3", "i4", "i5", "i6", "i7"};
  for (const auto& id : ids) create_instance(*p, id, factory().lock_timeout());
  complete_instance(*p, "i3", factory().lock_timeout());

  InstanceQuery query;
  query.limit = 3;
  const auto rows = all_pages(*p, query);
  ASSERT_EQ(rows.size(), ids.size());
  EXPECT_EQ(ids_of(rows), std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(), [](const InstanceInfo& a, const InstanceInfo& b) {
    return std::tie(a.created_at_ms, a.instance_id) > std::tie(b.created_at_ms, b.instance_id);
  })) << "newest first, then by id descending";
  // A listed row says what get_instance_info says.
  for (const auto& row : rows) EXPECT_EQ(row, must(admin(*p).get_instance_info(row.instance_id), "info"));
}

TEST_P(ProviderListing, FullLastPageHasNoCursorAndEmptyStoreHasNoRows) {
  auto p = create_provider();
  InstanceQuery query;
  query.limit = 2;
  auto page = must(admin(*p).list_instances_page(query), "empty");
  EXPECT_TRUE(page.instances.empty());
  EXPECT_FALSE(page.next_cursor.has_value());
  create_instance(*p, "a", factory().lock_timeout());
  create_instance(*p, "b", factory().lock_timeout());
  page = must(admin(*p).list_instances_page(query), "two");
  EXPECT_EQ(page.instances.size(), 2u);
  EXPECT_FALSE(page.next_cursor.has_value()) << "exactly `limit` rows left: no further page";
}

TEST_P(ProviderListing, FiltersByStatusNameAndCreationTime) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "a-run", lock, "Alpha");
  create_instance(*p, "a-done", lock, "Alpha");
  complete_instance(*p, "a-done", lock);
  create_instance(*p, "b-done", lock, "Beta");
  complete_instance(*p, "b-done", lock);
  create_instance(*p, "b-failed", lock, "Beta");
  end_execution(*p, "b-failed", lock, 1, "Failed");

  InstanceQuery query;
  query.limit = 1;  // paging and filters together
  query.status = ExecutionStatus::Completed;
  EXPECT_EQ(ids_of(all_pages(*p, query)), (std::set<std::string>{"a-done", "b-done"}));
  query.status = ExecutionStatus::Failed;
  EXPECT_EQ(ids_of(all_pages(*p, query)), (std::set<std::string>{"b-failed"}));
  query.status = ExecutionStatus::Running;
  EXPECT_EQ(ids_of(all_pages(*p, query)), (std::set<std::string>{"a-run"}));
  query.status.reset();
  query.orchestration_name = "Beta";
  EXPECT_EQ(ids_of(all_pages(*p, query)), (std::set<std::string>{"b-done", "b-failed"}));
  query.status = ExecutionStatus::Completed;
  EXPECT_EQ(ids_of(all_pages(*p, query)), (std::set<std::string>{"b-done"}));
  query.orchestration_name = "Gamma";
  EXPECT_TRUE(all_pages(*p, query).empty());

  // Creation time: the range is [from, until).
  InstanceQuery everything;
  everything.limit = 10;
  const auto rows = all_pages(*p, everything);
  ASSERT_EQ(rows.size(), 4u);
  const auto [oldest, newest] = std::minmax_element(
      rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.created_at_ms < b.created_at_ms; });
  InstanceQuery range;
  range.limit = 10;
  range.created_from_ms = oldest->created_at_ms;
  range.created_until_ms = newest->created_at_ms + 1;
  EXPECT_EQ(all_pages(*p, range).size(), 4u);
  range.created_from_ms = newest->created_at_ms + 1;
  range.created_until_ms.reset();
  EXPECT_TRUE(all_pages(*p, range).empty());
  range.created_from_ms.reset();
  range.created_until_ms = oldest->created_at_ms;
  EXPECT_TRUE(all_pages(*p, range).empty());
  range.created_until_ms = newest->created_at_ms + 1;
  range.created_from_ms = newest->created_at_ms;
  for (const auto& row : all_pages(*p, range)) EXPECT_EQ(row.created_at_ms, newest->created_at_ms);
}

TEST_P(ProviderListing, StatusFilterFollowsTheCurrentExecution) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "inst", lock);
  auto listed_with = [&](ExecutionStatus status) {
    InstanceQuery query;
    query.status = status;
    const auto rows = all_pages(*p, query);
    return ids_of(rows).contains("inst");
  };
  EXPECT_TRUE(listed_with(ExecutionStatus::Running));
  end_execution(*p, "inst", lock, 1, "ContinuedAsNew");
  EXPECT_TRUE(listed_with(ExecutionStatus::ContinuedAsNew));
  EXPECT_FALSE(listed_with(ExecutionStatus::Running));
  // The next execution starts: the instance is Running again.
  must(p->enqueue_for_orchestrator(continue_as_new_item("inst"), std::nullopt), "enqueue can");
  auto next = must_fetch_orchestration(*p, lock);
  must(p->ack_orchestration_item(next.lock_token, make_ack(2, {started_event("inst", 2)}, instance_metadata())),
       "start execution 2");
  EXPECT_TRUE(listed_with(ExecutionStatus::Running));
  EXPECT_FALSE(listed_with(ExecutionStatus::ContinuedAsNew));
  end_execution(*p, "inst", lock, 2, "Completed");
  EXPECT_TRUE(listed_with(ExecutionStatus::Completed));
  EXPECT_FALSE(listed_with(ExecutionStatus::Running));
  InstanceQuery query;
  const auto rows = all_pages(*p, query);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].current_execution_id, 2u);
  EXPECT_EQ(rows[0].status, ExecutionStatus::Completed);
}

TEST_P(ProviderListing, DeletedAndQueuedInstancesAreNotListed) {
  auto p = create_provider();
  const auto lock = factory().lock_timeout();
  create_instance(*p, "kept", lock);
  create_instance(*p, "gone", lock);
  complete_instance(*p, "gone", lock);
  must(admin(*p).delete_instance("gone", false), "delete");
  // A queued start is not an instance until its first turn commits (as for list_instances).
  must(p->enqueue_for_orchestrator(start_item("queued"), std::nullopt), "enqueue");
  EXPECT_EQ(ids_of(all_pages(*p, InstanceQuery{})), (std::set<std::string>{"kept"}));
  InstanceQuery completed;
  completed.status = ExecutionStatus::Completed;
  EXPECT_TRUE(all_pages(*p, completed).empty());
}

TEST_P(ProviderListing, RejectsBadLimitsAndCursors) {
  auto p = create_provider();
  create_instance(*p, "inst", factory().lock_timeout());
  for (const std::size_t limit : {std::size_t{0}, kMaxInstancePageLimit + 1}) {
    InstanceQuery query;
    query.limit = limit;
    const auto error = must_fail(admin(*p).list_instances_page(query), "bad limit");
    EXPECT_EQ(error.kind, ProviderErrorKind::InvalidInput) << limit;
    EXPECT_FALSE(error.is_retryable());
    EXPECT_NE(error.message.find("limit"), std::string::npos) << error.message;
  }
  for (const std::string cursor : {"", "garbage", "12", ":inst", "12x:inst", "-1:inst"}) {
    InstanceQuery query;
    query.cursor = cursor;
    const auto error = must_fail(admin(*p).list_instances_page(query), "bad cursor");
    EXPECT_EQ(error.kind, ProviderErrorKind::InvalidInput) << cursor;
    EXPECT_NE(error.message.find("cursor"), std::string::npos) << error.message;
  }
  InstanceQuery largest;
  largest.limit = kMaxInstancePageLimit;
  EXPECT_EQ(must(admin(*p).list_instances_page(largest), "largest limit").instances.size(), 1u);
}

}  // namespace
}  // namespace duroxide::validation
