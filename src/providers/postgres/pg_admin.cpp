// PostgresProvider: management (listings, info, metrics, deletion, pruning) and dead letters.
// Reads are one statement each; deletions run as one transaction on one pooled connection.
#include <fmt/format.h>

#include "providers/postgres/pg_ops.hpp"

namespace duroxide {

using pg_detail::num;

namespace pg_detail {
ProviderResult<std::uint64_t> latest_execution(PostgresProvider::Store& s, std::string_view op,
                                               const std::string& instance);
ProviderResult<std::vector<Event>> read_execution(PostgresProvider::Store& s, std::string_view op,
                                                  const std::string& instance, std::uint64_t execution_id);
}  // namespace pg_detail

namespace {

ProviderError not_found(std::string_view operation, const std::string& instance) {
  return ProviderError::permanent(std::string(operation), fmt::format("Instance {} not found", instance),
                                  ProviderErrorKind::NotFound);
}

std::vector<std::string> texts(const pg::Result& res) {
  std::vector<std::string> out;
  for (int r = 0; r < res.rows(); ++r) out.push_back(res.text(r, 0));
  return out;
}

constexpr const char* kCurrentExecutionJoin =
    "FROM instances i LEFT JOIN executions e ON e.instance_id = i.instance_id AND e.execution_id = "
    "i.current_execution_id";

/// Runs `body` inside BEGIN ... COMMIT on one pooled connection; rolled back on failure.
template <class T, class Body>
ProviderResult<T> in_transaction(PostgresProvider::Store& s, std::string_view op, Body body) {
  DUROXIDE_PG_TRY_ASSIGN(conn, s.acquire(op));
  DUROXIDE_PG_TRY(conn->exec_script(op, "BEGIN"));
  auto result = body(*conn);
  if (!result) {
    (void)conn->exec_script(op, "ROLLBACK");
    return result;
  }
  DUROXIDE_PG_TRY(conn->exec_script(op, "COMMIT"));
  return result;
}

}  // namespace

ProviderResult<std::vector<std::string>> PostgresProvider::list_instances() {
  DUROXIDE_PG_TRY_ASSIGN(res,
                         pg_detail::call(*store_, "list_instances",
                                         "SELECT instance_id FROM instances ORDER BY created_at DESC, seq DESC", {}));
  return texts(res);
}

ProviderResult<std::vector<std::string>> PostgresProvider::list_instances_by_status(ExecutionStatus status) {
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, "list_instances_by_status",
                                              fmt::format("SELECT i.instance_id {} WHERE e.status = $1 ORDER BY "
                                                          "i.created_at DESC, i.seq DESC",
                                                          kCurrentExecutionJoin),
                                              {std::string(to_string(status))}));
  return texts(res);
}

ProviderResult<std::vector<std::uint64_t>> PostgresProvider::list_executions(const std::string& instance) {
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, "list_executions",
                                              "SELECT execution_id FROM executions WHERE instance_id = $1 ORDER BY "
                                              "execution_id",
                                              {instance}));
  std::vector<std::uint64_t> ids;
  for (int r = 0; r < res.rows(); ++r) ids.push_back(res.uint64(r, 0));
  return ids;
}

ProviderResult<std::vector<Event>> PostgresProvider::read_history_with_execution_id(const std::string& instance,
                                                                                    std::uint64_t execution_id) {
  return pg_detail::read_execution(*store_, "read_history_with_execution_id", instance, execution_id);
}

ProviderResult<std::uint64_t> PostgresProvider::latest_execution_id(const std::string& instance) {
  return pg_detail::latest_execution(*store_, "latest_execution_id", instance);
}

ProviderResult<InstanceInfo> PostgresProvider::get_instance_info(const std::string& instance) {
  constexpr std::string_view op = "get_instance_info";
  DUROXIDE_PG_TRY_ASSIGN(
      res, pg_detail::call(*store_, op, fmt::format("{} WHERE i.instance_id = $1", pg_detail::kInstanceInfoSelect),
                           {instance}));
  if (res.rows() == 0) return std::unexpected(not_found(op, instance));
  return pg_detail::instance_info_row(res, 0);
}

