// What the hot stored functions read (docs/storage.md, "What a call costs"): a call must read the
// rows of its own instance, not every row of a table. Each check runs the function inside a
// plpgsql probe that reads the transaction's own table counters (pg_stat_xact_user_tables) before
// and after the call, with generic plans forced, as a long-lived pooled connection ends up using.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <duroxide/postgres_provider.hpp>

#include "provider/postgres_test_session.hpp"
#include "provider/postgres_test_support.hpp"

namespace duroxide {
namespace {

using pg_test::SchemaGuard;

/// Large enough that a sequential scan costs the planner more than an index lookup.
constexpr int kOtherInstances = 20000;

/// Rows of `table` read so far in this transaction, by sequential and index scans.
constexpr std::string_view kRowsRead = R"sql(
CREATE FUNCTION t_rows_read(p_table regclass) RETURNS bigint LANGUAGE sql AS $$
  SELECT seq_tup_read + COALESCE(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables WHERE relid = p_table $$;
)sql";

std::string open_fresh_schema(SchemaGuard& guard) {
  auto opened = PostgresProvider::open(pg_test::url_with_schema(guard.schema));
  if (!opened) return opened.error().to_string();
  pg_test::run_sql(guard.schema, std::string(kRowsRead), {});
  return "";
}

TEST(PostgresQueryCost, TheVersionFilteredFetchReadsOnlyItsCandidatesExecution) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  ASSERT_EQ(open_fresh_schema(guard), "");
  // Many started instances pinned to 0.1.0; one of them has a message waiting.
  pg_test::run_sql(guard.schema,
                   fmt::format("INSERT INTO instances (instance_id, orchestration_name, orchestration_version) "
                               "SELECT 'e' || g, 'O', '1.0.0' FROM generate_series(1, {}) g",
                               kOtherInstances),
                   {});
  pg_test::run_sql(guard.schema,
                   fmt::format("INSERT INTO executions (instance_id, execution_id, duroxide_version_major, "
                               "duroxide_version_minor, duroxide_version_patch) "
                               "SELECT 'e' || g, 1, 0, 1, 0 FROM generate_series(1, {}) g",
                               kOtherInstances),
                   {});
  pg_test::run_sql(guard.schema, "SELECT dx_enqueue_orchestrator('e5', '{}', 0)", {});
  pg_test::run_sql(guard.schema, "ANALYZE instances", {});
  pg_test::run_sql(guard.schema, "ANALYZE executions", {});
  pg_test::run_sql(guard.schema, R"sql(
CREATE FUNCTION t_fetch_reads() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_before bigint;
BEGIN
  SET LOCAL plan_cache_mode = force_generic_plan;
  v_before := t_rows_read('executions');
  PERFORM * FROM dx_fetch_orchestration('probe', 5000, 10, '{}', true, '{0,0,0}', '{9,9,9}', 100);
  RETURN t_rows_read('executions') - v_before;
END $$)sql",
                   {});

  const auto read = std::stoll(pg_test::run_sql(guard.schema, "SELECT t_fetch_reads()", {}));
  EXPECT_LE(read, 5) << "the fetch read " << read << " executions rows to claim one instance";
  // And it did claim the instance whose pinned version is inside the filter's range.
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT instance_id FROM instance_locks WHERE lock_token = 'probe'", {}),
            "e5");
}

