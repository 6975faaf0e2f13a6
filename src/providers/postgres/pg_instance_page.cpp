// PostgresProvider: paginated instance listing (docs/storage.md, "Listing instances"). One
// statement per page: the filters pick one of the step-5 indexes (status, name, or creation time)
// and the cursor starts the range, so a page costs its own rows however big the store is.
#include <fmt/format.h>

#include "providers/instance_page.hpp"
#include "providers/postgres/pg_ops.hpp"

namespace duroxide {

using pg_detail::num;

ProviderResult<InstancePage> PostgresProvider::list_instances_page(const InstanceQuery& query) {
  constexpr std::string_view op = "list_instances_page";
  auto cursor = providers::check_instance_query(op, query);
  if (!cursor) return std::unexpected(cursor.error());
  // Integers are sent as text like every parameter, and cast where they are compared.
  const auto statement =
      providers::page_statement(query, *cursor, [](std::size_t n, const providers::PageValue& value) {
        return std::holds_alternative<std::int64_t>(value) ? fmt::format("${}::bigint", n) : fmt::format("${}", n);
      });
  std::vector<pg::Param> params;
  for (const auto& value : statement.values) {
    params.push_back(std::holds_alternative<std::int64_t>(value) ? num(std::get<std::int64_t>(value))
                                                                 : pg::Param(std::get<std::string>(value)));
  }
  const std::string sql = fmt::format("{}{}", pg_detail::kInstanceInfoSelect, statement.tail);
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, op, sql, params));

  std::vector<InstanceInfo> rows;
  rows.reserve(static_cast<std::size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r) rows.push_back(pg_detail::instance_info_row(res, r));
  return providers::cut_instance_page(std::move(rows), query.limit);
}

}  // namespace duroxide
