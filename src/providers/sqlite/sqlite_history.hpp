#pragma once
// History rows of the SQLite store: loading an execution (decode failures reported, never
// dropped) and appending events verbatim. Mutex held by the caller.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::sqlite_detail {

struct LoadedHistory {
  std::vector<Event> events;
  /// Set when a row cannot be decoded, or holds an event whose own event id or execution id
  /// disagrees with the row's; events is then empty.
  std::optional<std::string> decode_error;
  /// Highest event_id column among the execution's rows (0 when none), also on decode_error.
  std::uint64_t last_row_event_id = 0;
};

/// The event a history row of `execution_id` holds, or why it cannot be used: text that does not
/// decode, or an event whose own event id or execution id disagrees with the row's.
std::expected<Event, std::string> decode_history_row(const std::string& text, std::uint64_t row_event_id,
                                                     std::uint64_t execution_id);

/// The execution's events through the writer's parsed-history cache (mutex held): the fetch path.
ProviderResult<LoadedHistory> load_history(SqliteProvider::Store& s, std::string_view operation,
                                           const std::string& instance, std::uint64_t execution_id);
/// Highest execution id that has history rows, if any.
ProviderResult<std::optional<std::uint64_t>> latest_history_execution(SqliteProvider::Store& s,
                                                                      std::string_view operation,
                                                                      const std::string& instance);
// Encoding to JSON is the costliest part of a write and needs no lock: writers encode (and
// size-check) before they take the store's mutex, then insert the text.

/// The events' JSON, in order; id 0 or an oversize event is a permanent error. No lock needed.
ProviderResult<std::vector<std::string>> encode_events(std::string_view operation, const std::vector<Event>& events,
                                                       std::size_t max_payload_bytes);
/// The work item's JSON; an oversize item is a permanent error. No lock needed.
ProviderResult<std::string> encode_work_item(std::string_view operation, const WorkItem& item,
                                             std::size_t max_payload_bytes);
/// Inserts the events (`json` from encode_events) under (instance, execution_id); a duplicate id is
/// a permanent error (the caller's transaction rolls back).
ProviderResult<void> append_events(SqliteProvider::Store& s, std::string_view operation, const std::string& instance,
                                   std::uint64_t execution_id, const std::vector<Event>& events,
                                   const std::vector<std::string>& json);
/// Inserts a message (`json` from encode_work_item) into the orchestrator queue, visible at
/// `visible_at` (epoch ms).
ProviderResult<void> insert_orchestrator_message(SqliteProvider::Store& s, std::string_view operation,
                                                 const WorkItem& item, const std::string& json,
                                                 std::int64_t visible_at);
/// Inserts an ActivityExecute (`json` from encode_work_item) into the worker queue, visible now.
ProviderResult<void> insert_activity(SqliteProvider::Store& s, std::string_view operation, const WorkItem& item,
                                     const std::string& json);

}  // namespace duroxide::sqlite_detail