TEST(PostgresQueryCost, TheVersionFilterStillSkipsInstancesPinnedOutsideTheRange) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  ASSERT_EQ(open_fresh_schema(guard), "");
  pg_test::run_sql(guard.schema,
                   "INSERT INTO instances (instance_id, orchestration_name, orchestration_version) VALUES "
                   "('new', 'O', '1.0.0'), ('old', 'O', '1.0.0'), ('unpinned', 'O', '1.0.0')",
                   {});
  pg_test::run_sql(guard.schema,
                   "INSERT INTO executions (instance_id, execution_id, duroxide_version_major, duroxide_version_minor, "
                   "duroxide_version_patch) VALUES ('new', 1, 2, 0, 0), ('old', 1, 0, 1, 0), "
                   "('unpinned', 1, NULL, NULL, NULL)",
                   {});
  for (const char* id : {"new", "old", "unpinned"}) {
    pg_test::run_sql(guard.schema, "SELECT dx_enqueue_orchestrator($1, '{}', 0)", {std::string(id)});
  }
  // Only 0.x may run here: 'new' (2.0.0) is skipped, 'old' and the unpinned one are claimed.
  const std::string fetch =
      "SELECT t1 FROM dx_fetch_orchestration($1, 5000, 10, '{}', true, '{0,0,0}', '{0,99,99}', 100) "
      "WHERE kind = 'lock'";
  EXPECT_EQ(pg_test::run_sql(guard.schema, fetch, {std::string("a")}), "old");
  EXPECT_EQ(pg_test::run_sql(guard.schema, fetch, {std::string("b")}), "unpinned");
  EXPECT_EQ(pg_test::run_sql(guard.schema, fetch, {std::string("c")}), "");
}

TEST(PostgresQueryCost, ATerminalAckReadsOnlyItsOwnQueueRows) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  ASSERT_EQ(open_fresh_schema(guard), "");
  // Many messages of other instances, due in an hour; then the instance's start and a timer of
  // its execution 1, also due in an hour.
  // The statistics are taken while those messages are claimed, then they are let go: the queue
  // after a burst, before autovacuum analyzes it again. The planner then believes unclaimed rows
  // are rare, which is when the full lock-token index served `lock_token IS NULL` and the delete
  // read them all.
  pg_test::run_sql(guard.schema,
                   fmt::format("INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, lock_token) "
                               "SELECT 'other' || g, '{{}}', dx_now_ms() + 3600000, 'someone-' || g FROM "
                               "generate_series(1, {}) g",
                               kOtherInstances),
                   {});
  pg_test::run_sql(guard.schema, "ANALYZE orchestrator_queue", {});
  pg_test::run_sql(guard.schema, "UPDATE orchestrator_queue SET lock_token = NULL", {});
  pg_test::run_sql(guard.schema, "SELECT dx_enqueue_orchestrator('x', '{}', 0)", {});
  pg_test::run_sql(guard.schema,
                   "SELECT dx_enqueue_orchestrator('x', '{\"TimerFired\":{\"execution_id\":1}}', 3600000)", {});
  pg_test::run_sql(guard.schema, R"sql(
CREATE FUNCTION t_ack_reads() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_before bigint;
BEGIN
  SET LOCAL plan_cache_mode = force_generic_plan;
  PERFORM * FROM dx_fetch_orchestration('probe', 5000, 10, '{}', false, '{0,0,0}', '{0,0,0}', 100);
  v_before := t_rows_read('orchestrator_queue');
  PERFORM * FROM dx_ack_orchestration('probe', 1, NULL, NULL, NULL, 'Completed', 'out', 'O', '1.0.0', NULL, NULL,
    false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL);
  RETURN t_rows_read('orchestrator_queue') - v_before;
END $$)sql",
                   {});

  const auto read = std::stoll(pg_test::run_sql(guard.schema, "SELECT t_ack_reads()", {}));
  EXPECT_LE(read, 20) << "the ack read " << read << " queue rows to end one instance";
  // It ended the instance and deleted its timer, and left the others' messages alone.
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT status FROM executions WHERE instance_id = 'x'", {}), "Completed");
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT COUNT(*) FROM orchestrator_queue WHERE instance_id = 'x'", {}), "0");
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT COUNT(*) FROM orchestrator_queue", {}),
            std::to_string(kOtherInstances));
}

