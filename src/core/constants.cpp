#include <duroxide/constants.hpp>

namespace duroxide {

bool is_auto_generated_sub_orch_id(std::string_view child_instance) {
  return child_instance.starts_with(kSubOrchAutoPrefix);
}

std::string auto_sub_orch_id(std::uint64_t execution_id, std::uint64_t event_id) {
  std::string id(kSubOrchAutoPrefix);
  if (execution_id > 1) id.append(std::to_string(execution_id)).append("_");
  return id.append(std::to_string(event_id));
}

std::string build_child_instance_id(std::string_view parent_instance, std::string_view child_instance) {
  if (!is_auto_generated_sub_orch_id(child_instance)) return std::string(child_instance);
  std::string id;
  id.reserve(parent_instance.size() + 2 + child_instance.size());
  id.append(parent_instance).append("::").append(child_instance);
  return id;
}

}  // namespace duroxide
