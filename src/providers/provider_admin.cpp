// Default composites of ProviderAdmin, built from its primitives (docs/storage.md).
#include <deque>
#include <set>

#include <fmt/format.h>

#include <duroxide/provider.hpp>

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

}  // namespace duroxide
