#include <duroxide/action.hpp>

#include <array>

namespace duroxide {

std::string_view action_type_name(const Action& action) {
  static constexpr std::array<std::string_view, std::variant_size_v<Action>> kNames = {
      "CallActivity",  "CreateTimer",           "WaitExternal",
      "DequeueEvent",  "StartSubOrchestration", "StartOrchestrationDetached",
      "ContinueAsNew", "UpdateCustomStatus",    "SetKeyValue",
      "ClearKeyValue", "ClearKeyValues",
  };
  return kNames[action.index()];
}

}  // namespace duroxide
