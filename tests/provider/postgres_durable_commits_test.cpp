// Which of the PostgreSQL store's calls wait for their WAL flush (docs/storage.md, "Durable
// commits"): a turn's ack always does, so no activity runs on input that no durable history holds;
// claims and activity acks do not, since losing them in a crash is a lapsed lease. Each call runs in
// a statement that then reads the transaction's synchronous_commit, which a function that turns it
// off for its own transaction leaves at "off" until the commit.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <duroxide/postgres_provider.hpp>

#include "provider/postgres_test_session.hpp"
#include "provider/postgres_test_support.hpp"
#include "provider/validation/validation_helpers.hpp"

namespace duroxide {
namespace {

using namespace std::chrono_literals;
using namespace validation;
using pg_test::SchemaGuard;
using pg_test::StoreUnderTest;

constexpr auto kLease = 30s;

/// Runs `call` (a set-returning call of the schema's functions) and returns the commit mode its
/// transaction would commit with.
std::string commit_mode_after(const std::string& schema, const std::string& call,
                              const std::vector<std::optional<std::string>>& params) {
  return pg_test::run_sql(schema,
                          "WITH called AS MATERIALIZED (SELECT count(*) FROM " + call +
                              ") SELECT current_setting('synchronous_commit') FROM called",
                          params);
}

/// dx_ack_orchestration's 31 arguments for a turn of token $1 with status $2 and nothing else.
constexpr std::string_view kAckArguments =
    "$1, 1, NULL, NULL, NULL, $2, NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL";

class PostgresDurableCommits : public ::testing::Test {
 protected:
  PostgresDurableCommits() : guard_(pg_test::random_schema("dxt")), store_(guard_.schema) {}
  /// A started instance's next turn, locked: its token.
  std::string locked_turn() {
    create_instance(*store_.provider, "durable", kLease);
    return poke(*store_.provider, "durable", kLease).lock_token;
  }
  SchemaGuard guard_;
  StoreUnderTest store_;
};

TEST_F(PostgresDurableCommits, ATurnsAckWaitsForItsFlushWhetherOrNotItEndsTheExecution) {
  const auto token = locked_turn();
  EXPECT_EQ(commit_mode_after(guard_.schema, fmt::format("dx_ack_orchestration({})", kAckArguments),
                              {token, std::string("Completed")}),
            "on");
  const auto next = poke(*store_.provider, "durable", kLease).lock_token;
  EXPECT_EQ(
      commit_mode_after(guard_.schema, fmt::format("dx_ack_orchestration({})", kAckArguments), {next, std::nullopt}),
      "on");
}

TEST_F(PostgresDurableCommits, ClaimsAndActivityAcksDoNotWaitForTheirFlush) {
  must(store_.provider->enqueue_for_worker(activity_execute_item("durable", 1, 1)), "enqueue");
  EXPECT_EQ(commit_mode_after(guard_.schema, "dx_fetch_work('claim-1', 30000, NULL, 0, 0, '{}')", {}), "off");
  EXPECT_EQ(commit_mode_after(guard_.schema, "dx_ack_work('claim-1', 'durable', NULL)", {}), "off");
  must(store_.provider->enqueue_for_orchestrator(start_item("other"), std::nullopt), "enqueue start");
  EXPECT_EQ(
      commit_mode_after(guard_.schema,
                        "dx_fetch_orchestration('claim-2', 30000, 10, '{}', false, '{0,0,0}', '{0,0,0}', 10)", {}),
      "off");
}

}  // namespace
}  // namespace duroxide
