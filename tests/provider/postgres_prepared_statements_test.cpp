// Prepared statements of pg::Connection (docs/storage.md, "One round trip per call"): a statement
// is prepared on its first call and reused, and keeps working when another process changes what it
// returns (a migration that adds a column, as schema step 3 did to dx_fetch_work), which makes
// the server refuse the prepared form ("cached plan must not change result type").
#include <gtest/gtest.h>

#include <string>

#include "provider/postgres_test_session.hpp"
#include "provider/postgres_test_support.hpp"
#include "providers/postgres/pg_connection.hpp"

namespace duroxide {
namespace {

using pg_test::SchemaGuard;

std::unique_ptr<pg::Connection> connect(const std::string& schema) {
  auto conn = pg::Connection::connect(pg_test::base_url(), "\"" + schema + "\"", "test");
  if (!conn) throw std::runtime_error(conn.error().to_string());
  return std::move(*conn);
}

TEST(PostgresPreparedStatements, AStatementIsPreparedOnceAndReused) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  pg_test::run_sql("", "CREATE SCHEMA \"" + guard.schema + "\"", {});
  auto conn = connect(guard.schema);
  const std::string sql = "SELECT $1::int + 1";
  for (int i = 0; i < 2; ++i) {
    auto result = conn->exec("test", sql, {std::to_string(i)});
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_EQ(result->text(0, 0), std::to_string(i + 1));
  }
  auto prepared = conn->exec("test", "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", {sql});
  ASSERT_TRUE(prepared) << prepared.error().to_string();
  EXPECT_EQ(prepared->text(0, 0), "1");
}

TEST(PostgresPreparedStatements, AStatementWhoseResultTypeChangedUnderItRunsAfresh) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  pg_test::run_sql("", "CREATE SCHEMA \"" + guard.schema + "\"", {});
  pg_test::run_sql(guard.schema, "CREATE TABLE t (a int)", {});
  pg_test::run_sql(guard.schema, "INSERT INTO t VALUES (1)", {});
  auto conn = connect(guard.schema);
  const std::string sql = "SELECT * FROM t WHERE a = $1::int";
  auto before = conn->exec("test", sql, {"1"});
  ASSERT_TRUE(before) << before.error().to_string();
  EXPECT_EQ(before->columns(), 1);

  pg_test::run_sql(guard.schema, "ALTER TABLE t ADD COLUMN b int DEFAULT 7", {});  // another process

  auto after = conn->exec("test", sql, {"1"});
  ASSERT_TRUE(after) << "the prepared form was kept although the server refuses it: " << after.error().to_string();
  EXPECT_EQ(after->columns(), 2);
  EXPECT_EQ(after->text(0, 1), "7");
  auto again = conn->exec("test", sql, {"1"});  // and it is prepared again from here on
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->text(0, 1), "7");
}

}  // namespace
}  // namespace duroxide
