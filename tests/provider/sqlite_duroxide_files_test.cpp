// SQLite files shared with duroxide (Rust): timestamps in either engine's form read as
// milliseconds, duroxide's inserts succeed on a store we created, and a file laid out by duroxide
// opens in our provider with its rows readable (docs/storage.md, "Files shared with duroxide").
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include <duroxide/sqlite_provider.hpp>
#include <duroxide/wire.hpp>

#include "provider/validation/validation_helpers.hpp"
#include "providers/sqlite/sqlite_database.hpp"
#include "providers/sqlite/sqlite_store.hpp"
#include "providers/sqlite/sqlite_timestamp.hpp"
#include "support/duroxide_file.hpp"

namespace duroxide::validation {
namespace {

using duroxide::sqlite::timestamp_text_to_ms;
using duroxide::testing::duroxide_file::event_json;
using duroxide::testing::duroxide_file::kLayout;
using duroxide::testing::duroxide_file::RawFile;

/// 2026-12-03 05:24:02 UTC in milliseconds since the epoch.
constexpr std::int64_t kSample = 1'796'275'442'000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : dir_(std::filesystem::temp_directory_path() / fmt::format("duroxide-files-{}-{}", name, ::getpid())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return (dir_ / "store.db").string(); }
  std::string url() const { return "sqlite:" + path(); }

 private:
  std::filesystem::path dir_;
};

std::shared_ptr<SqliteProvider> open_url(const std::string& url) {
  auto opened = SqliteProvider::open(url);
  if (!opened) throw std::runtime_error(opened.error().to_string());
  return *opened;
}

std::string started_json(const std::string& instance, const std::string& input) {
  return event_json(instance, 1, "null", "OrchestrationStarted",
                    fmt::format(R"("name":"Flow","version":"1.0.0","input":"{}","parent_instance":null,)"
                                R"("parent_id":null)",
                                input));
}

TEST(ProviderSqliteTimestamps, CurrentTimestampTextIsUtcMilliseconds) {
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 05:24:02"), kSample);
  EXPECT_EQ(timestamp_text_to_ms("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(timestamp_text_to_ms("2024-02-29 23:59:59"), 1'709'251'199'000);
}

TEST(ProviderSqliteTimestamps, IsoVariantsFractionsAndOffsetsAreAccepted) {
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03T05:24:02"), kSample);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03T05:24:02Z"), kSample);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 05:24:02.123"), kSample + 123);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 05:24:02.5"), kSample + 500);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 05:24:02.123456"), kSample + 123);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 06:24:02+01:00"), kSample);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 04:54:02-00:30"), kSample);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 05:24"), kSample - 2000);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03"), kSample - ((5 * 60 + 24) * 60 + 2) * 1000);
}

TEST(ProviderSqliteTimestamps, IntegerTextIsMillisecondsAndNonsenseIsRejected) {
  EXPECT_EQ(timestamp_text_to_ms("1796275442000"), kSample);
  EXPECT_EQ(timestamp_text_to_ms(" 42 "), 42);
  // The year alone is what reading the text as an integer used to give: it is not a timestamp.
  EXPECT_EQ(timestamp_text_to_ms("2026-12"), std::nullopt);
  EXPECT_EQ(timestamp_text_to_ms(""), std::nullopt);
  EXPECT_EQ(timestamp_text_to_ms("yesterday"), std::nullopt);
  EXPECT_EQ(timestamp_text_to_ms("2026-02-30 00:00:00"), std::nullopt);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 24:00:00"), std::nullopt);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 05:24:02 junk"), std::nullopt);
  EXPECT_EQ(timestamp_text_to_ms("2026-12-03 05:24:02."), std::nullopt);
}

TEST(ProviderSqliteDuroxideFiles, DuroxideInsertsSucceedOnAStoreWeCreatedAndGetMillisecondTimestamps) {
  TempFile file("inserts");
  auto provider = open_url(file.url());
  const auto before = now_ms();
  {
    // duroxide's statement shapes leave created_at, updated_at and started_at to the defaults.
    RawFile raw(file.path());
    raw.start_instance("inst", "Flow", "1.0.0", "1", "30");
    raw.append_history("inst", "1", "OrchestrationStarted", started_json("inst", "in"));
    raw.enqueue_orchestrator("inst", serialize_work_item(external_item("inst", "go", "yes")), std::to_string(before));
    raw.enqueue_worker("inst", serialize_work_item(activity_execute_item("inst", 1, 2)), "2");
    for (const char* table : {"instances", "executions", "history", "orchestrator_queue", "worker_queue"}) {
      const auto column = std::string_view(table) == "executions" ? "started_at" : "created_at";
      EXPECT_EQ(raw.text(fmt::format("SELECT typeof({}) FROM {}", column, table)), "integer") << table;
    }
  }
  const auto after = now_ms();

  const auto info = must(provider->get_instance_info("inst"), "instance info");
  EXPECT_GE(info.created_at_ms, static_cast<std::uint64_t>(before));
  EXPECT_LE(info.created_at_ms, static_cast<std::uint64_t>(after));
  EXPECT_EQ(info.updated_at_ms, info.created_at_ms);
  const auto execution = must(provider->get_execution_info("inst", 1), "execution info");
  EXPECT_GE(execution.started_at_ms, static_cast<std::uint64_t>(before));
  EXPECT_LE(execution.started_at_ms, static_cast<std::uint64_t>(after));

  auto item = must_fetch_orchestration(*provider, 5s);
  ASSERT_EQ(item.item.history.size(), 1u);
  EXPECT_EQ(item.item.history[0].event_id, 1u);
  ASSERT_EQ(item.item.messages.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<work_items::ExternalRaised>(item.item.messages[0]));
  auto work = must_fetch_work(*provider, 5s);
  EXPECT_EQ(activity_of(work).id, 2u);
}

