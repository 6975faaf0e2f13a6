#include "providers/sqlite/sqlite_history.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "providers/input_validation.hpp"

namespace duroxide::sqlite_detail {

ProviderResult<LoadedHistory> load_history(SqliteProvider::Store& s, std::string_view operation,
                                           const std::string& instance, std::uint64_t execution_id) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "SELECT event_id, event_data FROM history WHERE instance_id = ?1 AND "
                                        "execution_id = ?2 ORDER BY event_id"));
  stmt.bind(1, instance).bind(2, execution_id);
  LoadedHistory loaded;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    auto event = parse_event(stmt.text(1));
    if (!event) {
      loaded.events.clear();
      loaded.decode_error = fmt::format("history deserialization failed for instance '{}' execution {} event {}: {}",
                                        instance, execution_id, stmt.int64(0), event.error());
      break;
    }
    loaded.events.push_back(std::move(*event));
  }
  return loaded;
}

ProviderResult<std::optional<std::uint64_t>> latest_history_execution(SqliteProvider::Store& s,
                                                                      std::string_view operation,
                                                                      const std::string& instance) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation, "SELECT MAX(execution_id) FROM history WHERE instance_id = ?1"));
  stmt.bind(1, instance);
  DUROXIDE_TRY_ASSIGN(row, stmt.step());
  if (!row || stmt.is_null(0)) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(stmt.uint64(0));
}

ProviderResult<void> append_events(SqliteProvider::Store& s, std::string_view operation, const std::string& instance,
                                   std::uint64_t execution_id, const std::vector<Event>& events) {
  const auto now = SqliteProvider::Store::now_ms();
  for (const auto& event : events) {
    DUROXIDE_TRY(providers::validate_event(operation, event));
    const std::string json = serialize_event(event);
    DUROXIDE_TRY(providers::validate_payload_size(operation, fmt::format("event {}", event.event_id), json.size(),
                                                  s.options.max_payload_bytes));
    DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                          "INSERT INTO history (instance_id, execution_id, event_id, event_type, "
                                          "event_data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    stmt.bind(1, instance).bind(2, execution_id).bind(3, event.event_id).bind(4, event.type_name()).bind(5, json);
    stmt.bind(6, now);
    auto inserted = stmt.run();
    if (!inserted) {
      if (sqlite3_extended_errcode(s.db->handle()) == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return std::unexpected(ProviderError::permanent(
            std::string(operation), fmt::format("duplicate event id {} in instance '{}' execution {}", event.event_id,
                                                instance, execution_id)));
      }
      return std::unexpected(inserted.error());
    }
  }
  return {};
}

}  // namespace duroxide::sqlite_detail
