// Direct SQL on a test store's tables, for E2e tests that inspect or damage rows on either store:
// the two stores use the same table and column names. Parameters are written ?1 (SQLite's form)
// and rewritten to $1 for PostgreSQL; the statement itself must be valid on both.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <duroxide/postgres_provider.hpp>
#include <duroxide/sqlite_provider.hpp>

#include "provider/postgres_test_support.hpp"
#include "providers/postgres/pg_store.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::testing {

namespace detail {
inline std::string pg_params(std::string sql) {
  for (auto at = sql.find("?1"); at != std::string::npos; at = sql.find("?1", at)) sql.replace(at, 2, "$1");
  return sql;
}
}  // namespace detail

/// The integer the query returns (first column of the first row); throws on an error.
inline std::int64_t store_query_int(Provider& store, const std::string& sql, const std::string& param) {
  if (auto* sqlite = dynamic_cast<SqliteProvider*>(&store)) {
    auto value = sqlite->store().query_int_for_tests(sql, param);
    if (!value) throw std::runtime_error(sql + ": " + value.error().to_string());
    return *value;
  }
  if (auto* pg = dynamic_cast<PostgresProvider*>(&store)) {
    const auto out = pg_test::run_sql(pg->store().schema, detail::pg_params(sql), {param});
    return out.empty() ? 0 : std::stoll(out);
  }
  throw std::runtime_error("store_query_int: not a SQLite or PostgreSQL store: " + store.name());
}

/// Runs an INSERT, UPDATE or DELETE (without RETURNING) and returns how many rows it changed;
/// `pg_sql`, when given, replaces `sql` on PostgreSQL (for SQLite-only functions such as json_set).
inline std::int64_t store_exec(Provider& store, const std::string& sql, const std::string& param,
                               const std::string& pg_sql = "") {
  if (auto* sqlite = dynamic_cast<SqliteProvider*>(&store)) {
    auto changed = sqlite->store().run_for_tests(sql, param);
    if (!changed) throw std::runtime_error(sql + ": " + changed.error().to_string());
    return *changed;
  }
  if (auto* pg = dynamic_cast<PostgresProvider*>(&store)) {
    // run_sql returns a value, not a row count: count the changed rows in the statement.
    const auto out = pg_test::run_sql(pg->store().schema,
                                      "WITH changed AS (" + detail::pg_params(pg_sql.empty() ? sql : pg_sql) +
                                          " RETURNING 1) SELECT COUNT(*) FROM changed",
                                      {param});
    return std::stoll(out);
  }
  throw std::runtime_error("store_exec: not a SQLite or PostgreSQL store: " + store.name());
}

}  // namespace duroxide::testing
