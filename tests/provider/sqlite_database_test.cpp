// SQLite plumbing of the SQLite provider: URL parsing, file creation, schema versioning.
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include <duroxide/sqlite_provider.hpp>

#include "providers/sqlite/sqlite_database.hpp"

namespace duroxide::sqlite {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("duroxide-sqlite-{}-{}", name, ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(ProviderSqliteSetup, UrlParsing) {
  EXPECT_EQ(parse_sqlite_url("sqlite:/tmp/a.db").value(), "/tmp/a.db");
  EXPECT_EQ(parse_sqlite_url("sqlite:///tmp/a.db").value(), "/tmp/a.db");
  auto bad_scheme = parse_sqlite_url("postgres://x");
  ASSERT_FALSE(bad_scheme.has_value());
  EXPECT_FALSE(bad_scheme.error().is_retryable());
  EXPECT_NE(bad_scheme.error().message.find("sqlite:PATH"), std::string::npos);
  EXPECT_FALSE(parse_sqlite_url("sqlite:").has_value());
}

TEST(ProviderSqliteSetup, OpenCreatesFileWithCurrentSchemaAndReopens) {
  const auto dir = fresh_dir("open");
  const auto path = (dir / "store.db").string();
  {
    auto db = Database::open_file(path);
    ASSERT_TRUE(db.has_value()) << db.error().to_string();
    EXPECT_EQ((*db)->schema_version(), kCurrentSchemaVersion);
    auto mode = (*db)->query_int("test", "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode='wal'");
    EXPECT_EQ(mode.value(), 1);
    // New files use 1 KiB pages: a commit writes whole pages to the WAL, and our rows are small.
    EXPECT_EQ((*db)->query_int("test", "PRAGMA page_size").value(), 1024);
    ASSERT_TRUE((*db)->exec("test", "INSERT INTO sessions VALUES('s', 'w', 1, 1)").has_value());
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  auto reopened = Database::open_file(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->query_int("test", "SELECT count(*) FROM sessions").value(), 1);
  std::filesystem::remove_all(dir);
}

TEST(ProviderSqliteSetup, DurabilityChoosesSynchronousMode) {
  const auto dir = fresh_dir("durability");
  // PRAGMA synchronous: 1 = NORMAL, 2 = FULL.
  auto normal = Database::open_file((dir / "normal.db").string());
  ASSERT_TRUE(normal.has_value()) << normal.error().to_string();
  EXPECT_EQ((*normal)->query_int("test", "PRAGMA synchronous").value(), 1);
  auto full = Database::open_file((dir / "full.db").string(), true);
  ASSERT_TRUE(full.has_value()) << full.error().to_string();
  EXPECT_EQ((*full)->query_int("test", "PRAGMA synchronous").value(), 2);
  auto store = SqliteProvider::open("sqlite:" + (dir / "store.db").string(), {.durability = SqliteDurability::Full});
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  EXPECT_TRUE((*store)->enqueue_for_orchestrator(
      work_items::StartOrchestration{"d", "O", "", "1.0.0", std::nullopt, std::nullopt, 1}, std::nullopt));
  std::filesystem::remove_all(dir);
}

TEST(ProviderSqliteSetup, RejectsNewerSchema) {
  const auto dir = fresh_dir("newer");
  const auto path = (dir / "store.db").string();
  {
    auto db = Database::open_file(path);
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)->exec("test", fmt::format("PRAGMA user_version = {}", kCurrentSchemaVersion + 1)).has_value());
  }
  auto reopened = Database::open_file(path);
  ASSERT_FALSE(reopened.has_value());
  EXPECT_FALSE(reopened.error().is_retryable());
  std::filesystem::remove_all(dir);
}

TEST(ProviderSqliteSetup, VersionOneFileGainsTheDeadLetterTable) {
  const auto dir = fresh_dir("v1");
  const auto path = (dir / "store.db").string();
  {
    // A file as a version-1 build left it: no dead_letters table.
    auto db = Database::open_file(path);
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)->exec("test", "DROP TABLE dead_letters; PRAGMA user_version = 1;").has_value());
    ASSERT_TRUE((*db)->exec("test", "INSERT INTO sessions VALUES('s', 'w', 1, 1)").has_value());
  }
  auto reopened = Database::open_file(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  EXPECT_EQ((*reopened)->schema_version(), kCurrentSchemaVersion);
  EXPECT_EQ((*reopened)->query_int("test", "SELECT count(*) FROM dead_letters").value(), 0);
  EXPECT_EQ((*reopened)->query_int("test", "SELECT count(*) FROM sessions").value(), 1) << "data kept";
  std::filesystem::remove_all(dir);
}

/// The indexes a version-2 file has and later versions keep (version 4 replaces idx_orch_visible
/// and adds its own, docs/storage.md, "A big store stays fast").
constexpr const char* kIndexesOfVersionTwo =
    "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name NOT IN ('idx_orch_visible', 'idx_orch_due', "
    "'idx_locks_token', 'idx_locks_until', 'idx_worker_free', 'idx_worker_locked', 'idx_worker_visible')";

