// SqliteProvider: paginated instance listing (docs/storage.md, "Listing instances"). One
// statement per page: the filters pick one of the step-5 indexes (status, name, or creation time)
// and the cursor starts the range, so a page costs its own rows however big the store is.
#include <fmt/format.h>

#include "providers/instance_page.hpp"
#include "providers/sqlite/sqlite_instance_row.hpp"
#include "providers/sqlite/sqlite_store.hpp"

namespace duroxide {

namespace sqlite_detail {

InstanceInfo instance_info_row(const sqlite::Statement& stmt) {
  InstanceInfo info;
  info.instance_id = stmt.text(0);
  info.orchestration_name = stmt.text(1);
  info.orchestration_version = stmt.optional_text(2).value_or("unknown");
  info.current_execution_id = stmt.uint64(3);
  info.status = stmt.is_null(4) ? std::nullopt : parse_execution_status(stmt.text(4));
  info.output = stmt.optional_text(5);
  // Timestamps may be duroxide's text form in a store it created (docs/storage.md).
  info.created_at_ms = static_cast<std::uint64_t>(stmt.timestamp_ms(6).value_or(0));
  info.updated_at_ms = static_cast<std::uint64_t>(stmt.timestamp_ms(7).value_or(0));
  info.parent_instance_id = stmt.optional_text(8);
  return info;
}

}  // namespace sqlite_detail

ProviderResult<InstancePage> SqliteProvider::list_instances_page(const InstanceQuery& query) {
  constexpr std::string_view op = "list_instances_page";
  DUROXIDE_TRY_ASSIGN(cursor, providers::check_instance_query(op, query));
  // Only the conditions a query has are in its text, so the planner sees which index fits; the
  // values are bound, never written into the text.
  std::string where;
  int next_param = 1;
  auto condition = [&](std::string_view text) {
    where += where.empty() ? " WHERE " : " AND ";
    where += fmt::format(fmt::runtime(text), next_param);
    ++next_param;
  };
  if (query.status) condition("i.status = ?{}");
  if (query.orchestration_name) condition("i.orchestration_name = ?{}");
  if (query.created_from_ms) condition("i.created_at >= ?{}");
  if (query.created_until_ms) condition("i.created_at < ?{}");
  if (cursor) {
    where += where.empty() ? " WHERE " : " AND ";
    where += fmt::format("(i.created_at, i.instance_id) < (?{}, ?{})", next_param, next_param + 1);
    next_param += 2;
  }
  const std::string sql = fmt::format("{}{} ORDER BY i.created_at DESC, i.instance_id DESC LIMIT ?{}",
                                      sqlite_detail::kInstanceInfoSelect, where, next_param);

  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt, reader.statement(op, sql));
  int param = 1;
  if (query.status) stmt.bind(param++, to_string(*query.status));
  if (query.orchestration_name) stmt.bind(param++, *query.orchestration_name);
  if (query.created_from_ms) stmt.bind(param++, *query.created_from_ms);
  if (query.created_until_ms) stmt.bind(param++, *query.created_until_ms);
  if (cursor) {
    stmt.bind(param++, cursor->created_at_ms);
    stmt.bind(param++, cursor->instance_id);
  }
  stmt.bind(param, static_cast<std::int64_t>(query.limit + 1));

  std::vector<InstanceInfo> rows;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    rows.push_back(sqlite_detail::instance_info_row(stmt));
  }
  return providers::cut_instance_page(std::move(rows), query.limit);
}

}  // namespace duroxide
