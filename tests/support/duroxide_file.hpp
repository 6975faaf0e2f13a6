#pragma once
// A SQLite file laid out exactly as duroxide (Rust) lays it out, and rows written the way duroxide
// writes them, for the tests of files shared with duroxide (docs/storage.md, "Files shared with
// duroxide").
//
// The layout is duroxide's twelve SQLite migrations (20240101000000_initial_schema to
// 20240112000000_add_kv_delta) applied in order, as its SQLite provider does through sqlx: checked
// against duroxide's source at commit 58cdc0eb (0.1.26) and against a file that duroxide 0.1.30
// (npm duroxide-linux-x64-gnu 0.1.29) wrote on this machine: the sqlite_schema text of the two
// differs only in line breaks and SQL comments.
// The sqlx bookkeeping table is created empty: nothing here runs duroxide's migrator.
//
// The inserts are duroxide's statement shapes: the columns it names, the rest left to the column
// defaults (CURRENT_TIMESTAMP text for created_at, updated_at and started_at).

#include <sqlite3.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace duroxide::testing::duroxide_file {

inline constexpr const char* kLayout = R"sql(
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);

CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    orchestration_name TEXT NOT NULL,
    orchestration_version TEXT NOT NULL,
    current_execution_id INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS executions (
    instance_id TEXT NOT NULL,
    execution_id INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'Running',
    output TEXT,
    started_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    completed_at TIMESTAMP,
    PRIMARY KEY (instance_id, execution_id)
);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    execution_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    event_data TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (instance_id, execution_id, event_id)
);
CREATE TABLE IF NOT EXISTS orchestrator_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    work_item TEXT NOT NULL,
    visible_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    lock_token TEXT,
    locked_until TIMESTAMP,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_orch_visible ON orchestrator_queue(visible_at, lock_token);
CREATE INDEX IF NOT EXISTS idx_orch_instance ON orchestrator_queue(instance_id);
CREATE INDEX IF NOT EXISTS idx_orch_lock ON orchestrator_queue(lock_token);
CREATE TABLE IF NOT EXISTS worker_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    work_item TEXT NOT NULL,
    lock_token TEXT,
    locked_until TIMESTAMP,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_worker_available ON worker_queue(lock_token, id);
CREATE TABLE IF NOT EXISTS timer_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    work_item TEXT NOT NULL,
    fire_at TIMESTAMP NOT NULL,
    lock_token TEXT,
    locked_until TIMESTAMP,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_timer_fire ON timer_queue(fire_at, lock_token);
CREATE TABLE IF NOT EXISTS instance_locks (
    instance_id TEXT PRIMARY KEY,
    lock_token TEXT NOT NULL,
    locked_until INTEGER NOT NULL,
    locked_at INTEGER NOT NULL
);

ALTER TABLE orchestrator_queue ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0 CHECK(attempt_count >= 0);
ALTER TABLE worker_queue ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0 CHECK(attempt_count >= 0);

ALTER TABLE worker_queue ADD COLUMN visible_at INTEGER NOT NULL DEFAULT 0;

ALTER TABLE worker_queue ADD COLUMN instance_id TEXT;
ALTER TABLE worker_queue ADD COLUMN execution_id INTEGER;
ALTER TABLE worker_queue ADD COLUMN activity_id INTEGER;
CREATE INDEX IF NOT EXISTS idx_worker_activity ON worker_queue(instance_id, execution_id, activity_id);

ALTER TABLE instances ADD COLUMN parent_instance_id TEXT REFERENCES instances(instance_id);
CREATE INDEX IF NOT EXISTS idx_instances_parent ON instances(parent_instance_id);

ALTER TABLE executions ADD COLUMN duroxide_version_major INTEGER;
ALTER TABLE executions ADD COLUMN duroxide_version_minor INTEGER;
ALTER TABLE executions ADD COLUMN duroxide_version_patch INTEGER;

ALTER TABLE worker_queue ADD COLUMN session_id TEXT;
CREATE INDEX idx_worker_queue_session ON worker_queue(session_id);
CREATE TABLE sessions (
    session_id     TEXT PRIMARY KEY,
    worker_id      TEXT NOT NULL,
    locked_until   INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL
);

ALTER TABLE instances ADD COLUMN custom_status TEXT;
ALTER TABLE instances ADD COLUMN custom_status_version INTEGER NOT NULL DEFAULT 0;

ALTER TABLE worker_queue ADD COLUMN tag TEXT;
CREATE INDEX idx_worker_queue_tag ON worker_queue(tag);