TEST(ProviderSqliteSetup, VersionTwoFileGainsTimestampDefaultsKeepingRowsAndIndexes) {
  const auto dir = fresh_dir("v2");
  const auto path = (dir / "store.db").string();
  std::int64_t indexes = 0;
  {
    // A file as a version-2 build left it: timestamp columns without defaults.
    auto db = Database::open_file(path);
    ASSERT_TRUE(db.has_value());
    ASSERT_TRUE((*db)
                    ->exec("test",
                           "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, ' DEFAULT "
                           "(CAST(round((julianday(''now'') - 2440587.5) * 86400000) AS INTEGER))', '') WHERE "
                           "type = 'table'; PRAGMA writable_schema = RESET; PRAGMA user_version = 2;")
                    .has_value());
    ASSERT_TRUE((*db)->exec("test", "INSERT INTO history VALUES ('old', 1, 1, 'T', '{}', 5)").has_value());
    // The old layout refuses an insert that leaves created_at out, as duroxide's inserts do.
    EXPECT_FALSE((*db)
                     ->exec("test",
                            "INSERT INTO history (instance_id, execution_id, event_id, event_type, "
                            "event_data) VALUES ('new', 1, 1, 'T', '{}')")
                     .has_value());
    indexes = (*db)->query_int("test", kIndexesOfVersionTwo).value().value();
  }
  auto reopened = Database::open_file(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().to_string();
  auto& db = **reopened;
  EXPECT_EQ(db.schema_version(), kCurrentSchemaVersion);
  // Inserts that leave the timestamp columns out, as duroxide's do.
  for (const char* insert :
       {"INSERT INTO history (instance_id, execution_id, event_id, event_type, event_data) "
        "VALUES ('new', 1, 1, 'T', '{}')",
        "INSERT INTO instances (instance_id, orchestration_name, orchestration_version, current_execution_id, "
        "parent_instance_id) VALUES ('new', 'N', '1.0.0', 1, NULL)",
        "INSERT INTO executions (instance_id, execution_id, status) VALUES ('new', 1, 'Running')",
        "INSERT INTO orchestrator_queue (instance_id, work_item, visible_at) VALUES ('new', '{}', 0)",
        "INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, activity_id, session_id, tag) "
        "VALUES ('{}', 0, 'new', 1, 2, NULL, NULL)"}) {
    ASSERT_TRUE(db.exec("test", insert).has_value()) << insert;
  }
  // The defaults are the insert time in milliseconds (after 2020-01-01), as integers.
  for (const char* check :
       {"SELECT count(*) FROM history WHERE instance_id = 'new' AND typeof(created_at) = 'integer' AND created_at > "
        "1577836800000",
        "SELECT count(*) FROM instances WHERE created_at > 1577836800000 AND updated_at = created_at",
        "SELECT count(*) FROM executions WHERE started_at > 1577836800000",
        "SELECT count(*) FROM orchestrator_queue WHERE created_at > 1577836800000",
        "SELECT count(*) FROM worker_queue WHERE created_at > 1577836800000"}) {
    EXPECT_EQ(db.query_int("test", check).value(), 1) << check;
  }
  EXPECT_EQ(db.query_int("test", "SELECT created_at FROM history WHERE instance_id = 'old'").value(), 5) << "rows kept";
  EXPECT_EQ(db.query_int("test", kIndexesOfVersionTwo).value(), indexes);
  EXPECT_EQ(db.query_int("test", "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'").value(),
            1);
  std::filesystem::remove_all(dir);
}

/// Builds a file exactly as a build of schema `version` left it (its migrations, nothing newer).
void create_old_layout(const std::string& path, int version) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), SQLITE_OK);
  std::string sql = "PRAGMA journal_mode=WAL;";
  for (int from = 0; from < version; ++from) {
    // Step 5 needs the column the migration adds before running its SQL (kColumnAdditions).
    if (from == 4) sql += "ALTER TABLE instances ADD COLUMN status TEXT;";
    sql += migration_sql(from);
  }
  sql += fmt::format("PRAGMA user_version = {};", version);
  char* message = nullptr;
  EXPECT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  sqlite3_close_v2(raw);
}

class ProviderSqliteMigration : public ::testing::TestWithParam<int> {};