ProviderResult<ExecutionInfo> PostgresProvider::get_execution_info(const std::string& instance,
                                                                   std::uint64_t execution_id) {
  constexpr std::string_view op = "get_execution_info";
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, op,
                                              "SELECT e.execution_id, e.status, e.output, e.started_at, "
                                              "e.completed_at, (SELECT COUNT(*) FROM history h WHERE h.instance_id = "
                                              "e.instance_id AND h.execution_id = e.execution_id) FROM executions e "
                                              "WHERE e.instance_id = $1 AND e.execution_id = $2::bigint",
                                              {instance, num(execution_id)}));
  if (res.rows() == 0) {
    return std::unexpected(ProviderError::permanent(
        std::string(op), fmt::format("Execution {} of instance {} not found", execution_id, instance),
        ProviderErrorKind::NotFound));
  }
  ExecutionInfo info;
  info.execution_id = res.uint64(0, 0);
  info.status = parse_execution_status(res.text(0, 1));
  info.output = pg_detail::decode_stored_optional(res.optional_text(0, 2));
  info.started_at_ms = res.uint64(0, 3);
  if (!res.is_null(0, 4)) info.completed_at_ms = res.uint64(0, 4);
  info.event_count = res.uint64(0, 5);
  return info;
}

ProviderResult<SystemMetrics> PostgresProvider::get_system_metrics() {
  // Counted when asked: a trigger-maintained counter row would serialize every concurrent ack of
  // every process on that one row (docs/storage.md, "The PostgreSQL store").
  DUROXIDE_PG_TRY_ASSIGN(res,
                         pg_detail::call(*store_, "get_system_metrics",
                                         fmt::format("SELECT (SELECT COUNT(*) FROM instances), (SELECT COUNT(*) "
                                                     "FROM executions), COUNT(*) FILTER (WHERE e.status = "
                                                     "'Running'), COUNT(*) FILTER (WHERE e.status = 'Completed'), "
                                                     "COUNT(*) FILTER (WHERE e.status = 'Failed'), (SELECT "
                                                     "COUNT(*) FROM history), COUNT(*) FILTER (WHERE e.status = "
                                                     "'Terminated'), COUNT(*) FILTER (WHERE e.status = 'Suspended') {}",
                                                     kCurrentExecutionJoin),
                                         {}));
  return SystemMetrics{res.uint64(0, 0), res.uint64(0, 1), res.uint64(0, 2), res.uint64(0, 3),
                       res.uint64(0, 4), res.uint64(0, 5), res.uint64(0, 6), res.uint64(0, 7)};
}

ProviderResult<QueueDepths> PostgresProvider::get_queue_depths() {
  // Delayed messages included; rows held by a live lock are not (quirk Q5 in docs/storage.md).
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, "get_queue_depths",
                                              "WITH now AS (SELECT dx_now_ms() AS t) SELECT (SELECT COUNT(*) FROM "
                                              "orchestrator_queue q WHERE NOT EXISTS (SELECT 1 FROM instance_locks l, "
                                              "now WHERE l.lock_token = q.lock_token AND l.locked_until > now.t)), "
                                              "(SELECT COUNT(*) FROM worker_queue w, now WHERE w.lock_token IS NULL OR "
                                              "w.locked_until <= now.t)",
                                              {}));
  return QueueDepths{res.uint64(0, 0), res.uint64(0, 1), 0};
}

ProviderResult<std::vector<std::string>> PostgresProvider::list_children(const std::string& instance) {
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, "list_children",
                                              "SELECT instance_id FROM instances WHERE parent_instance_id = $1 ORDER "
                                              "BY created_at, seq",
                                              {instance}));
  return texts(res);
}

ProviderResult<std::optional<std::string>> PostgresProvider::get_parent_id(const std::string& instance) {
  constexpr std::string_view op = "get_parent_id";
  DUROXIDE_PG_TRY_ASSIGN(
      res, pg_detail::call(*store_, op, "SELECT parent_instance_id FROM instances WHERE instance_id = $1", {instance}));
  if (res.rows() == 0) return std::unexpected(not_found(op, instance));
  return res.optional_text(0, 0);
}

