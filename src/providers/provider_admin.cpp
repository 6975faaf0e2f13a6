// Default composites of ProviderAdmin, built from its primitives (docs/storage.md).
#include <algorithm>
#include <deque>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include <duroxide/provider.hpp>

#include "providers/instance_page.hpp"

namespace duroxide {

ProviderResult<std::vector<Event>> ProviderAdmin::read_history(const std::string& instance) {
  auto latest = latest_execution_id(instance);
  if (!latest) return std::unexpected(latest.error());
  return read_history_with_execution_id(instance, *latest);
}

ProviderResult<InstanceTree> ProviderAdmin::get_instance_tree(const std::string& instance) {
  InstanceTree tree{instance, {instance}};
  std::set<std::string> seen{instance};
  std::deque<std::string> pending{instance};
  while (!pending.empty()) {
    auto children = list_children(pending.front());
    pending.pop_front();
    if (!children) return std::unexpected(children.error());
    for (auto& child : *children) {
      // A cycle can only come from corrupt parent links; visiting each id once keeps the walk finite.
      if (!seen.insert(child).second) continue;
      tree.all_ids.push_back(child);
      pending.push_back(std::move(child));
    }
  }
  return tree;
}

ProviderResult<DeleteInstanceResult> ProviderAdmin::delete_instance(const std::string& instance, bool force) {
  auto parent = get_parent_id(instance);
  if (!parent) return std::unexpected(parent.error());
  if (parent->has_value()) {
    return std::unexpected(ProviderError::permanent(
        "delete_instance",
        fmt::format("Cannot delete sub-orchestration {} directly. Delete root instance instead.", instance),
        ProviderErrorKind::CannotDeleteSubOrchestration));
  }
  auto tree = get_instance_tree(instance);
  if (!tree) return std::unexpected(tree.error());
  return delete_instances_atomic(tree->all_ids, force);
}

ProviderResult<InstancePage> ProviderAdmin::list_instances_page(const InstanceQuery& query) {
  constexpr std::string_view op = "list_instances_page";
  auto cursor = providers::check_instance_query(op, query);
  if (!cursor) return std::unexpected(cursor.error());
  // A provider without its own form: every instance's info, filtered and ordered here.
  auto ids = query.status ? list_instances_by_status(*query.status) : list_instances();
  if (!ids) return std::unexpected(ids.error());
  std::vector<InstanceInfo> rows;
  for (const auto& id : *ids) {
    auto info = get_instance_info(id);
    if (!info) {
      if (info.error().kind == ProviderErrorKind::NotFound) continue;  // deleted since it was listed
      return std::unexpected(info.error());
    }
    if (query.status && info->status != query.status) continue;
    if (query.orchestration_name && info->orchestration_name != *query.orchestration_name) continue;
    if (query.created_from_ms && info->created_at_ms < *query.created_from_ms) continue;
    if (query.created_until_ms && info->created_at_ms >= *query.created_until_ms) continue;
    if (*cursor && std::tie(info->created_at_ms, info->instance_id) >=
                       std::tie((*cursor)->created_at_ms, (*cursor)->instance_id)) {
      continue;
    }
    rows.push_back(std::move(*info));
  }
  std::sort(rows.begin(), rows.end(), [](const InstanceInfo& a, const InstanceInfo& b) {
    return std::tie(a.created_at_ms, a.instance_id) > std::tie(b.created_at_ms, b.instance_id);
  });
  if (rows.size() > query.limit + 1) rows.resize(query.limit + 1);
  return providers::cut_instance_page(std::move(rows), query.limit);
}

}  // namespace duroxide
