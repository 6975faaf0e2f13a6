// SqliteProvider: management (docs/storage.md): listings, info, metrics, deletion and pruning.
#include <algorithm>

#include <fmt/format.h>

#include "providers/sqlite/sqlite_history.hpp"
#include "providers/sqlite/sqlite_instance_row.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide {

namespace sqlite_detail {
ProviderResult<std::uint64_t> latest_execution(ReadLease& s, std::string_view operation, const std::string& instance);
ProviderResult<std::vector<Event>> read_execution(ReadLease& s, std::string_view operation, const std::string& instance,
                                                  std::uint64_t execution_id);
}  // namespace sqlite_detail

namespace {

ProviderError not_found(std::string_view operation, const std::string& instance) {
  return ProviderError::permanent(std::string(operation), fmt::format("Instance {} not found", instance),
                                  ProviderErrorKind::NotFound);
}

ProviderResult<std::vector<std::string>> collect_texts(sqlite::Statement& stmt) {
  std::vector<std::string> out;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    out.push_back(stmt.text(0));
  }
  return out;
}

ProviderResult<std::uint64_t> count(sqlite::Database& db, std::string_view operation, const std::string& sql) {
  DUROXIDE_TRY_ASSIGN(stmt, sqlite::Statement::prepare(db, operation, sql));
  stmt.bind(1, SqliteProvider::Store::now_ms());
  DUROXIDE_TRY(stmt.step());
  return stmt.uint64(0);
}

/// Fills temp table `table` (one TEXT column `id`) with `ids`: set-based deletes without building
/// SQL from input.
ProviderResult<void> fill_id_table(SqliteProvider::Store& s, std::string_view operation, const std::string& table,
                                   const std::vector<std::string>& ids) {
  DUROXIDE_TRY_ASSIGN(create, s.statement(operation, fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} (id TEXT "
                                                                 "PRIMARY KEY)",
                                                                 table)));
  DUROXIDE_TRY(create.run());
  DUROXIDE_TRY_ASSIGN(clear, s.statement(operation, fmt::format("DELETE FROM {}", table)));
  DUROXIDE_TRY(clear.run());
  for (const auto& id : ids) {
    DUROXIDE_TRY_ASSIGN(insert,
                        s.statement(operation, fmt::format("INSERT OR IGNORE INTO {} (id) VALUES (?1)", table)));
    insert.bind(1, id);
    DUROXIDE_TRY(insert.run());
  }
  return {};
}

constexpr const char* kCurrentExecutionJoin =
    "FROM instances i LEFT JOIN executions e ON e.instance_id = i.instance_id AND e.execution_id = "
    "i.current_execution_id";

}  // namespace

ProviderResult<std::vector<std::string>> SqliteProvider::list_instances() {
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement("list_instances",
                                             "SELECT instance_id FROM instances ORDER BY created_at DESC, rowid DESC"));
  return collect_texts(stmt);
}

ProviderResult<std::vector<std::string>> SqliteProvider::list_instances_by_status(ExecutionStatus status) {
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement("list_instances_by_status",
                                             fmt::format("SELECT i.instance_id {} WHERE e.status = ?1 ORDER BY "
                                                         "i.created_at DESC, i.rowid DESC",
                                                         kCurrentExecutionJoin)));
  stmt.bind(1, to_string(status));
  return collect_texts(stmt);
}

ProviderResult<std::vector<std::uint64_t>> SqliteProvider::list_executions(const std::string& instance) {
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement("list_executions",
                                             "SELECT execution_id FROM executions WHERE instance_id = ?1 ORDER BY "
                                             "execution_id"));
  stmt.bind(1, instance);
  std::vector<std::uint64_t> ids;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    ids.push_back(stmt.uint64(0));
  }
  return ids;
}

ProviderResult<std::vector<Event>> SqliteProvider::read_history_with_execution_id(const std::string& instance,
                                                                                  std::uint64_t execution_id) {
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  return sqlite_detail::read_execution(reader, "read_history_with_execution_id", instance, execution_id);
}

ProviderResult<std::uint64_t> SqliteProvider::latest_execution_id(const std::string& instance) {
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  return sqlite_detail::latest_execution(reader, "latest_execution_id", instance);
}

ProviderResult<InstanceInfo> SqliteProvider::get_instance_info(const std::string& instance) {
  constexpr std::string_view op = "get_instance_info";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(
      stmt, reader.statement(op, fmt::format("{} WHERE i.instance_id = ?1", sqlite_detail::kInstanceInfoSelect)));
  stmt.bind(1, instance);
  DUROXIDE_TRY_ASSIGN(row, stmt.step());
  if (!row) return std::unexpected(not_found(op, instance));
  return sqlite_detail::instance_info_row(stmt);
}

