#pragma once
// History rows of the SQLite store: loading an execution (decode failures reported, never
// dropped) and appending events verbatim. Mutex held by the caller.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::sqlite_detail {

struct LoadedHistory {
  std::vector<Event> events;
  /// Set when a row cannot be decoded; events is then empty.
  std::optional<std::string> decode_error;
};

ProviderResult<LoadedHistory> load_history(SqliteProvider::Store& s, std::string_view operation,
                                           const std::string& instance, std::uint64_t execution_id);
/// Highest execution id that has history rows, if any.
ProviderResult<std::optional<std::uint64_t>> latest_history_execution(SqliteProvider::Store& s,
                                                                      std::string_view operation,
                                                                      const std::string& instance);
/// Inserts the events under (instance, execution_id); id 0, a duplicate id or an oversize event is
/// a permanent error (the caller's transaction rolls back).
ProviderResult<void> append_events(SqliteProvider::Store& s, std::string_view operation, const std::string& instance,
                                   std::uint64_t execution_id, const std::vector<Event>& events);
/// Inserts a message into the orchestrator queue, visible at `visible_at` (epoch ms).
ProviderResult<void> insert_orchestrator_message(SqliteProvider::Store& s, std::string_view operation,
                                                 const WorkItem& item, std::int64_t visible_at);
/// Inserts an ActivityExecute into the worker queue, visible now.
ProviderResult<void> insert_activity(SqliteProvider::Store& s, std::string_view operation, const WorkItem& item);

}  // namespace duroxide::sqlite_detail
