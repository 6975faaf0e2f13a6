#include "providers/instance_page.hpp"

#include <charconv>

#include <fmt/format.h>

namespace duroxide::providers {

std::string encode_page_cursor(const PageCursor& cursor) {
  return fmt::format("{}:{}", cursor.created_at_ms, cursor.instance_id);
}

ProviderResult<std::optional<PageCursor>> check_instance_query(std::string_view operation, const InstanceQuery& query) {
  auto invalid = [&](std::string message) {
    return std::unexpected(
        ProviderError::permanent(std::string(operation), std::move(message), ProviderErrorKind::InvalidInput));
  };
  if (query.limit == 0 || query.limit > kMaxInstancePageLimit) {
    return invalid(fmt::format("limit must be from 1 to {}, not {}", kMaxInstancePageLimit, query.limit));
  }
  if (!query.cursor) return std::optional<PageCursor>();
  const std::string& text = *query.cursor;
  const auto colon = text.find(':');
  PageCursor cursor;
  const char* end = text.data() + (colon == std::string::npos ? 0 : colon);
  const auto [parsed_end, ec] = std::from_chars(text.data(), end, cursor.created_at_ms);
  if (colon == std::string::npos || colon == 0 || ec != std::errc{} || parsed_end != end) {
    return invalid("cursor is not one this store wrote (expected the next_cursor of an earlier page)");
  }
  cursor.instance_id = text.substr(colon + 1);
  return std::optional<PageCursor>(std::move(cursor));
}

PageStatement page_statement(const InstanceQuery& query, const std::optional<PageCursor>& cursor,
                             const std::function<std::string(std::size_t, const PageValue&)>& placeholder) {
  PageStatement out;
  std::string where;
  const auto param = [&](PageValue value) {
    out.values.push_back(std::move(value));
    return placeholder(out.values.size(), out.values.back());
  };
  const auto condition = [&](const std::string& text) {
    where += where.empty() ? " WHERE " : " AND ";
    where += text;
  };
  if (query.status) condition("i.status = " + param(std::string(to_string(*query.status))));
  if (query.orchestration_name) condition("i.orchestration_name = " + param(*query.orchestration_name));
  if (query.created_from_ms) condition("i.created_at >= " + param(static_cast<std::int64_t>(*query.created_from_ms)));
  if (query.created_until_ms) condition("i.created_at < " + param(static_cast<std::int64_t>(*query.created_until_ms)));
  if (cursor) {
    const auto created = param(static_cast<std::int64_t>(cursor->created_at_ms));
    const auto id = param(cursor->instance_id);
    condition(fmt::format("(i.created_at, i.instance_id) < ({}, {})", created, id));
  }
  const auto limit = param(static_cast<std::int64_t>(query.limit + 1));
  out.tail = fmt::format("{} ORDER BY i.created_at DESC, i.instance_id DESC LIMIT {}", where, limit);
  return out;
}

InstancePage cut_instance_page(std::vector<InstanceInfo> rows, std::size_t limit) {
  InstancePage page;
  if (rows.size() > limit) {
    rows.resize(limit);
    page.next_cursor = encode_page_cursor({rows.back().created_at_ms, rows.back().instance_id});
  }
  page.instances = std::move(rows);
  return page;
}

}  // namespace duroxide::providers
