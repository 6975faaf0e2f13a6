#include "providers/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>

// Early return of a failed ProviderResult<void>.
#define DUROXIDE_SQLITE_TRY(expr)                                   \
  do {                                                              \
    if (auto sqlite_try_result = (expr); !sqlite_try_result)        \
      return std::unexpected(std::move(sqlite_try_result.error())); \
  } while (0)

#include "logging/loggers.hpp"

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
    // 3: duroxide's inserts (docs/storage.md, "Files shared with duroxide"). duroxide leaves
    // created_at, updated_at and started_at to the column default, which our first layout did not
    // have: each gets a default of the current time in milliseconds since the epoch (julianday
    // counts days, the epoch is its day 2440587.5), so duroxide's rows carry our timestamp form.
    // ALTER TABLE cannot change a default; a default does not change how rows are stored, so the
    // table text in sqlite_schema is edited in place (SQLite's documented procedure for such
    // changes), which keeps rows and indexes. Only the text our first step wrote is matched: a
    // table laid out otherwise (a file duroxide created) is left alone, and a second run changes
    // nothing. RESET reloads this connection's schema; the table created and dropped after it
    // bumps the schema cookie, so other connections reload theirs.
    R"sql(
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(replace(replace(replace(replace(sql,
    'created_at INTEGER NOT NULL,', 'created_at INTEGER NOT NULL DEFAULT (CAST(round((julianday(''now'') - 2440587.5) * 86400000) AS INTEGER)),'),
    'created_at INTEGER NOT NULL)', 'created_at INTEGER NOT NULL DEFAULT (CAST(round((julianday(''now'') - 2440587.5) * 86400000) AS INTEGER)))'),
    'updated_at INTEGER NOT NULL,', 'updated_at INTEGER NOT NULL DEFAULT (CAST(round((julianday(''now'') - 2440587.5) * 86400000) AS INTEGER)),'),
    'updated_at INTEGER NOT NULL)', 'updated_at INTEGER NOT NULL DEFAULT (CAST(round((julianday(''now'') - 2440587.5) * 86400000) AS INTEGER)))'),
    'started_at INTEGER NOT NULL,', 'started_at INTEGER NOT NULL DEFAULT (CAST(round((julianday(''now'') - 2440587.5) * 86400000) AS INTEGER)),'),
    'started_at INTEGER NOT NULL)', 'started_at INTEGER NOT NULL DEFAULT (CAST(round((julianday(''now'') - 2440587.5) * 86400000) AS INTEGER)))')
  WHERE type = 'table' AND name IN ('instances', 'executions', 'history', 'orchestrator_queue', 'worker_queue');
PRAGMA writable_schema = RESET;
CREATE TABLE schema_reload (x);
DROP TABLE schema_reload;
)sql",
    // 4: a big store stays fast (docs/storage.md, "Indexes and counters"). Every hot query reads an
    // index range proportional to the work it returns, never the rows that are asleep, in flight
    // or of other tags; counts come from counters the triggers keep, not from scans (step 6 drops
    // the queue-row ones again; the step stays as it was, so old files upgrade alike).
    R"sql(
DROP INDEX IF EXISTS idx_orch_visible;
CREATE INDEX IF NOT EXISTS idx_orch_due ON orchestrator_queue(visible_at, id);
CREATE INDEX IF NOT EXISTS idx_locks_token ON instance_locks(lock_token);
CREATE INDEX IF NOT EXISTS idx_locks_until ON instance_locks(locked_until);
CREATE INDEX IF NOT EXISTS idx_worker_free ON worker_queue(tag, id) WHERE lock_token IS NULL;
CREATE INDEX IF NOT EXISTS idx_worker_locked ON worker_queue(locked_until) WHERE lock_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_worker_visible ON worker_queue(visible_at);
CREATE TABLE IF NOT EXISTS store_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS count_orchestrator_queue_insert AFTER INSERT ON orchestrator_queue BEGIN
  UPDATE store_counters SET value = value + 1 WHERE name = 'orchestrator_queue'; END;
CREATE TRIGGER IF NOT EXISTS count_orchestrator_queue_delete AFTER DELETE ON orchestrator_queue BEGIN
  UPDATE store_counters SET value = value - 1 WHERE name = 'orchestrator_queue'; END;
CREATE TRIGGER IF NOT EXISTS count_worker_queue_insert AFTER INSERT ON worker_queue BEGIN
  UPDATE store_counters SET value = value + 1 WHERE name = 'worker_queue'; END;
