#include "instance_listing.hpp"

#include <algorithm>

namespace duroxide::dashboard {

namespace {

bool deleted_meanwhile(const ClientError& error) {
  return error.kind == ClientError::Kind::InstanceNotFound ||
         (error.provider && error.provider->is(ProviderErrorKind::NotFound));
}

bool matches(const InstanceInfo& info, const InstanceQuery& query) {
  if (query.orchestration_name && info.orchestration_name != *query.orchestration_name) return false;
  if (query.created_from_ms && info.created_at_ms < *query.created_from_ms) return false;
  if (query.created_until_ms && info.created_at_ms >= *query.created_until_ms) return false;
  return true;
}

}  // namespace

ClientResult<InstancePage> list_page(const Client& client, const InstanceQuery& query) {
  if (query.limit == 0) return std::unexpected(ClientError::invalid_input("the page limit must be 1 or more"));
  auto ids = query.status ? client.list_instances_by_status(*query.status) : client.list_all_instances();
  if (!ids) return std::unexpected(ids.error());

  auto next = ids->begin();
  if (query.cursor) {
    next = std::find(ids->begin(), ids->end(), *query.cursor);
    if (next == ids->end()) {
      return std::unexpected(ClientError::invalid_input(
          "the cursor names an instance the listing no longer holds (deleted, or its status changed): "
          "start again from the first page"));
    }
    ++next;
  }
  InstancePage page;
  for (; next != ids->end(); ++next) {
    auto info = client.get_instance_info(*next);
    if (!info) {
      if (deleted_meanwhile(info.error())) continue;
      return std::unexpected(info.error());
    }
    if (!matches(*info, query)) continue;
    if (page.instances.size() == query.limit) {  // one more matches: there is a next page
      page.next_cursor = page.instances.back().instance_id;
      break;
    }
    page.instances.push_back(std::move(*info));
  }
  return page;
}

}  // namespace duroxide::dashboard