ProviderResult<ExecutionInfo> SqliteProvider::get_execution_info(const std::string& instance,
                                                                 std::uint64_t execution_id) {
  constexpr std::string_view op = "get_execution_info";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement(op,
                                             "SELECT e.execution_id, e.status, e.output, e.started_at, "
                                             "e.completed_at, (SELECT COUNT(*) FROM history h WHERE h.instance_id = "
                                             "e.instance_id AND h.execution_id = e.execution_id) FROM executions e "
                                             "WHERE e.instance_id = ?1 AND e.execution_id = ?2"));
  stmt.bind(1, instance).bind(2, execution_id);
  DUROXIDE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return std::unexpected(ProviderError::permanent(
        std::string(op), fmt::format("Execution {} of instance {} not found", execution_id, instance),
        ProviderErrorKind::NotFound));
  }
  ExecutionInfo info;
  info.execution_id = stmt.uint64(0);
  info.status = parse_execution_status(stmt.text(1));
  info.output = stmt.optional_text(2);
  info.started_at_ms = static_cast<std::uint64_t>(stmt.timestamp_ms(3).value_or(0));
  if (auto completed = stmt.timestamp_ms(4)) info.completed_at_ms = static_cast<std::uint64_t>(*completed);
  info.event_count = stmt.uint64(5);
  return info;
}

ProviderResult<SystemMetrics> SqliteProvider::get_system_metrics() {
  constexpr std::string_view op = "get_system_metrics";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  // Counters kept by the schema's triggers (docs/storage.md, "Counts"): one small read, however
  // big the store.
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement(op, "SELECT name, value FROM store_counters"));
  SystemMetrics metrics;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    const std::string name = stmt.text(0);
    const auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(0, stmt.int64(1)));
    if (name == "instances") {
      metrics.total_instances = value;
    } else if (name == "executions") {
      metrics.total_executions = value;
    } else if (name == "history") {
      metrics.total_events = value;
    } else if (name == "status:Running") {
      metrics.running_instances = value;
    } else if (name == "status:Completed") {
      metrics.completed_instances = value;
    } else if (name == "status:Failed") {
      metrics.failed_instances = value;
    } else if (name == "status:Terminated") {
      metrics.terminated_instances = value;
    } else if (name == "status:Suspended") {
      metrics.suspended_instances = value;
    }
  }
  return metrics;
}

ProviderResult<QueueDepths> SqliteProvider::get_queue_depths() {
  constexpr std::string_view op = "get_queue_depths";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  // Counted by live-lock state, delayed messages included (quirk Q5 in docs/storage.md): all rows,
  // counted when asked (docs/storage.md, "Counts"), minus the rows held by a live lock, which only
  // the rows in flight are read for.
  DUROXIDE_TRY_ASSIGN(orchestrator, count(reader.db(), op,
                                          "SELECT (SELECT COUNT(*) FROM orchestrator_queue) - (SELECT COUNT(*) FROM "
                                          "instance_locks l JOIN orchestrator_queue q ON q.lock_token = l.lock_token "
                                          "WHERE l.locked_until > ?1)"));
  DUROXIDE_TRY_ASSIGN(worker, count(reader.db(), op,
                                    "SELECT (SELECT COUNT(*) FROM worker_queue) - (SELECT COUNT(*) FROM worker_queue "
                                    "WHERE lock_token IS NOT NULL AND locked_until > ?1)"));
  return QueueDepths{orchestrator, worker, 0};
}

ProviderResult<std::vector<std::string>> SqliteProvider::list_children(const std::string& instance) {
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement("list_children",
                                             "SELECT instance_id FROM instances WHERE parent_instance_id = ?1 "
                                             "ORDER BY created_at, rowid"));
  stmt.bind(1, instance);
  return collect_texts(stmt);
}

ProviderResult<std::optional<std::string>> SqliteProvider::get_parent_id(const std::string& instance) {
  constexpr std::string_view op = "get_parent_id";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement(op, "SELECT parent_instance_id FROM instances WHERE instance_id = ?1"));
  stmt.bind(1, instance);
  DUROXIDE_TRY_ASSIGN(row, stmt.step());
  if (!row) return std::unexpected(not_found(op, instance));
  return stmt.optional_text(0);
}

