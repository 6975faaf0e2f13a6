// The `duroxide` tool on a PostgreSQL store: the same commands through a postgres:// URL, on a
// fresh schema of the test server (DUROXIDE_TEST_PG_URL, as every PostgreSQL suite; docs/testing.md).
#include "cli_test_support.hpp"
#include "provider/postgres_test_support.hpp"

namespace duroxide::cli_test {
namespace {

using nlohmann::json;

/// A prepared store on a fresh schema, dropped afterwards.
class CliOnPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = pg_test::random_schema("cli");
    url_ = pg_test::url_with_schema(schema_);
    prepare_store(url_);
  }
  void TearDown() override { pg_test::drop_schema(schema_); }

  CliRun cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--store", url_});
    return run_cli(dir_.path(), args);
  }

  std::string schema_;
  std::string url_;
  TempDir dir_;
};

TEST_F(CliOnPostgres, ListsShowsAndOperatesInstances) {
  const auto list = cli({"instances", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << describe(list);
  EXPECT_EQ(parse_json(list).at("instances").size(), 10u) << describe(list);

  const auto show = cli({"instances", "show", "failed-1", "--json"});
  ASSERT_EQ(show.exit_code, 0) << describe(show);
  EXPECT_EQ(parse_json(show).at("status"), "Failed");
  const auto tricky = cli({"instances", "show", "kv-1", "--json"});
  EXPECT_EQ(parse_json(tricky).at("output"), kTrickyOutput) << describe(tricky);

  const auto tree = cli({"tree", "parent-1"});
  EXPECT_EQ(tree.out, "parent-1  Parent 1.0.0  Completed\n\u2514\u2500\u2500 parent-1-child  Child 1.0.0  Completed\n")
      << describe(tree);

  const auto missing = cli({"history", "nope"});
  EXPECT_EQ(missing.exit_code, 1) << describe(missing);
  EXPECT_EQ(missing.err, "duroxide: instance 'nope' not found\n");

  const auto raised = cli({"raise", "waiting-1", "Approve", "from postgres"});
  ASSERT_EQ(raised.exit_code, 0) << describe(raised);
  {
    RunningRuntime runtime(url_);
    const auto status = runtime.wait_finished("waiting-1");
    ASSERT_TRUE(status.is_completed()) << status.name();
    EXPECT_EQ(status.get_if<status::Completed>()->output, "approved: from postgres");
  }
  const auto deleted = cli({"delete", "parent-1", "--json"});
  ASSERT_EQ(deleted.exit_code, 0) << describe(deleted);
  EXPECT_EQ(parse_json(deleted).at("instances_deleted"), 2);

  // The URL from the environment, as for SQLite.
  const auto from_env = run_cli(dir_.path(), {"metrics", "--json"}, url_);
  ASSERT_EQ(from_env.exit_code, 0) << describe(from_env);
  EXPECT_EQ(parse_json(from_env).at("total_instances"), 8);  // 10, less parent-1 and its child
}

}  // namespace
}  // namespace duroxide::cli_test