CREATE TRIGGER IF NOT EXISTS count_worker_queue_delete AFTER DELETE ON worker_queue BEGIN
  UPDATE store_counters SET value = value - 1 WHERE name = 'worker_queue'; END;
CREATE TRIGGER IF NOT EXISTS count_history_insert AFTER INSERT ON history BEGIN
  UPDATE store_counters SET value = value + 1 WHERE name = 'history'; END;
CREATE TRIGGER IF NOT EXISTS count_history_delete AFTER DELETE ON history BEGIN
  UPDATE store_counters SET value = value - 1 WHERE name = 'history'; END;
-- 'status:X' counts the instances whose current execution has status X: it moves when that
-- execution's status changes, when the instance points at another execution, and when either row
-- comes or goes.
CREATE TRIGGER IF NOT EXISTS count_executions_insert AFTER INSERT ON executions BEGIN
  UPDATE store_counters SET value = value + 1 WHERE name = 'executions';
  INSERT INTO store_counters (name, value) SELECT 'status:' || new.status, 1 FROM instances
    WHERE instance_id = new.instance_id AND current_execution_id = new.execution_id
    ON CONFLICT (name) DO UPDATE SET value = value + 1;
END;
CREATE TRIGGER IF NOT EXISTS count_executions_delete AFTER DELETE ON executions BEGIN
  UPDATE store_counters SET value = value - 1 WHERE name = 'executions';
  UPDATE store_counters SET value = value - 1 WHERE name = 'status:' || old.status AND EXISTS (
    SELECT 1 FROM instances WHERE instance_id = old.instance_id AND current_execution_id = old.execution_id);
END;
CREATE TRIGGER IF NOT EXISTS count_executions_status AFTER UPDATE OF status ON executions
  WHEN old.status IS NOT new.status AND EXISTS (
    SELECT 1 FROM instances WHERE instance_id = new.instance_id AND current_execution_id = new.execution_id)
BEGIN
  UPDATE store_counters SET value = value - 1 WHERE name = 'status:' || old.status;
  INSERT INTO store_counters (name, value) VALUES ('status:' || new.status, 1)
    ON CONFLICT (name) DO UPDATE SET value = value + 1;
END;
CREATE TRIGGER IF NOT EXISTS count_instances_insert AFTER INSERT ON instances BEGIN
  UPDATE store_counters SET value = value + 1 WHERE name = 'instances';
  INSERT INTO store_counters (name, value) SELECT 'status:' || status, 1 FROM executions
    WHERE instance_id = new.instance_id AND execution_id = new.current_execution_id
    ON CONFLICT (name) DO UPDATE SET value = value + 1;
END;
CREATE TRIGGER IF NOT EXISTS count_instances_delete AFTER DELETE ON instances BEGIN
  UPDATE store_counters SET value = value - 1 WHERE name = 'instances';
  UPDATE store_counters SET value = value - 1 WHERE name = (SELECT 'status:' || status FROM executions
    WHERE instance_id = old.instance_id AND execution_id = old.current_execution_id);
END;
CREATE TRIGGER IF NOT EXISTS count_instances_current AFTER UPDATE OF current_execution_id ON instances
  WHEN old.current_execution_id IS NOT new.current_execution_id
BEGIN
  UPDATE store_counters SET value = value - 1 WHERE name = (SELECT 'status:' || status FROM executions
    WHERE instance_id = old.instance_id AND execution_id = old.current_execution_id);
  INSERT INTO store_counters (name, value) SELECT 'status:' || status, 1 FROM executions
    WHERE instance_id = new.instance_id AND execution_id = new.current_execution_id
    ON CONFLICT (name) DO UPDATE SET value = value + 1;
END;
-- Seeded from the rows already there (one scan each, once, when an older file is upgraded).
DELETE FROM store_counters;
INSERT INTO store_counters (name, value) SELECT 'orchestrator_queue', COUNT(*) FROM orchestrator_queue;
INSERT INTO store_counters (name, value) SELECT 'worker_queue', COUNT(*) FROM worker_queue;
INSERT INTO store_counters (name, value) SELECT 'history', COUNT(*) FROM history;
INSERT INTO store_counters (name, value) SELECT 'executions', COUNT(*) FROM executions;
INSERT INTO store_counters (name, value) SELECT 'instances', COUNT(*) FROM instances;
INSERT INTO store_counters (name, value) SELECT 'status:' || e.status, COUNT(*) FROM instances i
  JOIN executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
  GROUP BY e.status;
)sql",
    // 5: listing that scales (docs/storage.md, "Listing instances"). Each instance carries its
    // current execution's status (the column comes from kColumnAdditions, below), kept by triggers
    // (so rows duroxide writes get it too), and four
    // indexes serve a page, filtered by status, by name, by both or by neither, newest first, as one
    // index range from the cursor on.
    // A file duroxide created may hold creation times as text (its default is CURRENT_TIMESTAMP):
    // SQLite orders any text after every integer, so such rows would not page in time order. They
    // become milliseconds here, and so do the ones duroxide inserts later (its table keeps its text
    // default), by a trigger. Text that is no time stays as it is (it reads as unknown anyway).
    R"sql(