ProviderResult<DeleteInstanceResult> PostgresProvider::delete_instances_atomic(const std::vector<std::string>& ids,
                                                                               bool force) {
  constexpr std::string_view op = "delete_instances_atomic";
  if (ids.empty()) return DeleteInstanceResult{};
  const std::string array = pg::text_array(ids);
  return in_transaction<DeleteInstanceResult>(
      *store_, op, [&](pg::Connection& conn) -> ProviderResult<DeleteInstanceResult> {
        // Locks the instance rows so a concurrent turn or child creation waits for us.
        DUROXIDE_PG_TRY(
            conn.exec(op, "SELECT 1 FROM instances WHERE instance_id = ANY ($1::text[]) FOR UPDATE", {array}));
        if (!force) {
          DUROXIDE_PG_TRY_ASSIGN(running,
                                 conn.exec(op,
                                           fmt::format("SELECT i.instance_id {} WHERE i.instance_id = ANY "
                                                       "($1::text[]) AND e.status IN ('Running', 'Suspended') LIMIT 1",
                                                       kCurrentExecutionJoin),
                                           {array}));
          if (running.rows() > 0) {
            return std::unexpected(ProviderError::permanent(
                std::string(op),
                fmt::format("Instance {} is still running. Use force=true to delete it anyway.", running.text(0, 0)),
                ProviderErrorKind::InstanceStillRunning));
          }
        }
        DUROXIDE_PG_TRY_ASSIGN(orphan, conn.exec(op,
                                                 "SELECT instance_id, parent_instance_id FROM instances WHERE "
                                                 "parent_instance_id = ANY ($1::text[]) AND NOT (instance_id = ANY "
                                                 "($1::text[])) LIMIT 1",
                                                 {array}));
        if (orphan.rows() > 0) {
          return std::unexpected(ProviderError::permanent(
              std::string(op), fmt::format("Deleting {} would orphan its child instance {}; re-read the instance tree "
                                           "and delete it whole",
                                           orphan.text(0, 1), orphan.text(0, 0))));
        }
        DUROXIDE_PG_TRY_ASSIGN(counts,
                               conn.exec(op,
                                         "WITH h AS (DELETE FROM history WHERE instance_id = ANY ($1::text[]) "
                                         "RETURNING 1), e AS (DELETE FROM executions WHERE instance_id = ANY "
                                         "($1::text[]) RETURNING 1), o AS (DELETE FROM orchestrator_queue WHERE "
                                         "instance_id = ANY ($1::text[]) RETURNING 1), w AS (DELETE FROM "
                                         "worker_queue WHERE instance_id = ANY ($1::text[]) RETURNING 1), l AS "
                                         "(DELETE FROM instance_locks WHERE instance_id = ANY ($1::text[]) "
                                         "RETURNING 1), ks AS (DELETE FROM kv_store WHERE instance_id = ANY "
                                         "($1::text[]) RETURNING 1), kd AS (DELETE FROM kv_delta WHERE "
                                         "instance_id = ANY ($1::text[]) RETURNING 1), i AS (DELETE FROM "
                                         "instances WHERE instance_id = ANY ($1::text[]) RETURNING 1) SELECT "
                                         "(SELECT COUNT(*) FROM h), (SELECT COUNT(*) FROM e), (SELECT COUNT(*) "
                                         "FROM o) + (SELECT COUNT(*) FROM w), (SELECT COUNT(*) FROM l) + (SELECT "
                                         "COUNT(*) FROM ks) + (SELECT COUNT(*) FROM kd) + (SELECT COUNT(*) FROM i)",
                                         {array}));
        DeleteInstanceResult result;
        result.instances_deleted = ids.size();
        result.events_deleted = counts.uint64(0, 0);
        result.executions_deleted = counts.uint64(0, 1);
        result.queue_messages_deleted = counts.uint64(0, 2);
        return result;
      });
}

ProviderResult<DeleteInstanceResult> PostgresProvider::delete_instance_bulk(const InstanceFilter& filter) {
  constexpr std::string_view op = "delete_instance_bulk";
  if (filter.instance_ids && filter.instance_ids->empty()) return DeleteInstanceResult{};
  DUROXIDE_PG_TRY_ASSIGN(
      res, pg_detail::call(*store_, op,
                           fmt::format("SELECT i.instance_id {} WHERE i.parent_instance_id IS NULL AND e.status NOT IN "
                                       "('Running', 'Suspended') AND ($1::text[] IS NULL OR "
                                       "i.instance_id = ANY ($1::text[])) AND ($2::bigint IS NULL OR e.completed_at "
                                       "< $2::bigint) ORDER BY i.created_at, i.seq LIMIT $3::bigint",
                                       kCurrentExecutionJoin),
                           {filter.instance_ids ? pg::Param(pg::text_array(*filter.instance_ids)) : pg::Param{},
                            filter.completed_before_ms ? num(*filter.completed_before_ms) : pg::Param{},
                            num(static_cast<std::uint64_t>(filter.limit.value_or(1000)))}));
  DeleteInstanceResult total;
  for (const auto& root : texts(res)) {
    // One transaction per tree (docs/storage.md), not across the batch.
    DUROXIDE_PG_TRY_ASSIGN(tree, get_instance_tree(root));
    DUROXIDE_PG_TRY_ASSIGN(deleted, delete_instances_atomic(tree.all_ids, true));
    total += deleted;
  }
  return total;
}