TEST(ProviderSqliteDuroxideFiles, TextTimestampsOfDuroxideRowsReadAsMilliseconds) {
  TempFile file("text");
  {
    RawFile raw(file.path());
    raw.exec(kLayout);
    raw.start_instance("inst", "Flow", "1.0.0", "1", "30");
    raw.append_history("inst", "1", "OrchestrationStarted", started_json("inst", "in"));
    raw.complete_execution("inst", "out", std::to_string(kSample + 5000));
    // The defaults wrote the current time as text; fixed values make the conversion checkable.
    raw.exec("UPDATE instances SET created_at = '2026-12-03 05:24:02', updated_at = '2026-12-03 05:24:03'");
    raw.exec("UPDATE executions SET started_at = '2026-12-03 05:24:02'");
    EXPECT_EQ(raw.text("SELECT typeof(created_at) FROM history"), "text");
  }
  auto provider = open_url(file.url());
  const auto info = must(provider->get_instance_info("inst"), "instance info");
  EXPECT_EQ(info.created_at_ms, static_cast<std::uint64_t>(kSample));
  EXPECT_EQ(info.updated_at_ms, static_cast<std::uint64_t>(kSample + 1000));
  const auto execution = must(provider->get_execution_info("inst", 1), "execution info");
  EXPECT_EQ(execution.started_at_ms, static_cast<std::uint64_t>(kSample));
  ASSERT_TRUE(execution.completed_at_ms.has_value());
  EXPECT_EQ(*execution.completed_at_ms, static_cast<std::uint64_t>(kSample + 5000));
}

TEST(ProviderSqliteDuroxideFiles, FileLaidOutByDuroxideOpensReadsAndKeepsDuroxidesLayout) {
  TempFile file("layout");
  const auto now = now_ms();
  {
    RawFile raw(file.path());
    raw.exec(kLayout);
    raw.start_instance("inst", "Flow", "1.0.0", "1", "30");
    raw.append_history("inst", "1", "OrchestrationStarted", started_json("inst", "in"));
    raw.append_history("inst", "2", "ExternalSubscribed",
                       event_json("inst", 2, "null", "ExternalSubscribed", R"("name":"go")"));
    raw.enqueue_orchestrator("inst", serialize_work_item(external_item("inst", "go", "yes")), std::to_string(now));
  }
  const std::string instances_sql = RawFile(file.path()).text("SELECT sql FROM sqlite_schema WHERE name = 'instances'");

  auto provider = open_url(file.url());
  EXPECT_EQ(must(provider->store().query_int_for_tests("PRAGMA user_version", ""), "version"),
            duroxide::sqlite::kCurrentSchemaVersion);
  const auto history = must(provider->read("inst"), "read");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_TRUE(history[1].is<events::ExternalSubscribed>());
  EXPECT_EQ(history[1].duroxide_version, "0.1.30");
  const auto info = must(provider->get_instance_info("inst"), "instance info");
  EXPECT_EQ(info.orchestration_name, "Flow");
  EXPECT_EQ(info.status, ExecutionStatus::Running);
  // Created moments ago by CURRENT_TIMESTAMP, whose text has whole seconds.
  EXPECT_GE(info.created_at_ms + 1000, static_cast<std::uint64_t>(now));
  EXPECT_LE(info.created_at_ms, static_cast<std::uint64_t>(now_ms()));

  auto item = must_fetch_orchestration(*provider, 5s);
  EXPECT_EQ(item.item.instance, "inst");
  EXPECT_EQ(item.item.history.size(), 2u);
  ASSERT_EQ(item.item.messages.size(), 1u);

  // Our migrations kept duroxide's columns and defaults as duroxide wrote them; the one column
  // they add is the listing's status (docs/storage.md, "Listing instances").
  auto with_status = instances_sql;
  with_status.insert(with_status.rfind(')'), ", status TEXT");
  EXPECT_EQ(RawFile(file.path()).text("SELECT sql FROM sqlite_schema WHERE name = 'instances'"), with_status);
}

TEST(ProviderSqliteDuroxideFiles, InstancesWithTextCreationTimesPageInTimeOrder) {
  TempFile file("paging");
  {
    RawFile raw(file.path());
    raw.exec(kLayout);
    for (int i = 0; i < 5; ++i) {
      const auto id = fmt::format("inst-{}", i);
      raw.start_instance(id, "Flow", "1.0.0", "1", "30");
      raw.exec(fmt::format("UPDATE instances SET created_at = '2026-12-03 05:24:0{}' WHERE instance_id = '{}'", i, id));
    }
    EXPECT_EQ(raw.text("SELECT typeof(created_at) FROM instances LIMIT 1"), "text");
  }
  auto provider = open_url(file.url());
  // duroxide inserts another one later: its table's default writes the time as text again.
  RawFile(file.path()).start_instance("later", "Flow", "1.0.0", "1", "30");
  std::vector<std::string> listed;
  InstanceQuery query;
  query.limit = 2;
  for (;;) {
    const auto page = must(provider->list_instances_page(query), "page");
    for (const auto& row : page.instances) {
      EXPECT_GT(row.created_at_ms, 0u) << row.instance_id;
      listed.push_back(row.instance_id);
    }
    if (!page.next_cursor) break;
    query.cursor = page.next_cursor;
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"later", "inst-4", "inst-3", "inst-2", "inst-1", "inst-0"}));
  EXPECT_EQ(must(provider->get_instance_info("inst-0"), "info").created_at_ms,
            static_cast<std::uint64_t>(kSample - 2000));
}

}  // namespace
}  // namespace duroxide::validation