CREATE TABLE IF NOT EXISTS kv_store (
    instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, execution_id INTEGER NOT NULL,
    PRIMARY KEY (instance_id, key));
CREATE INDEX IF NOT EXISTS idx_kv_store_execution ON kv_store(instance_id, execution_id);

ALTER TABLE kv_store ADD COLUMN last_updated_at_ms INTEGER NOT NULL DEFAULT 0;

CREATE TABLE IF NOT EXISTS kv_delta (
    instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT, last_updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (instance_id, key));
CREATE TABLE IF NOT EXISTS kv_store_new (
    instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    last_updated_at_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (instance_id, key));
INSERT OR IGNORE INTO kv_store_new (instance_id, key, value, last_updated_at_ms)
    SELECT instance_id, key, value, last_updated_at_ms FROM kv_store;
DROP TABLE IF EXISTS kv_store;
ALTER TABLE kv_store_new RENAME TO kv_store;
DROP INDEX IF EXISTS idx_kv_store_execution;
)sql";

/// A raw connection to a file, for writing as duroxide would (not through our provider).
class RawFile {
 public:
  explicit RawFile(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
    sqlite3_busy_timeout(db_, 5000);
  }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;
  ~RawFile() { sqlite3_close(db_); }

  void exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message != nullptr ? message : "?";
      sqlite3_free(message);
      throw std::runtime_error(text + " in: " + sql);
    }
  }
  /// Runs one statement with text parameters ?1, ?2, ...
  void run(const std::string& sql, const std::vector<std::string>& params) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    for (std::size_t i = 0; i < params.size(); ++i)
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    std::string value;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr)
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return value;
  }

  // duroxide's statement shapes (its SQLite provider's ack, enqueue and history append). Integer
  // values are bound as text: their columns' INTEGER affinity stores them as integers.

  /// A new instance and its first execution, pinned to the duroxide version that started it.
  void start_instance(const std::string& instance, const std::string& name, const std::string& version,
                      const std::string& pinned_minor, const std::string& pinned_patch) {
    run("INSERT OR IGNORE INTO instances (instance_id, orchestration_name, orchestration_version, "
        "current_execution_id, parent_instance_id) VALUES (?1, ?2, ?3, 1, NULL)",
        {instance, name, version});
    run("INSERT OR IGNORE INTO executions (instance_id, execution_id, status) VALUES (?1, 1, 'Running')", {instance});
    run("UPDATE executions SET duroxide_version_major = 0, duroxide_version_minor = ?2, duroxide_version_patch = ?3 "
        "WHERE instance_id = ?1 AND execution_id = 1",
        {instance, pinned_minor, pinned_patch});
  }
  void append_history(const std::string& instance, const std::string& event_id, const std::string& event_type,
                      const std::string& event_json) {
    run("INSERT INTO history (instance_id, execution_id, event_id, event_type, event_data) VALUES (?1, 1, ?2, ?3, ?4)",
        {instance, event_id, event_type, event_json});
  }
  void enqueue_orchestrator(const std::string& instance, const std::string& work_item_json,
                            const std::string& visible_at_ms) {
    run("INSERT INTO orchestrator_queue (instance_id, work_item, visible_at) VALUES (?1, ?2, ?3)",
        {instance, work_item_json, visible_at_ms});
  }
  void enqueue_worker(const std::string& instance, const std::string& work_item_json, const std::string& activity_id) {
    run("INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, activity_id, session_id, tag) "
        "VALUES (?1, 0, ?2, 1, ?3, NULL, NULL)",
        {work_item_json, instance, activity_id});
  }
  void complete_execution(const std::string& instance, const std::string& output, const std::string& now_ms) {
    run("UPDATE executions SET status = 'Completed', output = ?2, completed_at = ?3 WHERE instance_id = ?1 AND "
        "execution_id = 1",
        {instance, output, now_ms});
  }

 private:
  sqlite3* db_ = nullptr;
};

/// An event row's JSON as duroxide 0.1.30 writes it (field order and nulls as in its files).
inline std::string event_json(const std::string& instance, int event_id, const std::string& source_event_id,
                              const std::string& type, const std::string& fields,
                              const std::string& version = "0.1.30") {
  return "{\"event_id\":" + std::to_string(event_id) + ",\"source_event_id\":" + source_event_id +
         ",\"instance_id\":\"" + instance + "\",\"execution_id\":1,\"timestamp_ms\":1796275442980," +
         "\"duroxide_version\":\"" + version + "\",\"type\":\"" + type + "\"" + (fields.empty() ? "" : ",") + fields +
         "}";
}

}  // namespace duroxide::testing::duroxide_file
