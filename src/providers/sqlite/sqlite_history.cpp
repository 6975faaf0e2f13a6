#include "providers/sqlite/sqlite_history.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "providers/input_validation.hpp"

namespace duroxide::sqlite_detail {

namespace {

ProviderResult<std::uint64_t> last_row_event_id(SqliteProvider::Store& s, std::string_view operation,
                                                const std::string& instance, std::uint64_t execution_id) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "SELECT COALESCE(MAX(event_id), 0) FROM history WHERE instance_id = ?1 AND "
                                        "execution_id = ?2"));
  stmt.bind(1, instance).bind(2, execution_id);
  DUROXIDE_TRY(stmt.step());
  return stmt.uint64(0);
}

/// Decodes the rows from `from_event_id` on. Nothing (no value) when `must_start_at_from` and the
/// first row is not `from_event_id`: the caller's copy does not match this history.
ProviderResult<std::optional<LoadedHistory>> load_rows(SqliteProvider::Store& s, std::string_view operation,
                                                       const std::string& instance, std::uint64_t execution_id,
                                                       std::uint64_t from_event_id, bool must_start_at_from) {
  DUROXIDE_TRY_ASSIGN(stmt, s.statement(operation,
                                        "SELECT event_id, event_data FROM history WHERE instance_id = ?1 "
                                        "AND execution_id = ?2 AND event_id >= ?3 ORDER BY event_id"));
  stmt.bind(1, instance).bind(2, execution_id).bind(3, from_event_id);
  LoadedHistory loaded;
  for (bool first = true;; first = false) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    const auto event_id = stmt.uint64(0);
    if (first && must_start_at_from && event_id != from_event_id) return std::optional<LoadedHistory>();
    auto event = decode_history_row(stmt.text(1), event_id, execution_id);
    if (!event) {
      LoadedHistory failed;
      failed.decode_error = fmt::format("history deserialization failed for instance '{}' execution {} event {}: {}",
                                        instance, execution_id, event_id, event.error());
      DUROXIDE_TRY_ASSIGN(last, last_row_event_id(s, operation, instance, execution_id));
      failed.last_row_event_id = last;
      return std::optional<LoadedHistory>(std::move(failed));
    }
    loaded.events.push_back(std::move(*event));
    loaded.last_row_event_id = event_id;
  }
  if (must_start_at_from && loaded.events.empty()) return std::optional<LoadedHistory>();
  return std::optional<LoadedHistory>(std::move(loaded));
}

}  // namespace

ProviderResult<LoadedHistory> load_history(SqliteProvider::Store& s, std::string_view operation,
                                           const std::string& instance, std::uint64_t execution_id,
                                           std::uint64_t known_last_event_id) {
  if (known_last_event_id > 0) {
    DUROXIDE_TRY_ASSIGN(tail, load_rows(s, operation, instance, execution_id, known_last_event_id, true));
    if (tail) {
      tail->continues_from = tail->decode_error ? 0 : known_last_event_id;
      return std::move(*tail);
    }
  }
  DUROXIDE_TRY_ASSIGN(all, load_rows(s, operation, instance, execution_id, 0, false));
  return std::move(*all);
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
