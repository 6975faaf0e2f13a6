#pragma once
// Paginated instance listing shared by every store (docs/storage.md, "Listing instances"):
// checking a query, the cursor's text form, and cutting the rows read into a page.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

/// `rows` holds up to limit + 1 rows in page order (the query asked for one more than the limit):
/// keeps `limit` of them and, when there was one more, points the next cursor at the last kept.
InstancePage cut_instance_page(std::vector<InstanceInfo> rows, std::size_t limit);

}  // namespace duroxide::providers
