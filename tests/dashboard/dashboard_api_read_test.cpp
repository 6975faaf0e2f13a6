// The API's reads (api_reads.cpp): the listing with its filters and pages, one instance, its
// history, the metrics; and what bad input and unknown instances get.
#include <algorithm>
#include <set>

#include "dashboard_test_support.hpp"

namespace duroxide::dashboard_test {
namespace {

class DashboardApi : public ::testing::Test {
 protected:
  ServedStore served_{dashboard::DashboardOptions{{}, "", false, "sqlite:test.db"}, false};

  json ok(const std::string& path) const {
    const auto reply = served_.get(path);
    EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
    EXPECT_EQ(reply.header("Content-Type"), "application/json; charset=utf-8") << path;
    return reply.document();
  }

  /// Expects `status` with exactly `message` as the error.
  void fails(const std::string& path, int status, const std::string& message) const {
    const auto reply = served_.get(path);
    EXPECT_EQ(reply.status, status) << path << ": " << reply.body;
    EXPECT_EQ(reply.error(), message) << path;
  }

  static std::vector<std::string> ids(const json& page) {
    std::vector<std::string> out;
    for (const auto& row : page["instances"]) out.push_back(row["instance_id"].get<std::string>());
    return out;
  }

  /// The prepared instances in the store's listing order: newest first, instances created in the
  /// same millisecond by id, descending (docs/storage.md, "Listing instances").
  std::vector<std::string> prepared_in_listing_order() const {
    std::vector<std::pair<std::uint64_t, std::string>> keyed;
    const auto everything = ok("/api/instances?limit=500");
    for (const auto& row : everything["instances"]) {
      keyed.emplace_back(row["created_at_ms"].get<std::uint64_t>(), row["instance_id"].get<std::string>());
    }
    std::sort(keyed.begin(), keyed.end(), std::greater<>());
    std::vector<std::string> out;
    for (auto& [created, id] : keyed) out.push_back(std::move(id));
    return out;
  }
};

TEST_F(DashboardApi, ListsEveryInstanceNewestFirst) {
  const auto page = ok("/api/instances");
  const auto prepared = prepared_ids();
  const auto listed = ids(page);
  EXPECT_EQ(std::set<std::string>(prepared.begin(), prepared.end()),
            std::set<std::string>(listed.begin(), listed.end()));
  EXPECT_EQ(listed, prepared_in_listing_order());
  EXPECT_TRUE(page["next_cursor"].is_null());
  const auto waiting = std::find_if(page["instances"].begin(), page["instances"].end(),
                                    [](const json& row) { return row["instance_id"] == "waiting-1"; });
  ASSERT_NE(waiting, page["instances"].end());
  const auto& row = *waiting;
  EXPECT_EQ(row["instance_id"], "waiting-1");
  EXPECT_EQ(row["orchestration_name"], "Approval");
  EXPECT_EQ(row["status"], "Running");
  EXPECT_EQ(row["current_execution_id"], 1);
  EXPECT_GT(row["created_at_ms"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(row["parent_instance_id"].is_null());
}

TEST_F(DashboardApi, PagesFollowTheCursorToTheEnd) {
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    const auto page = ok("/api/instances?limit=3" + (cursor ? "&cursor=" + url_encode(*cursor) : ""));
    const auto rows = ids(page);
    EXPECT_LE(rows.size(), 3u);
    seen.insert(seen.end(), rows.begin(), rows.end());
    cursor = page["next_cursor"].is_null() ? std::nullopt : std::optional(page["next_cursor"].get<std::string>());
    ASSERT_LT(++pages, 10);
  } while (cursor);
  EXPECT_EQ(pages, 3);  // 3 + 3 + 1
  EXPECT_EQ(seen, prepared_in_listing_order());
}

TEST_F(DashboardApi, AFullLastPageHasNoNextCursor) {
  const auto page = ok("/api/instances?limit=7");
  EXPECT_EQ(page["instances"].size(), 7u);
  EXPECT_TRUE(page["next_cursor"].is_null());
}

TEST_F(DashboardApi, FiltersByStatusAndName) {
  EXPECT_EQ(ids(ok("/api/instances?status=Running")), std::vector<std::string>{"waiting-1"});
  EXPECT_EQ(ids(ok("/api/instances?status=Failed")), std::vector<std::string>{"failed-1"});
  EXPECT_EQ(ids(ok("/api/instances?name=Hello")), (std::vector<std::string>{"hello-3", "hello-2", "hello-1"}));
  EXPECT_EQ(ids(ok("/api/instances?status=Completed&name=Child")), std::vector<std::string>{"parent-1-child"});
  EXPECT_TRUE(ids(ok("/api/instances?status=Running&name=Hello")).empty());
  EXPECT_EQ(ids(ok("/api/instances?status=&name=")).size(), prepared_ids().size()) << "blank filters are no filters";
  const auto paged = ok("/api/instances?name=Hello&limit=2");
  EXPECT_EQ(ids(paged), (std::vector<std::string>{"hello-3", "hello-2"}));
  EXPECT_EQ(ids(ok("/api/instances?name=Hello&limit=2&cursor=" + paged["next_cursor"].get<std::string>())),
            std::vector<std::string>{"hello-1"});
}

TEST_F(DashboardApi, FiltersByCreationTime) {
  const auto all = ok("/api/instances");
  const auto newest = all["instances"][0]["created_at_ms"].get<std::uint64_t>();
  const auto from_newest = ids(ok(fmt::format("/api/instances?created_from_ms={}", newest)));
  ASSERT_FALSE(from_newest.empty());
  EXPECT_EQ(from_newest.front(), "waiting-1");
  for (const auto& id : ids(ok(fmt::format("/api/instances?created_until_ms={}", newest)))) {
    EXPECT_NE(id, "waiting-1") << "created_until_ms is exclusive";
  }
}

TEST_F(DashboardApi, BadListingParametersAre400) {
  fails("/api/instances?status=Done", 400,
        "unknown status 'Done': expected Running, Completed, Failed, ContinuedAsNew, Terminated or Suspended");
  fails("/api/instances?limit=0", 400, "the parameter 'limit' must be a whole number from 1 to 500");
  fails("/api/instances?limit=501", 400, "the parameter 'limit' must be a whole number from 1 to 500");
  fails("/api/instances?limit=ten", 400, "the parameter 'limit' must be a whole number from 1 to 500");
  fails("/api/instances?limit=-1", 400, "the parameter 'limit' must be a whole number from 1 to 500");
  fails("/api/instances?created_from_ms=yesterday", 400,
        "the parameter 'created_from_ms' must be a whole number from 0 to 18446744073709551615");
  fails("/api/instances?cursor=no-such-instance", 400,
        "listing instances: list_instances_page: cursor is not one this store wrote (expected the next_cursor of an "
        "earlier page)");
  fails("/api/instances?name=%FF", 400, "the parameter 'name' is not valid UTF-8 at byte 0");
  fails("/api/instances?name=" + std::string(1025, 'n'), 400,
        "the parameter 'name' is too long: 1025 bytes, at most 1024");
}

TEST_F(DashboardApi, AnInstanceShowsItsStatusInputCustomStatusAndKv) {
  const auto doc = ok("/api/instance?id=waiting-1");
  EXPECT_EQ(doc["instance_id"], "waiting-1");
  EXPECT_EQ(doc["orchestration_name"], "Approval");
  EXPECT_EQ(doc["status"], "Running");
  EXPECT_EQ(doc["input"], "order 7");
  EXPECT_TRUE(doc["trace_parent"].is_null()) << "started without a traceparent: the root of its trace";
  EXPECT_TRUE(doc["output"].is_null());
  EXPECT_TRUE(doc["error"].is_null());
  EXPECT_EQ(doc["custom_status"], "awaiting approval");
  EXPECT_EQ(doc["custom_status_version"], 1);
  EXPECT_EQ(doc["kv"], (json{{"stage", "waiting"}}));
  EXPECT_EQ(doc["children"], json::array());
  EXPECT_EQ(doc["execution_ids"], (json{1}));
  ASSERT_EQ(doc["executions"].size(), 1u);
  EXPECT_EQ(doc["executions"][0]["execution_id"], 1);
  EXPECT_EQ(doc["executions"][0]["status"], "Running");
  EXPECT_TRUE(doc["executions"][0]["completed_at_ms"].is_null());
}

TEST_F(DashboardApi, AChildShowsTheTraceItContinues) {
  const auto child = ok("/api/instance?id=parent-1-child");
  ASSERT_TRUE(child["trace_parent"].is_string()) << child.dump();
  EXPECT_TRUE(parse_traceparent(child["trace_parent"].get<std::string>())) << child["trace_parent"];
}

TEST_F(DashboardApi, AnInstanceShowsItsOutputOrError) {
  const auto done = ok("/api/instance?id=hello-2");
  EXPECT_EQ(done["status"], "Completed");
  EXPECT_EQ(done["input"], "2");
  EXPECT_EQ(done["output"], "Hello, 2!");
  EXPECT_FALSE(done["executions"][0]["completed_at_ms"].is_null());
  const auto failed = ok("/api/instance?id=failed-1");
  EXPECT_EQ(failed["status"], "Failed");
  EXPECT_TRUE(failed["output"].is_null());
  EXPECT_EQ(failed["error"]["category"], "application");
  EXPECT_NE(failed["error"]["message"].get<std::string>().find("out of stock"), std::string::npos) << failed["error"];
}

TEST_F(DashboardApi, AnInstanceListsItsChildrenAndAChildItsParent) {
  const auto parent = ok("/api/instance?id=parent-1");
  ASSERT_EQ(parent["children"].size(), 1u);
  EXPECT_EQ(parent["children"][0]["instance_id"], "parent-1-child");
  EXPECT_EQ(parent["children"][0]["orchestration_name"], "Child");
  EXPECT_EQ(parent["children"][0]["status"], "Completed");
  EXPECT_EQ(parent["output"], "parent saw child p");
  EXPECT_EQ(ok("/api/instance?id=parent-1-child")["parent_instance_id"], "parent-1");
}

TEST_F(DashboardApi, HistoryIsTheStoredEventsInOrder) {
  const auto doc = ok("/api/history?id=hello-1");
  EXPECT_EQ(doc["instance_id"], "hello-1");
  EXPECT_EQ(doc["execution_id"], 1);
  EXPECT_EQ(doc["execution_ids"], (json{1}));
  EXPECT_EQ(doc["truncated"], false);
  std::vector<std::string> types;
  for (const auto& event : doc["events"]) types.push_back(event["type"].get<std::string>());
  EXPECT_EQ(types, (std::vector<std::string>{"OrchestrationStarted", "ActivityScheduled", "ActivityCompleted",
                                             "OrchestrationCompleted"}));
  EXPECT_EQ(doc["total_events"], 4);
  EXPECT_EQ(doc["events"][1]["name"], "Greet");
  EXPECT_EQ(doc["events"][2]["source_event_id"], 2);
  EXPECT_EQ(doc["events"][2]["result"], "Hello, 1!");
  EXPECT_EQ(ok("/api/history?id=hello-1&execution=1")["events"], doc["events"]);
  const auto first_two = ok("/api/history?id=hello-1&limit=2");
  EXPECT_EQ(first_two["events"].size(), 2u);
  EXPECT_EQ(first_two["truncated"], true);
  EXPECT_EQ(first_two["total_events"], 4);
}

TEST_F(DashboardApi, UnknownInstancesAndExecutionsAre404) {
  fails("/api/instance?id=nope", 404, "instance 'nope' not found");
  fails("/api/history?id=nope", 404, "instance 'nope' not found");
  fails("/api/history?id=hello-1&execution=2", 404, "execution 2 of instance 'hello-1' not found");
}

TEST_F(DashboardApi, BadInstanceIdsAre400) {
  fails("/api/instance", 400, "the parameter 'id' is required");
  fails("/api/instance?id=", 400, "the parameter 'id' is required");
  fails("/api/instance?id=ab%C3", 400, "the parameter 'id' is not valid UTF-8 at byte 2");
  fails("/api/history?id=%ED%A0%80", 400, "the parameter 'id' is not valid UTF-8 at byte 0");  // a surrogate
  fails("/api/instance?id=" + std::string(1025, 'x'), 400, "the parameter 'id' is too long: 1025 bytes, at most 1024");
  fails("/api/history?id=hello-1&execution=0", 400,
        "the parameter 'execution' must be a whole number from 1 to 18446744073709551615");
}

TEST_F(DashboardApi, MetricsCountTheStore) {
  const auto doc = ok("/api/metrics");
  EXPECT_EQ(doc["metrics"]["total_instances"], prepared_ids().size());
  EXPECT_EQ(doc["metrics"]["running_instances"], 1);
  EXPECT_EQ(doc["metrics"]["failed_instances"], 1);
  EXPECT_EQ(doc["metrics"]["completed_instances"], prepared_ids().size() - 2);
  EXPECT_TRUE(doc["queues"].contains("orchestrator_queue"));
  EXPECT_TRUE(doc["queues"].contains("worker_queue"));
}

TEST_F(DashboardApi, ConfigSaysWhatThePageMayDo) {
  EXPECT_EQ(ok("/api/config"), (json{{"allow_writes", false}, {"store", "sqlite:test.db"}}));
}

TEST_F(DashboardApi, UnknownPathsAre404AndWrongMethods405) {
  fails("/api/nothing", 404, "no such page or endpoint: /api/nothing");
  fails("/index.html", 404, "no such page or endpoint: /index.html");
  const auto wrong = served_.request("POST", "/api/instances", {}, "{}");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("Allow"), "GET");
  EXPECT_EQ(wrong.error(), "/api/instances takes GET, not POST");
  const auto get_write = served_.get("/api/cancel");
  EXPECT_EQ(get_write.status, 405);
  EXPECT_EQ(get_write.header("Allow"), "POST");
}

}  // namespace
}  // namespace duroxide::dashboard_test
