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
  // Only the conditions a query has are in its text (one prepared statement per combination), so
  // the plan uses the index that fits; the values are parameters.
  std::string where;
  std::vector<pg::Param> params;
  auto condition = [&](std::string_view text, pg::Param value) {
    params.push_back(std::move(value));
    where += where.empty() ? " WHERE " : " AND ";
    where += fmt::format(fmt::runtime(text), params.size());
  };
  if (query.status) condition("i.status = ${}", std::string(to_string(*query.status)));
  if (query.orchestration_name) condition("i.orchestration_name = ${}", *query.orchestration_name);
  if (query.created_from_ms) condition("i.created_at >= ${}::bigint", num(*query.created_from_ms));
  if (query.created_until_ms) condition("i.created_at < ${}::bigint", num(*query.created_until_ms));
  if (*cursor) {
    params.push_back(num((*cursor)->created_at_ms));
    params.push_back((*cursor)->instance_id);
    where += where.empty() ? " WHERE " : " AND ";
    where += fmt::format("(i.created_at, i.instance_id) < (${}::bigint, ${})", params.size() - 1, params.size());
  }
  params.push_back(num(static_cast<std::uint64_t>(query.limit + 1)));
  const std::string sql = fmt::format("{}{} ORDER BY i.created_at DESC, i.instance_id DESC LIMIT ${}::bigint",
                                      pg_detail::kInstanceInfoSelect, where, params.size());
  DUROXIDE_PG_TRY_ASSIGN(res, pg_detail::call(*store_, op, sql, params));

  std::vector<InstanceInfo> rows;
  rows.reserve(static_cast<std::size_t>(res.rows()));
  for (int r = 0; r < res.rows(); ++r) rows.push_back(pg_detail::instance_info_row(res, r));
  return providers::cut_instance_page(std::move(rows), query.limit);
}

}  // namespace duroxide
