#include "providers/sqlite/sqlite_history.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "providers/input_validation.hpp"

namespace duroxide::sqlite_detail {

namespace {

/// True when the cached entry's last row is still the one it was built from.
ProviderResult<bool> cached_prefix_intact(SqliteProvider::Store& s, std::string_view operation,
                                          const std::string& instance, std::uint64_t execution_id,
                                          const HistoryCache::Entry& entry) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "SELECT created_at, event_data FROM history WHERE instance_id = ?1 AND "
                                        "execution_id = ?2 AND event_id = ?3"));
  stmt.bind(1, instance).bind(2, execution_id).bind(3, entry.last_event_id);
  DUROXIDE_TRY_ASSIGN(row, stmt.step());
  return row && stmt.timestamp_ms(0).value_or(0) == entry.last_created_at && stmt.text(1) == entry.last_event_data;
}

ProviderResult<std::uint64_t> last_row_event_id(SqliteProvider::Store& s, std::string_view operation,
                                                const std::string& instance, std::uint64_t execution_id) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "SELECT COALESCE(MAX(event_id), 0) FROM history WHERE instance_id = ?1 AND "
                                        "execution_id = ?2"));
  stmt.bind(1, instance).bind(2, execution_id);
  DUROXIDE_TRY(stmt.step());
  return stmt.uint64(0);
}

}  // namespace

ProviderResult<LoadedHistory> load_history(SqliteProvider::Store& s, std::string_view operation,
                                           const std::string& instance, std::uint64_t execution_id) {
  HistoryCache::Entry fresh;
  HistoryCache::Entry* entry = s.history_cache.find(instance, execution_id);
  if (entry != nullptr) {
    DUROXIDE_TRY_ASSIGN(intact, cached_prefix_intact(s, operation, instance, execution_id, *entry));
    if (!intact) {
      s.history_cache.erase(instance, execution_id);
      entry = nullptr;
    }
  }
  if (entry == nullptr) entry = &fresh;

  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "SELECT event_id, event_data, created_at FROM history WHERE instance_id = ?1 "
                                        "AND execution_id = ?2 AND event_id > ?3 ORDER BY event_id"));
  stmt.bind(1, instance).bind(2, execution_id).bind(3, entry->last_event_id);
  const bool cached = entry != &fresh;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    std::string text = stmt.text(1);
    auto event = decode_history_row(text, stmt.uint64(0), execution_id);
    if (!event) {
      if (cached) s.history_cache.erase(instance, execution_id);
      LoadedHistory failed;
      failed.decode_error = fmt::format("history deserialization failed for instance '{}' execution {} event {}: {}",
                                        instance, execution_id, stmt.int64(0), event.error());
      DUROXIDE_TRY_ASSIGN(last, last_row_event_id(s, operation, instance, execution_id));
      failed.last_row_event_id = last;
      return failed;
    }
    entry->events.push_back(std::move(*event));
    entry->last_event_id = stmt.uint64(0);
    entry->last_created_at = stmt.timestamp_ms(2).value_or(0);
    entry->last_event_data = std::move(text);
  }
  LoadedHistory loaded;
  loaded.events = entry->events;
  loaded.last_row_event_id = entry->last_event_id;
  if (!cached && !fresh.events.empty()) s.history_cache.put(instance, execution_id, std::move(fresh));
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
                                   std::uint64_t execution_id, const std::vector<Event>& events,
                                   const std::vector<std::string>& encoded) {
  const auto now = SqliteProvider::Store::now_ms();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& event = events[i];
    const auto& json = encoded[i];
    DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                          "INSERT INTO history (instance_id, execution_id, event_id, event_type, "
                                          "event_data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    stmt.bind(1, instance).bind(2, execution_id).bind(3, event.event_id).bind(4, event.type_name()).bind(5, json);
    stmt.bind(6, now);
    auto inserted = stmt.run();
    if (!inserted) {
      if (sqlite3_extended_errcode(s.db->handle()) == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return std::unexpected(ProviderError::permanent(
            std::string(operation),
            fmt::format("duplicate event id {} in instance '{}' execution {}", event.event_id, instance, execution_id),
            ProviderErrorKind::DuplicateEvent));
      }
      return std::unexpected(inserted.error());
    }
  }
  return {};
}

}  // namespace duroxide::sqlite_detail
