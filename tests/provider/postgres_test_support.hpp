#pragma once
// Helpers of the PostgreSQL tests: the test server's URL (DUROXIDE_TEST_PG_URL, required: the
// tests fail without it rather than skip), random schemas, and direct SQL for hooks and cleanup.

#include <libpq-fe.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace duroxide::pg_test {

inline std::string base_url() {
  const char* url = std::getenv("DUROXIDE_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "DUROXIDE_TEST_PG_URL is not set: start a server (scripts/pg-test-server.sh start) and export its URL");
  }
  return url;
}

inline std::string random_schema(const std::string& prefix) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}_{:016x}", prefix, rng());
}

inline std::string url_with_schema(const std::string& schema) {
  const auto url = base_url();
  return fmt::format("{}{}schema={}", url, url.find('?') == std::string::npos ? "?" : "&", schema);
}

/// Runs one statement in `schema` (search_path) and returns the first value of the first row ("" if none).
inline std::string run_sql(const std::string& schema, const std::string& sql,
                           const std::vector<std::optional<std::string>>& params) {
  PGconn* conn = PQconnectdb(base_url().c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("test SQL: cannot connect: " + why);
  }
  if (!schema.empty()) {
    char* quoted = PQescapeIdentifier(conn, schema.c_str(), schema.size());
    PQclear(PQexec(conn, fmt::format("SET search_path = {}", quoted).c_str()));
    PQfreemem(quoted);
  }
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* res =
      PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(res);
  std::string out;
  if (status == PGRES_TUPLES_OK && PQntuples(res) > 0) out = PQgetvalue(res, 0, 0);
  std::string error = PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) throw std::runtime_error("test SQL failed: " + error);
  return out;
}

inline void drop_schema(const std::string& schema) {
  try {
    PGconn* conn = PQconnectdb(base_url().c_str());
    char* quoted = PQescapeIdentifier(conn, schema.c_str(), schema.size());
    PQclear(PQexec(conn,
                   fmt::format("SET client_min_messages = warning; DROP SCHEMA IF EXISTS {} CASCADE", quoted).c_str()));
    PQfreemem(quoted);
    PQfinish(conn);
  } catch (...) {
  }
}

}  // namespace duroxide::pg_test
