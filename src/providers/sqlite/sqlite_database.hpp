#pragma once
// Private SQLite plumbing for the SQLite provider: one connection, URL parsing, connection settings
// (docs/storage.md) and forward-only versioned schema migrations. Not thread-safe by itself: the
// provider serialises access with its write mutex.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "duroxide/provider.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace duroxide::sqlite {

/// Schema version this build writes; stored in PRAGMA user_version.
inline constexpr int kCurrentSchemaVersion = 6;

/// The SQL that upgrades a file from schema version `from` to `from + 1` (tests build old layouts
/// with it); empty when there is no such step.
std::string_view migration_sql(int from);

/// Path from a "sqlite:PATH" URL (also accepts "sqlite://PATH"); error names the problem.
ProviderResult<std::string> parse_sqlite_url(std::string_view url);

class Database {
 public:
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  /// Opens (creating if missing) a file database with WAL and synchronous=NORMAL (FULL when
  /// `fsync_each_commit`), then migrates.
  static ProviderResult<std::unique_ptr<Database>> open_file(const std::string& path, bool fsync_each_commit = false);
  /// Opens a read-only connection to an existing file store (opened and migrated by its writer
  /// first); it reads the last committed state without taking the write lock.
  static ProviderResult<std::unique_ptr<Database>> open_reader(const std::string& path);
  /// Opens a private in-memory database, then migrates.
  static ProviderResult<std::unique_ptr<Database>> open_in_memory();

  /// Runs SQL without results (may contain several statements).
  ProviderResult<void> exec(std::string_view operation, const std::string& sql);
  /// Cached prepared statement, reset and with bindings cleared.
  ProviderResult<sqlite3_stmt*> prepare(std::string_view operation, const std::string& sql);
  /// Single integer result of `sql` (first column of first row), nullopt if no row.
  ProviderResult<std::optional<std::int64_t>> query_int(std::string_view operation, const std::string& sql);

  int schema_version();
  sqlite3* handle() const { return db_; }
  /// ProviderError from the connection's last error. Retryable: busy/locked (another writer),
  /// full (disk or max_page_count) and I/O errors, which pass once the condition clears.
  /// A full store is remembered so that the WAL is checkpointed as soon as the connection is out of
  /// its transaction (checkpoint_if_short_of_space).
  ProviderError error(std::string_view operation, int code);
  /// After a SQLITE_FULL, once no transaction is open: copies the WAL into the database and
  /// truncates it, so the room that deletes free is not eaten by a growing WAL. Best effort.
  void checkpoint_if_short_of_space();
  /// How many checkpoints checkpoint_if_short_of_space() has run (for tests and logs).
  std::uint64_t checkpoints_after_full() const { return checkpoints_after_full_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  static ProviderResult<std::unique_ptr<Database>> open_with(const std::string& filename, int flags, bool file_backed,
                                                             bool fsync_each_commit);
  ProviderResult<void> configure(bool file_backed, bool fsync_each_commit);
  ProviderResult<void> migrate();
  ProviderResult<int> stored_schema_version();

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  bool short_of_space_ = false;
  std::uint64_t checkpoints_after_full_ = 0;
};

}  // namespace duroxide::sqlite
