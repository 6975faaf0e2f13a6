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
  const auto statement = providers::page_statement(
      query, cursor, [](std::size_t n, const providers::PageValue&) { return fmt::format("?{}", n); });
  DUROXIDE_TRY_ASSIGN(reader, store_->read_connection());
  DUROXIDE_TRY_ASSIGN(stmt,
                      reader.statement(op, fmt::format("{}{}", sqlite_detail::kInstanceInfoSelect, statement.tail)));
  int param = 1;
  for (const auto& value : statement.values) std::visit([&](const auto& v) { stmt.bind(param++, v); }, value);

  std::vector<InstanceInfo> rows;
  for (;;) {
    DUROXIDE_TRY_ASSIGN(row, stmt.step());
    if (!row) break;
    rows.push_back(sqlite_detail::instance_info_row(stmt));
  }
  return providers::cut_instance_page(std::move(rows), query.limit);
}

}  // namespace duroxide
