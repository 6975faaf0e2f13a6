// PostgresProvider: history access, custom status, KV reads and per-instance stats.
#include <fmt/format.h>

#include <duroxide/constants.hpp>
#include <duroxide/wire.hpp>

#include "providers/input_validation.hpp"
#include "providers/postgres/pg_ops.hpp"

namespace duroxide {

using pg_detail::num;

namespace pg_detail {

ProviderResult<std::uint64_t> latest_execution(PostgresProvider::Store& s, std::string_view op,
                                               const std::string& instance) {
  DUROXIDE_PG_TRY_ASSIGN(res, call(s, op,
                                   "SELECT GREATEST((SELECT MAX(execution_id) FROM executions WHERE instance_id = $1), "
                                   "(SELECT MAX(execution_id) FROM history WHERE instance_id = $1))",
                                   {instance}));
  if (res.rows() == 0 || res.is_null(0, 0)) return kInitialExecutionId;
  return res.uint64(0, 0);
}

ProviderResult<std::vector<Event>> read_execution(PostgresProvider::Store& s, std::string_view op,
                                                  const std::string& instance, std::uint64_t execution_id) {
  DUROXIDE_PG_TRY_ASSIGN(res, call(s, op,
                                   "SELECT event_id, event_data FROM history WHERE instance_id = $1 AND execution_id = "
                                   "$2::bigint ORDER BY event_id",
                                   {instance, num(execution_id)}));
  std::vector<std::pair<std::uint64_t, std::string>> rows;
  for (int r = 0; r < res.rows(); ++r) rows.emplace_back(res.uint64(r, 0), res.text(r, 1));
  auto loaded = decode_history(instance, execution_id, rows);
  if (loaded.decode_error) {
    return std::unexpected(ProviderError::permanent(std::string(op), std::move(*loaded.decode_error)));
  }
  return std::move(loaded.events);
}

/// Committed KV overlaid with the running execution's delta.
ProviderResult<std::map<std::string, std::string>> kv_client_view(PostgresProvider::Store& s, std::string_view op,
                                                                  const std::string& instance) {
  DUROXIDE_PG_TRY_ASSIGN(res, call(s, op,
                                   "SELECT key, value FROM (SELECT key, value FROM kv_delta WHERE instance_id = $1 "
                                   "UNION ALL SELECT k.key, k.value FROM kv_store k WHERE k.instance_id = $1 AND NOT "
                                   "EXISTS (SELECT 1 FROM kv_delta d WHERE d.instance_id = $1 AND d.key = k.key)) v "
                                   "WHERE value IS NOT NULL",
                                   {instance}));
  std::map<std::string, std::string> values;
  for (int r = 0; r < res.rows(); ++r) values[res.text(r, 0)] = pg_detail::decode_stored_text(res.text(r, 1));
  return values;
}

}  // namespace pg_detail

ProviderResult<std::vector<Event>> PostgresProvider::read(const std::string& instance) {
  constexpr std::string_view op = "read";
  DUROXIDE_PG_TRY_ASSIGN(execution, pg_detail::latest_execution(*store_, op, instance));
  return pg_detail::read_execution(*store_, op, instance, execution);
}

ProviderResult<std::vector<Event>> PostgresProvider::read_with_execution(const std::string& instance,
                                                                         std::uint64_t execution_id) {
  return pg_detail::read_execution(*store_, "read_with_execution", instance, execution_id);
}

ProviderResult<std::optional<InstanceStatusRecord>> PostgresProvider::get_instance_status(const std::string& instance) {
  constexpr std::string_view op = "get_instance_status";
  // One round trip: the metadata rows, and for a failed execution its OrchestrationFailed event
  // (docs/storage.md, "Status without history").
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, op,
                                              "SELECT i.current_execution_id, e.status, e.output, i.custom_status, "
                                              "i.custom_status_version, CASE WHEN e.status = 'Failed' THEN (SELECT "
                                              "h.event_data FROM history h WHERE h.instance_id = i.instance_id AND "
                                              "h.execution_id = i.current_execution_id AND h.event_type = "
                                              "'OrchestrationFailed' ORDER BY h.event_id DESC LIMIT 1) END "
                                              "FROM instances i LEFT JOIN executions e ON e.instance_id = "
                                              "i.instance_id AND e.execution_id = i.current_execution_id WHERE "
                                              "i.instance_id = $1",
                                              {instance}));
  if (res.rows() == 0) return std::optional<InstanceStatusRecord>();
  // An instance row without its execution row, or with a status we do not know: the history says
  // (the default).
  const auto status = res.is_null(0, 1) ? std::nullopt : parse_execution_status(res.text(0, 1));
  if (!status) return Provider::get_instance_status(instance);
  InstanceStatusRecord record;
  record.status = *status;
  if ((*status == ExecutionStatus::Completed || *status == ExecutionStatus::Terminated ||
       *status == ExecutionStatus::Suspended) &&
      !res.is_null(0, 2))
    record.output = pg_detail::decode_stored_text(res.text(0, 2));
  if (!res.is_null(0, 3)) record.custom_status = pg_detail::decode_stored_text(res.text(0, 3));
  record.custom_status_version = res.uint64(0, 4);
  if (*status == ExecutionStatus::Failed) {
    const auto execution = res.uint64(0, 0);
    if (res.is_null(0, 5)) {
      return std::unexpected(ProviderError::permanent(
          std::string(op), fmt::format("instance '{}' execution {} is Failed but its history has no "
                                       "OrchestrationFailed event",
                                       instance, execution)));
    }
    auto event = parse_event(res.text(0, 5));
    const auto* failed = event ? event->get_if<events::OrchestrationFailed>() : nullptr;
    if (failed == nullptr) {
      return std::unexpected(ProviderError::permanent(
          std::string(op), fmt::format("the OrchestrationFailed event of instance '{}' execution {} does not "
                                       "decode: {}",
                                       instance, execution, event ? "it holds another kind" : event.error())));
    }
    record.failure = failed->details;
  }
  return std::optional<InstanceStatusRecord>(std::move(record));
}

