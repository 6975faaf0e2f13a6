#include "providers/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <array>

#include <fmt/format.h>

namespace duroxide::sqlite {

namespace {

// Each entry upgrades the schema by one version; applied in order inside one transaction each.
constexpr std::array<std::string_view, kCurrentSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY, orchestration_name TEXT NOT NULL, orchestration_version TEXT,
  current_execution_id INTEGER NOT NULL DEFAULT 1, custom_status TEXT,
  custom_status_version INTEGER NOT NULL DEFAULT 0, parent_instance_id TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_instances_parent ON instances(parent_instance_id);
CREATE TABLE IF NOT EXISTS executions (
  instance_id TEXT NOT NULL, execution_id INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'Running',
  output TEXT, duroxide_version_major INTEGER, duroxide_version_minor INTEGER,
  duroxide_version_patch INTEGER, started_at INTEGER NOT NULL, completed_at INTEGER,
  PRIMARY KEY (instance_id, execution_id));
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL, execution_id INTEGER NOT NULL, event_id INTEGER NOT NULL,
  event_type TEXT NOT NULL, event_data TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (instance_id, execution_id, event_id));
CREATE TABLE IF NOT EXISTS orchestrator_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, work_item TEXT NOT NULL,
  visible_at INTEGER NOT NULL, lock_token TEXT,
  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0), created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_orch_visible ON orchestrator_queue(visible_at, lock_token);
CREATE INDEX IF NOT EXISTS idx_orch_instance ON orchestrator_queue(instance_id);
CREATE INDEX IF NOT EXISTS idx_orch_lock ON orchestrator_queue(lock_token);
CREATE TABLE IF NOT EXISTS instance_locks (
  instance_id TEXT PRIMARY KEY, lock_token TEXT NOT NULL, locked_until INTEGER NOT NULL,
  locked_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS worker_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT, work_item TEXT NOT NULL, visible_at INTEGER NOT NULL,
  lock_token TEXT, locked_until INTEGER,
  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  instance_id TEXT, execution_id INTEGER, activity_id INTEGER, session_id TEXT, tag TEXT,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_worker_available ON worker_queue(lock_token, id);
CREATE INDEX IF NOT EXISTS idx_worker_identity ON worker_queue(instance_id, execution_id, activity_id);
CREATE INDEX IF NOT EXISTS idx_worker_session ON worker_queue(session_id);
CREATE INDEX IF NOT EXISTS idx_worker_tag ON worker_queue(tag);
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, locked_until INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kv_store (
  instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  last_updated_at_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (instance_id, key));
CREATE TABLE IF NOT EXISTS kv_delta (
  instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT, last_updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (instance_id, key));
)sql",
    // 2: dead letters, the raw text of queue rows that could not be processed
    // (docs/failure-modes-corrupt-rows.md). One per source row: a refetch does not duplicate it.
    R"sql(
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, source_row_id INTEGER NOT NULL,
  instance_id TEXT, execution_id INTEGER, activity_id INTEGER, raw_text TEXT NOT NULL, error TEXT NOT NULL,
  created_at INTEGER NOT NULL, UNIQUE (queue, source_row_id));
)sql",
};

}  // namespace

ProviderResult<std::string> parse_sqlite_url(std::string_view url) {
  constexpr std::string_view kScheme = "sqlite:";
  if (!url.starts_with(kScheme)) {
    return std::unexpected(
        ProviderError::permanent("open", fmt::format("unsupported database URL '{}': expected 'sqlite:PATH'", url)));
  }
  std::string_view path = url.substr(kScheme.size());
  if (path.starts_with("//")) path.remove_prefix(2);
  if (path.empty()) {
    return std::unexpected(ProviderError::permanent("open", fmt::format("database URL '{}' has no file path", url)));
  }
  return std::string(path);
}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

ProviderError Database::error(std::string_view operation, int code) const {
  const int primary = code & 0xff;
  const bool retryable = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  const char* message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  return ProviderError{std::string(operation), message, retryable};
}

ProviderResult<std::unique_ptr<Database>> Database::open_with(const std::string& filename, int flags, bool file_backed,
                                                              bool fsync_each_commit) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(filename.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message =
        fmt::format("cannot open '{}': {}", filename, raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    sqlite3_close_v2(raw);
    return std::unexpected(ProviderError::permanent("open", std::move(message)));
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_extended_result_codes(raw, 1);
  // Busy timeout is only a safety net: the provider serialises writes with its own mutex.
  sqlite3_busy_timeout(raw, 60000);
  // page_size applies to new files only (it must precede WAL mode). Each commit writes every page it
  // dirtied to the WAL and our rows are small: 1 KiB pages cut the bytes written per commit.
  const std::string pragmas = file_backed
                                  ? fmt::format(
                                        "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous={}; "
                                        "PRAGMA wal_autocheckpoint=10000; PRAGMA cache_size=-64000;",
                                        fsync_each_commit ? "FULL" : "NORMAL")
                                  : "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;";
  if (auto ok = db->exec("open", pragmas); !ok) return std::unexpected(ok.error());
  if (auto ok = db->migrate(); !ok) return std::unexpected(ok.error());
  return db;
}

ProviderResult<std::unique_ptr<Database>> Database::open_file(const std::string& path, bool fsync_each_commit) {
  return open_with(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, true, fsync_each_commit);
}

ProviderResult<std::unique_ptr<Database>> Database::open_in_memory() {
  // A plain ":memory:" database is private to this connection, hence to the provider object.
  return open_with(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, false, false);
}

ProviderResult<void> Database::exec(std::string_view operation, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    ProviderError err = error(operation, rc);
    if (message != nullptr) err.message = message;
    sqlite3_free(message);
    return std::unexpected(std::move(err));
  }
  return {};
}

ProviderResult<sqlite3_stmt*> Database::prepare(std::string_view operation, const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(error(operation, rc));
  statements_.emplace(sql, stmt);
  return stmt;
}

ProviderResult<std::optional<std::int64_t>> Database::query_int(std::string_view operation, const std::string& sql) {
  auto stmt = prepare(operation, sql);
  if (!stmt) return std::unexpected(stmt.error());
  const int rc = sqlite3_step(*stmt);
  std::optional<std::int64_t> value;
  if (rc == SQLITE_ROW) {
    value = sqlite3_column_int64(*stmt, 0);
  } else if (rc != SQLITE_DONE) {
    return std::unexpected(error(operation, rc));
  }
  sqlite3_reset(*stmt);
  return value;
}

int Database::schema_version() {
  auto version = query_int("schema_version", "PRAGMA user_version");
  return version && *version ? static_cast<int>(**version) : 0;
}

ProviderResult<void> Database::migrate() {
  const int stored = schema_version();
  if (stored > kCurrentSchemaVersion) {
    return std::unexpected(ProviderError::permanent(
        "open", fmt::format("database schema version {} is newer than this build supports ({})", stored,
                            kCurrentSchemaVersion)));
  }
  for (int version = stored; version < kCurrentSchemaVersion; ++version) {
    const std::string script = fmt::format("BEGIN IMMEDIATE; {} PRAGMA user_version = {}; COMMIT;",
                                           kMigrations[static_cast<std::size_t>(version)], version + 1);
    if (auto ok = exec("migrate", script); !ok) {
      (void)exec("migrate", "ROLLBACK");
      return std::unexpected(ok.error());
    }
  }
  return {};
}

}  // namespace duroxide::sqlite