ProviderResult<DeleteInstanceResult> SqliteProvider::delete_instances_atomic(const std::vector<std::string>& ids,
                                                                             bool force) {
  constexpr std::string_view op = "delete_instances_atomic";
  if (ids.empty()) return DeleteInstanceResult{};
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  DUROXIDE_TRY_ASSIGN(tx, Transaction::begin(*s.db, op));
  DUROXIDE_TRY(fill_id_table(s, op, "delete_ids", ids));
  if (!force) {
    DUROXIDE_TRY_ASSIGN(running, s.statement(op, fmt::format("SELECT i.instance_id {} WHERE i.instance_id IN "
                                                             "(SELECT id FROM temp.delete_ids) AND e.status IN "
                                                             "('Running', 'Suspended') LIMIT 1",
                                                             kCurrentExecutionJoin)));
    DUROXIDE_TRY_ASSIGN(row, running.step());
    if (row) {
      return std::unexpected(ProviderError::permanent(
          std::string(op),
          fmt::format("Instance {} is still running. Use force=true to delete it anyway.", running.text(0)),
          ProviderErrorKind::InstanceStillRunning));
    }
  }
  {
    // A child created after the caller read the tree would be orphaned: refuse, delete nothing.
    DUROXIDE_TRY_ASSIGN(orphan, s.statement(op,
                                            "SELECT instance_id, parent_instance_id FROM instances WHERE "
                                            "parent_instance_id IN (SELECT id FROM temp.delete_ids) AND instance_id "
                                            "NOT IN (SELECT id FROM temp.delete_ids) LIMIT 1"));
    DUROXIDE_TRY_ASSIGN(row, orphan.step());
    if (row) {
      return std::unexpected(ProviderError::permanent(
          std::string(op), fmt::format("Deleting {} would orphan its child instance {}; re-read the instance tree "
                                       "and delete it whole",
                                       orphan.text(1), orphan.text(0))));
    }
  }
  const auto counted = [&](const char* sql) { return count(*s.db, op, sql); };
  DeleteInstanceResult result;
  result.instances_deleted = ids.size();
  DUROXIDE_TRY_ASSIGN(events, counted("SELECT COUNT(*) FROM history WHERE instance_id IN (SELECT id FROM "
                                      "temp.delete_ids) AND ?1 IS NOT NULL"));
  DUROXIDE_TRY_ASSIGN(executions, counted("SELECT COUNT(*) FROM executions WHERE instance_id IN (SELECT id FROM "
                                          "temp.delete_ids) AND ?1 IS NOT NULL"));
  DUROXIDE_TRY_ASSIGN(orchestrator_messages, counted("SELECT COUNT(*) FROM orchestrator_queue WHERE instance_id IN "
                                                     "(SELECT id FROM temp.delete_ids) AND ?1 IS NOT NULL"));
  DUROXIDE_TRY_ASSIGN(worker_messages, counted("SELECT COUNT(*) FROM worker_queue WHERE instance_id IN (SELECT id "
                                               "FROM temp.delete_ids) AND ?1 IS NOT NULL"));
  result.events_deleted = events;
  result.executions_deleted = executions;
  result.queue_messages_deleted = orchestrator_messages + worker_messages;
  for (const char* table : {"history", "executions", "orchestrator_queue", "worker_queue", "instance_locks", "kv_store",
                            "kv_delta", "instances"}) {
    DUROXIDE_TRY_ASSIGN(remove, s.statement(op, fmt::format("DELETE FROM {} WHERE instance_id IN (SELECT id FROM "
                                                            "temp.delete_ids)",
                                                            table)));
    DUROXIDE_TRY(remove.run());
  }
  DUROXIDE_TRY(tx.commit());
  return result;
}

ProviderResult<DeleteInstanceResult> SqliteProvider::delete_instance_bulk(const InstanceFilter& filter) {
  constexpr std::string_view op = "delete_instance_bulk";
  if (filter.instance_ids && filter.instance_ids->empty()) return DeleteInstanceResult{};
  std::vector<std::string> roots;
  {
    std::lock_guard lock(store_->mutex);
    DUROXIDE_TRY(fill_id_table(*store_, op, "bulk_ids", filter.instance_ids.value_or(std::vector<std::string>{})));
    const std::string sql = fmt::format(
        "SELECT i.instance_id {} WHERE i.parent_instance_id IS NULL AND e.status NOT IN ('Running', 'Suspended') AND "
        "(?1 = 0 OR "
        "i.instance_id IN (SELECT id FROM temp.bulk_ids)) AND (?2 IS NULL OR e.completed_at < ?2) ORDER BY "
        "i.created_at, i.rowid LIMIT ?3",
        kCurrentExecutionJoin);
    DUROXIDE_TRY_ASSIGN(stmt, store_->statement(op, sql));
    stmt.bind(1, filter.instance_ids ? 1 : 0).bind(2, filter.completed_before_ms);
    stmt.bind(3, static_cast<std::int64_t>(filter.limit.value_or(1000)));
    DUROXIDE_TRY_ASSIGN(found, collect_texts(stmt));
    roots = std::move(found);
  }
  DeleteInstanceResult total;
  for (const auto& root : roots) {
    // One transaction per tree (docs/storage.md), not across the batch.
    DUROXIDE_TRY_ASSIGN(tree, get_instance_tree(root));
    DUROXIDE_TRY_ASSIGN(deleted, delete_instances_atomic(tree.all_ids, true));
    total += deleted;
  }
  return total;
}

