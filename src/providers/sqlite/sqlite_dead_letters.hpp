#pragma once
// Dead letters of the SQLite store: the raw text of a queue row that cannot be processed is copied
// here before the row is consumed, so nothing is lost (docs/failure-modes-corrupt-rows.md). Mutex
// held by the caller.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide::sqlite_detail {

inline constexpr std::string_view kOrchestratorQueue = "orchestrator_queue";
inline constexpr std::string_view kWorkerQueue = "worker_queue";

/// A queue row as read, with what is wrong with it.
struct RawQueueRow {
  std::string_view queue;
  std::int64_t row_id = 0;
  std::optional<std::string> instance_id;
  std::optional<std::int64_t> execution_id;
  std::optional<std::int64_t> activity_id;
  std::string raw_text;
  std::string error;
};

/// Keeps the row as a dead letter (once per source row: a refetch finds the existing one) and
/// returns the dead letter's id.
ProviderResult<std::uint64_t> record_dead_letter(SqliteProvider::Store& s, std::string_view operation,
                                                 const RawQueueRow& row);

}  // namespace duroxide::sqlite_detail