ProviderResult<PruneResult> PostgresProvider::prune_executions(const std::string& instance,
                                                               const PruneOptions& options) {
  constexpr std::string_view op = "prune_executions";
  return in_transaction<PruneResult>(*store_, op, [&](pg::Connection& conn) -> ProviderResult<PruneResult> {
    DUROXIDE_PG_TRY_ASSIGN(current, conn.exec(op,
                                              "SELECT current_execution_id FROM instances WHERE instance_id = $1 FOR "
                                              "UPDATE",
                                              {instance}));
    if (current.rows() == 0) return std::unexpected(not_found(op, instance));
    // Ranked newest first; never the current execution nor a running one.
    DUROXIDE_PG_TRY_ASSIGN(
        counts,
        conn.exec(
            op,
            "WITH ranked AS (SELECT execution_id, status, completed_at, row_number() OVER (ORDER BY "
            "execution_id DESC) - 1 AS rank FROM executions WHERE instance_id = $1), doomed AS (SELECT "
            "execution_id FROM ranked WHERE execution_id <> $2::bigint AND status NOT IN ('Running', 'Suspended') AND "
            "($3::bigint IS NULL OR rank >= $3::bigint) AND ($4::bigint IS NULL OR (completed_at IS NOT "
            "NULL AND completed_at < $4::bigint))), h AS (DELETE FROM history WHERE instance_id = $1 AND "
            "execution_id IN (SELECT execution_id FROM doomed) RETURNING 1), e AS (DELETE FROM "
            "executions WHERE instance_id = $1 AND execution_id IN (SELECT execution_id FROM doomed) "
            "RETURNING 1) SELECT (SELECT COUNT(*) FROM e), (SELECT COUNT(*) FROM h)",
            {instance, current.text(0, 0),
             options.keep_last ? num(static_cast<std::uint64_t>(*options.keep_last)) : pg::Param{},
             options.completed_before_ms ? num(*options.completed_before_ms) : pg::Param{}}));
    PruneResult result;
    result.instances_processed = 1;
    result.executions_deleted = counts.uint64(0, 0);
    result.events_deleted = counts.uint64(0, 1);
    return result;
  });
}

ProviderResult<PruneResult> PostgresProvider::prune_executions_bulk(const InstanceFilter& filter,
                                                                    const PruneOptions& options) {
  constexpr std::string_view op = "prune_executions_bulk";
  if (filter.instance_ids && filter.instance_ids->empty()) return PruneResult{};
  DUROXIDE_PG_TRY_ASSIGN(
      res, pg_detail::call(*store_, op,
                           fmt::format("SELECT i.instance_id {} WHERE ($1::text[] IS NULL OR i.instance_id = ANY "
                                       "($1::text[])) AND ($2::bigint IS NULL OR e.completed_at < $2::bigint) ORDER BY "
                                       "i.created_at, i.seq LIMIT $3::bigint",
                                       kCurrentExecutionJoin),
                           {filter.instance_ids ? pg::Param(pg::text_array(*filter.instance_ids)) : pg::Param{},
                            filter.completed_before_ms ? num(*filter.completed_before_ms) : pg::Param{},
                            num(static_cast<std::uint64_t>(filter.limit.value_or(1000)))}));
  PruneResult total;
  for (const auto& instance : texts(res)) {
    DUROXIDE_PG_TRY_ASSIGN(pruned, prune_executions(instance, options));
    total += pruned;
  }
  return total;
}

ProviderResult<std::vector<DeadLetter>> PostgresProvider::list_dead_letters() {
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, "list_dead_letters",
                                              "SELECT id, queue, source_row_id, instance_id, execution_id, "
                                              "activity_id, raw_text, error, created_at FROM dead_letters ORDER BY id",
                                              {}));
  std::vector<DeadLetter> letters;
  for (int r = 0; r < res.rows(); ++r) {
    DeadLetter letter;
    letter.id = res.uint64(r, 0);
    letter.queue = res.text(r, 1);
    letter.source_row_id = res.uint64(r, 2);
    letter.instance_id = res.optional_text(r, 3);
    if (!res.is_null(r, 4)) letter.execution_id = res.uint64(r, 4);
    if (!res.is_null(r, 5)) letter.activity_id = res.uint64(r, 5);
    letter.raw_text = res.text(r, 6);
    letter.error = res.text(r, 7);
    letter.created_at_ms = res.uint64(r, 8);
    letters.push_back(std::move(letter));
  }
  return letters;
}

}  // namespace duroxide