ProviderResult<std::optional<CustomStatusSnapshot>> PostgresProvider::get_custom_status(
    const std::string& instance, std::uint64_t last_seen_version) {
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, "get_custom_status",
                                              "SELECT custom_status, custom_status_version FROM instances WHERE "
                                              "instance_id = $1 AND custom_status_version > $2::bigint",
                                              {instance, num(last_seen_version)}));
  if (res.rows() == 0) return std::optional<CustomStatusSnapshot>();
  return std::optional<CustomStatusSnapshot>(
      CustomStatusSnapshot{pg_detail::decode_stored_optional(res.optional_text(0, 0)), res.uint64(0, 1)});
}

ProviderResult<std::optional<std::string>> PostgresProvider::get_kv_value(const std::string& instance,
                                                                          const std::string& key) {
  // The delta wins (NULL there is a tombstone: cleared in this execution).
  DUROXIDE_PG_TRY_ASSIGN(res,
                         pg_detail::call(*store_, "get_kv_value",
                                         "SELECT value, 0 AS rank FROM kv_delta WHERE instance_id = $1 AND key = $2 "
                                         "UNION ALL SELECT value, 1 FROM kv_store WHERE instance_id = $1 AND key = "
                                         "$2 ORDER BY rank LIMIT 1",
                                         {instance, key}));
  if (res.rows() == 0) return std::optional<std::string>();
  return pg_detail::decode_stored_optional(res.optional_text(0, 0));
}

ProviderResult<std::map<std::string, std::string>> PostgresProvider::get_kv_all_values(const std::string& instance) {
  return pg_detail::kv_client_view(*store_, "get_kv_all_values", instance);
}

ProviderResult<std::optional<SystemStats>> PostgresProvider::get_instance_stats(const std::string& instance) {
  constexpr std::string_view op = "get_instance_stats";
  DUROXIDE_PG_TRY_ASSIGN(res,
                         pg_detail::call(*store_, op,
                                         "SELECT (SELECT COUNT(*) FROM history h WHERE h.instance_id = i.instance_id "
                                         "AND h.execution_id = i.current_execution_id), (SELECT "
                                         "COALESCE(SUM(octet_length(event_data)), 0) FROM history h WHERE "
                                         "h.instance_id = i.instance_id AND h.execution_id = "
                                         "i.current_execution_id), (SELECT event_data FROM history h WHERE "
                                         "h.instance_id = i.instance_id AND h.execution_id = "
                                         "i.current_execution_id AND h.event_id = 1) FROM instances i WHERE "
                                         "i.instance_id = $1",
                                         {instance}));
  if (res.rows() == 0) return std::optional<SystemStats>();
  SystemStats stats;
  stats.history_event_count = res.uint64(0, 0);
  stats.history_size_bytes = res.uint64(0, 1);
  if (!res.is_null(0, 2)) {
    // A corrupt first event only loses this figure; the stats stay readable.
    if (auto event = parse_event(res.text(0, 2))) {
      if (const auto* started = event->get_if<events::OrchestrationStarted>()) {
        stats.queue_pending_count = started->carry_forward_events.size();
      }
    }
  }
  DUROXIDE_PG_TRY_ASSIGN(kv, pg_detail::kv_client_view(*store_, op, instance));
  stats.kv_user_key_count = kv.size();
  for (const auto& [key, value] : kv) stats.kv_total_value_bytes += value.size();
  return std::optional<SystemStats>(stats);
}

}  // namespace duroxide
