#pragma once
// A cached prepared statement in use: binds parameters by position, steps, reads columns, and
// resets itself when it goes out of scope so the cache can hand it out again.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "providers/sqlite/sqlite_database.hpp"

namespace duroxide::sqlite {

class Statement {
 public:
  /// Prepares (or reuses) `sql`; errors name `operation`.
  static ProviderResult<Statement> prepare(Database& db, std::string_view operation, const std::string& sql);

  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_), operation_(other.operation_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    // A write that found the store full is followed, once its transaction is over (this may be
    // the failed statement itself, or the ROLLBACK), by a WAL checkpoint.
    db_->checkpoint_if_short_of_space();
  }

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::uint64_t value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  /// Steps once: true when a row is available, false when done.
  ProviderResult<bool> step();
  /// Runs to completion (for statements without results); returns sqlite3_changes().
  ProviderResult<std::int64_t> run();

  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::uint64_t uint64(int column) const { return static_cast<std::uint64_t>(sqlite3_column_int64(stmt_, column)); }
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  /// A timestamp column in milliseconds since the epoch: integer (our form) or text such as
  /// CURRENT_TIMESTAMP's 'YYYY-MM-DD HH:MM:SS' (duroxide's form). Nullopt for NULL or unreadable text.
  std::optional<std::int64_t> timestamp_ms(int column) const;

 private:
  Statement(Database& db, sqlite3_stmt* stmt, std::string_view operation)
      : db_(&db), stmt_(stmt), operation_(operation) {}
  Database* db_;
  sqlite3_stmt* stmt_;
  std::string_view operation_;
};

}  // namespace duroxide::sqlite
