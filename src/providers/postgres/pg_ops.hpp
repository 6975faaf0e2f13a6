#pragma once
// Helpers shared by the PostgreSQL store's operations: encoding what is written (validated and
// size-checked before any round trip), decoding history rows, dead letters, error wording.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/postgres/pg_store.hpp"
#include "providers/row_codec.hpp"

namespace duroxide::pg_detail {

using providers::encode_events;
using providers::encode_work_item;

/// History rows (event_id, text) of one execution, decoded as the SQLite store does: a row that
/// does not decode, or names another event or execution, makes the whole history an error.
struct LoadedHistory {
  std::vector<Event> events;
  std::optional<std::string> decode_error;
  std::uint64_t last_row_event_id = 0;
};
LoadedHistory decode_history(const std::string& instance, std::uint64_t execution_id,
                             const std::vector<std::pair<std::uint64_t, std::string>>& rows);

/// A queue row that cannot be used, with the problem.
struct RawQueueRow {
  std::string_view queue;
  std::int64_t row_id = 0;
  std::optional<std::string> instance_id;
  std::optional<std::int64_t> execution_id;
  std::optional<std::int64_t> activity_id;
  std::string raw_text;
  std::string error;
};
/// Keeps the row as a dead letter (once per source row) and returns its id.
ProviderResult<std::uint64_t> record_dead_letter(PostgresProvider::Store& s, std::string_view operation,
                                                 const RawQueueRow& row);

/// TEXT cannot hold a NUL byte, and libpq's text parameters end at the first one. Values that may
/// hold any text (outputs, custom status, KV values) are therefore stored as they are unless they
/// contain a NUL or begin with the marker byte 0x01; those are stored as the marker followed by
/// their bytes in hex (docs/storage.md, "The PostgreSQL store"). Readable for every ordinary value,
/// reversible for all.
std::string encode_stored_text(std::string_view value);
std::string decode_stored_text(std::string_view stored);
inline std::optional<std::string> encode_stored_optional(const std::optional<std::string>& value) {
  return value ? std::optional<std::string>(encode_stored_text(*value)) : std::nullopt;
}
inline std::optional<std::string> decode_stored_optional(const std::optional<std::string>& stored) {
  return stored ? std::optional<std::string>(decode_stored_text(*stored)) : std::nullopt;
}

/// An instance with its current execution: `kInstanceInfoSelect` reads the columns that
/// `instance_info_row` decodes, from `instances i` joined with the current execution `e`; append
/// a WHERE clause.
inline constexpr std::string_view kInstanceInfoSelect =
    "SELECT i.instance_id, i.orchestration_name, i.orchestration_version, i.current_execution_id, e.status, "
    "e.output, i.created_at, i.updated_at, i.parent_instance_id FROM instances i LEFT JOIN executions e ON "
    "e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id";
InstanceInfo instance_info_row(const pg::Result& res, int row);

/// Our SQLSTATE for an invalid, expired or already used lock token.
inline constexpr std::string_view kInvalidToken = "DX001";

/// A database error as the contract words it: DX codes and unique violations are permanent.
ProviderError classify(std::string_view operation, const pg::DbError& error, const ProviderError& fallback);

/// Reads the result, mapping errors through classify().
ProviderResult<pg::Result> call(PostgresProvider::Store& s, std::string_view operation, const std::string& sql,
                                const std::vector<pg::Param>& params);

inline pg::Param num(std::int64_t v) { return std::to_string(v); }
inline pg::Param num(std::uint64_t v) { return std::to_string(v); }

}  // namespace duroxide::pg_detail