UPDATE instances SET created_at = CAST(round((julianday(created_at) - 2440587.5) * 86400000) AS INTEGER)
  WHERE typeof(created_at) = 'text' AND julianday(created_at) IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS instance_created_at_in_ms AFTER INSERT ON instances
  WHEN typeof(new.created_at) = 'text' AND julianday(new.created_at) IS NOT NULL
BEGIN
  UPDATE instances SET created_at = CAST(round((julianday(new.created_at) - 2440587.5) * 86400000) AS INTEGER)
    WHERE instance_id = new.instance_id;
END;
UPDATE instances SET status = (SELECT e.status FROM executions e
  WHERE e.instance_id = instances.instance_id AND e.execution_id = instances.current_execution_id);
CREATE INDEX IF NOT EXISTS idx_instances_created ON instances(created_at, instance_id);
CREATE INDEX IF NOT EXISTS idx_instances_status ON instances(status, created_at, instance_id);
CREATE INDEX IF NOT EXISTS idx_instances_name ON instances(orchestration_name, created_at, instance_id);
CREATE INDEX IF NOT EXISTS idx_instances_name_status ON instances(orchestration_name, status, created_at, instance_id);
CREATE TRIGGER IF NOT EXISTS instance_status_execution_insert AFTER INSERT ON executions BEGIN
  UPDATE instances SET status = new.status
    WHERE instance_id = new.instance_id AND current_execution_id = new.execution_id;
END;
CREATE TRIGGER IF NOT EXISTS instance_status_execution_update AFTER UPDATE OF status ON executions
  WHEN old.status IS NOT new.status
BEGIN
  UPDATE instances SET status = new.status
    WHERE instance_id = new.instance_id AND current_execution_id = new.execution_id;
END;
CREATE TRIGGER IF NOT EXISTS instance_status_execution_delete AFTER DELETE ON executions BEGIN
  UPDATE instances SET status = NULL
    WHERE instance_id = old.instance_id AND current_execution_id = old.execution_id;
END;
CREATE TRIGGER IF NOT EXISTS instance_status_insert AFTER INSERT ON instances
  WHEN EXISTS (SELECT 1 FROM executions WHERE instance_id = new.instance_id AND execution_id = new.current_execution_id)
BEGIN
  UPDATE instances SET status = (SELECT status FROM executions
    WHERE instance_id = new.instance_id AND execution_id = new.current_execution_id)
    WHERE instance_id = new.instance_id;
END;
CREATE TRIGGER IF NOT EXISTS instance_status_current AFTER UPDATE OF current_execution_id ON instances
  WHEN old.current_execution_id IS NOT new.current_execution_id
BEGIN
  UPDATE instances SET status = (SELECT status FROM executions
    WHERE instance_id = new.instance_id AND execution_id = new.current_execution_id)
    WHERE instance_id = new.instance_id;
END;
)sql",
    // 6: queue rows do not pay for counts, nor for unused indexes (docs/storage.md, "Counts").
    // The queue-row counters of step 4 cost every enqueued and consumed message a trigger, about a
    // sixth of an empty store's fan-out throughput (docs/performance.md), while a queue depth can
    // count its rows when asked (a few milliseconds per 100,000). The history, instance, execution
    // and status counters stay: taking them out too measured no faster, and system metrics would
    // count every history row. The tag and session indexes of step 1 serve no query since every
    // fetch arm names its index, yet every activity's insert and delete updated them (another tenth).
    R"sql(
DROP INDEX IF EXISTS idx_worker_tag;
DROP INDEX IF EXISTS idx_worker_session;
DROP TRIGGER IF EXISTS count_orchestrator_queue_insert;
DROP TRIGGER IF EXISTS count_orchestrator_queue_delete;
DROP TRIGGER IF EXISTS count_worker_queue_insert;
DROP TRIGGER IF EXISTS count_worker_queue_delete;
DELETE FROM store_counters WHERE name IN ('orchestrator_queue', 'worker_queue');
)sql",
};

