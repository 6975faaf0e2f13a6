// The PostgreSQL test server (docs/testing.md, "The PostgreSQL test server"; issue #14): the server
// `make test` starts, or the one DUROXIDE_TEST_PG_URL names, is reachable with libpq and is the
// PostgreSQL 15 / UTF-8 database the PostgreSQL store is written for.
#include <gtest/gtest.h>

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace {

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
  void operator()(PGresult* res) const { PQclear(res); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using Result = std::unique_ptr<PGresult, ResultDeleter>;

class PgTestServer : public ::testing::Test {
 protected:
  void SetUp() override {
    // A missing URL fails rather than skips: a skipped PostgreSQL suite would look green while
    // testing nothing (run through `make test`, or set the variable to your own server).
    const char* url = std::getenv("DUROXIDE_TEST_PG_URL");
    ASSERT_TRUE(url != nullptr && *url != '\0')
        << "DUROXIDE_TEST_PG_URL is not set: run the tests with `make test` (it starts a PostgreSQL server "
           "through scripts/with-pg-test-server.sh) or set it to a server's URL, e.g. "
           "postgres://postgres@127.0.0.1:5432/duroxide_test";
    url_ = url;
    conn_.reset(PQconnectdb(url));
    ASSERT_NE(conn_, nullptr) << "PQconnectdb could not allocate a connection";
    ASSERT_EQ(PQstatus(conn_.get()), CONNECTION_OK)
        << "cannot connect to " << url_ << ": " << PQerrorMessage(conn_.get());
  }

  // The first column of the single row `sql` returns.
  std::string query_one(const char* sql) {
    Result res(PQexec(conn_.get(), sql));
    EXPECT_EQ(PQresultStatus(res.get()), PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(conn_.get());
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) != 1) {
      ADD_FAILURE() << sql << " did not return one row";
      return {};
    }
    return PQgetvalue(res.get(), 0, 0);
  }

  std::string url_;
  Conn conn_;
};

TEST_F(PgTestServer, ServerIsPostgres15) {
  std::string version = query_one("SELECT version()");
  EXPECT_TRUE(version.starts_with("PostgreSQL 15.")) << "server at " << url_ << " reports: " << version;
}

TEST_F(PgTestServer, DatabaseIsUtf8) {
  // Names and payloads are UTF-8 text; a SQL_ASCII or LATIN1 database would mangle or reject them.
  EXPECT_EQ(query_one("SHOW server_encoding"), "UTF8");
}

}  // namespace
