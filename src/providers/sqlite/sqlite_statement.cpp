#include "providers/sqlite/sqlite_statement.hpp"

#include <cmath>

#include "providers/sqlite/sqlite_timestamp.hpp"

namespace duroxide::sqlite {

ProviderResult<Statement> Statement::prepare(Database& db, std::string_view operation, const std::string& sql) {
  auto stmt = db.prepare(operation, sql);
  if (!stmt) return std::unexpected(stmt.error());
  return Statement(db, *stmt, operation);
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

ProviderResult<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(db_->error(operation_, rc));
}

ProviderResult<std::int64_t> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
  }
  return sqlite3_changes64(db_->handle());
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(data, static_cast<std::size_t>(size));
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Statement::timestamp_ms(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_INTEGER:
      return int64(column);
    case SQLITE_FLOAT:
      return static_cast<std::int64_t>(std::llround(sqlite3_column_double(stmt_, column)));
    default:
      return timestamp_text_to_ms(text(column));
  }
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

}  // namespace duroxide::sqlite