/// Columns a step adds before its SQL runs. SQLite has no ADD COLUMN IF NOT EXISTS, and a step
/// must be safe to run again (a file whose version was set back, two processes racing), so the
/// migration adds each only when the table lacks it.
struct ColumnAddition {
  int step;  ///< the version the step upgrades to
  std::string_view table;
  std::string_view column;
  std::string_view type;
};
constexpr std::array<ColumnAddition, 1> kColumnAdditions = {{{5, "instances", "status", "TEXT"}}};

/// How long a statement waits for another connection's lock before failing with BUSY.
constexpr int kBusyTimeoutMs = 60000;
/// How long the checkpoint after a full store waits for readers of other connections: the write
/// mutex is held meanwhile, and the checkpoint is only a help.
constexpr int kCheckpointBusyTimeoutMs = 1000;

// WAL size: SQLite's default autocheckpoint is 1,000 pages, i.e. 4 MiB at its default 4 KiB page.
// Our pages are 1 KiB, so 4,096 pages keep that 4 MiB bound (the former 10,000 let the WAL reach
// ~10 MiB before it was copied back, room a nearly full disk does not have). A WAL that grew past
// the bound anyway (a long reader held it) is cut back to it at its next reset.
constexpr int kWalAutocheckpointPages = 4096;
constexpr int kJournalSizeLimitBytes = 4 * 1024 * 1024;

// Opening a NEW file from several processes at once: setting WAL mode and creating the schema take
// locks whose conflicts SQLite reports as BUSY without consulting the busy handler (it would risk a
// deadlock), so the open retries itself. Bounded: about 13 s in all before giving up.
constexpr int kOpenAttempts = 50;
constexpr std::chrono::milliseconds kOpenFirstBackoff{2};
constexpr std::chrono::milliseconds kOpenMaxBackoff{320};

bool is_busy(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

/// The delay before open attempt `attempt + 1`: doubling, capped, with jitter so that processes
/// that collided do not collide again in lock step.
std::chrono::milliseconds open_backoff(int attempt) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  const auto base = std::min<std::int64_t>(kOpenFirstBackoff.count() << std::min(attempt, 16), kOpenMaxBackoff.count());
  return std::chrono::milliseconds(base / 2 +
                                   static_cast<std::int64_t>(jitter() % static_cast<unsigned>(base / 2 + 1)));
}

}  // namespace

std::string_view migration_sql(int from) {
  if (from < 0 || from >= kCurrentSchemaVersion) return {};
  return kMigrations[static_cast<std::size_t>(from)];
}

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

ProviderError Database::error(std::string_view operation, int code) {
  const int primary = code & 0xff;
  // A full disk or an I/O error is a condition of the machine, not of the data: the same write
  // succeeds once space is freed or the device recovers, so the runtime retries with backoff
  // instead of failing the instance (docs/failure-modes-sqlite.md).
  const bool retryable = is_busy(code) || primary == SQLITE_FULL || primary == SQLITE_IOERR;
  if (primary == SQLITE_FULL) short_of_space_ = true;
  const char* message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  return ProviderError{std::string(operation), message, retryable, ProviderErrorKind::Other};
}

void Database::checkpoint_if_short_of_space() {
  // Inside a transaction the checkpoint could not copy our own pending pages; wait for its end.
  if (!short_of_space_ || sqlite3_get_autocommit(db_) == 0) return;
  // A statement still stepping holds a read snapshot that the checkpoint would wait for in vain.
  for (sqlite3_stmt* stmt = sqlite3_next_stmt(db_, nullptr); stmt != nullptr; stmt = sqlite3_next_stmt(db_, stmt)) {
    if (sqlite3_stmt_busy(stmt) != 0) return;
  }
  short_of_space_ = false;
  int wal_frames = 0;
  int copied_frames = 0;
  sqlite3_busy_timeout(db_, kCheckpointBusyTimeoutMs);
  const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &wal_frames, &copied_frames);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  ++checkpoints_after_full_;
  if (rc == SQLITE_OK) {
    logging::provider().warn("sqlite: store is full; checkpointed the WAL into the database and truncated it");
  } else {
    // Readers in other processes kept part of the WAL: the next full write tries again.
    logging::provider().warn("sqlite: store is full; WAL checkpoint incomplete ({} of {} frames): {}", copied_frames,
                             wal_frames, sqlite3_errstr(rc));
  }
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
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  for (int attempt = 0;; ++attempt) {
    auto ready = db->configure(file_backed, fsync_each_commit);
    if (ready) ready = db->migrate();
    if (ready) return db;
    if (!ready.error().is_retryable() || attempt + 1 >= kOpenAttempts) {
      ready.error().message = fmt::format("cannot open '{}': {}", filename, ready.error().message);
      return std::unexpected(ready.error());
    }
    std::this_thread::sleep_for(open_backoff(attempt));
  }
}

