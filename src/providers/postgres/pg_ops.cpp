#include "providers/postgres/pg_ops.hpp"

#include <fmt/format.h>

#include <duroxide/wire.hpp>

#include "providers/input_validation.hpp"

namespace duroxide::pg_detail {

LoadedHistory decode_history(const std::string& instance, std::uint64_t execution_id,
                             const std::vector<std::pair<std::uint64_t, std::string>>& rows) {
  LoadedHistory loaded;
  for (const auto& [event_id, text] : rows) loaded.last_row_event_id = std::max(loaded.last_row_event_id, event_id);
  for (const auto& [event_id, text] : rows) {
    auto event = providers::decode_history_row(text, event_id, execution_id);
    if (!event) {
      loaded.events.clear();
      loaded.decode_error = fmt::format("history deserialization failed for instance '{}' execution {} event {}: {}",
                                        instance, execution_id, event_id, event.error());
      return loaded;
    }
    loaded.events.push_back(std::move(*event));
  }
  return loaded;
}

ProviderResult<std::uint64_t> record_dead_letter(PostgresProvider::Store& s, std::string_view operation,
                                                 const RawQueueRow& row) {
  auto found = call(
      s, operation,
      "WITH ins AS (INSERT INTO dead_letters (queue, source_row_id, instance_id, execution_id, activity_id, raw_text, "
      "error) VALUES ($1, $2::bigint, $3, $4::bigint, $5::bigint, $6, $7) ON CONFLICT (queue, source_row_id) DO "
      "NOTHING RETURNING id) SELECT id FROM ins UNION ALL SELECT id FROM dead_letters WHERE queue = $1 AND "
      "source_row_id = $2::bigint LIMIT 1",
      {std::string(row.queue), num(row.row_id), row.instance_id,
       row.execution_id ? num(*row.execution_id) : pg::Param{}, row.activity_id ? num(*row.activity_id) : pg::Param{},
       row.raw_text, row.error});
  if (!found) return std::unexpected(found.error());
  if (found->rows() == 0) {
    return std::unexpected(ProviderError::transient(std::string(operation), "dead letter vanished after insert"));
  }
  return found->uint64(0, 0);
}

namespace {
constexpr char kEncodedMarker = '\x01';
}  // namespace

std::string encode_stored_text(std::string_view value) {
  const bool plain = value.find('\0') == std::string_view::npos && (value.empty() || value.front() != kEncodedMarker);
  if (plain) return std::string(value);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(1, kEncodedMarker);
  out.reserve(1 + 2 * value.size());
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

std::string decode_stored_text(std::string_view stored) {
  if (stored.empty() || stored.front() != kEncodedMarker) return std::string(stored);
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  out.reserve(stored.size() / 2);
  for (std::size_t i = 1; i + 1 < stored.size(); i += 2) {
    out += static_cast<char>((nibble(stored[i]) << 4) | nibble(stored[i + 1]));
  }
  return out;
}

ProviderError classify(std::string_view operation, const pg::DbError& error, const ProviderError& fallback) {
  if (error.sqlstate == kInvalidToken) {
    return ProviderError::permanent(std::string(operation), error.message, ProviderErrorKind::LockLost);
  }
  if (error.sqlstate == "23505") {
    return ProviderError::permanent(std::string(operation), fmt::format("duplicate event id: {}", error.message),
                                    ProviderErrorKind::DuplicateEvent);
  }
  return fallback;
}

ProviderResult<pg::Result> call(PostgresProvider::Store& s, std::string_view operation, const std::string& sql,
                                const std::vector<pg::Param>& params) {
  pg::DbError db_error;
  auto result = s.exec(operation, sql, params, &db_error);
  if (!result) return std::unexpected(classify(operation, db_error, result.error()));
  return result;
}

InstanceInfo instance_info_row(const pg::Result& res, int row) {
  InstanceInfo info;
  info.instance_id = res.text(row, 0);
  info.orchestration_name = res.text(row, 1);
  info.orchestration_version = res.optional_text(row, 2).value_or("unknown");
  info.current_execution_id = res.uint64(row, 3);
  info.status = res.is_null(row, 4) ? std::nullopt : parse_execution_status(res.text(row, 4));
  info.output = decode_stored_optional(res.optional_text(row, 5));
  info.created_at_ms = res.uint64(row, 6);
  info.updated_at_ms = res.uint64(row, 7);
  info.parent_instance_id = res.optional_text(row, 8);
  return info;
}

}  // namespace duroxide::pg_detail