TEST(PostgresQueryCost, TheWorkerFetchReadsOnlyTheRowsItClaims) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  ASSERT_EQ(open_fresh_schema(guard), "");
  // A backlog of free activities. The statistics are taken while every row belongs to a session,
  // then the sessions are gone: the planner believes session-less rows are rare, which made it
  // collect every one of them through the session index and sort them, on each fetch.
  pg_test::run_sql(guard.schema,
                   fmt::format("INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, "
                               "activity_id, session_id) SELECT '{{}}', dx_now_ms(), 'i' || g, 1, g, 's' || g "
                               "FROM generate_series(1, {}) g",
                               kOtherInstances),
                   {});
  pg_test::run_sql(guard.schema, "ANALYZE worker_queue", {});
  pg_test::run_sql(guard.schema, "UPDATE worker_queue SET session_id = NULL", {});
  pg_test::run_sql(guard.schema, R"sql(
CREATE FUNCTION t_work_fetch_reads(p_token text, p_mode integer, p_owner text, p_plans text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_before bigint;
BEGIN
  PERFORM set_config('plan_cache_mode', p_plans, true);
  v_before := t_rows_read('worker_queue');
  PERFORM * FROM dx_fetch_work(p_token, 5000, p_owner, 60000, p_mode, '{}');
  RETURN t_rows_read('worker_queue') - v_before;
END $$)sql",
                   {});

  // Untagged only (mode 0) and any tag (mode 3); a fetcher without session capacity (no owner)
  // and one with; plans made for the call's values (a connection's first calls) and generic ones.
  // Each fetch claims the oldest free row and reads only a few.
  struct Case {
    std::string token;
    int mode;
    std::optional<std::string> owner;
    std::string plans;
  };
  const std::vector<Case> cases{{"a", 0, std::nullopt, "force_custom_plan"},
                                {"b", 3, std::nullopt, "force_custom_plan"},
                                {"c", 0, "node-1", "force_generic_plan"},
                                {"d", 3, "node-1", "force_generic_plan"}};
  int expected_activity = 1;
  for (const auto& c : cases) {
    const auto read = std::stoll(pg_test::run_sql(guard.schema, "SELECT t_work_fetch_reads($1, $2::integer, $3, $4)",
                                                  {c.token, std::to_string(c.mode), c.owner, c.plans}));
    EXPECT_LE(read, 5) << c.token << ": the fetch read " << read << " worker rows to claim one";
    EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT activity_id FROM worker_queue WHERE lock_token = $1", {c.token}),
              std::to_string(expected_activity++));
  }
}

TEST(PostgresQueryCost, TheWorkerFetchServesALapsedLeaseBeforeNewerFreeRows) {
  SchemaGuard guard(pg_test::random_schema("dxt"));
  ASSERT_EQ(open_fresh_schema(guard), "");
  // Row 1 was claimed and its lease lapsed; row 2 is free.
  pg_test::run_sql(guard.schema,
                   "INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, activity_id, "
                   "lock_token, locked_until, attempt_count) VALUES ('{}', 0, 'i', 1, 1, 'gone', 1, 1), "
                   "('{}', 0, 'i', 1, 2, NULL, NULL, 0)",
                   {});
  EXPECT_EQ(
      pg_test::run_sql(guard.schema,
                       "SELECT out_act || ':' || out_attempts FROM dx_fetch_work('next', 5000, NULL, 0, 3, '{}')", {}),
      "1:2");
  EXPECT_EQ(
      pg_test::run_sql(guard.schema,
                       "SELECT out_act || ':' || out_attempts FROM dx_fetch_work('then', 5000, NULL, 0, 3, '{}')", {}),
      "2:1");
}

TEST(PostgresQueryCost, TheChannelFunctionIsPlpgsqlWithoutASetClause) {
  // A SQL function with a SET clause cannot be inlined: it was parsed and planned on every notify.
  SchemaGuard guard(pg_test::random_schema("dxt"));
  ASSERT_EQ(open_fresh_schema(guard), "");
  EXPECT_EQ(
      pg_test::run_sql(guard.schema,
                       "SELECT l.lanname || ':' || COALESCE(array_to_string(p.proconfig, ','), '') FROM pg_proc p "
                       "JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'dx_channel' "
                       "AND p.pronamespace = to_regnamespace(current_schema())::oid",
                       {}),
      "plpgsql:");
  EXPECT_EQ(pg_test::run_sql(guard.schema, "SELECT dx_channel('orch')", {}), guard.schema + "_orch");
}

}  // namespace
}  // namespace duroxide
