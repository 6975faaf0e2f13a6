// SqliteProvider: history access, custom status, KV reads and per-instance stats (docs/storage.md).
#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "providers/input_validation.hpp"
#include "providers/sqlite/sqlite_history.hpp"
#include "providers/sqlite/sqlite_store.hpp"

#include <duroxide/constants.hpp>

namespace duroxide {

namespace sqlite_detail {

/// Highest execution id known for the instance (execution rows or history rows); 1 when none.
ProviderResult<std::uint64_t> latest_execution(ReadLease& s, std::string_view operation, const std::string& instance) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "SELECT MAX(x) FROM (SELECT MAX(execution_id) AS x FROM executions WHERE "
                                        "instance_id = ?1 UNION ALL SELECT MAX(execution_id) FROM history WHERE "
                                        "instance_id = ?1)"));
  stmt.bind(1, instance);
  DUROXIDE_TRY_ASSIGN(row, stmt.step());
  if (!row || stmt.is_null(0)) return kInitialExecutionId;
  return stmt.uint64(0);
}

/// Decodes the execution's history rows on a read connection, oldest first (or newest first), and
/// hands each event to `visit` until it returns true; an undecodable row is a permanent error.
template <class Visit>
ProviderResult<void> scan_execution(ReadLease& s, std::string_view operation, const std::string& instance,
                                    std::uint64_t execution_id, bool newest_first, Visit visit) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation, fmt::format("SELECT event_id, event_data FROM history WHERE "
                                                               "instance_id = ?1 AND execution_id = ?2 ORDER BY "
                                                               "event_id {}",
                                                               newest_first ? "DESC" : "ASC")));
  stmt.bind(1, instance).bind(2, execution_id);
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) return {};
    auto event = decode_history_row(stmt.text(1), stmt.uint64(0), execution_id);
    if (!event) {
      return std::unexpected(ProviderError::permanent(
          std::string(operation),
          fmt::format("history deserialization failed for instance '{}' execution {} event {}: {}", instance,
                      execution_id, stmt.int64(0), event.error())));
    }
    if (visit(std::move(*event))) return {};
  }
}

/// History of one execution, read on its own connection without the writer's cache (docs/storage.md,
/// "Reads do not wait for the writer"); an undecodable row is a permanent error, never a partial list.
ProviderResult<std::vector<Event>> read_execution(ReadLease& s, std::string_view operation, const std::string& instance,
                                                  std::uint64_t execution_id) {
  std::vector<Event> events;
  DUROXIDE_TRY(scan_execution(s, operation, instance, execution_id, false, [&](Event event) {
    events.push_back(std::move(event));
    return false;
  }));
  return events;
}

/// The details of the execution's OrchestrationFailed event (normally its last one).
ProviderResult<ErrorDetails> failure_details(ReadLease& s, std::string_view operation, const std::string& instance,
                                             std::uint64_t execution_id) {
  std::optional<ErrorDetails> details;
  DUROXIDE_TRY(scan_execution(s, operation, instance, execution_id, true, [&](Event event) {
    if (const auto* failed = event.get_if<events::OrchestrationFailed>()) details = failed->details;
    return details.has_value();
  }));
  if (details) return std::move(*details);
  return std::unexpected(ProviderError::permanent(
      std::string(operation),
      fmt::format("instance '{}' execution {} is Failed but its history has no OrchestrationFailed event", instance,
                  execution_id)));
}

/// Committed KV overlaid with the running execution's delta (docs/storage.md).
ProviderResult<std::map<std::string, std::string>> kv_client_view(ReadLease& s, std::string_view operation,
                                                                  const std::string& instance) {
  std::map<std::string, std::string> values;
  {
    DUROXIDE_TRY_ASSIGN(store, s.statement(operation, "SELECT key, value FROM kv_store WHERE instance_id = ?1"));
    store.bind(1, instance);
    for (;;) {
      DUROXIDE_TRY_ASSIGN(row, store.step());
      if (!row) break;
      values[store.text(0)] = store.text(1);
    }
  }
  DUROXIDE_TRY_ASSIGN(delta, s.statement(operation, "SELECT key, value FROM kv_delta WHERE instance_id = ?1"));
  delta.bind(1, instance);
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, delta.step());
    if (!row) break;
    if (delta.is_null(1)) {
      values.erase(delta.text(0));
    } else {
      values[delta.text(0)] = delta.text(1);
    }
  }
  return values;
}

}  // namespace sqlite_detail

ProviderResult<std::vector<Event>> SqliteProvider::read(const std::string& instance) {
  constexpr std::string_view op = "read";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(execution, sqlite_detail::latest_execution(reader, op, instance));
  return sqlite_detail::read_execution(reader, op, instance, execution);
}

ProviderResult<std::vector<Event>> SqliteProvider::read_with_execution(const std::string& instance,
                                                                       std::uint64_t execution_id) {
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  return sqlite_detail::read_execution(reader, "read_with_execution", instance, execution_id);
}