ProviderResult<PruneResult> SqliteProvider::prune_executions(const std::string& instance, const PruneOptions& options) {
  constexpr std::string_view op = "prune_executions";
  auto& s = *store_;
  std::lock_guard lock(s.mutex);
  DUROXIDE_TRY_ASSIGN(tx, Transaction::begin(*s.db, op));
  std::uint64_t current = 0;
  {
    DUROXIDE_TRY_ASSIGN(stmt, s.statement(op, "SELECT current_execution_id FROM instances WHERE instance_id = ?1"));
    stmt.bind(1, instance);
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) return std::unexpected(not_found(op, instance));
    current = stmt.uint64(0);
  }
  struct Row {
    std::uint64_t id;
    std::string status;
    std::optional<std::int64_t> completed_at;
  };
  std::vector<Row> executions;  // newest first
  {
    DUROXIDE_TRY_ASSIGN(stmt, s.statement(op,
                                          "SELECT execution_id, status, completed_at FROM executions WHERE "
                                          "instance_id = ?1 ORDER BY execution_id DESC"));
    stmt.bind(1, instance);
    for (;;) {
      DUROXIDE_TRY_ASSIGN(row, stmt.step());
      if (!row) break;
      executions.push_back({stmt.uint64(0), stmt.text(1), stmt.timestamp_ms(2)});
    }
  }
  PruneResult result;
  result.instances_processed = 1;
  for (std::size_t rank = 0; rank < executions.size(); ++rank) {
    const auto& execution = executions[rank];
    if (execution.id == current || execution.status == to_string(ExecutionStatus::Running)) continue;
    if (options.keep_last && rank < *options.keep_last) continue;
    if (options.completed_before_ms &&
        !(execution.completed_at &&
          *execution.completed_at < static_cast<std::int64_t>(*options.completed_before_ms))) {
      continue;
    }
    DUROXIDE_TRY_ASSIGN(remove_history,
                        s.statement(op, "DELETE FROM history WHERE instance_id = ?1 AND execution_id = ?2"));
    remove_history.bind(1, instance).bind(2, execution.id);
    DUROXIDE_TRY_ASSIGN(events, remove_history.run());
    DUROXIDE_TRY_ASSIGN(remove_execution, s.statement(op,
                                                      "DELETE FROM executions WHERE instance_id = ?1 AND "
                                                      "execution_id = ?2"));
    remove_execution.bind(1, instance).bind(2, execution.id);
    DUROXIDE_TRY(remove_execution.run());
    result.events_deleted += static_cast<std::uint64_t>(events);
    result.executions_deleted += 1;
  }
  DUROXIDE_TRY(tx.commit());
  return result;
}

ProviderResult<PruneResult> SqliteProvider::prune_executions_bulk(const InstanceFilter& filter,
                                                                  const PruneOptions& options) {
  constexpr std::string_view op = "prune_executions_bulk";
  if (filter.instance_ids && filter.instance_ids->empty()) return PruneResult{};
  std::vector<std::string> instances;
  {
    std::lock_guard lock(store_->mutex);
    DUROXIDE_TRY(fill_id_table(*store_, op, "bulk_ids", filter.instance_ids.value_or(std::vector<std::string>{})));
    DUROXIDE_TRY_ASSIGN(stmt, store_->statement(op, fmt::format("SELECT i.instance_id {} WHERE (?1 = 0 OR "
                                                                "i.instance_id IN (SELECT id FROM temp.bulk_ids)) "
                                                                "AND (?2 IS NULL OR e.completed_at < ?2) ORDER BY "
                                                                "i.created_at, i.rowid LIMIT ?3",
                                                                kCurrentExecutionJoin)));
    stmt.bind(1, filter.instance_ids ? 1 : 0).bind(2, filter.completed_before_ms);
    stmt.bind(3, static_cast<std::int64_t>(filter.limit.value_or(1000)));
    DUROXIDE_TRY_ASSIGN(found, collect_texts(stmt));
    instances = std::move(found);
  }
  PruneResult total;
  for (const auto& instance : instances) {
    DUROXIDE_TRY_ASSIGN(pruned, prune_executions(instance, options));
    total += pruned;
  }
  return total;
}

}  // namespace duroxide