TEST_P(ProviderSqliteMigration, OldFileGainsIndexesAndCountersWithDataIntact) {
  const auto dir = fresh_dir(fmt::format("v{}", GetParam()));
  const auto path = (dir / "store.db").string();
  create_old_layout(path, GetParam());
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    // Two instances: one running, one whose current (second) execution completed.
    const char* rows = R"sql(
INSERT INTO instances (instance_id, orchestration_name, current_execution_id, created_at, updated_at)
  VALUES ('run', 'O', 1, 1, 1), ('done', 'O', 2, 1, 1);
INSERT INTO executions (instance_id, execution_id, status, started_at)
  VALUES ('run', 1, 'Running', 1), ('done', 1, 'ContinuedAsNew', 1), ('done', 2, 'Completed', 1);
INSERT INTO history VALUES ('run', 1, 1, 'X', '{}', 1), ('run', 1, 2, 'X', '{}', 1), ('done', 2, 1, 'X', '{}', 1);
INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, created_at) VALUES ('run', '{}', 1, 1);
INSERT INTO worker_queue (work_item, visible_at, created_at) VALUES ('{}', 1, 1), ('{}', 1, 1);
)sql";
    ASSERT_EQ(sqlite3_exec(raw, rows, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
    sqlite3_close_v2(raw);
  }
  auto db = Database::open_file(path);
  ASSERT_TRUE(db.has_value()) << db.error().to_string();
  EXPECT_EQ((*db)->schema_version(), kCurrentSchemaVersion);
  const auto value = [&](const std::string& sql) { return (*db)->query_int("test", sql).value().value_or(-1); };
  EXPECT_EQ(value("SELECT count(*) FROM history"), 3) << "data kept";
  EXPECT_EQ(value("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('idx_orch_due', "
                  "'idx_locks_token', 'idx_locks_until', 'idx_worker_free', 'idx_worker_locked', "
                  "'idx_worker_visible')"),
            6);
  // Version 5: the current execution's status on the instance, and the listing indexes.
  EXPECT_EQ(value("SELECT count(*) FROM instances WHERE instance_id = 'done' AND status = 'Completed'"), 1);
  EXPECT_EQ(value("SELECT count(*) FROM instances WHERE instance_id = 'run' AND status = 'Running'"), 1);
  EXPECT_EQ(value("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('idx_instances_created', "
                  "'idx_instances_status', 'idx_instances_name', 'idx_instances_name_status')"),
            4);
  // Version 4's counters, seeded from the rows; version 6 dropped the queue-row ones with their
  // triggers, and the unused tag and session indexes.
  EXPECT_EQ(value("SELECT value FROM store_counters WHERE name = 'instances'"), 2);
  EXPECT_EQ(value("SELECT value FROM store_counters WHERE name = 'executions'"), 3);
  EXPECT_EQ(value("SELECT value FROM store_counters WHERE name = 'history'"), 3);
  EXPECT_EQ(value("SELECT value FROM store_counters WHERE name = 'status:Running'"), 1);
  EXPECT_EQ(value("SELECT value FROM store_counters WHERE name = 'status:Completed'"), 1);
  EXPECT_EQ(value("SELECT count(*) FROM store_counters WHERE name = 'status:ContinuedAsNew'"), 0)
      << "only current executions count";
  EXPECT_EQ(value("SELECT count(*) FROM store_counters WHERE name IN ('orchestrator_queue', 'worker_queue')"), 0);
  EXPECT_EQ(value("SELECT count(*) FROM sqlite_master WHERE name IN ('idx_worker_tag', 'idx_worker_session', "
                  "'count_orchestrator_queue_insert', 'count_orchestrator_queue_delete', "
                  "'count_worker_queue_insert', 'count_worker_queue_delete')"),
            0);
  // The remaining triggers run from now on; queue rows no longer touch the counters.
  ASSERT_TRUE((*db)->exec("test", "DELETE FROM history WHERE event_id = 2").has_value());
  EXPECT_EQ(value("SELECT value FROM store_counters WHERE name = 'history'"), 2);
  ASSERT_TRUE((*db)->exec("test", "DELETE FROM worker_queue WHERE rowid = 1").has_value());
  EXPECT_EQ(value("SELECT count(*) FROM store_counters WHERE name = 'worker_queue'"), 0);
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(FromEachOlderVersion, ProviderSqliteMigration, ::testing::Values(1, 2, 3, 4, 5));

TEST(ProviderSqliteSetup, OpenFailsClearlyForUnwritablePath) {
  auto db = Database::open_file("/nonexistent-dir-duroxide/x/store.db");
  ASSERT_FALSE(db.has_value());
  EXPECT_NE(db.error().message.find("cannot open"), std::string::npos);
}

TEST(ProviderSqliteSetup, InMemoryDatabasesArePrivate) {
  auto first = Database::open_in_memory();
  auto second = Database::open_in_memory();
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_TRUE((*first)->exec("test", "INSERT INTO sessions VALUES('s', 'w', 1, 1)").has_value());
  EXPECT_EQ((*second)->query_int("test", "SELECT count(*) FROM sessions").value(), 0);
  EXPECT_EQ((*first)->query_int("test", "SELECT count(*) FROM sessions").value(), 1);
}

}  // namespace
}  // namespace duroxide::sqlite