ProviderResult<void> Database::configure(bool file_backed, bool fsync_each_commit) {
  // page_size applies to new files only (it must precede WAL mode). Each commit writes every page it
  // dirtied to the WAL and our rows are small: 1 KiB pages cut the bytes written per commit.
  // cache_size: 32 MiB of pages for the writer. A W1 of 10,000 instances ran as fast with it as
  // with 64 MiB and peaked at 62 MB of RSS instead of 71; 16 MiB cost 4% (docs/performance.md,
  // "Memory").
  const std::string pragmas =
      file_backed ? fmt::format(
                        "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous={}; "
                        "PRAGMA wal_autocheckpoint={}; PRAGMA journal_size_limit={}; PRAGMA cache_size=-32000;",
                        fsync_each_commit ? "FULL" : "NORMAL", kWalAutocheckpointPages, kJournalSizeLimitBytes)
                  : "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;";
  DUROXIDE_SQLITE_TRY(exec("open", pragmas));
  if (file_backed) {
    // journal_mode=WAL reports the mode it ended in rather than failing when it could not switch.
    auto mode = query_int("open", "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'");
    if (!mode) return std::unexpected(mode.error());
    if (mode->value_or(0) != 1)
      return std::unexpected(ProviderError::transient("open", "could not switch to WAL mode"));
  }
  return {};
}

ProviderResult<std::unique_ptr<Database>> Database::open_file(const std::string& path, bool fsync_each_commit) {
  return open_with(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, true, fsync_each_commit);
}

ProviderResult<std::unique_ptr<Database>> Database::open_reader(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = fmt::format("cannot open '{}' for reading: {}", path,
                                      raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    sqlite3_close_v2(raw);
    return std::unexpected(ProviderError::transient("open", std::move(message)));
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
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
  auto version = stored_schema_version();
  return version ? *version : 0;
}

ProviderResult<int> Database::stored_schema_version() {
  auto version = query_int("schema_version", "PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  return static_cast<int>(version->value_or(0));
}

ProviderResult<void> Database::migrate() {
  for (;;) {
    auto stored = stored_schema_version();
    if (!stored) return std::unexpected(stored.error());
    if (*stored > kCurrentSchemaVersion) {
      return std::unexpected(ProviderError::permanent(
          "open", fmt::format("database schema version {} is newer than this build supports ({})", *stored,
                              kCurrentSchemaVersion)));
    }
    if (*stored == kCurrentSchemaVersion) return {};
    // Another process may migrate the same file at the same moment: the version is read again
    // under the write lock, and only the step from that version is applied.
    DUROXIDE_SQLITE_TRY(exec("migrate", "BEGIN IMMEDIATE"));
    auto locked = stored_schema_version();
    ProviderResult<void> applied;
    if (!locked) {
      applied = std::unexpected(locked.error());
    } else if (*locked == *stored) {
      for (const auto& addition : kColumnAdditions) {
        if (!applied || addition.step != *stored + 1) continue;
        auto present =
            query_int("migrate", fmt::format("SELECT COUNT(*) FROM pragma_table_info('{}') WHERE name = '{}'",
                                             addition.table, addition.column));
        if (!present) {
          applied = std::unexpected(present.error());
        } else if (present->value_or(0) == 0) {
          applied = exec("migrate", fmt::format("ALTER TABLE {} ADD COLUMN {} {};", addition.table, addition.column,
                                                addition.type));
        }
      }
      if (applied) {
        applied = exec("migrate", fmt::format("{} PRAGMA user_version = {};",
                                              kMigrations[static_cast<std::size_t>(*stored)], *stored + 1));
      }
    }
    if (applied) applied = exec("migrate", "COMMIT");
    if (!applied) {
      (void)exec("migrate", "ROLLBACK");
      return std::unexpected(applied.error());
    }
  }
}

}  // namespace duroxide::sqlite
