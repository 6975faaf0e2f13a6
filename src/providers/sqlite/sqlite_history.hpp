#pragma once
// History rows of the SQLite store: loading an execution (decode failures reported, never
// dropped) and appending events verbatim. Mutex held by the caller.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/row_codec.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::sqlite_detail {

struct LoadedHistory {
  std::vector<Event> events;
  /// Set when a row cannot be decoded, or holds an event whose own event id or execution id
  /// disagrees with the row's; events is then empty.
  std::optional<std::string> decode_error;
  /// Highest event_id column among the execution's rows (0 when none), also on decode_error.
  std::uint64_t last_row_event_id = 0;
  /// Nonzero: `events` starts at this event id, the last one the fetching caller holds.
  std::uint64_t continues_from = 0;
};

/// The execution's events for a fetch (mutex held): from `known_last_event_id` on when a row of
/// that id exists (docs/storage.md, "Delta fetch"), else all of them.
ProviderResult<LoadedHistory> load_history(SqliteProvider::Store& s, std::string_view operation,
                                           const std::string& instance, std::uint64_t execution_id,
                                           std::uint64_t known_last_event_id);
/// Highest execution id that has history rows, if any.
ProviderResult<std::optional<std::uint64_t>> latest_history_execution(SqliteProvider::Store& s,
                                                                      std::string_view operation,
                                                                      const std::string& instance);
// Encoding to JSON is the costliest part of a write and needs no lock: writers encode (and
// size-check) before they take the store's mutex, then insert the text.

using providers::decode_history_row;
using providers::encode_events;
using providers::encode_work_item;
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