ProviderResult<std::optional<InstanceStatusRecord>> SqliteProvider::get_instance_status(const std::string& instance) {
  constexpr std::string_view op = "get_instance_status";
  {
    DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
    DUROXIDE_TRY_ASSIGN(stmt, reader.statement(op,
                                               "SELECT i.current_execution_id, e.status, e.output, i.custom_status, "
                                               "i.custom_status_version FROM instances i LEFT JOIN executions e ON "
                                               "e.instance_id = i.instance_id AND e.execution_id = "
                                               "i.current_execution_id WHERE i.instance_id = ?1"));
    stmt.bind(1, instance);
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) return std::optional<InstanceStatusRecord>();
    if (auto status = stmt.is_null(1) ? std::nullopt : parse_execution_status(stmt.text(1))) {
      const auto execution = stmt.uint64(0);
      InstanceStatusRecord record;
      record.status = *status;
      record.custom_status = stmt.optional_text(3);
      record.custom_status_version = stmt.uint64(4);
      if (*status == ExecutionStatus::Completed || *status == ExecutionStatus::Terminated ||
          *status == ExecutionStatus::Suspended) {
        record.output = stmt.optional_text(2);
      }
      if (*status == ExecutionStatus::Failed) {
        DUROXIDE_TRY_ASSIGN(details, sqlite_detail::failure_details(reader, op, instance, execution));
        record.failure = std::move(details);
      }
      return std::optional<InstanceStatusRecord>(std::move(record));
    }
  }
  // An instance row without its execution row, or with a status we do not know (a store written by
  // other means): the history says.
  return Provider::get_instance_status(instance);
}

ProviderResult<std::optional<CustomStatusSnapshot>> SqliteProvider::get_custom_status(const std::string& instance,
                                                                                      std::uint64_t last_seen_version) {
  constexpr std::string_view op = "get_custom_status";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement(op,
                                             "SELECT custom_status, custom_status_version FROM instances WHERE "
                                             "instance_id = ?1 AND custom_status_version > ?2"));
  stmt.bind(1, instance).bind(2, last_seen_version);
  DUROXIDE_TRY_ASSIGN(row, stmt.step());
  if (!row) return std::optional<CustomStatusSnapshot>();
  return std::optional<CustomStatusSnapshot>(CustomStatusSnapshot{stmt.optional_text(0), stmt.uint64(1)});
}

ProviderResult<std::optional<std::string>> SqliteProvider::get_kv_value(const std::string& instance,
                                                                        const std::string& key) {
  constexpr std::string_view op = "get_kv_value";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  {
    DUROXIDE_TRY_ASSIGN(delta, reader.statement(op, "SELECT value FROM kv_delta WHERE instance_id = ?1 AND key = ?2"));
    delta.bind(1, instance).bind(2, key);
    DUROXIDE_TRY_ASSIGN(row, delta.step());
    if (row) return delta.optional_text(0);  // NULL is a tombstone: cleared in this execution
  }
  DUROXIDE_TRY_ASSIGN(committed,
                      reader.statement(op, "SELECT value FROM kv_store WHERE instance_id = ?1 AND key = ?2"));
  committed.bind(1, instance).bind(2, key);
  DUROXIDE_TRY_ASSIGN(row, committed.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(committed.text(0));
}

ProviderResult<std::map<std::string, std::string>> SqliteProvider::get_kv_all_values(const std::string& instance) {
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  return sqlite_detail::kv_client_view(reader, "get_kv_all_values", instance);
}

ProviderResult<std::optional<SystemStats>> SqliteProvider::get_instance_stats(const std::string& instance) {
  constexpr std::string_view op = "get_instance_stats";
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  std::uint64_t execution = 0;
  {
    DUROXIDE_TRY_ASSIGN(row_stmt, reader.statement(op,
                                                   "SELECT current_execution_id FROM instances WHERE "
                                                   "instance_id = ?1"));
    row_stmt.bind(1, instance);
    DUROXIDE_TRY_ASSIGN(row, row_stmt.step());
    if (!row) return std::optional<SystemStats>();
    execution = row_stmt.uint64(0);
  }
  SystemStats stats;
  {
    DUROXIDE_TRY_ASSIGN(size, reader.statement(op,
                                               "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(event_data AS BLOB))), 0) "
                                               "FROM history WHERE instance_id = ?1 AND execution_id = ?2"));
    size.bind(1, instance).bind(2, execution);
    DUROXIDE_TRY(size.step());
    stats.history_event_count = size.uint64(0);
    stats.history_size_bytes = size.uint64(1);
  }
  {
    DUROXIDE_TRY_ASSIGN(first, reader.statement(op,
                                                "SELECT event_data FROM history WHERE instance_id = ?1 AND "
                                                "execution_id = ?2 AND event_id = 1"));
    first.bind(1, instance).bind(2, execution);
    DUROXIDE_TRY_ASSIGN(row, first.step());
    if (row) {
      // A corrupt first event only loses this figure; the stats stay readable.
      if (auto event = parse_event(first.text(0))) {
        if (const auto* started = event->get_if<events::OrchestrationStarted>()) {
          stats.queue_pending_count = started->carry_forward_events.size();
        }
      }
    }
  }
  DUROXIDE_TRY_ASSIGN(kv, sqlite_detail::kv_client_view(reader, op, instance));
  stats.kv_user_key_count = kv.size();
  for (const auto& [key, value] : kv) stats.kv_total_value_bytes += value.size();
  return std::optional<SystemStats>(stats);
}

}  // namespace duroxide
