#pragma once
// Paginated instance listing shared by every store (docs/storage.md, "Listing instances"):
// checking a query, the cursor's text form, and cutting the rows read into a page.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <duroxide/provider_types.hpp>

namespace duroxide::providers {

/// The last row of a page: the next page starts below it in (created_at, instance_id) order.
struct PageCursor {
  std::uint64_t created_at_ms = 0;
  std::string instance_id;
};

/// The cursor's text: "<created_at_ms>:<instance_id>". Opaque to callers; stable across stores.
std::string encode_page_cursor(const PageCursor& cursor);

/// Checks the limit (1..kMaxInstancePageLimit) and decodes the cursor; InvalidInput naming the
/// problem otherwise.
ProviderResult<std::optional<PageCursor>> check_instance_query(std::string_view operation, const InstanceQuery& query);

/// A parameter of the page's statement.
using PageValue = std::variant<std::int64_t, std::string>;

/// What follows a store's SELECT of instance rows (`instances i`): the WHERE clause with only the
/// conditions the query has, so the planner sees which index fits, the order and the LIMIT of
/// limit + 1 rows; and the parameter values in order. `placeholder(n, value)` writes the n-th
/// parameter (from 1) in the store's syntax.
struct PageStatement {
  std::string tail;
  std::vector<PageValue> values;
};
PageStatement page_statement(const InstanceQuery& query, const std::optional<PageCursor>& cursor,
                             const std::function<std::string(std::size_t, const PageValue&)>& placeholder);

/// `rows` holds up to limit + 1 rows in page order (the query asked for one more than the limit):
/// keeps `limit` of them and, when there was one more, points the next cursor at the last kept.
InstancePage cut_instance_page(std::vector<InstanceInfo> rows, std::size_t limit);

}  // namespace duroxide::providers
